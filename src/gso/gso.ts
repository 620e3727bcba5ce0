// SPDX-License-Identifier: GPL-2.0-only
// UDP GSO (UDP_SEGMENT) for the classic sender's --gso: the checks that turn
// a size the kernel would refuse into one line naming the fix, and the
// segment arithmetic the report prints. Pure: the path MTU is read by the
// sender and handed in.
import { release } from 'node:os';
import { UDP_MAX_SEGMENTS, UDP_MAX_SEGMENTS_OLD } from '../libc/constants.js';
import { UsageError } from '../core/errors.js';
import type { Family, TestName } from '../core/vocabulary.js';

/** IP + UDP header bytes (IPv4 20 or IPv6 40, and 8). */
export const udpHeaderBytes = (family: Family): number => (family === 4 ? 20 : 40) + 8;

/** Datagrams one send of `payloadLen` bytes becomes with segments of `gso` bytes (the last may be shorter). */
export const segmentsPerCall = (payloadLen: number, gso: number): number => (gso > 0 ? Math.ceil(payloadLen / gso) : 1);

/**
 * The most segments one send may make on the kernel `rel` (uname -r): 128
 * from linux 6.12 on (read in its source; the raise came a few releases
 * earlier), the older 64 below it, which may refuse a few sizes that kernel
 * would take but never lets through one it refuses.
 */
export function maxSegments(rel: string = release()): number {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  if (!m) return UDP_MAX_SEGMENTS_OLD;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 6 || (major === 6 && minor >= 12) ? UDP_MAX_SEGMENTS : UDP_MAX_SEGMENTS_OLD;
}

/** The checks that need no socket: the test, the size, the number of segments. */
export function checkGsoInput(test: TestName, family: Family, payloadLen: number, gso: number, cork: number, rel?: string): void {
  if (test !== 'udp') throw new UsageError(`--gso: UDP segmentation offload applies to udp only, not ${test}`, 'run the udp test, or drop --gso');
  if (cork) throw new UsageError('--gso and -c: a GSO send is one sendmsg per buffer; corking splits it', 'drop -c or --gso');
  if (gso < 1) throw new UsageError('--gso: the segment size must be at least 1 byte', `e.g. --gso ${1500 - udpHeaderBytes(family)} for an MTU of 1500`);
  const n = segmentsPerCall(payloadLen, gso);
  const max = maxSegments(rel);
  if (n > max) {
    throw new UsageError(`--gso ${gso}: -s ${payloadLen} makes ${n} segments, above the kernel's ${max} per send`,
      `use --gso ${Math.ceil(payloadLen / max)} or more, or -s ${gso * max} or less`);
  }
}

/** The check against the path MTU, once the socket is connected: each segment must fit one datagram. */
export function checkGsoMtu(family: Family, gso: number, mtu: number, dst: string): void {
  const room = mtu - udpHeaderBytes(family);
  if (gso > room) {
    throw new UsageError(`--gso ${gso} is over the MTU's payload: the path to ${dst} has MTU ${mtu}, which leaves ${room} bytes ` +
      `for a UDP segment over IPv${family}`, `use --gso ${room} or less`);
  }
}
