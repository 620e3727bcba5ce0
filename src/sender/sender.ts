// The sender: the selftest's do_tx. Builds one msghdr in native memory, then
// sends until the deadline, draining the error queue as the selftest does.
import {
  EAGAIN, EINTR, ENOBUFS, ETH_P_IP, ETH_P_IPV6, IPPROTO_RAW, IPPROTO_UDP, MSG_DONTWAIT, MSG_ZEROCOPY,
  AF_PACKET, POLLOUT, SOCK_RAW, SOL_SOCKET, SO_SNDBUF, SO_ZEROCOPY, UDP_CORK,
} from '../libc/constants.js';
import { ETH_HLEN, IOV, IPV6_HLEN, IP_MAXPACKET, MSG, POLLFD, SLL } from '../libc/layout.js';
import { allocNative, connect, errno, poll, sendmsg, setsockopt } from '../libc/libc.js';
import { writeSockaddr, writeSockaddrLL } from '../net/address.js';
import { buildEthHeader, buildIPv4Header, buildIPv6Header, fillPayload, MAC_DST } from '../net/headers.js';
import { closeSocket, fail, nativeIntAddr, openSocket, setIntOption, socketKind } from '../net/socket.js';
import { ErrorQueue } from '../notify/errqueue.js';
import { CompletionTracker, type TrackerEvents } from '../notify/tracker.js';
import { WAIT_MS, type Config } from '../cli/config.js';
import type { RunControl } from '../cli/control.js';

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
  durationMs: number;
  interrupted: string | null;
  /** The C tool's zc= letter. */
  zc: 'y' | 'n';
  missingNotifications: boolean;
}

/** The message to send, laid out once in native memory. */
interface Message {
  addr: number;
  /** DataView over the iovec that carries the payload, and its offset. */
  iovDv: DataView;
  payloadIovLen: number;
  /** Total bytes of one sendmsg. */
  len: number;
}

function buildMessage(cfg: Config, domain: number, type: number, protocol: number): Message {
  const hdrs = allocNative(ETH_HLEN + IPV6_HLEN);
  const payload = allocNative(IP_MAXPACKET);
  fillPayload(payload.u8, 0, IP_MAXPACKET);
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
  iovs.push([payload.addr, cfg.payloadLen]);

  let len = 0;
  iovs.forEach(([base, n], i) => {
    iov.dv.setBigUint64(i * IOV.size + IOV.iov_base, BigInt(base), true);
    iov.dv.setBigUint64(i * IOV.size + IOV.iov_len, BigInt(n), true);
    len += n;
  });
  msg.dv.setBigUint64(MSG.msg_iov, BigInt(iov.addr), true);
  msg.dv.setBigUint64(MSG.msg_iovlen, BigInt(iovs.length), true);
  const payloadIov = (iovs.length - 1) * IOV.size;
  return { addr: msg.addr, iovDv: iov.dv, payloadIovLen: payloadIov + IOV.iov_len, len };
}

function setupSocket(cfg: Config): { fd: number; msg: Message; corkable: boolean } {
  const kind = socketKind(cfg.test, cfg.family);
  const fd = openSocket(kind, 'socket t', cfg);
  setIntOption(fd, SOL_SOCKET, SO_SNDBUF, 1 << 21, cfg);
  if (cfg.zerocopy) setIntOption(fd, SOL_SOCKET, SO_ZEROCOPY, 1, cfg);
  if (kind.domain !== AF_PACKET) {
    const sa = allocNative(32);
    const salen = writeSockaddr(sa.dv, 0, cfg.family, cfg.dst, cfg.port);
    if (connect(fd, sa.addr, salen) !== 0) fail('connect', cfg);
  }
  return { fd, msg: buildMessage(cfg, kind.domain, kind.type, kind.protocol), corkable: kind.domain !== AF_PACKET };
}

/** How long one synchronous slice of the loop runs before signals get a look in. */
const SLICE_MS = 50;

export async function runSender(cfg: Config, ctl: RunControl, log: (line: string) => void): Promise<SenderResult> {
  const events: TrackerEvents = {};
  if (cfg.verbose >= 1) events.gap = (lo, hi, next) => log(`gap: ${lo}..${hi} does not append to ${next}`);
  if (cfg.verbose >= 2) events.completed = (range, hi, lo) => log(`completed: ${range} (h=${hi} l=${lo})`);
  events.mismatch = (got, want) => log(`serr: ee_code: ${got} != expected ${want}`);
  const tracker = new CompletionTracker(cfg.expectZerocopy, events);

  const { fd, msg } = setupSocket(cfg);
  const errq = new ErrorQueue(fd, tracker);
  const pfd = allocNative(POLLFD.size);
  pfd.dv.setInt32(POLLFD.fd, fd, true);
  pfd.dv.setInt16(POLLFD.events, POLLOUT, true);

  const zc = cfg.zerocopy;
  const limit = cfg.notificationLimit;
  const verbose = cfg.verbose;
  const pfdAddr = pfd.addr;
  const msgAddr = msg.addr;
  const r = {
    packets: 0, bytes: 0, calls: 0, eagain: 0, enobufs: 0, expected: 0, sinceNotify: 0,
  };

  /** do_sendmsg: one sendmsg of `len` bytes; false on EAGAIN. */
  const sendOne = (flags: number, len: number, zerocopy: boolean): void => {
    const ret = sendmsg(fd, msgAddr, flags);
    if (ret === -1) {
      const e = errno();
      if (e === EAGAIN) { r.eagain++; return; }
      if (e === ENOBUFS) r.enobufs++;
      fail('send', cfg, e);
    }
    if (verbose && ret !== len) log(`send: ret=${ret} != ${len}`);
    r.sinceNotify++;
    r.calls++;
    if (len) {
      r.packets++;
      r.bytes += ret;
      if (zerocopy && ret) r.expected++;
    }
  };

  /** do_poll(fd, POLLOUT) with the selftest's 500 ms timeout. */
  const writable = (): boolean => {
    const ret = poll(pfdAddr, 1, WAIT_MS);
    if (ret === -1) {
      const e = errno();
      if (e === EINTR) return true; // a signal: let the loop look at it
      fail('poll', cfg, e);
    }
    return ret > 0 && (pfd.dv.getInt16(POLLFD.revents, true) & POLLOUT) !== 0;
  };

  const flags = MSG_DONTWAIT | (zc ? MSG_ZEROCOPY : 0);
  const len = msg.len;
  let send = cfg.cork ? corkedSender(cfg, fd, msg, sendOne) : () => sendOne(flags, len, zc);
  send = withForcedGc(send);

  const startedAt = Date.now();
  const tstop = startedAt + cfg.runtimeMs;
  let now = startedAt;
  while (now < tstop && !ctl.stopped) {
    const sliceEnd = Math.min(tstop, now + SLICE_MS);
    // The measured loop: the selftest's do_tx, unchanged.
    do {
      send();
      if (zc && r.sinceNotify >= limit) { errq.drain(); r.sinceNotify = 0; }
      while (!writable()) if (zc) { errq.drain(); r.sinceNotify = 0; }
      now = Date.now();
    } while (now < sliceEnd);
    await ctl.yield();
  }
  const durationMs = Date.now() - startedAt;

  let missing = false;
  if (zc) {
    missing = !errq.waitRemaining(r.expected, WAIT_MS);
    if (missing) log(`missing notifications: ${tracker.completions} < ${r.expected}`);
  }
  closeSocket(fd);

  return {
    packets: r.packets, bytes: r.bytes, calls: r.calls, eagain: r.eagain, enobufs: r.enobufs,
    expectedCompletions: r.expected, tracker, startedAt, durationMs,
    interrupted: ctl.signal, zc: zc && tracker.expectation === 1 ? 'y' : 'n', missingNotifications: missing,
  };
}

/** do_sendmsg_corked: one UDP datagram made of cfg.cork sendmsg calls. */
function corkedSender(cfg: Config, fd: number, msg: Message, sendOne: (flags: number, len: number, zc: boolean) => void): () => void {
  const n = cfg.cork;
  const part = Math.floor(cfg.payloadLen / n);
  const extra = cfg.payloadLen - n * part;
  const on = nativeIntAddr(1);
  const off = nativeIntAddr(0);
  const cork = (addr: number, value: number): void => {
    if (setsockopt(fd, IPPROTO_UDP, UDP_CORK, addr, 4) !== 0) fail(`setsockopt ${IPPROTO_UDP}.${UDP_CORK}: ${value}`, cfg);
  };
  const base = MSG_DONTWAIT;
  return () => {
    cork(on, 1);
    for (let i = 0; i < n; i++) {
      const zc = cfg.corkMixed ? (i & 1) === 1 : cfg.zerocopy;
      const len = i === 0 ? part + extra : part;
      msg.iovDv.setUint32(msg.payloadIovLen, len, true);
      sendOne(zc ? base | MSG_ZEROCOPY : base, len, zc);
    }
    cork(off, 0);
  };
}


/**
 * Test hook: with MZC_GC_EVERY=N and node --expose-gc, run a full garbage
 * collection every N sends, to prove no address stored in a struct moves.
 * Without it the send function is returned unchanged.
 */
function withForcedGc(send: () => void): () => void {
  const every = Number(process.env.MZC_GC_EVERY ?? 0);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!every) return send;
  if (!gc) throw new Error('MZC_GC_EVERY needs node --expose-gc');
  let n = 0;
  return () => {
    send();
    if (++n % every === 0) gc();
  };
}
