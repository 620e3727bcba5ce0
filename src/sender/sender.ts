// SPDX-License-Identifier: GPL-2.0-only
// The sender: the selftest's do_tx. Builds one msghdr in native memory, then
// sends until the deadline, draining the error queue as the selftest does.
import {
  AF_PACKET, ETH_P_IP, ETH_P_IPV6, IPPROTO_RAW, IPPROTO_UDP, MSG_DONTWAIT, MSG_ZEROCOPY, SOCK_RAW, SOCK_STREAM,
  SOL_SOCKET, SO_REUSEADDR, SO_SNDBUF, SO_ZEROCOPY, UDP_CORK, SOL_IP, SOL_IPV6, IP_MTU, IPV6_MTU, SOL_UDP, UDP_SEGMENT,
} from '../libc/constants.js';
import { ETH_HLEN, IOV, IPV6_HLEN, IP_MAXPACKET, MSG, PAGE_SIZE, SLL } from '../libc/layout.js';
import { allocNative, bind, connect, getsockopt } from '../libc/libc.js';
import { allocPages, type PageBacking } from '../mem/pages.js';
import { checkGsoMtu } from '../gso/gso.js';
import { writeSockaddr, writeSockaddrLL } from '../net/address.js';
import { buildEthHeader, buildIPv4Header, buildIPv6Header, fillPattern, MAC_DST, seededPattern } from '../net/headers.js';
import { BIND_SOURCE, closeSocket, connectWithin, fail, openSocket, setIntOption, socketKind } from '../net/socket.js';
import { ErrorQueue } from '../notify/errqueue.js';
import { CompletionTracker, type TrackerEvents } from '../notify/tracker.js';
import { WAIT_MS, type Config } from '../core/config.js';
import type { RunControl } from '../core/control.js';
import { RunError, ToolError } from '../core/errors.js';
import { IntervalMeter, processCpu, windowMs, type IntervalRecord } from '../core/intervals.js';
import { SendLoop, type Stall } from './loop.js';

export interface SenderResult {
  packets: number;
  bytes: number;
  /** sendmsg calls that returned a length (the selftest's sends_since_notify increments). */
  calls: number;
  eagain: number;
  enobufs: number;
  expectedCompletions: number;
  tracker: CompletionTracker;
  startedAt: number;
  /** The run: from the first slice's start to the last one's end. */
  durationMs: number;
  /**
   * The sending interval, first send to last send (see SendLoop.firstSendAt
   * for the resolution): the time the rates are over. 0 when nothing was sent.
   */
  dataMs: number;
  /** -I: the intervals, in order; their counts sum to the totals. null without -I. */
  intervals: IntervalRecord[] | null;
  interrupted: string | null;
  /** The C tool's zc= letter. */
  zc: 'y' | 'n';
  missingNotifications: boolean;
  /** The socket stayed unwritable past the end of the run: what it was, and the error line (exit 1). */
  stall?: (Stall & { error: RunError }) | null;
  /** --hugepages: what backed the payload, and why not huge pages (one line), else null. */
  backing?: PageBacking;
  hugepagesWhy?: string | null;
  /** --gso: the path MTU the segment size was checked against. */
  pathMtu?: number | null;
}

/** What the layers above may add to a run, after its measured loop. */
export interface SenderHooks {
  /** Why notifications are missing after the final wait (the doctor's analysis of the path), or null. */
  missingHint?: () => Promise<string | null>;
}

/** The message to send, laid out once in native memory. */
interface Message {
  addr: number;
  /** DataView over the iovec that carries the payload, and its offset. */
  iovDv: DataView;
  payloadIovLen: number;
  /** Total bytes of one sendmsg. */
  len: number;
  backing: PageBacking;
  hugepagesWhy: string | null;
}

function buildMessage(cfg: Config, domain: number, type: number, protocol: number): Message {
  const hdrs = allocNative(ETH_HLEN + IPV6_HLEN);
  // The payload starts cfg.payloadOffset bytes into a page. How many pages a
  // send spans changes what the kernel does with it (tcp zerocopy over veth
  // runs at twice the rate from a page-aligned buffer), so by default the
  // buffer sits where the selftest's static array does.
  const page = allocPages(IP_MAXPACKET + PAGE_SIZE, cfg.hugepages);
  const payloadAddr = page.addr + cfg.payloadOffset;
  fillPattern(page.u8, cfg.payloadOffset, IP_MAXPACKET, seededPattern(cfg.patternSeed, IP_MAXPACKET));
  const iov = allocNative(3 * IOV.size);
  const msg = allocNative(MSG.size + SLL.size);
  const iovs: Array<[number, number]> = [];

  if (domain === AF_PACKET) {
    const proto = cfg.family === 4 ? ETH_P_IP : ETH_P_IPV6;
    if (type === SOCK_RAW) iovs.push([hdrs.addr, buildEthHeader(hdrs.u8, 0, proto)]);
    const nameOff = MSG.size;
    const nameLen = writeSockaddrLL(msg.dv, nameOff, cfg.ifindex, proto, MAC_DST);
    msg.dv.setBigUint64(MSG.msg_name, BigInt(msg.addr + nameOff), true);
    msg.dv.setUint32(MSG.msg_namelen, nameLen, true);
  }
  if (domain === AF_PACKET || protocol === IPPROTO_RAW) {
    const build = cfg.family === 4 ? buildIPv4Header : buildIPv6Header;
    iovs.push([hdrs.addr + ETH_HLEN, build(hdrs.u8, ETH_HLEN, cfg.src, cfg.dst, cfg.payloadLen)]);
  }
  iovs.push([payloadAddr, cfg.payloadLen]);

  let len = 0;
  iovs.forEach(([base, n], i) => {
    iov.dv.setBigUint64(i * IOV.size + IOV.iov_base, BigInt(base), true);
    iov.dv.setBigUint64(i * IOV.size + IOV.iov_len, BigInt(n), true);
    len += n;
  });
  msg.dv.setBigUint64(MSG.msg_iov, BigInt(iov.addr), true);
  msg.dv.setBigUint64(MSG.msg_iovlen, BigInt(iovs.length), true);
  const payloadIov = (iovs.length - 1) * IOV.size;
  return { addr: msg.addr, iovDv: iov.dv, payloadIovLen: payloadIov + IOV.iov_len, len, backing: page.backing, hugepagesWhy: page.why };
}

async function setupSocket(cfg: Config, ctl: RunControl): Promise<{ fd: number; msg: Message; pathMtu: number | null }> {
  const kind = socketKind(cfg.test, cfg.family);
  const fd = openSocket(kind, 'socket t', cfg);
  setIntOption(fd, SOL_SOCKET, SO_SNDBUF, 1 << 21, cfg);
  if (cfg.zerocopy) setIntOption(fd, SOL_SOCKET, SO_ZEROCOPY, 1, cfg);
  if (kind.domain !== AF_PACKET) {
    if (cfg.bindTo) {
      // --bind: the address and port the receiver's --peer names (raw: the address only). SO_REUSEADDR: a
      // connection of an earlier run from this port may still be in TIME_WAIT.
      if (kind.type === SOCK_STREAM) setIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, cfg);
      const ba = allocNative(32);
      const balen = writeSockaddr(ba.dv, 0, cfg.family, cfg.bindTo.addr, kind.type === SOCK_RAW ? 0 : cfg.bindTo.port);
      if (bind(fd, ba.addr, balen) !== 0) fail({ call: 'bind', text: BIND_SOURCE }, cfg);
    }
    const sa = allocNative(32);
    const salen = writeSockaddr(sa.dv, 0, cfg.family, cfg.dst, cfg.port);
    // Only a tcp connect() waits (for the handshake); it gets as long as the run, and never less than one SYN retransmission.
    if (kind.type === SOCK_STREAM) await connectWithin(fd, sa.addr, salen, Math.max(cfg.runtimeMs, CONNECT_MIN_MS), cfg, ctl);
    else if (connect(fd, sa.addr, salen) !== 0) fail('connect', cfg);
  }
  const pathMtu = cfg.gsoSize ? enableGso(fd, cfg) : null;
  return { fd, msg: buildMessage(cfg, kind.domain, kind.type, kind.protocol), pathMtu };
}

/**
 * --gso: check the segment size against the connected socket's path MTU,
 * then UDP_SEGMENT on the socket, so that every sendmsg of the unchanged loop
 * leaves as segments of that size. Returns the path MTU.
 */
function enableGso(fd: number, cfg: Config): number {
  const v = allocNative(8);
  v.dv.setUint32(4, 4, true);
  const [level, name] = cfg.family === 4 ? [SOL_IP, IP_MTU] : [SOL_IPV6, IPV6_MTU];
  if (getsockopt(fd, level, name, v.addr, v.addr + 4) !== 0) {
    fail({ call: 'setsockopt', text: `getsockopt ${level}.${name} (path MTU)`, option: [level, name] }, cfg);
  }
  const mtu = v.dv.getInt32(0, true);
  checkGsoMtu(cfg.family, cfg.gsoSize, mtu, cfg.dstText);
  setIntOption(fd, SOL_UDP, UDP_SEGMENT, cfg.gsoSize, cfg);
  return mtu;
}

/**
 * The shortest time connect() gets: Linux resends an unanswered SYN after
 * 1 s (TCP_TIMEOUT_INIT), so a shorter bound (-t 0 runs 200 ms) would turn
 * one lost SYN into a failed run.
 */
const CONNECT_MIN_MS = 1100;

/** The stall line: what stayed unwritable for how long, and what to check. */
function stallError(s: Stall, cfg: Config): RunError {
  const secs = (ms: number): string => (ms / 1000).toFixed(1);
  return new RunError(`send: socket not writable for ${secs(s.notWritableMs)} s, ${secs(s.pastDeadlineMs)} s past the end of the run`,
    `the path to ${cfg.dstText} is down or the receiver stopped reading: check the link, the route and the receiver`);
}

/** How long one synchronous slice of the loop runs before signals get a look in. */
const SLICE_MS = 50;

/**
 * `onInterval`: with -I, called with each interval as it closes (at the end
 * of a slice, the last one after the last notifications have been counted).
 */
export async function runSender(cfg: Config, ctl: RunControl, log: (line: string) => void,
  onInterval?: (r: IntervalRecord) => void, hooks: SenderHooks = {}): Promise<SenderResult> {
  const events: TrackerEvents = {};
  if (cfg.verbose >= 1) events.gap = (lo, hi, next) => log(`gap: ${lo}..${hi} does not append to ${next}`);
  if (cfg.verbose >= 2) events.completed = (range, hi, lo) => log(`completed: ${range} (h=${hi} l=${lo})`);
  events.mismatch = (got, want) => log(`serr: ee_code: ${got} != expected ${want}`);
  const tracker = new CompletionTracker(cfg.expectZerocopy, events);

  const { fd, msg, pathMtu } = await setupSocket(cfg, ctl);
  if (msg.hugepagesWhy) log(msg.hugepagesWhy);
  const errq = new ErrorQueue(fd, tracker);
  const loop = new SendLoop(cfg, fd, msg.addr, msg.len, errq, log);
  // Cork and the forced-GC test hook replace the single send of the plain loop.
  const gcEvery = Number(process.env.MZC_GC_EVERY ?? 0);
  if (cfg.cork || gcEvery) {
    const step = cfg.cork ? corkedStep(cfg, fd, msg, loop) : () => loop.sendPlain();
    loop.useStep(gcEvery ? withForcedGc(step, gcEvery) : step);
  }

  const startedAt = Date.now();
  const tstop = startedAt + cfg.runtimeMs;
  loop.deadline = tstop;
  // -I: counted at slice ends only (nothing per send); the slice that ends the run is closed by finish() below.
  const meter = cfg.intervalMs > 0 ? new IntervalMeter(cfg.intervalMs, startedAt, processCpu, onInterval) : null;
  let now = startedAt;
  try {
    while (now < tstop && !ctl.stopped) {
      now = loop.runSlice(Math.min(tstop, now + SLICE_MS));
      if (meter && now < tstop && !loop.stall) meter.tick(now, loop.bytes, loop.packets, tracker.completions, tracker.copied);
      await ctl.yield();
    }
  } catch (e) {
    // a fatal send (ENOBUFS, …): what was counted before it goes into the --json report
    if (e instanceof ToolError) {
      e.counters = {
        packets: loop.packets, bytes: loop.bytes, completions: tracker.completions, copied: tracker.copied,
        expectedCompletions: loop.expected, eagain: loop.eagain, enobufs: loop.enobufs, durationMs: Date.now() - startedAt,
      };
    }
    throw e;
  }
  const durationMs = Date.now() - startedAt;

  let missing = false;
  const stall = loop.stall && { ...loop.stall, error: stallError(loop.stall, cfg) };
  if (cfg.zerocopy) {
    if (stall) {
      // Sends the peer never acknowledged hold their pages: no point waiting
      // for them. Count what has arrived; the stall line says the rest.
      errq.drain();
      missing = tracker.completions < loop.expected;
    } else {
      missing = !errq.waitRemaining(loop.expected, WAIT_MS);
    }
  }
  // The last interval takes the remainder up to here: with -z, the completions of the final wait too.
  const intervals = meter && meter.finish(Date.now(), {
    bytes: loop.bytes, packets: loop.packets, completions: tracker.completions, copied: tracker.copied,
  });
  if (missing && !stall) {
    // The selftest's line, then (ours) why, in parentheses as our error lines give their hint.
    const hint = hooks.missingHint ? await hooks.missingHint() : null;
    log(`missing notifications: ${tracker.completions} < ${loop.expected}${hint ? ` (${hint})` : ''}`);
  }
  closeSocket(fd);

  return {
    packets: loop.packets, bytes: loop.bytes, calls: loop.calls, eagain: loop.eagain, enobufs: loop.enobufs,
    expectedCompletions: loop.expected, tracker, startedAt, durationMs,
    dataMs: windowMs({ firstAt: loop.firstSendAt, lastAt: loop.lastSendAt }, loop.bytes), intervals,
    interrupted: ctl.signal, zc: cfg.zerocopy && tracker.expectation === 1 ? 'y' : 'n', missingNotifications: missing,
    stall, backing: msg.backing, hugepagesWhy: msg.hugepagesWhy, pathMtu,
  };
}

/** do_sendmsg_corked: one UDP datagram made of cfg.cork sendmsg calls between UDP_CORK on and off. */
function corkedStep(cfg: Config, fd: number, msg: Message, loop: SendLoop): () => void {
  const n = cfg.cork;
  const part = Math.floor(cfg.payloadLen / n);
  const extra = cfg.payloadLen - n * part;
  return () => {
    setIntOption(fd, IPPROTO_UDP, UDP_CORK, 1, cfg);
    for (let i = 0; i < n; i++) {
      const zc = cfg.corkMixed ? (i & 1) === 1 : cfg.zerocopy;
      const len = i === 0 ? part + extra : part;
      msg.iovDv.setUint32(msg.payloadIovLen, len, true);
      loop.sendOne(zc ? MSG_DONTWAIT | MSG_ZEROCOPY : MSG_DONTWAIT, len, zc);
    }
    setIntOption(fd, IPPROTO_UDP, UDP_CORK, 0, cfg);
  };
}

/**
 * Test hook: with MZC_GC_EVERY=N and node --expose-gc, run a full garbage
 * collection every N sends, to prove no address stored in a struct moves.
 */
function withForcedGc(step: () => void, every: number): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('MZC_GC_EVERY needs node --expose-gc');
  let n = 0;
  return () => {
    step();
    if (++n % every === 0) gc();
  };
}
