// SPDX-License-Identifier: GPL-2.0-only
// From run records to per-size, per-mode summaries (median and spread of
// throughput and CPU per GB), the zerocopy/copy ratios and the crossover.

import type { Mode, RunRecord } from './runner.js';
import { crossover, paysOff, ratio, summarize, type Summary } from './stats.js';

export interface ModeSummary {
  /** Runs planned and done for this size and mode. */
  runs: number;
  /** Runs that ended as expected. */
  ok: number;
  /** Runs whose numbers are in the statistics. */
  measured: number;
  throughputGBps: Summary;
  secPerGB: Summary;
  packetsPerSec: Summary;
  /** Zerocopy runs: how many met their -Z expectation, of those that reported it. */
  expectationMet: number;
  expectationKnown: number;
  /** Zerocopy runs: share of all completions the kernel copied, null without completions. */
  copiedShare: number | null;
}

export interface SizeSummary {
  size: number;
  copy: ModeSummary;
  zerocopy: ModeSummary;
  /** zerocopy / copy, of the medians. */
  ratio: { throughput: number | null; secPerGB: number | null };
  /** Zerocopy's median CPU per GB is below copy's (null: not enough data). */
  paysOff: boolean | null;
}

export function modeSummary(records: RunRecord[]): ModeSummary {
  const m = records.filter((r) => r.measured);
  const pps = m.map((r) => (r.packets !== null && r.durationMs ? r.packets / (r.durationMs / 1000) : null));
  const withExp = records.filter((r) => r.expectationMet !== null);
  let comp = 0;
  let copied = 0;
  for (const r of m) {
    if (r.completions !== null && r.copiedCompletions !== null) {
      comp += r.completions;
      copied += r.copiedCompletions;
    }
  }
  return {
    runs: records.length,
    ok: records.filter((r) => r.ok).length,
    measured: m.length,
    throughputGBps: summarize(m.map((r) => r.throughputGBps)),
    secPerGB: summarize(m.map((r) => r.secPerGB)),
    packetsPerSec: summarize(pps),
    expectationMet: withExp.filter((r) => r.expectationMet).length,
    expectationKnown: withExp.length,
    copiedShare: comp > 0 ? copied / comp : null,
  };
}

/** One summary per size, in ascending size order. */
export function summarizeSizes(sizes: number[], records: RunRecord[]): SizeSummary[] {
  return [...new Set(sizes)].sort((a, b) => a - b).map((size) => {
    const of = (mode: Mode) => modeSummary(records.filter((r) => r.size === size && r.mode === mode));
    const copy = of('copy');
    const zerocopy = of('zerocopy');
    return {
      size,
      copy,
      zerocopy,
      ratio: {
        throughput: ratio(zerocopy.throughputGBps.median, copy.throughputGBps.median),
        secPerGB: ratio(zerocopy.secPerGB.median, copy.secPerGB.median),
      },
      paysOff: paysOff({ copy: copy.secPerGB.median, zerocopy: zerocopy.secPerGB.median }),
    };
  });
}

/** Smallest size from which zerocopy stays cheaper per GB, or null. */
export function sweepCrossover(summaries: SizeSummary[]): number | null {
  return crossover(summaries.map((s) => ({ size: s.size, copy: s.copy.secPerGB.median, zerocopy: s.zerocopy.secPerGB.median })));
}
