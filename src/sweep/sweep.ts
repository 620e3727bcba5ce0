// SPDX-License-Identifier: GPL-2.0-only
// sweep and compare: in a fresh lab, copy and zerocopy senders alternately
// for each payload size, several times each; then medians and spread, the
// zerocopy/copy ratios, where zerocopy pays off, a table and charts. The lab
// and every child are gone on every exit path.

import { availableParallelism } from 'node:os';
import { noiseWarnings } from './noise.js';
import { signalExitCode } from '../core/control.js';
import type { Api } from '../core/vocabulary.js';
import { LAB_ADDR } from '../lab/lab.js';
import { withLabSession } from '../run/session.js';
import { writeReportFiles } from '../render/files.js';
import { sweepText } from './format.js';
import { sweepJson } from './json.js';
import type { SweepOptions, SweepRun } from './types.js';
import { sweepReportFiles } from './report.js';
import {
  destination, expectation, MODES, runOne, type RunRecord, type RunSettings, type RunSpec,
} from './runner.js';
import { compareApis, summarizeSizes, sweepCrossover, type SizeSummary } from './summary.js';

export interface SweepIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** stderr and stdout are terminals (progress line, colours). */
  tty: boolean;
}

export interface SweepOutcome {
  exitCode: number;
  runs: RunRecord[];
  summaries: SizeSummary[];
  crossover: number | null;
  interrupted: string | null;
  error: string | null;
}


/**
 * The runs in order: for each size, for each repetition, for each interface,
 * copy then zerocopy (so the runs compared are close in time).
 */
export function planRuns(sizes: number[], reps: number, apis: readonly Api[] = ['msg']): RunSpec[] {
  const out: RunSpec[] = [];
  for (const size of sizes) {
    for (let rep = 1; rep <= reps; rep++) {
      for (const api of apis) {
        for (const mode of MODES) out.push({ index: out.length + 1, size, mode, rep, api });
      }
    }
  }
  return out;
}

const defaultIO: SweepIO = {
  out: (s) => { process.stdout.write(s); },
  err: (s) => { process.stderr.write(s); },
  tty: Boolean(process.stderr.isTTY) && Boolean(process.stdout.isTTY),
};

export async function runSweep(o: SweepOptions, io: SweepIO = defaultIO): Promise<SweepOutcome> {
  const sizes = [...new Set(o.sizes)].sort((a, b) => a - b);
  const apis = o.apis ?? ['msg'];
  const plan = planRuns(sizes, o.reps, apis);
  const settings: RunSettings = {
    test: o.test, family: o.family, path: o.path, duration: o.duration, port: o.port, slackMs: o.slackMs, flows: o.flows,
    senderCpu: o.cpus?.[0] ?? null, receiverCpu: o.cpus?.[1] ?? null,
  };
  const runs: RunRecord[] = [];
  const started = Date.now();
  const showProgress = o.progress && io.tty && o.output !== 'json';
  const end = await withLabSession({ prefix: o.prefix, progress: showProgress, err: io.err }, async (s) => {
    for (const spec of plan) {
      if (s.interrupted()) break;
      const api = apis.length > 1 ? `${spec.api} ` : '';
      s.progress(`[${spec.index}/${plan.length}] ${spec.size} B ${api}${spec.mode} rep ${spec.rep}/${o.reps} …`);
      const r = await runOne(s.lab, settings, spec, s.hooks);
      if (s.interrupted() && r.reasons.includes('interrupted')) break; // cut short: not a result
      runs.push(r);
    }
  });
  const { interrupted, error, lab: labInfo } = end;

  const byApi = apis.map((api) => {
    const s = summarizeSizes(sizes, runs.filter((r) => (r.api ?? 'msg') === api));
    return { api, summaries: s, crossover: sweepCrossover(s) };
  });
  const { summaries, crossover: cross } = byApi[0];
  const apiComparison = apis.includes('msg') && apis.includes('uring') ? compareApis(sizes, runs) : null;
  const allOk = runs.length === plan.length && runs.every((r) => r.ok);
  const exitCode = interrupted ? signalExitCode(interrupted) : error ? (runs.length ? 1 : 2) : allOk ? 0 : 1;
  const expect = expectation(o.path);
  const dst = destination({ addr: LAB_ADDR }, o);

  const warnings = noiseWarnings(runs, availableParallelism());
  const run: SweepRun = {
    options: o, sizes, plannedRuns: plan.length, runs, summaries, crossover: cross, byApi, apiComparison, startedAt: started,
    durationMs: Date.now() - started, exitCode, interrupted, error, lab: labInfo, expect, dst,
    environment: runs.find((r) => r.environment)?.environment ?? null, warnings,
  };
  for (const w of warnings) io.err(`msg-zerocopy ${o.command}: warning: ${w}\n`);
  if (o.output === 'json') io.out(`${JSON.stringify(sweepJson(run))}\n`);
  else if (!error || runs.length || interrupted) io.out(sweepText(run, io.tty && !process.env.NO_COLOR));
  if (error) io.err(`msg-zerocopy ${o.command}: ${error}\n`);
  const files = writeReportFiles(sweepReportFiles(sweepJson(run), o));
  for (const line of [...files.written.map((f) => `wrote ${f}`), ...files.errors]) io.err(`msg-zerocopy ${o.command}: ${line}\n`);
  return { exitCode: files.errors.length && !exitCode ? 1 : exitCode, runs, summaries, crossover: cross, interrupted, error };
}
