// SPDX-License-Identifier: GPL-2.0-only
// The receiver: the selftest's do_rx. Binds to -D, accepts one tcp peer (with
// a deadline, unlike the selftest), then reads until the deadline, checking
// the size and first bytes of every datagram. A tcp receiver ends when its
// peer has closed (the selftest polls the readable EOF until its deadline,
// one CPU busy for nothing); its line and exit status are the same.
import { AF_PACKET, EAGAIN, IPPROTO_RAW, MSG_DONTWAIT, MSG_TRUNC, POLLIN, SOCK_RAW, SOCK_STREAM } from '../libc/constants.js';
import { IPV4_HLEN, IP_MAXPACKET } from '../libc/layout.js';
import { PatternValidator, StreamValidator } from './validate.js';
import { accept, allocNative, bind, errno, listen, recv } from '../libc/libc.js';
import { writeSockaddr } from '../net/address.js';
import { RECEIVER_SOCKET_OPTIONS, takeEarlySocket } from '../net/early.js';
import { continuesPayload, matchesPayload } from '../net/headers.js';
import { PollFd } from '../net/poll.js';
import { closeSocket, fail, openSocket, setIntOption, socketKind } from '../net/socket.js';
import { RECEIVER_EXTRA_MS, WAIT_MS, type Config } from '../core/config.js';
import { RunError, UsageError } from '../core/errors.js';
import type { RunControl } from '../core/control.js';
import { IntervalMeter, processCpu, windowMs, type IntervalRecord } from '../core/intervals.js';
import { openTcpReader, truncStats, type RxStats } from './tcp-readers.js';

export interface ReceiverResult {
  packets: number;
  bytes: number;
  startedAt: number;
  /** The run: from the start of reading (after accept for tcp) to its end. */
  durationMs: number;
  /**
   * The interval in which data arrived, first to last read that moved bytes
   * (see runReceiver for the resolution): the time the rates are over. 0
   * when nothing arrived.
   */
  dataMs: number;
  /** -I: the intervals, in order; their counts sum to the totals. null without -I. */
  intervals: IntervalRecord[] | null;
  interrupted: string | null;
  /** tcp: the run ended at the peer's EOF, before the deadline. */
  peerClosed: boolean;
  /** tcp: how it read (--rx) and what was mapped and copied; null for datagrams. */
  rx?: RxStats | null;
  /** --validate: what the check of every byte found, else null. */
  validator?: PatternValidator | StreamValidator | null;
}

const SLICE_MS = 50;
const DGRAM_BUF = 64;

/** Check the receive mode before any socket is made (the selftest's do_setup_rx errors). */
export function checkReceiverTest(cfg: Config): void {
  const kind = socketKind(cfg.test, cfg.family);
  if (kind.domain === AF_PACKET) throw new UsageError('Use PF_INET/SOCK_RAW to read', 'run the receiver with test `raw`');
  if (kind.type === SOCK_RAW && kind.protocol === IPPROTO_RAW) {
    throw new UsageError('IPPROTO_RAW: not supported on Rx', 'run the receiver with test `raw`');
  }
}

async function acceptWithDeadline(listenFd: number, cfg: Config, ctl: RunControl): Promise<number> {
  const ready = new PollFd(listenFd, POLLIN);
  const limitMs = cfg.runtimeMs + RECEIVER_EXTRA_MS;
  const deadline = Date.now() + limitMs;
  for (;;) {
    const left = deadline - Date.now();
    if (ctl.stopped) throw new RunError(`accept: interrupted by ${ctl.signal} before a sender connected`);
    if (left <= 0) {
      throw new RunError(`accept: no sender connected within ${(limitMs / 1000).toFixed(1)} s`,
        `start the sender within -t of the receiver, to ${cfg.dstText} port ${cfg.port}`);
    }
    if (ready.wait(Math.min(left, SLICE_MS)) === 1) break;
    await ctl.yield();
  }
  const fd = accept(listenFd, 0, 0);
  if (fd === -1) fail('accept', cfg);
  closeSocket(listenFd);
  return fd;
}

/** `onInterval`: with -I, called with each interval as it closes (at the end of a slice). */
export async function runReceiver(cfg: Config, ctl: RunControl, onInterval?: (r: IntervalRecord) => void): Promise<ReceiverResult> {
  checkReceiverTest(cfg);
  const kind = socketKind(cfg.test, cfg.family);
  // Made already by bin/msg-zerocopy's first step (src/startup/early.ts) when it is exactly this socket.
  const early = takeEarlySocket(kind, cfg.family, cfg.dst, cfg.port);
  let fd = early ?? openSocket(kind, 'socket r', cfg);
  if (early === null) {
    for (const [level, name, value] of RECEIVER_SOCKET_OPTIONS) setIntOption(fd, level, name, value, cfg);
    const sa = allocNative(32);
    const salen = writeSockaddr(sa.dv, 0, cfg.family, cfg.dst, cfg.port);
    if (bind(fd, sa.addr, salen) !== 0) fail('bind', cfg);
  }

  const stream = kind.type === SOCK_STREAM;
  if (stream) {
    if (early === null && listen(fd, 1) !== 0) fail('listen', cfg);
    fd = await acceptWithDeadline(fd, cfg, ctl);
  }

  const r = { packets: 0, bytes: 0 };
  let peerOpen = true;
  const buf = allocNative(DGRAM_BUF);
  // Raw IPv4 sockets deliver the IP header too; raw IPv6 sockets do not.
  const off = cfg.family === 4 && kind.type === SOCK_RAW ? IPV4_HLEN : 0;
  const expectLen = cfg.payloadLen;
  const check = Math.min(expectLen, DGRAM_BUF - off);
  const gso = cfg.gsoSize;
  const lastSegment = gso ? expectLen - (Math.ceil(expectLen / gso) - 1) * gso : 0;
  // --validate: read whole datagrams (tcp: up to 2 MiB at a time) into a buffer made once, and check every byte.
  const dgramValidator = cfg.validate && !stream ? new PatternValidator(IP_MAXPACKET) : null;
  const streamValidator = cfg.validate && stream ? new StreamValidator(cfg.payloadLen) : null;
  const big = cfg.validate ? allocNative(stream ? 1 << 21 : IP_MAXPACKET) : null;
  const bigView = big ? big.u8 : null;
  const dgramView = bigView && bigView.subarray(off);

  const flushTcp = (): void => {
    const ret = big ? recv(fd, big.addr, 1 << 21, MSG_DONTWAIT) : recv(fd, 0, 1 << 21, MSG_TRUNC | MSG_DONTWAIT);
    if (ret === -1) {
      const e = errno();
      if (e === EAGAIN) return;
      fail({ call: 'recv', text: 'flush' }, cfg, e);
    }
    if (ret === 0) {
      // EOF: every byte has been read and no more will come.
      peerOpen = false;
      return;
    }
    r.packets++;
    r.bytes += ret;
    streamValidator?.check(bigView!, ret);
  };
  const flushDatagram = (): void => {
    let ret = big ? recv(fd, big.addr, IP_MAXPACKET, MSG_DONTWAIT | MSG_TRUNC) : recv(fd, buf.addr, DGRAM_BUF, MSG_DONTWAIT | MSG_TRUNC);
    if (ret === -1) {
      const e = errno();
      if (e === EAGAIN) return;
      fail('recv', cfg, e);
    }
    ret -= off;
    if (gso) {
      // --gso: the sender's payloads arrive as segments of --gso bytes (the last of a payload shorter), each mid-pattern.
      if (ret !== gso && ret !== lastSegment) {
        throw new RunError(`recv: ret=${ret} != ${gso}${lastSegment !== gso ? ` or ${lastSegment}` : ''}`,
          'give the receiver the same -s and --gso as the sender');
      }
      if (dgramValidator) dgramValidator.check(dgramView!, ret);
      else if (!continuesPayload(buf.u8, off, Math.min(ret, DGRAM_BUF - off))) throw new RunError('recv: data mismatch');
      r.packets++;
      r.bytes += ret;
      return;
    }
    if (ret !== expectLen) throw new RunError(`recv: ret=${ret} != ${expectLen}`, 'give the receiver the same -s as the sender');
    if (dgramValidator) dgramValidator.check(dgramView!, ret);
    else if (!matchesPayload(buf.u8, off, check)) throw new RunError('recv: data mismatch');
    r.packets++;
    r.bytes += expectLen;
  };
  // --rx copy / mmap: another reader of the same stream, counted the same way.
  const reader = stream && cfg.rxMode !== 'trunc' ? openTcpReader(fd, cfg.rxMode, cfg) : null;
  const flushRead = (): void => {
    const ret = reader!.read();
    if (ret === 0) return;
    if (ret < 0) {
      peerOpen = false;
      return;
    }
    r.packets++;
    r.bytes += ret;
  };
  const flush = !stream ? flushDatagram : reader ? flushRead : flushTcp;
  const readable = new PollFd(fd, POLLIN);

  const startedAt = Date.now();
  const tstop = startedAt + cfg.runtimeMs + RECEIVER_EXTRA_MS;
  // -I: counted at slice ends; the last interval is closed by finish() below.
  const meter = cfg.intervalMs > 0 ? new IntervalMeter(cfg.intervalMs, startedAt, processCpu, onInterval) : null;
  // When data arrived: the clock is read after every poll, i.e. just before
  // every read, so `now` before a read that moved bytes is when they were
  // taken (to within that one recv call and Date.now()'s 1 ms). The first
  // and the last such reads bound the interval the rates are over.
  let firstAt = -1;
  let lastAt = -1;
  let now = startedAt;
  while (now < tstop && !ctl.stopped && peerOpen) {
    const sliceEnd = Math.min(tstop, now + SLICE_MS);
    do {
      const before = r.bytes;
      flush();
      if (r.bytes !== before) {
        if (firstAt < 0) firstAt = now;
        lastAt = now;
      }
      if (!peerOpen) break;
      // With -I an idle receiver wakes at the slice's end, so its intervals end on time; without, the selftest's wait.
      readable.wait(meter ? Math.max(1, Math.min(WAIT_MS, sliceEnd - now)) : WAIT_MS);
      now = Date.now();
    } while (now < sliceEnd);
    if (meter && now < tstop && peerOpen) meter.tick(now, r.bytes, r.packets, 0, 0);
    await ctl.yield();
  }
  const endedAt = Date.now();
  const durationMs = endedAt - startedAt;
  const intervals = meter && meter.finish(endedAt, { bytes: r.bytes, packets: r.packets, completions: 0, copied: 0 });
  const rx = reader ? reader.finish() : stream ? truncStats(fd) : null;
  closeSocket(fd);
  return {
    packets: r.packets, bytes: r.bytes, startedAt, durationMs, dataMs: windowMs({ firstAt, lastAt }, r.bytes), intervals,
    interrupted: ctl.signal, peerClosed: !peerOpen, rx, validator: dgramValidator ?? streamValidator,
  };
}
