// SPDX-License-Identifier: GPL-2.0-only
// One classic run, sender or receiver: pin, run, print the selftest's line
// (and the JSON report), and pick the exit status the selftest would.
import { allocNative, privateFdTable, sched_setaffinity } from '../libc/libc.js';
import { foreignLine, runReceiver } from '../receiver/receiver.js';
import { runSender } from '../sender/sender.js';
import {
  errorReport, receiverIntervalLine, receiverLine, receiverReport, senderIntervalLine, senderLine, senderReport, type CpuTime, type FdTable,
} from '../report/report.js';
import { mappedShortfall, rxMmapLine } from '../report/rx.js';
import { gsoFields, gsoLine } from '../report/gso.js';
import { RunControl } from '../core/control.js';
import { ToolError } from '../core/errors.js';
import type { Config } from '../core/config.js';
import { outcomeLine } from '../doctor/outcome.js';

/** The doctor's explanation and the environment block: loaded after the run, only when needed (see subcommands.ts). */
const doctor = () => import('./subcommands.js');
const environmentOf = async (cfg: Config, walk?: import('../environment/path.js').PathWalk | null) =>
  (await doctor()).collectEnvironment(cfg.rx ? null : { family: cfg.family, addr: cfg.dst }, walk);

const runShape = (cfg: Config) => ({
  family: cfg.family, dst: cfg.dst, dstText: cfg.dstText, test: cfg.test, api: 'msg' as const, payloadLen: cfg.payloadLen,
  notificationLimit: cfg.notificationLimit, cork: cfg.cork,
});

/** The hint of a `missing notifications` line: what on the path holds the notifications back, from the doctor's checks. */
export async function missingHint(cfg: Config): Promise<string | null> {
  const { explain } = await doctor();
  const d = (await explain(runShape(cfg))).diagnosis;
  if (!d) return null;
  const mtu = d.checks.find((c) => c.name === 'mtu' && c.verdict !== 'ok');
  if (mtu) return `${mtu.detail}; a fragment held in reassembly holds its notification: ${mtu.fix}`;
  const optmem = d.checks.find((c) => c.name === 'optmem_max' && c.verdict !== 'ok');
  if (optmem) return `${optmem.detail}; fix: ${optmem.fix}`;
  return 'the path still held the last sends 500 ms after the run: a receiver that stopped reading, or a queue on the path';
}

const CPU_SET_BYTES = 128; // sizeof(cpu_set_t)

/** do_setcpu: pin to one CPU; on failure warn and go on, as the selftest does. */
export function pinCpu(cpu: number, verbose: number, log: (l: string) => void): boolean {
  const mask = allocNative(CPU_SET_BYTES);
  if (cpu < CPU_SET_BYTES * 8) mask.u8[cpu >> 3] |= 1 << (cpu & 7);
  if (sched_setaffinity(0, CPU_SET_BYTES, mask.addr) !== 0) {
    // the selftest's do_setcpu prints this one line, -v or not
    log('cpu: unable to pin, may increase variance.');
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
      const switches0 = process.resourceUsage().voluntaryContextSwitches;
      const r = await runReceiver(cfg, ctl, (iv) => log(receiverIntervalLine(iv)));
      const cpu = cpuSince(cpu0);
      const switches = process.resourceUsage().voluntaryContextSwitches - switches0;
      log(receiverLine(r));
      // What was not the sender's: counted and told after the line. Without --peer the selftest's exit
      // status stays (it exits 1 at the first stray datagram); with it, refusing them is the receiver's job.
      const stray = r.foreign ? foreignLine(r.foreign) : '';
      const strayFails = !!stray && !cfg.peer && !!r.foreign?.datagrams;
      if (stray) {
        log(strayFails ? `${prog}: ${stray} (give the receiver the same -s as the sender, and keep other traffic off its port)` : stray);
      }
      // --rx mmap: one line after the classic one; --expect-mapped: one line more when short.
      if (r.rx && r.rx.mode === 'mmap') log(rxMmapLine(r.rx, r.bytes, { ...cpu, voluntarySwitches: switches }));
      if (r.validator) log(r.validator.line());
      const short = mappedShortfall(cfg.expectMapped, r.rx, r.bytes, cfg.family);
      if (short) log(`${prog}: ${short.line}`);
      const status = ctl.exitCode ?? (strayFails ? 1 : short ? short.exitCode : r.validator && r.validator.badBytes > 0 ? 1 : 0);
      if (cfg.json) {
        const base = { ...receiverReport(cfg, r, cpu, status, fdTable, switches), environment: await environmentOf(cfg) };
        const report = cfg.validate ? { ...base, validate: r.validator?.toJSON() ?? null } : base;
        process.stdout.write(`${JSON.stringify(report)}\n`);
      }
      return status;
    }
    const r = await runSender(cfg, ctl, log, (iv) => log(senderIntervalLine(iv, cfg.zerocopy)), { missingHint: () => missingHint(cfg) });
    const cpu = cpuSince(cpu0);
    log(senderLine({ ...r, completions: r.tracker.completions }));
    if (cfg.gsoSize) log(gsoLine(cfg, r));
    if (cfg.hugepages) log(`huge pages: ${r.backing ?? 'none'}`);
    // Where the selftest would still be waiting for room: the partial line above, then why it ended.
    if (r.stall) log(`${prog}: ${r.stall.error.line}`);
    // Ours, after the selftest's lines: the outcome (-z without -Z), and why completions were copied.
    const { completions, copied } = r.tracker;
    let because: string | null = null;
    let walk: import('../environment/path.js').PathWalk | null | undefined;
    if (cfg.zerocopy && copied > 0) {
      const { explain, copiedBecause } = await doctor();
      const e = await explain(runShape(cfg));
      because = copiedBecause(e.diagnosis);
      walk = e.walk;
    }
    if (cfg.zerocopy && (copied > 0 || cfg.expectZerocopy === -1)) {
      const line = outcomeLine(completions, copied, because);
      if (line) log(line);
    }
    const status = ctl.exitCode ?? (r.stall ? r.stall.error.exitCode : r.tracker.mismatched ? 1 : 0);
    if (cfg.json) {
      const base = { ...senderReport(cfg, r, cpu, status, fdTable), copiedBecause: because, environment: await environmentOf(cfg, walk) };
      // --gso and --hugepages add their fields; without them the report is what it was.
      const report = cfg.gsoSize || cfg.hugepages ? { ...base, ...gsoFields(cfg, r) } : base;
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
    return status;
  } catch (e) {
    if (!(e instanceof ToolError)) throw e;
    log(`${prog}: ${e.line}`);
    if (cfg.json) {
      // a sender that failed while sending: what it had counted, as the last key (new keys go at the end)
      const report = {
        ...errorReport(cfg, e.message, e.hint ?? null, e.exitCode), environment: await environmentOf(cfg),
        ...(e.counters ? { counters: e.counters } : {}),
      };
      process.stdout.write(`${JSON.stringify(report)}\n`);
    }
    return e.exitCode;
  } finally {
    ctl.uninstall();
  }
}
