// SPDX-License-Identifier: GPL-2.0-only
// What a sweep or compare is asked (its options) and what it hands to its
// formatters (the finished run): types shared by the orchestrator and the
// views, so that neither imports the other's module for them.
import type { Api, Family } from '../core/vocabulary.js';
import type { LabInfo } from '../run/session.js';
import type { Environment } from '../environment/environment.js';
import type { RunRecord, SweepPath, SweepTest } from './runner.js';
import type { ApiComparison, SizeSummary } from './summary.js';

export type SweepOutput = 'table' | 'json' | 'markdown';

export interface SweepOptions {
  command: 'sweep' | 'compare';
  test: SweepTest;
  family: Family;
  path: SweepPath;
  sizes: number[];
  reps: number;
  duration: number;
  port: number;
  output: SweepOutput;
  /** Progress line on stderr (only shown on a terminal). */
  progress: boolean;
  /** Charts after the table (table output only). */
  chart: boolean;
  slackMs: number;
  prefix?: string;
  /** -P for every run (absent or 1: one flow): the figures are the sums of the flows. */
  flows?: number;
  /** Send interfaces side by side (absent: msg only). */
  apis?: Api[];
  /** --report: the HTML report's path. */
  report?: string;
  /** --csv: the CSV rows' path. */
  csv?: string;
  /** -C/--cpus: the sender's CPU, then the receiver's. */
  cpus?: number[];
}

/** What a finished sweep or compare hands to its formatters. */
export interface SweepRun {
  options: SweepOptions;
  /** Payload sizes, ascending. */
  sizes: number[];
  plannedRuns: number;
  runs: RunRecord[];
  /** The first interface's summaries and crossover (the only ones without --api). */
  summaries: SizeSummary[];
  crossover: number | null;
  /** Every interface's, in the order asked for. */
  byApi?: ApiSummaries[];
  /** io_uring against MSG_ZEROCOPY (zerocopy runs), when both ran. */
  apiComparison?: ApiComparison[] | null;
  startedAt: number;
  durationMs: number;
  exitCode: number;
  interrupted: string | null;
  error: string | null;
  lab: LabInfo | null;
  /** -Z of the zerocopy runs on this path. */
  expect: 0 | 1;
  /** Where the senders sent. */
  dst: string;
  /** The first run's environment (its sender's), or null when no run reported one. */
  environment?: Environment | null;
  /** Noise the user should see: runs in two groups, a busy machine, runs in another environment. */
  warnings?: string[];
}

export interface ApiSummaries {
  api: Api;
  summaries: SizeSummary[];
  crossover: number | null;
}

/** The interfaces of a run (without --api: MSG_ZEROCOPY alone). */
export const apisOf = (r: SweepRun): ApiSummaries[] => r.byApi ?? [{ api: 'msg', summaries: r.summaries, crossover: r.crossover }];
