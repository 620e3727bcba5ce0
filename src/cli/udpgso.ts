// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy udpgso` and `msg-zerocopy udpgso-rx`: drop-ins for the
// kernel's udpgso_bench_tx and udpgso_bench_rx (same flags, lines and exit
// codes: 0 where they exit 0, 1 for bad input and failed checks, 4 when
// SO_ZEROCOPY is not supported), with our exit 2 when the kernel refuses a
// call, --json, --hugepages and --validate.
import { basename } from 'node:path';
import { Command } from 'commander';
import { privateFdTable } from '../libc/libc.js';
import type { CpuTime, FdTable } from '../report/report.js';
import { RunControl } from '../core/control.js';
import { ToolError } from '../core/errors.js';
import { TOOL_VERSION } from '../core/version.js';
import type { UdpgsoRxConfig, UdpgsoTxConfig } from '../udpgso/config.js';
import { addRxOptions, addTxOptions, RX_USAGE, toRxConfig, toTxConfig, TX_USAGE, type RxRawOptions, type TxRawOptions } from '../flags/udpgso.js';
import { auditLines, rxLine, rxReport, txLine, txReport } from '../udpgso/report.js';
import { runUdpgsoRx } from '../udpgso/rx.js';
import { KSFT_SKIP, runUdpgsoTx, SkipError } from '../udpgso/tx.js';

const cpuSince = (start: NodeJS.CpuUsage): CpuTime => {
  const d = process.cpuUsage(start);
  return { userUs: d.user, sysUs: d.system };
};

/**
 * Exit status after a stop signal: the C programs end on SIGINT as on a
 * normal end (0); SIGTERM and SIGHUP kill them (128 + n, as the shell says).
 */
const stoppedStatus = (ctl: RunControl): number => (ctl.signal === 'SIGINT' ? 0 : ctl.exitCode ?? 0);

function errorJson(program: string, e: ToolError, exitStatus: number): string {
  return JSON.stringify({ tool: 'msg-zerocopy', toolVersion: TOOL_VERSION, program, error: e.message, hint: e.hint ?? null, exitStatus });
}

export async function runTx(cfg: UdpgsoTxConfig, log: (line: string) => void, prog: string): Promise<number> {
  const fdTable: FdTable = privateFdTable() ? 'private' : 'shared';
  const ctl = new RunControl().install();
  const cpu0 = process.cpuUsage();
  try {
    const r = await runUdpgsoTx(cfg, ctl, log, (msgs, sends) => log(txLine(cfg.tcp, cfg.payloadLen, msgs, sends)));
    let status = stoppedStatus(ctl);
    if (cfg.audit) {
      const a = auditLines(cfg, r);
      for (const l of a.lines) log(l);
      if (a.error) {
        log(`${prog}: ${a.error}`);
        status = 1;
      }
    }
    if (cfg.json) process.stdout.write(`${JSON.stringify(txReport(cfg, r, cpuSince(cpu0), status, fdTable))}\n`);
    return status;
  } catch (e) {
    if (e instanceof SkipError) {
      // As the C program: no newline, exit 4 (KSFT_SKIP).
      process.stderr.write(e.message);
      if (cfg.json) process.stdout.write(`${errorJson('udpgso_bench_tx', e, KSFT_SKIP)}\n`);
      return KSFT_SKIP;
    }
    if (!(e instanceof ToolError)) throw e;
    log(`${prog}: ${e.line}`);
    if (cfg.json) process.stdout.write(`${errorJson('udpgso_bench_tx', e, e.exitCode)}\n`);
    return e.exitCode;
  } finally {
    ctl.uninstall();
  }
}

export async function runRx(cfg: UdpgsoRxConfig, log: (line: string) => void, prog: string): Promise<number> {
  const fdTable: FdTable = privateFdTable() ? 'private' : 'shared';
  const ctl = new RunControl().install();
  const cpu0 = process.cpuUsage();
  try {
    const r = await runUdpgsoRx(cfg, ctl, (bytes, packets) => log(rxLine(cfg.tcp, bytes, packets)));
    if (r.validator) log(r.validator.line());
    let status = stoppedStatus(ctl);
    if (r.validator && r.validator.badBytes > 0) status = 1;
    if (cfg.json) process.stdout.write(`${JSON.stringify(rxReport(cfg, r, cpuSince(cpu0), status, fdTable))}\n`);
    return status;
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    log(`${prog}: ${e.line}`);
    if (cfg.json) process.stdout.write(`${errorJson('udpgso_bench_rx', e, e.exitCode)}\n`);
    return e.exitCode;
  } finally {
    ctl.uninstall();
  }
}

/** Add `udpgso` and `udpgso-rx`; their exit status goes to `done`. */
export function registerUdpgsoCommands(program: Command, done: (code: number) => void): void {
  program.enablePositionalOptions();
  const prog = (): string => basename(process.argv[1] ?? 'msg-zerocopy');
  const log = (line: string): void => { process.stderr.write(`${line}\n`); };
  program.addCommand(addTxOptions(new Command('udpgso'))
    .usage(TX_USAGE)
    .description("UDP (and tcp) send benchmark with UDP GSO and MSG_ZEROCOPY: the kernel's udpgso_bench_tx " +
      '(same flags, lines and exit codes), with --json and --hugepages.')
    .allowExcessArguments(true)
    .action(async (opts: TxRawOptions, cmd: Command) => {
      done(await runTx(toTxConfig(opts, cmd.args), log, prog()));
    }));
  program.addCommand(addRxOptions(new Command('udpgso-rx'))
    .usage(RX_USAGE)
    .description("The receiver of the UDP GSO benchmark: the kernel's udpgso_bench_rx (same flags, lines and exit codes), " +
      'with --json and --validate.')
    .allowExcessArguments(true)
    .action(async (opts: RxRawOptions, cmd: Command) => {
      done(await runRx(toRxConfig(opts, cmd.args), log, prog()));
    }));
}
