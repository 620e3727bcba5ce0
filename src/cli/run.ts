// SPDX-License-Identifier: GPL-2.0-only
// One classic run, sender or receiver: pin, run, print the selftest's line
// (and the JSON report), and pick the exit status the selftest would.
import { allocNative, errno, privateFdTable, sched_setaffinity, strerror } from '../libc/libc.js';
import { foreignLine, runReceiver } from '../receiver/receiver.js';
import { runSender } from '../sender/sender.js';
import {
  errorReport, receiverIntervalLine, receiverLine, receiverReport, senderIntervalLine, senderLine, senderReport, type CpuTime, type FdTable,
} from '../report/report.js';
import { RunControl } from '../core/control.js';
import { ToolError } from '../core/errors.js';
import type { Config } from '../core/config.js';

const CPU_SET_BYTES = 128; // sizeof(cpu_set_t)

/** do_setcpu: pin to one CPU; on failure warn and go on, as the selftest does. */
export function pinCpu(cpu: number, verbose: number, log: (l: string) => void): boolean {
  const mask = allocNative(CPU_SET_BYTES);
  if (cpu < CPU_SET_BYTES * 8) mask.u8[cpu >> 3] |= 1 << (cpu & 7);
  if (sched_setaffinity(0, CPU_SET_BYTES, mask.addr) !== 0) {
    log('cpu: unable to pin, may increase variance.');
    if (verbose) log(`cpu: ${cpu}: ${strerror(errno())}`);
    return false;
  }
  if (verbose) log(`cpu: ${cpu}`);
  return true;
}

function cpuSince(start: NodeJS.CpuUsage): CpuTime {
  const d = process.cpuUsage(start);
  return { userUs: d.user, sysUs: d.system };
}

export async function runClassicTest(cfg: Config, log: (line: string) => void, prog: string): Promise<number> {
  // Before any socket exists, so the run's descriptors live only in the
  // private table (see privateFdTable).
  const fdTable: FdTable = !cfg.sharedFdTable && privateFdTable() ? 'private' : 'shared';
  if (cfg.verbose && fdTable === 'shared') log('fd table: shared with helper threads');
  if (cfg.cpu !== null) pinCpu(cfg.cpu, cfg.verbose, log);
  const ctl = new RunControl().install();
  const cpu0 = process.cpuUsage();
  try {
    if (cfg.rx) {
      const r = await runReceiver(cfg, ctl, (iv) => log(receiverIntervalLine(iv)));
      log(receiverLine(r));
      // What was not the sender's: counted and told after the line. Without --peer the selftest's exit
      // status stays (it exits 1 at the first stray datagram); with it, refusing them is the receiver's job.
      const stray = r.foreign ? foreignLine(r.foreign) : '';
      const strayFails = !!stray && !cfg.peer && !!r.foreign?.datagrams;
      if (stray) {
        log(strayFails ? `${prog}: ${stray} (give the receiver the same -s as the sender, and keep other traffic off its port)` : stray);
      }
      const status = ctl.exitCode ?? (strayFails ? 1 : 0);
      if (cfg.json) process.stdout.write(`${JSON.stringify(receiverReport(cfg, r, cpuSince(cpu0), status, fdTable))}\n`);
      return status;
    }
    const r = await runSender(cfg, ctl, log, (iv) => log(senderIntervalLine(iv, cfg.zerocopy)));
    log(senderLine({ ...r, completions: r.tracker.completions }));
    // Where the selftest would still be waiting for room: the partial line above, then why it ended.
    if (r.stall) log(`${prog}: ${r.stall.error.line}`);
    const status = ctl.exitCode ?? (r.stall ? r.stall.error.exitCode : r.tracker.mismatched ? 1 : 0);
    if (cfg.json) process.stdout.write(`${JSON.stringify(senderReport(cfg, r, cpuSince(cpu0), status, fdTable))}\n`);
    return status;
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    log(`${prog}: ${e.line}`);
    if (cfg.json) {
      process.stdout.write(`${JSON.stringify(errorReport(cfg, e.message, e.hint ?? null, e.exitCode))}\n`);
    }
    return e.exitCode;
  } finally {
    ctl.uninstall();
  }
}
