// SPDX-License-Identifier: GPL-2.0-only
// What tcp_mmap's server and client share: socket options that only warn
// (perror and go on), the address, and lines written at once (a server that
// loops forever never returns to Node's event loop, so nothing may wait in
// a stream's buffer).
import { writeSync } from 'node:fs';
import { SOL_SOCKET, SO_RCVBUF, SO_SNDBUF } from '../libc/constants.js';
import { allocNative, errno, nativeInt, setsockopt, strerror, type NativeBlock } from '../libc/libc.js';
import { writeSockaddr } from '../net/address.js';
import type { MmapConfig } from './config.js';

export const out = (line: string): void => { writeSync(1, `${line}\n`); };
export const err = (line: string): void => { writeSync(2, `${line}\n`); };

/** perror(3): "<what>: <strerror(errno)>" on stderr. */
export const perror = (what: string, e = errno()): void => err(`${what}: ${strerror(e)}`);

/** setsockopt with an int; false (and errno) on failure. */
export function setInt(fd: number, level: number, name: number, value: number): boolean {
  const b = nativeInt(value);
  return setsockopt(fd, level, name, b.addr, 4) === 0;
}

/** tcp_mmap's apply_rcvsnd_buf: -r and -w when given; a failure only warns. */
export function applyRcvSndBuf(fd: number, cfg: MmapConfig): void {
  if (cfg.rcvbuf && !setInt(fd, SOL_SOCKET, SO_RCVBUF, cfg.rcvbuf)) perror('setsockopt SO_RCVBUF');
  if (cfg.sndbuf && !setInt(fd, SOL_SOCKET, SO_SNDBUF, cfg.sndbuf)) perror('setsockopt SO_SNDBUF');
}

/** The sockaddr of -H and -p, in native memory, and its length. */
export function sockaddrOf(cfg: MmapConfig): { sa: NativeBlock; len: number } {
  const sa = allocNative(32);
  return { sa, len: writeSockaddr(sa.dv, 0, cfg.family, cfg.addr, cfg.port) };
}
