// SPDX-License-Identifier: GPL-2.0-only
// The rules that judge a classic run (a sender, and a receiver when there is
// one), written once for suite, sweep, compare and pair. Each rule returns
// the reason it failed, or null; the commands collect the reasons in their
// own order and say pass or fail from them. Pure.
import type { Expectation, TestName } from '../core/vocabulary.js';

/** What a side did, as far as the rules need it. */
export interface SideCounts {
  packets: number | null;
  bytes: number | null;
}

/** The sender sent nothing (or said nothing about it): the reason, or null. */
export function sentNothing(packets: number | null, noCount = 'sender printed no tx= line'): string | null {
  if (packets === null) return noCount;
  return packets === 0 ? 'sender sent nothing' : null;
}

/** The receiver received nothing (or said nothing about it): the reason, or null. */
export function receivedNothing(packets: number | null): string | null {
  if (packets === null) return 'receiver printed no rx= line';
  return packets === 0 ? 'receiver received nothing' : null;
}

/** tcp delivers every byte: both counts known and different is a failure (udp and raw may lose datagrams). */
export function tcpBytesDiffer(test: TestName, sent: number | null, received: number | null): string | null {
  if (test !== 'tcp' || sent === null || received === null || sent === received) return null;
  return `tcp byte count differs: sent ${sent}, received ${received}`;
}

/** tcp: whether every byte sent arrived (null: a count is missing). */
export const bytesArrived = (sent: number | null, received: number | null): boolean | null =>
  (sent === null || received === null ? null : sent === received);

/**
 * The -Z expectation judged from the completion counts (copied and not
 * copied), as the kernel driver's -Z 0 / -Z 1 check does.
 */
export function countsBreakExpectation(expect: Expectation, completions: number, copied: number, zerocopied: number): string | null {
  if (expect === 0 && zerocopied > 0) return `${zerocopied} of ${completions} completions not copied (expected all copied)`;
  if (expect === 1 && copied > 0) return `${copied} of ${completions} completions copied (expected none copied)`;
  return null;
}

/** The -Z expectation as the sender's own report judged it (expectationMet false). */
export function reportBrokeExpectation(expect: Expectation | null, copied: number | null | undefined,
  zerocopied: number | null | undefined): string {
  return expect === 1
    ? `expected not copied, ${copied ?? '?'} completions copied`
    : `expected copied, ${zerocopied ?? '?'} completions not copied`;
}

/** Zerocopy notifications: none counted, none at all, or fewer than sends expected them. */
export function completionsShort(completions: number | null, packets: number | null, expected: number | null): string[] {
  const out: string[] = [];
  if (completions === null) out.push('no completion count');
  else if (completions === 0 && (packets ?? 0) > 0) out.push('no completions');
  if (expected !== null && completions !== null && completions < expected) out.push(`missing notifications: ${completions} < ${expected}`);
  return out;
}
