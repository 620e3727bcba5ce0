// SPDX-License-Identifier: GPL-2.0-only
// What `msg-zerocopy mmap` (the kernel's tcp_mmap) runs with: its settings,
// checked by the parser in flags/mmap.ts.
import type { Family } from '../core/vocabulary.js';

/** tcp_mmap's FILE_SZ: what a client sends and a server reads at most, 32 GiB. */
export const FILE_SZ = 2 ** 35;
export const DEFAULT_PORT = 8787;

export interface MmapConfig {
  family: Family;
  /** -H: the server binds to it, the client connects to it (as text; null: the unspecified address). */
  host: string | null;
  addr: Uint8Array;
  port: number;
  /** -s: server. */
  server: boolean;
  /** -r / -w: SO_RCVBUF / SO_SNDBUF, 0 = autotuning. */
  rcvbuf: number;
  sndbuf: number;
  /** -z: server mmap()s (TCP_ZEROCOPY_RECEIVE); client sends with MSG_ZEROCOPY. */
  zerocopy: boolean;
  /** -x: XOR every received byte (tcp_mmap's hash_zone). */
  xor: boolean;
  /** -k: accepted, unused (as in tcp_mmap). */
  keep: boolean;
  /** -P: SO_MAX_PACING_RATE on the client, 0 = none. */
  pacingRate: number;
  /** -M: TCP_MAXSEG, 0 = none. */
  mss: number;
  /** -C: chunk size. */
  chunk: number;
  /** -a: alignment of the receive mapping (default: the huge page size). */
  align: number;
  /** -i: SHA-256 of the data, sent by the client after it, checked by the server. */
  integrity: boolean;
  /** --json: one JSON report per connection (server) or per run (client) on stdout. */
  json: boolean;
  /** --bytes: what the client sends and the server reads at most (tcp_mmap: 32 GiB). */
  fileSize: number;
  /** --connections: the server exits after this many (tcp_mmap: never); null = forever. */
  connections: number | null;
}
