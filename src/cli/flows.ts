// SPDX-License-Identifier: GPL-2.0-only
// -P n: the classic command as n flows at once, each a child process of our
// own executable running the unchanged single-flow loop (its own socket,
// error queue and CPU) on data port -p + k with --json. This process only
// starts them, forwards what they say with their number, forwards a stop
// signal, and prints the per-flow lines, the sum and (--json) one report.
//
//   [0] tx=211000 (13164 MB) txc=211000 zc=y
//   [1] tx=208500 (13008 MB) txc=208500 zc=y
//   [SUM] tx=419500 (26173 MB) txc=419500 zc=y
import { existsSync, readFileSync } from 'node:fs';
import type { FlowOptions } from '../core/flows.js';
import type { Config } from '../core/config.js';
import { RunControl } from '../core/control.js';
import { childError, childFailure, type Child, type ChildResult } from '../run/child.js';
import { readReport } from '../report/read.js';
import { launch } from '../run/launch.js';
import { allowedCpus, flowCpus, flowsStartSecs, formatCpuList, pinnedArgv, planFlows, type Flow } from '../flows/plan.js';
import { flowLine, flowsReport, sumLine, type FlowEnd } from '../flows/report.js';

/** Time a flow may overrun its own run (and its last wait) before it is killed. */
const SLACK_MS = 5000;
/** A flow's classic line: held back and printed with the others, in flow order, before the sum. */
const CLASSIC_LINE = /^(tx|rx)=\d+ \(\d+ MB\)/;

function procStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

/** How one flow ended, from its child. `stopStatus`: the exit status of a process stopped by the signal this process passed on, if any. */
export function flowEnd(f: Flow, r: ChildResult, line: string | null, stopStatus: number | null): FlowEnd {
  // A flow that ended because we passed it our stop signal did what it was asked.
  const stopped = stopStatus !== null && r.exitCode === stopStatus;
  return {
    index: f.index, port: f.port, cpu: f.cpu, report: readReport(r.stdout), line,
    failure: stopped ? null : childFailure(`flow ${f.index}`, r, childError(r)), exitStatus: r.exitCode,
  };
}

/** Run the flows; returns the exit status (the first failed flow's, or the signal's). */
export async function runFlows(cfg: Config, o: FlowOptions, log: (line: string) => void, prog: string): Promise<number> {
  const allowed = allowedCpus(procStatus());
  const plan = planFlows(cfg, flowCpus(o.flows, o.cpus, allowed));
  // Pinned from the start where the CPUs are known to be allowed (util-linux's taskset); each flow's -C
  // pins it again, and where it cannot, warns and goes on as the selftest does.
  const taskset = allowed ? (['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p)) ?? null) : null;
  if (cfg.verbose) {
    const cpus = plan.map((f) => f.cpu).filter((c): c is number => c !== null);
    log(`flows: ${plan.length} on ports ${cfg.port}-${cfg.port + plan.length - 1}, cpus ${cpus.length ? formatCpuList(cpus) : 'unpinned'}`);
  }
  const children: Child[] = [];
  const lines: Array<string | null> = plan.map(() => null);
  // The children have process groups of their own (a terminal's Ctrl-C reaches
  // them once, through us): the first signal is passed on and every flow
  // prints its partial line; a second kills them.
  const ctl = new RunControl().install({
    stop: (sig) => { for (const ch of children) ch.kill(sig); },
    force: () => { for (const ch of children) ch.kill('SIGKILL'); },
  });
  const cpu0 = process.cpuUsage();
  let results: ChildResult[];
  try {
    for (const f of plan) {
      children.push(launch({
        // Flows start side by side on few CPUs: each may take their start-up allowance (plan.ts) beyond its own run.
        spec: f.spec, slackMs: SLACK_MS + 1000 * flowsStartSecs(plan.length), detached: true, wrap: (argv) => pinnedArgv(argv, f.cpu, taskset),
        onStderrLine: (line) => {
          if (CLASSIC_LINE.test(line)) lines[f.index] = line;
          else if (line) log(`[${f.index}] ${line}`);
        },
      }).child);
    }
    results = await Promise.all(children.map((ch) => ch.done));
  } finally {
    ctl.uninstall();
  }
  const used = process.cpuUsage(cpu0);

  const ends = plan.map((f, k) => flowEnd(f, results[k], lines[k], ctl.exitCode));
  for (const e of ends) {
    const line = flowLine(e);
    if (line) log(line);
  }
  log(sumLine(cfg.rx ? 'receiver' : 'sender', ends));
  for (const e of ends) if (e.failure) log(`${prog}: ${e.failure}`);
  const failed = ends.find((e) => e.failure !== null);
  const status = ctl.exitCode ?? (failed ? Math.max(1, failed.exitStatus ?? 1) : 0);
  if (cfg.json) {
    const report = flowsReport({
      cfg, flows: ends, ownCpu: { userUs: used.user, sysUs: used.system }, exitStatus: status, interrupted: ctl.signal,
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  return status;
}
