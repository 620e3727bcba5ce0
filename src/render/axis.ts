// SPDX-License-Identifier: GPL-2.0-only
// Axes with round ticks, for the terminal charts and the HTML report's SVG:
// a log size axis with 1-2-5 ticks, and a value axis (log 1-2-5 style or
// linear with 1, 2, 2.5 or 5 steps) widened to round ticks at both ends.

/** Round ticks of a log axis within [lo, hi]: mantissas 1-2-5 (or finer/coarser) times powers of 10. */
export function logTicks(lo: number, hi: number, mantissas: readonly number[] = [1, 2, 5]): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
  ticks: number[];
}

const MANTISSAS: ReadonlyArray<readonly number[]> = [[1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 5], [1, 2, 5], [1, 3], [1]];

/**
 * A value axis covering [lo, hi], widened to round ticks at both ends, with at
 * most maxTicks ticks: log (1-2-5 style) when asked and the values span at
 * least 3×, linear otherwise.
 */
export function valueAxis(lo: number, hi: number, log: boolean, maxTicks: number): Axis {
  if (log && lo > 0 && hi / lo >= 3) {
    for (const m of MANTISSAS) {
      const below = logTicks(lo / 10, lo, m).pop() ?? lo;
      const above = logTicks(hi, hi * 10, m)[0] ?? hi;
      const ticks = logTicks(below, above, m);
      if (ticks.length <= maxTicks) return { lo: below, hi: above, log: true, ticks };
    }
  }
  if (hi === lo) {
    const pad = Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  for (let e = Math.floor(Math.log10(hi - lo)) - 2; ; e++) {
    for (const m of [1, 2, 2.5, 5]) {
      const step = m * 10 ** e;
      const a = Math.floor(lo / step + 1e-9) * step;
      const b = Math.ceil(hi / step - 1e-9) * step;
      const n = Math.round((b - a) / step) + 1;
      if (n <= maxTicks) {
        const ticks = Array.from({ length: n }, (_, i) => Number((a + i * step).toPrecision(12)));
        return { lo: ticks[0], hi: ticks[n - 1], log: false, ticks };
      }
    }
  }
}

/**
 * Ticks of the size axis within [lo, hi]: 1-2-5 SI sizes when at least three
 * of them fit; otherwise the sizes measured (`measured`), when they fit (a
 * narrow range, a single size); otherwise the 1-2-5 (or sparser) ticks that fit.
 */
export function sizeTicks(lo: number, hi: number, fits: (ticks: number[]) => boolean, measured: readonly number[] = []): number[] {
  const round = [[1, 2, 5], [1, 3], [1]].map((m) => logTicks(lo, hi, m)).filter((t) => t.length >= 2 && fits(t));
  if (round[0] && round[0].length >= 3) return round[0];
  const sizes = [...new Set(measured)].filter((v) => v >= lo && v <= hi).sort((a, b) => a - b);
  if (sizes.length && fits(sizes)) return sizes;
  if (round[0]) return round[0];
  return [lo, hi].filter((v, i, a) => a.indexOf(v) === i);
}
