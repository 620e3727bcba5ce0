// SPDX-License-Identifier: GPL-2.0-only
// From run records to per-size, per-mode summaries (median and spread of
// throughput and CPU per GB, a confidence interval of each median), the
// zerocopy/copy ratios with their confidence intervals over runs paired by
// repetition, the verdict those intervals give, and the crossover.

import type { Mode, RunRecord } from './runner.js';
import {
  medianInterval, pairedRatioInterval, ratio, summarize, verdict, verdictCrossover,
  type Interval, type Pair, type RatioInterval, type Summary, type Verdict,
} from './stats.js';

export interface ModeSummary {
  /** Runs planned and done for this size and mode. */
  runs: number;
  /** Runs that ended as expected. */
  ok: number;
  /** Runs whose numbers are in the statistics. */
  measured: number;
  /** Sender throughput in bytes per second. */
  bytesPerSecond: Summary;
  /** Sender throughput in bits per second. */
  bitsPerSecond: Summary;
  /** Alias of bytesPerSecond in GB/s (1e9 bytes per second), kept for one release. */
  throughputGBps: Summary;
  /** Sender CPU (user + system) seconds per GB (1e9 bytes) sent. */
  secPerGB: Summary;
  packetsPerSec: Summary;
  /** Confidence intervals of the medians (order statistics, distribution-free). */
  medianInterval: { bytesPerSecond: Interval; secPerGB: Interval };
  /** Zerocopy runs: how many met their -Z expectation, of those that reported it. */
  expectationMet: number;
  expectationKnown: number;
  /** Zerocopy runs: share of all completions the kernel copied, null without completions. */
  copiedShare: number | null;
}

export interface SizeRatio {
  /** zerocopy / copy of the throughput medians. */
  throughput: number | null;
  /** zerocopy / copy of the CPU-per-GB medians. */
  secPerGB: number | null;
  /** Confidence interval of zerocopy/copy throughput over runs paired by repetition. */
  throughputInterval: RatioInterval;
  /** Confidence interval of zerocopy/copy CPU per GB over runs paired by repetition: the verdict's evidence. */
  secPerGBInterval: RatioInterval;
}

export interface SizeSummary {
  size: number;
  copy: ModeSummary;
  zerocopy: ModeSummary;
  ratio: SizeRatio;
  /** From ratio.secPerGBInterval: saves (all below 1), costs (all above 1) or no significant difference. */
  verdict: Verdict;
  /** verdict === 'saves'; null when no pair of runs has CPU figures. */
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
  const bps = m.map((r) => r.throughputBps);
  return {
    runs: records.length,
    ok: records.filter((r) => r.ok).length,
    measured: m.length,
    bytesPerSecond: summarize(bps),
    bitsPerSecond: summarize(bps.map((v) => (v === null ? null : v * 8))),
    throughputGBps: summarize(m.map((r) => r.throughputGBps)),
    secPerGB: summarize(m.map((r) => r.secPerGB)),
    packetsPerSec: summarize(pps),
    medianInterval: { bytesPerSecond: medianInterval(bps), secPerGB: medianInterval(m.map((r) => r.secPerGB)) },
    expectationMet: withExp.filter((r) => r.expectationMet).length,
    expectationKnown: withExp.length,
    copiedShare: comp > 0 ? copied / comp : null,
  };
}

/** Copy run k with zerocopy run k (they ran back to back), measured runs only. */
export function pairRuns(records: RunRecord[], pick: (r: RunRecord) => number | null): Pair[] {
  const byRep = new Map<number, Partial<Record<Mode, RunRecord>>>();
  for (const r of records) {
    if (!r.measured) continue;
    const slot = byRep.get(r.rep) ?? {};
    slot[r.mode] = r;
    byRep.set(r.rep, slot);
  }
  return [...byRep.keys()].sort((a, b) => a - b).map((rep) => {
    const s = byRep.get(rep)!;
    return { copy: s.copy ? pick(s.copy) : null, zerocopy: s.zerocopy ? pick(s.zerocopy) : null };
  });
}

/** Summary of one size from its records (both modes). */
export function sizeSummary(size: number, records: RunRecord[]): SizeSummary {
  const of = (mode: Mode) => modeSummary(records.filter((r) => r.mode === mode));
  const copy = of('copy');
  const zerocopy = of('zerocopy');
  const secPerGBInterval = pairedRatioInterval(pairRuns(records, (r) => r.secPerGB));
  const v = verdict(secPerGBInterval);
  return {
    size,
    copy,
    zerocopy,
    ratio: {
      throughput: ratio(zerocopy.bytesPerSecond.median, copy.bytesPerSecond.median),
      secPerGB: ratio(zerocopy.secPerGB.median, copy.secPerGB.median),
      throughputInterval: pairedRatioInterval(pairRuns(records, (r) => r.throughputBps)),
      secPerGBInterval,
    },
    verdict: v,
    paysOff: secPerGBInterval.n === 0 ? null : v === 'saves',
  };
}

/** One summary per size, in ascending size order. */
export function summarizeSizes(sizes: number[], records: RunRecord[]): SizeSummary[] {
  return [...new Set(sizes)].sort((a, b) => a - b).map((size) => sizeSummary(size, records.filter((r) => r.size === size)));
}

/** A run record as the JSON report gives it: the throughput also under names that say their unit. */
export interface RunJson extends Omit<RunRecord, 'environment'> {
  /** Sender throughput, bytes per second (throughputBps is the old name, kept for one release). */
  bytesPerSecond: number | null;
  /** Sender throughput, bits per second. */
  bitsPerSecond: number | null;
}

export function runJson(r: RunRecord): RunJson {
  // The environment is the document's (one block, and a warning where a run's differs), not each run's.
  const rest: Omit<RunRecord, 'environment'> & { environment?: unknown } = { ...r };
  delete rest.environment;
  return { ...rest, bytesPerSecond: r.throughputBps, bitsPerSecond: r.throughputBps === null ? null : r.throughputBps * 8 };
}

/** Smallest size from which zerocopy saves CPU per GB (by the interval) at every larger size, or null. */
export function sweepCrossover(summaries: SizeSummary[]): number | null {
  return verdictCrossover(summaries);
}

/** io_uring SEND_ZC against MSG_ZEROCOPY at one size: both zerocopy, paired by repetition. */
export interface ApiComparison {
  size: number;
  /** uring / msg of the zerocopy runs' throughput, over repetitions (each pair ran back to back). */
  throughputInterval: RatioInterval;
  /** uring / msg of the zerocopy runs' CPU per GB: the verdict's evidence. */
  secPerGBInterval: RatioInterval;
  /** saves: io_uring costs less CPU per GB than MSG_ZEROCOPY; costs: more; or no significant difference. */
  verdict: Verdict;
}

/**
 * For each size, the zerocopy run of each interface in repetition k paired
 * (they ran back to back), with the same statistics as copy against zerocopy.
 */
export function compareApis(sizes: number[], records: RunRecord[]): ApiComparison[] {
  return [...new Set(sizes)].sort((a, b) => a - b).map((size) => {
    const zc = records.filter((r) => r.size === size && r.mode === 'zerocopy' && r.measured);
    const pairs = (pick: (r: RunRecord) => number | null): Pair[] => {
      const reps = [...new Set(zc.map((r) => r.rep))].sort((a, b) => a - b);
      return reps.map((rep) => {
        const of = (api: string): RunRecord | undefined => zc.find((r) => r.rep === rep && (r.api ?? 'msg') === api);
        const m = of('msg');
        const u = of('uring');
        // Pair's names: the baseline (msg) as `copy`, the candidate (uring) as `zerocopy`.
        return { copy: m ? pick(m) : null, zerocopy: u ? pick(u) : null };
      });
    };
    const secPerGBInterval = pairedRatioInterval(pairs((r) => r.secPerGB));
    return {
      size, throughputInterval: pairedRatioInterval(pairs((r) => r.throughputBps)), secPerGBInterval,
      verdict: verdict(secPerGBInterval),
    };
  });
}
