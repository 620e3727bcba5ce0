// SPDX-License-Identifier: GPL-2.0-only
// Noise the user can see (issue 18, 2d): runs of one series that fall into
// two groups, a machine that was busy while they ran (the load average
// recorded beside each run), and runs whose environment differs from the
// first one's (kernel, CPUs, device, sysctls, limits). Pure.
import { environmentDifferences, type Environment } from '../environment/environment.js';

export interface NoiseRun {
  index: number;
  size: number;
  mode: string;
  api?: string;
  measured: boolean;
  throughputGBps: number | null;
  /** 1, 5 and 15 minute load averages, read right after the run. */
  loadAverage?: number[] | null;
  environment?: Environment | null;
}

/**
 * Two groups in a series: sorted, the widest gap between neighbours is more
 * than `minGap` of the median and leaves at least two values on each side.
 * Returns the two groups' medians, or null.
 */
export function twoGroups(values: readonly number[], minGap = 0.15): [number, number] | null {
  const v = [...values].sort((a, b) => a - b);
  if (v.length < 4) return null;
  const median = (xs: number[]): number => (xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2);
  const m = median(v);
  let at = -1;
  let widest = 0;
  for (let i = 2; i <= v.length - 2; i++) {
    const gap = v[i] - v[i - 1];
    if (gap > widest) {
      widest = gap;
      at = i;
    }
  }
  if (at < 0 || m <= 0 || widest / m <= minGap) return null;
  return [median(v.slice(0, at)), median(v.slice(at))];
}

const fmt = (x: number): string => x.toFixed(x >= 10 ? 1 : 2);

/** The warning lines for a sweep or compare's runs (empty: nothing to say). */
export function noiseWarnings(runs: readonly NoiseRun[], cpuCount: number): string[] {
  const out: string[] = [];
  const series = new Map<string, NoiseRun[]>();
  for (const r of runs) {
    if (!r.measured || r.throughputGBps === null) continue;
    const k = `${r.size} B ${r.api && r.api !== 'msg' ? `${r.api} ` : ''}${r.mode}`;
    series.set(k, [...(series.get(k) ?? []), r]);
  }
  for (const [k, rs] of series) {
    const g = twoGroups(rs.map((r) => r.throughputGBps!));
    if (g) {
      out.push(`${k}: the runs fell into two groups (about ${fmt(g[0])} and ${fmt(g[1])} GB/s): pin them (-C/--cpus) ` +
        'or rerun on a quiet machine before reading the verdict');
    }
  }
  const busy = runs.filter((r) => r.loadAverage && r.loadAverage[0] > cpuCount);
  if (busy.length) {
    const peak = Math.max(...busy.map((r) => r.loadAverage![0]));
    out.push(`the machine was busy: load average above ${cpuCount} (the CPU count) after ${busy.length} of ${runs.length} runs ` +
      `(up to ${fmt(peak)}): figures are noisy`);
  }
  const first = runs.find((r) => r.environment)?.environment ?? null;
  if (first) {
    const seen = new Set<string>();
    for (const r of runs) {
      if (!r.environment) continue;
      for (const d of environmentDifferences(first, r.environment)) {
        if (seen.has(d)) continue;
        seen.add(d);
        out.push(`run ${r.index} ran in another environment than run 1: ${d}`);
      }
    }
  }
  return out;
}
