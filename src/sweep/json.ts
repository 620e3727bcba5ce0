// SPDX-License-Identifier: GPL-2.0-only
// The --json document of a sweep or compare: the envelope's head, the
// options, every run and the summaries, in this key order.
import { release } from 'node:os';
import { commandHead } from '../report/envelope.js';
import { runJson } from './summary.js';
import { apisOf, type SweepRun } from './types.js';

/** The --json document of a sweep or compare. */
export function sweepJson(r: SweepRun) {
  const o = r.options;
  const byApi = apisOf(r);
  return {
    ...commandHead(o.command, release(), r.startedAt, r.durationMs),
    ok: r.exitCode === 0,
    exitCode: r.exitCode,
    interrupted: r.interrupted,
    error: r.error,
    lab: r.lab,
    options: {
      test: o.test, family: o.family, path: o.path, dst: r.dst, sizes: r.sizes, reps: o.reps, duration: o.duration,
      port: o.port, expectZerocopy: r.expect, flows: o.flows ?? 1, apis: byApi.map((a) => a.api), cpus: o.cpus ?? null,
    },
    plannedRuns: r.plannedRuns,
    runs: r.runs.map(runJson),
    summaries: r.summaries,
    crossover: o.command === 'sweep' ? r.crossover : undefined,
    /** Each interface's summaries (--api; the first is `summaries`). */
    apis: byApi.map((a) => ({ api: a.api, summaries: a.summaries, crossover: o.command === 'sweep' ? a.crossover : undefined })),
    /** io_uring SEND_ZC against MSG_ZEROCOPY per size, when both ran. */
    apiComparison: r.apiComparison ?? null,
    verdict: o.command === 'compare' ? (r.summaries[0]?.verdict ?? 'no significant difference') : undefined,
    paysOff: o.command === 'compare' ? (r.summaries[0]?.paysOff ?? null) : undefined,
    /** Runs in two groups, a busy machine (loadAverage beside each run), runs whose environment differs from the first's. */
    warnings: r.warnings ?? [],
    /** The first run's sender's environment block. */
    environment: r.environment ?? null,
  };
}

export type SweepJson = ReturnType<typeof sweepJson>;
