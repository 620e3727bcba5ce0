// SPDX-License-Identifier: GPL-2.0-only
// tcp_mmap -s: listen, then read each connection as its child_thread does
// (TCP_ZEROCOPY_RECEIVE with -z, else read() into a buffer), print its two
// lines, and go on to the next. tcp_mmap starts a thread per connection;
// this server reads them one after the other (later ones wait in the
// backlog of 128), which is the same for one client at a time.
import { createHash, type Hash } from 'node:crypto';
import {
  AF_INET, AF_INET6, EAGAIN, IPPROTO_TCP, MSG_DONTWAIT, POLLIN, SOCK_STREAM, SOL_SOCKET, SO_RCVLOWAT, SO_REUSEADDR,
  TCP_MAXSEG,
} from '../libc/constants.js';
import { accept, allocNative, bind, close, errno, listen, poll, recv, socket, strerror, type NativeBlock } from '../libc/libc.js';
import { POLLFD } from '../libc/layout.js';
import { KernelError } from '../core/errors.js';
import { rcvMss, ROUND_EOF, ZeroCopyRx, type RxSink } from '../receiver/zerocopy-rx.js';
import { mmapLargeBuffer, type LargeBuffer } from './buffer.js';
import type { MmapConfig } from './config.js';
import { connectionLines, connectionReport, type ConnectionResult } from './report.js';
import { applyRcvSndBuf, err, out, perror, setInt, sockaddrOf } from './sockets.js';

const SHA256_LEN = 32;

/** One pollfd for the whole process, pointed at each connection in turn (nothing allocated per connection). */
let pollBlock: NativeBlock | null = null;
function pollOf(fd: number): { wait(ms: number): void } {
  if (!pollBlock) pollBlock = allocNative(POLLFD.size);
  const b = pollBlock;
  b.dv.setInt32(POLLFD.fd, fd, true);
  b.dv.setInt16(POLLFD.events, POLLIN, true);
  return { wait: (ms) => { poll(b.addr, 1, ms); } };
}
const POLL_MS = 10_000;

/** XOR of every byte, 64 bits at a time where aligned (hash_zone): CPU load, the value unused, as in tcp_mmap. */
function xorSink(state: { h: number }): RxSink {
  return (data) => {
    let h = state.h;
    const words = data.byteLength >>> 2;
    const w = new Int32Array(data.buffer, data.byteOffset, words);
    for (let i = 0; i < words; i++) h ^= w[i];
    for (let i = words << 2; i < data.byteLength; i++) h ^= data[i];
    state.h = h;
  };
}

/** Read one connection (child_thread). */
export function readConnection(fd: number, cfg: MmapConfig): ConnectionResult & { mode: 'mmap' | 'copy' } {
  const usage0 = process.resourceUsage();
  const t0 = process.hrtime.bigint();
  // Per connection, as tcp_mmap's thread maps its own (and warns each time without huge pages).
  const buffer = mmapLargeBuffer(cfg.chunk, cfg.align, err);
  let zerocopy = cfg.zerocopy;
  const hash: Hash | null = cfg.integrity ? createHash('sha256') : null;
  const xorState = { h: 0 };
  const sinks: RxSink[] = [];
  if (hash) sinks.push((d) => { hash.update(d); });
  if (cfg.xor) sinks.push(xorSink(xorState));
  const sink: RxSink | null = sinks.length === 0 ? null : sinks.length === 1 ? sinks[0] : (d, m) => { for (const s of sinks) s(d, m); };
  let rx: ZeroCopyRx | null = null;
  if (zerocopy) {
    const opened = ZeroCopyRx.open(fd, cfg.chunk, cfg.align, sink);
    if (typeof opened === 'number') {
      perror('mmap', opened);
      zerocopy = false;
    } else {
      rx = opened;
    }
  }
  const readable = pollOf(fd);
  let total = 0;
  let copied = 0;
  let error: string | null = null;
  const limit = cfg.fileSize;
  reading: for (;;) {
    if (total >= limit) break; // tcp_mmap's read of min(.., FILE_SZ - total) = 0 bytes: its end
    readable.wait(POLL_MS);
    if (rx) {
      const ret = rx.round(limit - total);
      if (ret === ROUND_EOF) break;
      if (ret < 0) {
        error = `${rx.failedCall}: errno ${rx.error}`;
        break;
      }
      total += ret;
      continue;
    }
    let sub = 0;
    while (sub < cfg.chunk) {
      const want = Math.min(cfg.chunk - sub, limit - total);
      const lu = want > 0 ? recv(fd, buffer.addr + sub, want, MSG_DONTWAIT) : 0;
      if (lu === 0) break reading;
      if (lu < 0) {
        const e = errno();
        if (e !== EAGAIN) {
          error = `read: errno ${e}`;
          break reading;
        }
        break;
      }
      if (sink) sink(buffer.u8.subarray(sub, sub + lu), false);
      total += lu;
      copied += lu;
      sub += lu;
    }
  }
  const elapsedUs = Number((process.hrtime.bigint() - t0) / 1000n);
  let sha256Correct: boolean | null = null;
  if (hash) {
    const digest = hash.digest();
    const got = readExactly(fd, buffer, SHA256_LEN);
    if (got !== SHA256_LEN) perror('Error: Cannot read SHA256\n');
    sha256Correct = got === SHA256_LEN && Buffer.from(buffer.u8.subarray(0, SHA256_LEN)).equals(digest);
    if (sha256Correct) out('\nSHA256 is correct');
    else err('Error: SHA256 of the data is not right');
  }
  const usage = process.resourceUsage();
  const result = {
    mode: zerocopy ? 'mmap' as const : 'copy' as const,
    bytes: total,
    bytesMapped: rx ? rx.bytesMapped : 0,
    bytesCopied: rx ? rx.bytesCopied : copied,
    elapsedUs,
    userUs: usage.userCPUTime - usage0.userCPUTime,
    sysUs: usage.systemCPUTime - usage0.systemCPUTime,
    voluntarySwitches: usage.voluntaryContextSwitches - usage0.voluntaryContextSwitches,
    rcvMss: rcvMss(fd),
    sha256Correct,
    error,
    zcCalls: rx ? rx.calls : 0,
  };
  if (rx) rx.close();
  buffer.free();
  return result;
}

/** The digest after the data: up to `n` bytes, waiting as a blocking read would (bounded: 10 s). */
function readExactly(fd: number, buffer: LargeBuffer, n: number): number {
  const readable = pollOf(fd);
  const giveUp = Date.now() + POLL_MS;
  let got = 0;
  while (got < n && Date.now() < giveUp) {
    const r = recv(fd, buffer.addr + got, n - got, MSG_DONTWAIT);
    if (r === 0) break;
    if (r > 0) got += r;
    else if (errno() !== EAGAIN) break;
    else readable.wait(100);
  }
  return got;
}

/** tcp_mmap -s: never returns unless --connections is given (then 0 after that many). */
export function runMmapServer(cfg: MmapConfig): number {
  const fdlisten = socket(cfg.family === 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
  if (fdlisten === -1) throw new KernelError(`socket: ${errnoText()}`, errno());
  applyRcvSndBuf(fdlisten, cfg);
  setInt(fdlisten, SOL_SOCKET, SO_REUSEADDR, 1);
  if (cfg.mss && !setInt(fdlisten, IPPROTO_TCP, TCP_MAXSEG, cfg.mss)) {
    throw new KernelError(`setsockopt TCP_MAXSEG: ${errnoText()}`, errno(), 'give -M a size the path allows, e.g. 4108');
  }
  const { sa, len } = sockaddrOf(cfg);
  if (bind(fdlisten, sa.addr, len) === -1) {
    throw new KernelError(`bind: ${errnoText()}`, errno(), 'another program holds this port: pick another -p');
  }
  if (listen(fdlisten, 128) === -1) throw new KernelError(`listen: ${errnoText()}`, errno());
  // do_accept: SO_RCVLOWAT = chunk size, the buffers again.
  if (!setInt(fdlisten, SOL_SOCKET, SO_RCVLOWAT, cfg.chunk)) perror('setsockopt SO_RCVLOWAT');
  applyRcvSndBuf(fdlisten, cfg);
  let served = 0;
  for (;;) {
    const fd = accept(fdlisten, 0, 0);
    if (fd === -1) {
      perror('accept');
      continue;
    }
    const r = readConnection(fd, cfg);
    for (const line of connectionLines(r)) out(line);
    if (cfg.json) out(JSON.stringify(connectionReport(cfg, r, r.mode)));
    close(fd);
    served++;
    if (cfg.connections !== null && served >= cfg.connections) {
      close(fdlisten);
      return 0;
    }
  }
}

function errnoText(): string {
  return strerror(errno());
}
