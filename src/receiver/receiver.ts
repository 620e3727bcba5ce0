// SPDX-License-Identifier: GPL-2.0-only
// The receiver: the selftest's do_rx. Binds to -D, accepts one tcp peer (with
// a deadline, unlike the selftest), then reads until the deadline, checking
// the size and first bytes of every datagram. A tcp receiver ends when its
// peer has closed (the selftest polls the readable EOF until its deadline,
// one CPU busy for nothing); its line and exit status are the same.
//
// What is not the sender's is counted as foreign, never as data. With
// --peer (serve passes it: the authenticated pair's sender) a tcp receiver
// closes every other connection and waits on for its sender until its
// deadline; a udp or raw receiver connect()s its socket to the sender, so
// the kernel hands it nothing else, and a second socket on the same port
// (SO_REUSEPORT: the connected one wins for its sender's datagrams) takes
// the rest to count them. A datagram of the wrong size, or whose payload is
// not the run's pattern (--pattern-seed), is counted too, and the run goes
// on: one stray packet does not end a valid measurement. Without --peer the
// selftest's exit status stays: such a run still ends with exit 1 (the C
// tool exits 1 at the first one), but only after its line.
import {
  AF_PACKET, EAGAIN, ECONNABORTED, EINTR, IPPROTO_RAW, MSG_DONTWAIT, MSG_TRUNC, POLLIN, SOCK_RAW, SOCK_STREAM,
} from '../libc/constants.js';
import { IPV4_HLEN, IP_MAXPACKET, SIN, SIN6 } from '../libc/layout.js';
import { PatternValidator, StreamValidator } from './validate.js';
import { accept, allocNative, bind, connect, errno, listen, nativeInt, recv, recvfrom, type NativeBlock } from '../libc/libc.js';
import { writeSockaddr } from '../net/address.js';
import { RECEIVER_SOCKET_OPTIONS, takeEarlySocket } from '../net/early.js';
import { endpointText, isEndpoint } from '../net/endpoint.js';
import { continuesPayload, matchesPattern, seededPattern } from '../net/headers.js';
import { PollFd, PollSet } from '../net/poll.js';
import { closeSocket, fail, openSocket, setIntOption, socketKind, type SocketKind } from '../net/socket.js';
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
  /** What was refused: connections from another peer (tcp), datagrams from elsewhere, of the wrong size or pattern. */
  foreign?: Foreign;
  /** tcp: how it read (--rx) and what was mapped and copied; null for datagrams. */
  rx?: RxStats | null;
  /** --validate: what the check of every byte found, else null. */
  validator?: PatternValidator | StreamValidator | null;
}

export interface Foreign {
  connections: number;
  datagrams: number;
  /** Of `datagrams`: the wrong size, and the right size with another payload. */
  wrongSize: number;
  wrongPayload: number;
  /** The first one, in the selftest's words ("recv: ret=1 != 1000"), or null. */
  first: string | null;
}

const SLICE_MS = 50;
const DGRAM_BUF = 64;
/** listen() backlog with --peer: foreign connections wait here a moment before they are closed. */
const PEER_BACKLOG = 128;
/** Foreign datagrams read at most per look at the second socket (the sender's socket comes first). */
const STRAY_BATCH = 256;

/** Check the receive mode before any socket is made (the selftest's do_setup_rx errors). */
export function checkReceiverTest(cfg: Config): void {
  const kind = socketKind(cfg.test, cfg.family);
  if (kind.domain === AF_PACKET) throw new UsageError('Use PF_INET/SOCK_RAW to read', 'run the receiver with test `raw`');
  if (kind.type === SOCK_RAW && kind.protocol === IPPROTO_RAW) {
    throw new UsageError('IPPROTO_RAW: not supported on Rx', 'run the receiver with test `raw`');
  }
}

/**
 * Accept the sender: the first connection (the selftest), or with --peer the
 * first from the peer's address and port, closing and counting every other.
 */
async function acceptWithDeadline(listenFd: number, cfg: Config, ctl: RunControl, foreign: Foreign): Promise<number> {
  const ready = new PollFd(listenFd, POLLIN);
  const limitMs = cfg.runtimeMs + RECEIVER_EXTRA_MS;
  const deadline = Date.now() + limitMs;
  const peer = cfg.peer ?? null;
  const sa = peer ? allocNative(SOCKADDR_MAX) : null;
  const salen = peer ? nativeInt(SOCKADDR_MAX) : null;
  for (;;) {
    for (;;) {
      const left = deadline - Date.now();
      if (ctl.stopped) throw new RunError(`accept: interrupted by ${ctl.signal} before ${peer ? 'the sender' : 'a sender'} connected`);
      if (left <= 0) {
        if (peer) {
          throw new RunError(`accept: the sender ${endpointText(cfg.family, peer.text, peer.port)} did not connect within ` +
            `${(limitMs / 1000).toFixed(1)} s${foreign.connections ? `; ${foreign.connections} foreign connection${foreign.connections === 1 ? ' was' : 's were'} refused` : ''}`);
        }
        throw new RunError(`accept: no sender connected within ${(limitMs / 1000).toFixed(1)} s`,
          `start the sender within -t of the receiver, to ${cfg.dstText} port ${cfg.port}`);
      }
      if (ready.wait(Math.min(left, SLICE_MS)) === 1) break;
      await ctl.yield();
    }
    if (!peer || !sa || !salen) {
      const fd = accept(listenFd, 0, 0);
      if (fd === -1) fail('accept', cfg);
      closeSocket(listenFd);
      return fd;
    }
    salen.dv.setUint32(0, SOCKADDR_MAX, true);
    const fd = accept(listenFd, sa.addr, salen.addr);
    if (fd === -1) {
      // A connection reset before we took it: nothing to count, go on waiting.
      const e = errno();
      if (e === EAGAIN || e === ECONNABORTED || e === EINTR) continue;
      fail('accept', cfg, e);
    }
    if (isEndpoint(sa.dv, 0, cfg.family, peer)) {
      closeSocket(listenFd);
      return fd;
    }
    foreign.connections++;
    if (!foreign.first) foreign.first = `a connection from ${peerText(sa.dv, cfg.family)}`;
    closeSocket(fd);
  }
}

/** "addr:port" of the sockaddr at the start of `dv`, for the first foreign connection's line. */
function peerText(dv: DataView, family: 4 | 6): string {
  const bytes = Array.from({ length: family === 4 ? 4 : 16 }, (_, i) => dv.getUint8((family === 4 ? SIN.sin_addr : SIN6.sin6_addr) + i));
  const port = dv.getUint16(family === 4 ? SIN.sin_port : SIN6.sin6_port, false);
  if (family === 4) return `${bytes.join('.')}:${port}`;
  const words = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  return `[${words.join(':')}]:${port}`;
}

/** Largest sockaddr accept() fills in here (sockaddr_in6). */
const SOCKADDR_MAX = 32;

/** The one line that says what was refused ("" when nothing was). */
export function foreignLine(f: Foreign): string {
  if (!f.connections && !f.datagrams) return '';
  const parts: string[] = [];
  if (f.connections) parts.push(`${f.connections} connection${f.connections === 1 ? '' : 's'}`);
  if (f.datagrams) {
    const why = [f.wrongSize ? `${f.wrongSize} of the wrong size` : '', f.wrongPayload ? `${f.wrongPayload} with another payload` : '']
      .filter(Boolean).join(', ');
    parts.push(`${f.datagrams} datagram${f.datagrams === 1 ? '' : 's'}${why ? ` (${why})` : ''}`);
  }
  return `foreign: ${parts.join(' and ')} not counted${f.first ? `; the first: ${f.first}` : ''}`;
}

/**
 * The receiver's sockets, ready to read: the data socket (tcp: the accepted
 * sender), and with --peer for udp the second socket that takes the rest
 * (-1 otherwise). The early step's socket (src/startup/early.ts) is taken
 * when it is exactly the one this would make.
 */
async function openReceiver(cfg: Config, ctl: RunControl, kind: SocketKind, foreign: Foreign): Promise<{ fd: number; stray: number }> {
  const peer = cfg.peer ?? null;
  const sa = allocNative(32);
  const salen = writeSockaddr(sa.dv, 0, cfg.family, cfg.dst, cfg.port);
  const boundSocket = (): number => {
    const s = openSocket(kind, 'socket r', cfg);
    for (const [level, name, value] of RECEIVER_SOCKET_OPTIONS) setIntOption(s, level, name, value, cfg);
    if (bind(s, sa.addr, salen) !== 0) fail('bind', cfg);
    return s;
  };
  const early = takeEarlySocket(kind, cfg.family, cfg.dst, cfg.port);
  const fd = early ?? boundSocket();
  if (kind.type === SOCK_STREAM) {
    // With --peer a foreign connection is closed at once; a longer queue keeps a racing one from crowding out the sender's SYN.
    if ((early === null || peer) && listen(fd, peer ? PEER_BACKLOG : 1) !== 0) fail('listen', cfg);
    return { fd: await acceptWithDeadline(fd, cfg, ctl, foreign), stray: -1 };
  }
  if (!peer) return { fd, stray: -1 };
  const pa = allocNative(32);
  const palen = writeSockaddr(pa.dv, 0, cfg.family, peer.addr, kind.type === SOCK_RAW ? 0 : peer.port);
  if (connect(fd, pa.addr, palen) !== 0) fail('connect', cfg);
  // udp with --peer: a second socket on the port takes what is not the peer's, to count it (see the top).
  return { fd, stray: kind.type !== SOCK_RAW ? boundSocket() : -1 };
}

/** Counting what is not the sender's: `count` for one refused datagram, `flush` to empty the second socket. */
function strayCounter(foreign: Foreign, stray: number, family: 4 | 6, buf: NativeBlock) {
  const from = allocNative(SOCKADDR_MAX);
  const fromLen = nativeInt(SOCKADDR_MAX);
  /** A datagram that is not the sender's: counted, never as data (the slow path). */
  const count = (why: 'size' | 'payload' | 'source', text: string): void => {
    foreign.datagrams++;
    if (why === 'size') foreign.wrongSize++;
    else if (why === 'payload') foreign.wrongPayload++;
    if (!foreign.first) foreign.first = text;
  };
  /** Empty the second socket (udp with --peer): everything on it came from elsewhere. */
  const flush = (): void => {
    for (let i = 0; i < STRAY_BATCH; i++) {
      const ret = recvfrom(stray, buf.addr, DGRAM_BUF, MSG_DONTWAIT | MSG_TRUNC, from.addr, fromLen.addr);
      if (ret === -1) return;
      count('source', `a datagram from ${peerText(from.dv, family)}`);
      fromLen.dv.setUint32(0, SOCKADDR_MAX, true);
    }
  };
  return { count, flush };
}

/** `onInterval`: with -I, called with each interval as it closes (at the end of a slice). */
export async function runReceiver(cfg: Config, ctl: RunControl, onInterval?: (r: IntervalRecord) => void): Promise<ReceiverResult> {
  checkReceiverTest(cfg);
  const kind = socketKind(cfg.test, cfg.family);
  const foreign: Foreign = { connections: 0, datagrams: 0, wrongSize: 0, wrongPayload: 0, first: null };
  const { fd, stray } = await openReceiver(cfg, ctl, kind, foreign);
  const stream = kind.type === SOCK_STREAM;

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
  /** Where a datagram was read: the --validate buffer, else the small one. */
  const dgramBytes = bigView ?? buf.u8;
  const dgramView = bigView && bigView.subarray(off);
  const pattern = seededPattern(cfg.patternSeed, check);
  const strays = strayCounter(foreign, stray, cfg.family, buf);

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
        strays.count('size', `recv: ret=${ret} != ${gso}${lastSegment !== gso ? ` or ${lastSegment}` : ''}`);
        return;
      }
      if (dgramValidator) dgramValidator.check(dgramView!, ret);
      else if (!continuesPayload(dgramBytes, off, Math.min(ret, DGRAM_BUF - off))) {
        strays.count('payload', 'recv: data mismatch');
        return;
      }
      r.packets++;
      r.bytes += ret;
      return;
    }
    if (ret !== expectLen) {
      strays.count('size', `recv: ret=${ret} != ${expectLen}`);
      return;
    }
    // --validate checks every byte against the selftest's pattern; a seeded pattern (--pattern-seed) is checked on its first bytes.
    if (dgramValidator && !pattern) dgramValidator.check(dgramView!, ret);
    else if (!matchesPattern(dgramBytes, off, check, pattern)) {
      strays.count('payload', 'recv: data mismatch');
      return;
    }
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
  // udp with --peer: one poll waits on both sockets (index 1: the foreign one).
  const both = stray >= 0 ? new PollSet([fd, stray], POLLIN) : null;
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
      if (both && both.ready(1)) strays.flush();
      // With -I an idle receiver wakes at the slice's end, so its intervals end on time; without, the selftest's wait.
      const waitMs = meter ? Math.max(1, Math.min(WAIT_MS, sliceEnd - now)) : WAIT_MS;
      if (both) both.wait(waitMs);
      else readable.wait(waitMs);
      now = Date.now();
    } while (now < sliceEnd);
    if (meter && now < tstop && peerOpen) meter.tick(now, r.bytes, r.packets, 0, 0);
    await ctl.yield();
  }
  const endedAt = Date.now();
  const durationMs = endedAt - startedAt;
  const intervals = meter && meter.finish(endedAt, { bytes: r.bytes, packets: r.packets, completions: 0, copied: 0 });
  if (both) strays.flush();
  const rx = reader ? reader.finish() : stream ? truncStats(fd) : null;
  closeSocket(fd);
  if (stray >= 0) closeSocket(stray);
  return {
    packets: r.packets, bytes: r.bytes, startedAt, durationMs, dataMs: windowMs({ firstAt, lastAt }, r.bytes), intervals,
    interrupted: ctl.signal, peerClosed: !peerOpen, foreign, rx, validator: dgramValidator ?? streamValidator,
  };
}
