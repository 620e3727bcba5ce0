// SPDX-License-Identifier: GPL-2.0-only
// --rx and --expect-mapped on the classic command line (issue 19): checked
// here, one line each for what cannot work.
import { UsageError } from '../core/errors.js';
import { isRxMode, RX_MODES, type RxMode, type TestName } from '../core/vocabulary.js';

/** Parse --expect-mapped: a percentage from 0 to 100, decimals allowed. */
export function parseExpectMapped(text: string): number {
  const t = text.trim().replace(/%$/, '');
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t) || Number(t) > 100) {
    throw new UsageError(`--expect-mapped: not a percentage from 0 to 100: '${text}'`, 'e.g. --expect-mapped 99');
  }
  return Number(t);
}

export function rxOptions(o: { rx?: string; expectMapped?: string }, test: TestName, receiver: boolean):
  { rxMode: RxMode; expectMapped: number | null } {
  const mode = o.rx === undefined ? 'trunc' : o.rx.trim().toLowerCase();
  if (!isRxMode(mode)) throw new UsageError(`--rx: unknown receive mode '${o.rx}'`, `give one of ${RX_MODES.join(', ')}`);
  if (o.rx !== undefined && !receiver) throw new UsageError('--rx: a receive mode is for the receiver', 'add -r, or leave --rx out on the sender');
  if (mode !== 'trunc' && test !== 'tcp') {
    throw new UsageError(mode === 'mmap'
      ? `--rx mmap: TCP_ZEROCOPY_RECEIVE maps tcp streams only, not ${test}`
      : `--rx copy: the copying reader is for tcp streams, not ${test}`,
    `run the tcp test with --rx ${mode}, or receive ${test} without --rx`);
  }
  const expectMapped = o.expectMapped === undefined ? null : parseExpectMapped(o.expectMapped);
  if (expectMapped !== null && mode !== 'mmap') {
    throw new UsageError('--expect-mapped: only a zero-copy receiver maps pages', 'add --rx mmap');
  }
  return { rxMode: mode, expectMapped };
}
