// SPDX-License-Identifier: GPL-2.0-only
// The run configuration: what the C selftest keeps in its cfg_* globals.
import type { Expectation, Family, RxMode, TestName } from './vocabulary.js';

export { TESTS, type TestName } from './vocabulary.js';

/** One end of a data flow: address (network order bytes, and as given) and port. */
export interface Endpoint {
  addr: Uint8Array;
  text: string;
  port: number;
}

export interface Config {
  family: Family;
  test: TestName;
  /** -c: sendmsg calls per corked UDP datagram, 0 = no cork. */
  cork: number;
  /** -m: alternate copy and zerocopy calls inside a cork. */
  corkMixed: boolean;
  /** -C: CPU to pin to, or null. */
  cpu: number | null;
  /** -D, parsed to bytes, and as given. */
  dst: Uint8Array;
  dstText: string;
  /** -S (unspecified address when absent), and as given (null when absent). */
  src: Uint8Array;
  srcText: string | null;
  /** -i, resolved to an index (1 when absent). */
  ifindex: number;
  /** -i as given, or null. */
  ifname: string | null;
  /** -l: drain the error queue after this many sends. */
  notificationLimit: number;
  port: number;
  rx: boolean;
  payloadLen: number;
  /** -t: 200 ms + secs × 1000 ms. */
  runtimeMs: number;
  verbose: number;
  zerocopy: boolean;
  /** -Z: expected outcome, 1 = not copied, -1 = none. */
  expectZerocopy: Expectation;
  /** --payload-offset: where the payload starts within a page (default: as the selftest). */
  payloadOffset: number;
  /** --shared-fd-table: do not give the run a private file descriptor table. */
  sharedFdTable: boolean;
  /** --json: print a JSON report on stdout. */
  json: boolean;
  /** -I / --interval: a report every this many ms while the run lasts (0: none, as the selftest). */
  intervalMs: number;
  /**
   * --peer: the only sender a receiver takes (tcp: the one connection it
   * accepts, others are closed and counted; udp and raw: the socket is
   * connect()ed to it). Absent or null: any sender, as the selftest.
   */
  peer?: Endpoint | null;
  /** --bind: the address and port a sender sends from (bind() before connect()). Absent or null: the kernel picks. */
  bindTo?: Endpoint | null;
  /** --pattern-seed: 32 hex digits that pick the payload pattern (net/headers.ts). Absent or null: the selftest's a..z. */
  patternSeed?: string | null;
  /** --rx: how a tcp receiver reads (trunc: MSG_TRUNC, as the selftest). */
  rxMode: RxMode;
  /** --expect-mapped: least share of bytes mapped, percent (with --rx mmap), or null. */
  expectMapped: number | null;
  /** --gso: UDP_SEGMENT segment size, 0 = off. */
  gsoSize: number;
  /** --hugepages: back the payload with huge pages where the host has them. */
  hugepages: boolean;
  /** --validate (receiver): check every byte received against the pattern, count mismatches. */
  validate: boolean;
}

/** The selftest's run time for -t secs: 200 ms + secs × 1000 ms. */
export const runtimeMs = (secs: number): number => 200 + secs * 1000;

/** How long the sender waits in poll and for the last notifications, as the selftest. */
export const WAIT_MS = 500;
/** How much longer the receiver runs than the sender's -t. */
export const RECEIVER_EXTRA_MS = 400;
