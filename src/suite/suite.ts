// SPDX-License-Identifier: GPL-2.0-only
// The suite: one lab, every planned case in order, results printed as a
// table, KTAP or JSON; the lab and every child are gone on every exit path.

import { signalExitCode } from '../core/control.js';
import { writeReportFiles } from '../render/files.js';
import type { SuiteOptions } from './types.js';
import { withLabSession, type LabInfo } from '../run/session.js';
import { planSuite, withRx, type SuiteCase } from './cases.js';
import { LAB_MTU, pageMtu, setLabMtu } from '../lab/mtu.js';
import {
  formatKtap, formatKtapHeader, formatKtapNotRun, formatKtapResult, formatKtapTotals, formatTable, suiteHeader, suiteJson,
  suiteOk,
} from './format.js';
import { suiteReportFiles } from './report.js';
import { runCase, type CaseResult, type RunOptions } from './runner.js';

export interface SuiteIO {
  out: (s: string) => void;
  err: (s: string) => void;
}


export interface SuiteOutcome {
  exitCode: number;
  plan: SuiteCase[];
  results: CaseResult[];
  interrupted: string | null;
  lab: LabInfo | null;
  error: string | null;
}

const defaultIO: SuiteIO = {
  out: (s) => { process.stdout.write(s); },
  err: (s) => { process.stderr.write(s); },
};

export async function runSuite(o: SuiteOptions, io: SuiteIO = defaultIO): Promise<SuiteOutcome> {
  const plan = withRx(planSuite(o.apis ?? ['msg'], o.families, o.tests), o.rx ?? 'trunc');
  let mtu = LAB_MTU;
  const results: CaseResult[] = [];
  const started = Date.now();
  const tty = o.progress && o.output === 'table' && Boolean(process.stderr.isTTY) && Boolean(process.stdout.isTTY);
  const runOpts: RunOptions = {
    bin: o.bin, duration: o.duration, size: o.size, port: o.port, extra: o.extra, slackMs: o.slackMs, flows: o.flows,
  };

  if (o.output === 'ktap') io.out(formatKtapHeader(plan.length));
  const end = await withLabSession({ prefix: o.prefix, progress: tty, err: io.err }, async (s) => {
    for (const c of plan) {
      if (s.interrupted()) break;
      const t0 = Date.now();
      const fails = results.filter((x) => x.verdict === 'fail').length;
      const line = (): string => `[${c.index}/${plan.length}${fails ? `, ${fails} failed` : ''}] ${c.label} ${c.mode} … ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s`;
      const tick = setInterval(() => s.progress(line()), 200);
      s.progress(line());
      let r: CaseResult;
      try {
        // --rx mmap: a page-sized MSS for the case's family, the lab's own MTU for every other case.
        const want = c.rx === 'mmap' ? pageMtu(c.family) : LAB_MTU;
        if (want !== mtu) {
          await setLabMtu(s.lab, want);
          mtu = want;
        }
        r = await runCase(c, s.lab, runOpts, s.hooks);
      } finally {
        clearInterval(tick);
      }
      // A case cut short by the interrupt is not a result.
      if (s.interrupted() && r.verdict === 'fail' && r.reasons.includes('interrupted')) break;
      results.push(r);
      if (o.output === 'ktap') io.out(formatKtapResult(r));
    }
  });
  const { interrupted, error, lab: labInfo } = end;

  const ok = !error && !interrupted && suiteOk(plan, results);
  const exitCode = interrupted ? signalExitCode(interrupted) : ok ? 0 : 1;
  const why = interrupted ? `interrupted by ${interrupted}` : error ? `suite error: ${error}` : 'aborted';

  const doc = suiteJson({
    options: o, plan, results, startedAt: started, durationMs: Date.now() - started, ok, exitCode, interrupted,
    error, lab: labInfo,
  });
  if (o.output === 'ktap') {
    if (error) io.out(`# error: ${error.replace(/[\r\n#]+/g, ' ')}\n`);
    for (const c of plan.slice(results.length)) io.out(formatKtapNotRun(c, why));
    io.out(formatKtapTotals(plan, results));
  } else if (o.output === 'json') {
    io.out(`${JSON.stringify(doc)}\n`);
  } else if (results.length || interrupted || !error) {
    io.out(formatTable(plan, results, { header: labInfo ? suiteHeader(labInfo, o.duration, o.flows, o.rx) : undefined, interrupted }));
  }
  if (error) io.err(`msg-zerocopy suite: ${error}\n`);
  const files = writeReportFiles(suiteReportFiles(doc, o));
  for (const line of [...files.written.map((f) => `wrote ${f}`), ...files.errors]) io.err(`msg-zerocopy suite: ${line}\n`);
  const code = error && !interrupted ? (results.length ? 1 : 2) : exitCode;
  return { exitCode: files.errors.length && !code ? 1 : code, plan, results, interrupted, lab: labInfo, error };
}

/** KTAP for a finished outcome (used by the drop-in and tests). */
export function outcomeKtap(x: SuiteOutcome): string {
  return formatKtap(x.plan, x.results, x.interrupted);
}
