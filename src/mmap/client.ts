// SPDX-License-Identifier: GPL-2.0-only
// tcp_mmap without -s: connect and send --bytes (32 GiB) from a chunk-sized
// buffer, with MSG_ZEROCOPY under -z (its notifications are never read, as
// in tcp_mmap: the kernel coalesces them), then with -i the SHA-256 of what
// was sent. Blocking sends, as tcp_mmap's; it exits 0 when a send fails.
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync } from 'node:fs';
import {
  AF_INET, AF_INET6, IPPROTO_TCP, MSG_ZEROCOPY, SOCK_STREAM, SOL_SOCKET, SO_MAX_PACING_RATE, SO_ZEROCOPY, TCP_MAXSEG,
} from '../libc/constants.js';
import { allocNative, close, connect, errno, send, socket, strerror } from '../libc/libc.js';
import { KernelError } from '../core/errors.js';
import { TOOL_VERSION } from '../core/version.js';
import { mmapLargeBuffer } from './buffer.js';
import type { MmapConfig } from './config.js';
import { applyRcvSndBuf, err, out, perror, setInt, sockaddrOf } from './sockets.js';

export function runMmapClient(cfg: MmapConfig): number {
  const buffer = mmapLargeBuffer(cfg.chunk, cfg.align, err);
  const fd = socket(cfg.family === 4 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
  if (fd === -1) throw new KernelError(`socket: ${strerror(errno())}`, errno());
  applyRcvSndBuf(fd, cfg);
  if (cfg.mss && !setInt(fd, IPPROTO_TCP, TCP_MAXSEG, cfg.mss)) {
    throw new KernelError(`setsockopt TCP_MAXSEG: ${strerror(errno())}`, errno(), 'give -M a size the path allows, e.g. 4108');
  }
  const { sa, len } = sockaddrOf(cfg);
  if (connect(fd, sa.addr, len) === -1) {
    const e = errno();
    throw new KernelError(`connect: ${strerror(e)}`, e, 'start the server first: msg-zerocopy mmap -s (or tcp_mmap -s)');
  }
  if (cfg.pacingRate && !setInt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, cfg.pacingRate)) perror('setsockopt SO_MAX_PACING_RATE');
  let zerocopy = cfg.zerocopy;
  if (zerocopy && !setInt(fd, SOL_SOCKET, SO_ZEROCOPY, 1)) {
    perror('setsockopt SO_ZEROCOPY, (-z option disabled)');
    zerocopy = false;
  }
  const hash = cfg.integrity ? createHash('sha256') : null;
  if (hash) {
    const rnd = openSync('/dev/urandom', 'r');
    let got = 0;
    while (got < buffer.size) got += readSync(rnd, buffer.u8, got, buffer.size - got, null);
    closeSync(rnd);
  }
  const flags = zerocopy ? MSG_ZEROCOPY : 0;
  const chunk = cfg.chunk;
  const fileSize = cfg.fileSize;
  const usage0 = process.resourceUsage();
  const t0 = process.hrtime.bigint();
  let total = 0;
  let calls = 0;
  let sendError: number | null = null;
  while (total < fileSize) {
    const offset = total % chunk;
    let wr = fileSize - total;
    if (wr > chunk - offset) wr = chunk - offset;
    const ret = send(fd, buffer.addr + offset, wr, flags);
    calls++;
    if (ret <= 0) {
      if (ret < 0) sendError = errno();
      break;
    }
    if (hash) hash.update(buffer.u8.subarray(offset, offset + ret));
    total += ret;
  }
  if (hash && total === fileSize) {
    // From memory of its own: under -z the data buffer's pages may still be in flight.
    const digest = allocNative(32);
    digest.u8.set(hash.digest(), 0);
    send(fd, digest.addr, 32, 0);
  }
  const elapsedUs = Number((process.hrtime.bigint() - t0) / 1000n);
  const usage = process.resourceUsage();
  close(fd);
  buffer.free();
  if (cfg.json) {
    out(JSON.stringify({
      tool: 'msg-zerocopy', toolVersion: TOOL_VERSION, role: 'mmap-client', family: cfg.family, port: cfg.port,
      zerocopy, chunk, bytes: total, sendCalls: calls, sendError: sendError === null ? null : strerror(sendError),
      durationMs: elapsedUs / 1000, bitsPerSecond: elapsedUs > 0 ? (total * 8) / (elapsedUs / 1e6) : 0,
      cpu: { userUs: usage.userCPUTime - usage0.userCPUTime, sysUs: usage.systemCPUTime - usage0.systemCPUTime },
      contextSwitches: usage.voluntaryContextSwitches - usage0.voluntaryContextSwitches,
      sha256Sent: !!hash && total === fileSize,
    }));
  }
  return 0;
}
