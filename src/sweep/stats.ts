// SPDX-License-Identifier: GPL-2.0-only
// Small, pure statistics for repeated runs: median, min, max and spread, the
// ratio of two medians, the payload size from which zerocopy pays off, and
// the confidence intervals the verdicts stand on (see below).
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

// ---------------------------------------------------------------------------
// Confidence intervals (distribution-free, exact for small samples)
//
// Why these and not a library: the interval the verdict needs is a rank-based
// one on paired runs (Wilcoxon signed-rank with the Hodges-Lehmann estimate),
// and none of the well-kept JavaScript statistics libraries (simple-statistics
// 7, jStat 1, @stdlib/stats) computes it: they give the test statistic or a
// p-value, not the interval. Both intervals below need only the exact null
// distribution of a rank statistic, which is a few lines of dynamic
// programming, and are deterministic (no resampling, no seed).

/** The nominal confidence of every interval this tool reports. */
export const CONFIDENCE = 0.95;

export type IntervalMethod = 'wilcoxon-signed-rank' | 'order-statistics';

export interface Interval {
  /** Bounds; null when there are no values. */
  low: number | null;
  high: number | null;
  /**
   * The interval's exact confidence: at least `nominal` once there are enough
   * values, lower (and then said so) with too few (fewer than 6 pairs or runs).
   */
  level: number;
  /** The confidence asked for (0.95). */
  nominal: number;
  method: IntervalMethod;
  /** Number of values (pairs) the interval stands on. */
  n: number;
}

export interface RatioInterval extends Interval {
  method: 'wilcoxon-signed-rank';
  /** Hodges-Lehmann estimate of the ratio: exp of the median of the Walsh averages of the log ratios. */
  estimate: number | null;
}

/** Exact Wilcoxon signed-rank sums are computed up to this many values; beyond, the normal approximation. */
const EXACT_MAX = 300;

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Standard normal distribution function (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Null distribution of the Wilcoxon signed-rank statistic T+ for n values:
 * P(T+ ≤ t) for t = 0 … n(n+1)/2 (each rank is positive with probability ½).
 */
export function signedRankCdf(n: number): number[] {
  const m = (n * (n + 1)) / 2;
  let p = new Float64Array(m + 1);
  p[0] = 1;
  for (let i = 1; i <= n; i++) {
    const next = new Float64Array(m + 1);
    const top = (i * (i + 1)) / 2;
    for (let t = 0; t <= top; t++) next[t] = 0.5 * (p[t] + (t >= i ? p[t - i] : 0));
    p = next;
  }
  const cdf: number[] = [];
  let acc = 0;
  for (let t = 0; t <= m; t++) cdf.push((acc += p[t]));
  return cdf;
}

/** P(X ≤ k) for X ~ Binomial(n, ½), k = 0 … n. */
export function binomialHalfCdf(n: number): number[] {
  const cdf: number[] = [];
  let pmf = 2 ** -n;
  let acc = 0;
  for (let k = 0; k <= n; k++) {
    acc += pmf;
    cdf.push(Math.min(acc, 1));
    pmf = (pmf * (n - k)) / (k + 1);
  }
  return cdf;
}

/**
 * The depth k (1-based) of a symmetric rank interval [v(k), v(M+1−k)] and its
 * exact confidence 1 − 2·P(S ≤ k−1), where `cdf` is the null distribution of
 * the rank statistic S: the deepest k whose confidence is still ≥ nominal;
 * k = 1 (the extremes) when even that falls short.
 */
function depth(cdf: ArrayLike<number>, nominal: number): { k: number; level: number } {
  const tail = (1 - nominal) / 2;
  let k = 1;
  while (k < cdf.length && cdf[k] <= tail + 1e-12) k++;
  return { k, level: Math.max(0, 1 - 2 * cdf[k - 1]) };
}

/** Pairwise means (d_i + d_j) / 2 for i ≤ j, sorted: the Walsh averages. */
export function walshAverages(d: readonly number[]): number[] {
  const w: number[] = [];
  for (let i = 0; i < d.length; i++) for (let j = i; j < d.length; j++) w.push((d[i] + d[j]) / 2);
  return w.sort((a, b) => a - b);
}

/**
 * Hodges-Lehmann estimate and Wilcoxon signed-rank confidence interval of the
 * centre of a symmetric distribution, from the values `d`: the interval
 * between the k-th smallest and k-th largest Walsh average. Exact up to 300
 * values, normal approximation beyond.
 */
export function signedRankInterval(values: ReadonlyArray<number | null | undefined>, nominal = CONFIDENCE):
  { estimate: number | null; low: number | null; high: number | null; level: number; n: number } {
  const d = finite(values);
  const n = d.length;
  if (n === 0) return { estimate: null, low: null, high: null, level: 0, n };
  const w = walshAverages(d);
  const m = w.length;
  let k: number;
  let level: number;
  if (n <= EXACT_MAX) {
    ({ k, level } = depth(signedRankCdf(n), nominal));
  } else {
    const sd = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24);
    const z = normalQuantile(1 - (1 - nominal) / 2);
    k = Math.max(1, Math.floor(m / 2 - z * sd + 0.5));
    level = 1 - 2 * normalCdf((k - 0.5 - m / 2) / sd);
  }
  return { estimate: median(w), low: w[k - 1], high: w[m - k], level, n };
}

/**
 * Distribution-free confidence interval of a median from order statistics:
 * [x(k), x(n+1−k)], exact confidence from the binomial distribution.
 */
export function medianInterval(values: ReadonlyArray<number | null | undefined>, nominal = CONFIDENCE): Interval {
  const v = finite(values).sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return { low: null, high: null, level: 0, nominal, method: 'order-statistics', n };
  const { k, level } = depth(binomialHalfCdf(n), nominal);
  return { low: v[k - 1], high: v[n - k], level, nominal, method: 'order-statistics', n };
}

export interface Pair {
  copy: number | null;
  zerocopy: number | null;
}

/**
 * Ratio zerocopy/copy from runs paired by repetition (copy run k and
 * zerocopy run k ran back to back, so they share the machine's state): the
 * Wilcoxon signed-rank interval of log(zerocopy_k / copy_k), back to a ratio.
 * Pairs with a missing or non-positive value are left out.
 */
export function pairedRatioInterval(pairs: readonly Pair[], nominal = CONFIDENCE): RatioInterval {
  const logs = pairs
    .filter((p): p is { copy: number; zerocopy: number } =>
      p.copy !== null && p.zerocopy !== null && p.copy > 0 && p.zerocopy > 0 && Number.isFinite(p.copy) && Number.isFinite(p.zerocopy))
    .map((p) => Math.log(p.zerocopy / p.copy));
  const r = signedRankInterval(logs, nominal);
  const exp = (v: number | null): number | null => (v === null ? null : Math.exp(v));
  return {
    low: exp(r.low), high: exp(r.high), level: r.level, nominal, method: 'wilcoxon-signed-rank', n: r.n, estimate: exp(r.estimate),
  };
}

/**
 * The verdicts on zerocopy's CPU per GB: three from an interval at the
 * nominal confidence, and none when there are too few pairs for one.
 */
export const VERDICTS = ['saves', 'costs', 'no significant difference', 'no verdict (too few pairs)'] as const;
/** Too few pairs for an interval at the nominal confidence (fewer than 6, none, or a Ctrl-C after one). */
export const NO_VERDICT = VERDICTS[3];
export type Verdict = (typeof VERDICTS)[number];

/** Whether an interval reaches its nominal confidence (enough values). */
export const conclusive = (i: Interval): boolean => i.low !== null && i.high !== null && i.level >= i.nominal - 1e-12;

/**
 * The verdict on CPU per GB from the interval of zerocopy/copy: `saves` when
 * the whole interval is below 1, `costs` when it is above 1, otherwise no
 * significant difference; and no verdict at all when there are too few
 * pairs for the nominal confidence.
 */
export function verdict(cpu: Interval): Verdict {
  if (!conclusive(cpu)) return NO_VERDICT;
  if (cpu.high! < 1) return 'saves';
  if (cpu.low! > 1) return 'costs';
  return 'no significant difference';
}

/**
 * crossover() for verdicts: the smallest size from which zerocopy saves at
 * that size and at every larger size measured; null otherwise.
 */
export function verdictCrossover(points: ReadonlyArray<{ size: number; verdict: Verdict }>): number | null {
  const sorted = [...points].sort((a, b) => a.size - b.size);
  let from: number | null = null;
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (sorted[i].verdict !== 'saves') break;
    from = sorted[i].size;
  }
  return from;
}
