// SPDX-License-Identifier: GPL-2.0-only
// The configuration of `msg-zerocopy udpgso` and `udpgso-rx`: what the
// kernel's udpgso_bench_tx.c and udpgso_bench_rx.c keep in their cfg_*
// globals, with their defaults, and the sizes both derive from the family.
import { ETH_DATA_LEN, ETH_MAX_MTU } from '../libc/constants.js';
import { IPV4_HLEN, IPV6_HLEN } from '../libc/layout.js';
import type { Family } from '../core/vocabulary.js';

/** UDP header bytes. */
export const UDP_HLEN = 8;
/** IP + UDP header bytes of a datagram of this family. */
export const udpHeaderLen = (family: Family): number => (family === 4 ? IPV4_HLEN : IPV6_HLEN) + UDP_HLEN;
/** The tx program's cfg_mss: the UDP payload of one 1500-byte Ethernet frame. */
export const mssOf = (family: Family): number => ETH_DATA_LEN - udpHeaderLen(family);
/** Largest payload the tx program accepts: ETH_MAX_MTU - IP and UDP headers. */
export const maxPayloadOf = (family: Family): number => ETH_MAX_MTU - udpHeaderLen(family);
/** The tx program's default -s: 42 segments of 1472 bytes. */
export const DEFAULT_TX_PAYLOAD = 1472 * 42;
/** Buffers the tx program cycles through with -c (cold cache): NUM_PKT. */
export const NUM_BUFFERS = 100;

/** How a sender's buffer was backed (--hugepages): huge pages reserved, THP by madvise, or plain pages. */
export type PageBacking = 'hugetlb' | 'thp' | 'none';

export interface UdpgsoTxConfig {
  family: Family;
  /** -a: count notifications and timestamps, print the summary, fail when they do not add up. */
  audit: boolean;
  /** -c: cycle through NUM_BUFFERS buffers (cold cache). */
  cacheTrash: boolean;
  /** -C: CPU to pin to; the C program pins only when it is > 0. */
  cpu: number;
  /** -D (or the unspecified address), bytes and as given. */
  dst: Uint8Array;
  dstText: string;
  /** -H: hardware tx timestamps (implies -T). */
  hwTimestamp: boolean;
  /** -l secs as ms, -1 = until interrupted (the C default). */
  runtimeMs: number;
  /** -L secs as ms: how long to wait for the last notifications. */
  pollLoopTimeoutMs: number;
  /** -m: one sendmmsg of MSS-sized messages per buffer. */
  sendmmsg: boolean;
  /** -M: stop after this many buffers (0 = no limit). */
  msgNr: number;
  port: number;
  /** -P: poll before each error-queue drain. */
  poll: boolean;
  /** -s: bytes per buffer. */
  payloadLen: number;
  /** -S given: UDP_SEGMENT, one sendmsg per buffer. */
  segment: boolean;
  /** -S size (the MSS when 0). */
  gsoSize: number;
  /** -t: tcp. */
  tcp: boolean;
  /** -T or -H: SO_TIMESTAMPING tx timestamps through the error queue. */
  txTimestamp: boolean;
  /** Not -u: connect(). */
  connected: boolean;
  verbose: boolean;
  zerocopy: boolean;
  /** cfg_mss: one segment without -S. */
  mss: number;
  /** --json. */
  json: boolean;
  /** --hugepages: back the buffers with huge pages where the host has them. */
  hugepages: boolean;
}

export interface UdpgsoRxConfig {
  family: Family;
  /** -b (or the unspecified address), as given. */
  bindText: string;
  bind: Uint8Array;
  /** -C: ms to wait for the first packet or connection (0 = for ever). */
  connectTimeoutMs: number;
  /** -G: UDP_GRO. */
  gro: boolean;
  /** -l: every datagram must be this long (0 = any). */
  expectedLen: number;
  /** -n: stop after this many datagrams, and fail on any other count (0 = run until interrupted). */
  expectedNr: number;
  port: number;
  /** -r: read the whole datagram (otherwise only its length, with MSG_TRUNC). */
  readAll: boolean;
  /** -R: ms without data after which to stop (0 = for ever). */
  rcvTimeoutMs: number;
  /** -S: expected UDP_GRO segment size (0 = not checked). */
  expectedGso: number;
  tcp: boolean;
  /** -v: check each datagram's bytes continue 'a'..'z' from its first (implies -r). */
  verify: boolean;
  /** --validate: check every byte of every datagram against the sender's pattern, count and report mismatches. */
  validate: boolean;
  json: boolean;
}
