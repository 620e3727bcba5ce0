// SPDX-License-Identifier: GPL-2.0-only
// sweep and compare: in a fresh lab, copy and zerocopy senders alternately
// for each payload size, several times each; then medians and spread, the
// zerocopy/copy ratios, where zerocopy pays off, a table and charts. The lab
// and every child are gone on every exit path.

import { release } from 'node:os';
import { signalExitCode } from '../core/control.js';
import { TOOL_VERSION } from '../core/version.js';
import { LAB_ADDR } from '../lab/lab.js';
import { withLabSession } from '../run/session.js';
import {
  compareMarkdown, compareTable, compareVerdict, crossoverLine, expectationLine, failureLines, sweepCharts,
  sweepMarkdown, sweepTable,
} from './format.js';
import {
  destination, expectation, MODES, runOne, type RunRecord, type RunSettings, type RunSpec, type SweepPath, type SweepTest,
} from './runner.js';
import { summarizeSizes, sweepCrossover, type SizeSummary } from './summary.js';

export type SweepOutput = 'table' | 'json' | 'markdown';

export interface SweepOptions {
  command: 'sweep' | 'compare';
  test: SweepTest;
  family: 4 | 6;
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
}

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


/** The runs in order: for each size, for each repetition, copy then zerocopy. */
export function planRuns(sizes: number[], reps: number): RunSpec[] {
  const out: RunSpec[] = [];
  for (const size of sizes) {
    for (let rep = 1; rep <= reps; rep++) {
      for (const mode of MODES) out.push({ index: out.length + 1, size, mode, rep });
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
  const plan = planRuns(sizes, o.reps);
  const settings: RunSettings = {
    test: o.test, family: o.family, path: o.path, duration: o.duration, port: o.port, slackMs: o.slackMs,
  };
  const runs: RunRecord[] = [];
  const started = Date.now();
  const showProgress = o.progress && io.tty && o.output !== 'json';
  const end = await withLabSession({ prefix: o.prefix, progress: showProgress, err: io.err }, async (s) => {
    for (const spec of plan) {
      if (s.interrupted()) break;
      s.progress(`[${spec.index}/${plan.length}] ${spec.size} B ${spec.mode} rep ${spec.rep}/${o.reps} …`);
      const r = await runOne(s.lab, settings, spec, s.hooks);
      if (s.interrupted() && r.reasons.includes('interrupted')) break; // cut short: not a result
      runs.push(r);
    }
  });
  const { interrupted, error, lab: labInfo } = end;

  const summaries = summarizeSizes(sizes, runs);
  const cross = sweepCrossover(summaries);
  const allOk = runs.length === plan.length && runs.every((r) => r.ok);
  const exitCode = interrupted ? signalExitCode(interrupted) : error ? (runs.length ? 1 : 2) : allOk ? 0 : 1;
  const expect = expectation(o.path);
  const dst = destination({ addr: LAB_ADDR }, o);

  if (o.output === 'json') {
    io.out(`${JSON.stringify({
      tool: 'msg-zerocopy',
      toolVersion: TOOL_VERSION,
      command: o.command,
      kernel: release(),
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      ok: exitCode === 0,
      exitCode,
      interrupted,
      error,
      lab: labInfo,
      options: {
        test: o.test, family: o.family, path: o.path, dst, sizes, reps: o.reps, duration: o.duration, port: o.port,
        expectZerocopy: expect,
      },
      plannedRuns: plan.length,
      runs,
      summaries,
      crossover: o.command === 'sweep' ? cross : undefined,
      paysOff: o.command === 'compare' ? (summaries[0]?.paysOff ?? null) : undefined,
    })}\n`);
  } else if (error && !runs.length && !interrupted) {
    // nothing ran (no lab): the error line below says why
  } else {
    const head = `msg-zerocopy ${o.command}: ipv${o.family} ${o.test} ${o.path} to ${dst}, ` +
      `${o.reps} rep${o.reps === 1 ? '' : 's'} × -t ${o.duration} per ${o.command === 'sweep' ? 'size and ' : ''}mode, ` +
      `kernel ${release()}${labInfo ? `, namespaces ${labInfo.txNs} / ${labInfo.rxNs}, egress ${labInfo.egressKind}` : ''}`;
    const lines: string[] = [];
    if (o.output === 'markdown') {
      lines.push(`**${head}**`, '');
      if (o.command === 'sweep') {
        lines.push(sweepMarkdown(summaries), '', crossoverLine(summaries, cross));
      } else if (summaries[0]) {
        lines.push(compareMarkdown(summaries[0]), '', compareVerdict(summaries[0]));
      }
    } else {
      lines.push(head);
      if (o.command === 'sweep') {
        lines.push(sweepTable(summaries));
      } else if (summaries[0]) {
        lines.push(`payload ${summaries[0].size} B`, compareTable(summaries[0], runs, expect));
      }
      lines.push('', 'medians of the runs; min–max their range; spread = (max − min) / median; ' +
        'CPU = sender user + system time per 1e9 bytes sent');
      lines.push(o.command === 'sweep' ? crossoverLine(summaries, cross) : summaries[0] ? compareVerdict(summaries[0]) : '');
    }
    if (runs.some((r) => r.mode === 'zerocopy')) lines.push(expectationLine(summaries, expect));
    lines.push(...failureLines(runs));
    if (interrupted) lines.push(`interrupted by ${interrupted} after ${runs.length} of ${plan.length} runs`);
    if (o.output === 'table' && o.chart && o.command === 'sweep' && runs.length) {
      lines.push('', sweepCharts(summaries, io.tty && !process.env.NO_COLOR));
    }
    io.out(`${lines.join('\n')}\n`);
  }
  if (error) io.err(`msg-zerocopy ${o.command}: ${error}\n`);
  return { exitCode, runs, summaries, crossover: cross, interrupted, error };
}
