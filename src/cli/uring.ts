// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy uring [options] tcp|udp`: a drop-in for the kernel selftest
// io_uring_zerocopy_tx (same flags, same line, exit 0 on success and 1 for
// bad input or a broken completion protocol), with our exit 2 when the kernel
// refuses, -Z, and --json.
import { basename } from 'node:path';
import { Command } from 'commander';
import { privateFdTable } from '../libc/libc.js';
import { errorReport, type CpuTime, type FdTable } from '../report/report.js';
import { RunControl } from '../core/control.js';
import { ToolError } from '../core/errors.js';
import { testList, URING_TESTS } from '../core/vocabulary.js';
import { zerocopyMode, type UringConfig } from '../uring/config.js';
import { addUringOptions, toUringConfig, URING_USAGE, type UringRawOptions } from '../flags/uring.js';
import { uringLine, uringReport } from '../uring/report.js';
import { mismatchLine, runUringSender } from '../uring/sender.js';
import { outcomeLine } from '../doctor/outcome.js';

/** The run as the doctor sees it. */
const runShape = (cfg: UringConfig) => ({
  family: cfg.family, dst: cfg.dst, dstText: cfg.dstText, test: cfg.test, api: 'uring' as const, payloadLen: cfg.payloadLen,
  notificationLimit: cfg.batch, cork: cfg.cork ? cfg.batch : 0,
});
const environmentOf = async (cfg: UringConfig, walk?: import('../environment/path.js').PathWalk | null) =>
  (await import('./subcommands.js')).collectEnvironment({ family: cfg.family, addr: cfg.dst }, walk);

/** One run: the line on stderr, the -Z line, the JSON report; returns the exit status. */
export async function runUring(cfg: UringConfig, log: (line: string) => void, prog: string): Promise<number> {
  // Before any socket or ring exists, as the classic run (see privateFdTable).
  const fdTable: FdTable = !cfg.sharedFdTable && privateFdTable() ? 'private' : 'shared';
  const ctl = new RunControl().install();
  const cpu0 = process.cpuUsage();
  try {
    const r = await runUringSender(cfg, ctl);
    const d = process.cpuUsage(cpu0);
    const cpu: CpuTime = { userUs: d.user, sysUs: d.system };
    log(uringLine(r.acc.packets, r.acc.bytes, cfg.runtimeMs));
    if (r.missingNotifications) log(`missing notifications: ${r.tracker.completions} < ${r.acc.expectedNotifications}`);
    const mismatch = mismatchLine(r);
    if (mismatch) log(mismatch);
    // Ours, after the selftest's line: when completions were copied, how many and why. (Without copies the
    // line stays the C tool's one line: its driver and parsers expect exactly that; --json has the counts.)
    const { completions, copied } = r.tracker;
    let because: string | null = null;
    let walk: import('../environment/path.js').PathWalk | null | undefined;
    if (copied > 0) {
      const { explain, copiedBecause } = await import('./subcommands.js');
      const e = await explain(runShape(cfg));
      because = copiedBecause(e.diagnosis);
      walk = e.walk;
    }
    if (zerocopyMode(cfg.mode) && copied > 0) {
      const line = outcomeLine(completions, copied, because);
      if (line) log(line);
    }
    const status = ctl.exitCode ?? (r.tracker.mismatched ? 1 : 0);
    if (cfg.json) {
      const report = { ...uringReport(cfg, r, cpu, status, fdTable), copiedBecause: because, environment: await environmentOf(cfg, walk) };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
    return status;
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    log(`${prog}: ${e.line}`);
    if (cfg.json) {
      const report = { ...errorReport({ rx: false, test: cfg.test, family: cfg.family, zerocopy: zerocopyMode(cfg.mode) },
        e.message, e.hint ?? null, e.exitCode), api: 'uring' as const, environment: await environmentOf(cfg) };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
    return e.exitCode;
  } finally {
    ctl.uninstall();
  }
}

/** Add the `uring` subcommand; its exit status goes to `done`. */
export function registerUringCommand(program: Command, done: (code: number) => void): void {
  // The root command has classic short flags (-4, -t, -s, …): those given
  // after `uring` must belong to the subcommand.
  program.enablePositionalOptions();
  const cmd = addUringOptions(new Command('uring'))
    .usage(`[options] ${URING_USAGE.replace(/\(udp\|tcp\) /, '')} <tcp|udp>`)
    .description('Send with io_uring (IORING_OP_SEND / SEND_ZC / SENDMSG_ZC): the kernel selftest ' +
      'io_uring_zerocopy_tx, with copied-versus-zerocopy accounting from the notifications, -Z and --json.')
    .argument('[test]', testList(URING_TESTS))
    .allowExcessArguments(false)
    .action(async (test: string | undefined, opts: UringRawOptions) => {
      const prog = basename(process.argv[1] ?? 'msg-zerocopy');
      const cfg = toUringConfig(test, opts);
      done(await runUring(cfg, (line) => process.stderr.write(`${line}\n`), prog));
    });
  program.addCommand(cmd);
}
