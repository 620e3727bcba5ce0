// SPDX-License-Identifier: GPL-2.0-only
// The io_uring sender's configuration: what io_uring_zerocopy_tx keeps in
// its cfg_* globals, plus our additions (expectation, JSON, registered file
// and ring, deferred task work).
import type { Expectation, Family, UringTest } from '../core/vocabulary.js';

/**
 * -m: how each request sends. 0-3 are the selftest's modes; 4 is ours.
 * 0 IORING_OP_SEND (copy), 1 SEND_ZC, 2 SEND_ZC from a registered buffer,
 * 3 a random mix of 0-2 per request (the selftest's rand() % 3, same
 * sequence), 4 SENDMSG_ZC.
 */
export const MODE_SEND = 0;
export const MODE_ZC = 1;
export const MODE_ZC_FIXED = 2;
export const MODE_MIXED = 3;
export const MODE_SENDMSG_ZC = 4;
export type UringMode = 0 | 1 | 2 | 3 | 4;
export const MODE_NAMES = ['send', 'send-zc', 'send-zc-fixed', 'mixed', 'sendmsg-zc'] as const;
export type UringModeName = (typeof MODE_NAMES)[number];

/** Requests of one batch are limited by the ring: the selftest's 512 entries. */
export const RING_ENTRIES = 512;
/** -n when not given, as the selftest. */
export const DEFAULT_BATCH = 8;

export interface UringConfig {
  family: Family;
  test: UringTest;
  /** -D, parsed to bytes, and as given. */
  dst: Uint8Array;
  dstText: string;
  port: number;
  payloadLen: number;
  /** -t: 200 ms + secs × 1000 ms. */
  runtimeMs: number;
  /** -n: requests per io_uring_enter. */
  batch: number;
  /** -c: UDP_CORK on around each batch. */
  cork: boolean;
  mode: UringMode;
  /** -Z: expected outcome of the notifications, 1 = not copied, -1 = none. */
  expectZerocopy: Expectation;
  /** --fixed-file: register the socket (IOSQE_FIXED_FILE). */
  fixedFile: boolean;
  /** --registered-ring: register the ring's own fd (IORING_ENTER_REGISTERED_RING). */
  registeredRing: boolean;
  /** --defer-taskrun: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN. */
  deferTaskrun: boolean;
  /** --shared-fd-table: as the classic sender. */
  sharedFdTable: boolean;
  json: boolean;
  /** --hugepages: back the payload with huge pages where the host has them. */
  hugepages: boolean;
}

/** Whether a mode sends with SEND_ZC / SENDMSG_ZC (some or all requests). */
export const zerocopyMode = (m: UringMode): boolean => m !== MODE_SEND;
