// SPDX-License-Identifier: GPL-2.0-only
// The cells every sweep and compare view prints (text, Markdown, charts):
// numbers in their units, ranges, ratios with the interval they stand on.
import { sig } from '../core/units.js';
import { conclusive, type RatioInterval, type Summary } from './stats.js';

export const num = (v: number | null): string => (v === null ? '-' : sig(v));
export const times = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}×`);
export const gb = (bytesPerSecond: number | null): number | null => (bytesPerSecond === null ? null : bytesPerSecond / 1e9);
export const range = (s: Summary, scale = 1): string =>
  (s.min === null || s.max === null ? '-' : `${sig(s.min * scale)}–${sig(s.max * scale)}`);
/** Spread relative to the median: (max − min) / median, in percent. */
export const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`);
export const percent = (level: number): string => `${Number((level * 100).toFixed(1))}%`;

/** "0.87× (0.86–0.88)": the paired estimate and its interval; the level is named when it is not the nominal one. */
export function ratioCell(i: RatioInterval): string {
  if (i.estimate === null || i.low === null || i.high === null) return '-';
  const lv = conclusive(i) ? '' : `, ${percent(i.level)}`;
  // a narrow interval gets a third decimal, so its bounds do not print as one number
  const d = i.high - i.low < 0.02 ? 3 : 2;
  return `${i.estimate.toFixed(d)}× (${i.low.toFixed(d)}–${i.high.toFixed(d)}${lv})`;
}

/** How the interval was made, for a footnote or a verdict. */
export function intervalMethod(i: RatioInterval): string {
  const over = `over ${i.n} pair${i.n === 1 ? '' : 's'} of back-to-back copy/zerocopy runs`;
  return conclusive(i) ? `${percent(i.nominal)} CI: Wilcoxon signed-rank ${over}` : `Wilcoxon signed-rank interval ${over}`;
}

/** Why an interval gives no verdict although its bounds exclude 1 (too few pairs). */
export function tooFew(i: RatioInterval): string | null {
  if (conclusive(i) || i.low === null) return null;
  const has = i.n === 1 ? '1 pair gives no interval' : `${i.n} pairs give only a ${percent(i.level)} interval`;
  return `${has}; ${percent(i.nominal)} needs at least 6 pairs`;
}
