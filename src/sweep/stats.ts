// SPDX-License-Identifier: GPL-2.0-only
// Small, pure statistics for repeated runs: median, min, max and spread, the
// ratio of two medians, and the payload size from which zerocopy pays off.
// Missing values (a run that failed, a run that moved nothing) are null and
// are left out; a summary of no values has null everywhere.

export interface Summary {
  /** Number of values summarized (nulls and non-finite values excluded). */
  n: number;
  median: number | null;
  min: number | null;
  max: number | null;
  /** max − min. */
  spread: number | null;
  /** (max − min) / median: the spread relative to the median; null when the median is 0. */
  relSpread: number | null;
}

/** The finite numbers of a list, nulls dropped. */
export function finite(values: ReadonlyArray<number | null | undefined>): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/** Median: the middle value, or the mean of the two middle values; null for no values. */
export function median(values: ReadonlyArray<number | null | undefined>): number | null {
  const v = finite(values).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function min(values: ReadonlyArray<number | null | undefined>): number | null {
  const v = finite(values);
  return v.length ? Math.min(...v) : null;
}

export function max(values: ReadonlyArray<number | null | undefined>): number | null {
  const v = finite(values);
  return v.length ? Math.max(...v) : null;
}

/** max − min; null for no values. */
export function spread(values: ReadonlyArray<number | null | undefined>): number | null {
  const lo = min(values);
  const hi = max(values);
  return lo === null || hi === null ? null : hi - lo;
}

export function summarize(values: ReadonlyArray<number | null | undefined>): Summary {
  const n = finite(values).length;
  const med = median(values);
  const s = spread(values);
  return {
    n,
    median: med,
    min: min(values),
    max: max(values),
    spread: s,
    relSpread: s !== null && med !== null && med !== 0 ? s / Math.abs(med) : null,
  };
}

/** a / b, null when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return a / b;
}

export interface CostPoint {
  size: number;
  /** Median CPU seconds per GB of copy and of zerocopy runs (null: no data). */
  copy: number | null;
  zerocopy: number | null;
}

/** Zerocopy pays off at a point when its median CPU per GB is below copy's. */
export function paysOff(p: Pick<CostPoint, 'copy' | 'zerocopy'>): boolean | null {
  if (p.copy === null || p.zerocopy === null) return null;
  return p.zerocopy < p.copy;
}

/**
 * The crossover: the smallest size from which zerocopy costs less CPU per GB
 * than copy at that size and at every larger size measured; null when it does
 * not pay off at the largest size (or there is no data). A size without data
 * breaks the run, as a size where it does not pay off.
 */
export function crossover(points: ReadonlyArray<CostPoint>): number | null {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  let from: number | null = null;
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (paysOff(sorted[i]) !== true) break;
    from = sorted[i].size;
  }
  return from;
}
