// SPDX-License-Identifier: GPL-2.0-only
// One measured run of a sweep: our sender (and for tx-rx our receiver,
// started first) inside a lab's namespaces, each with --json; the sender's
// report becomes a run record.

import { loadavg } from 'node:os';
import { childError, childFailure, type ChildResult } from '../run/child.js';
import type { Environment } from '../environment/environment.js';
import type { Lab } from '../lab/lab.js';
import { isReceiverReport, isSenderReport, readReport } from '../report/read.js';
import { classicArgv, specArgv, type AnySenderSpec, type ReceiverSpec } from '../run/classic.js';
import { ownProgram } from '../run/launch.js';
import { readinessFailure, runClassic, type RunHooks } from '../run/run.js';
import { reportBrokeExpectation, sentNothing, tcpBytesDiffer } from '../verdict/verdict.js';
import { expectationFor, MODES, type Api, type Family, type Mode, type Path, type UringTest } from '../core/vocabulary.js';

export type { Mode };
export { MODES };
/** sweep and compare run the tests with ports, which io_uring also sends: udp (the default) and tcp. */
export type SweepTest = UringTest;
export const SWEEP_TESTS: readonly SweepTest[] = ['udp', 'tcp'];
export type SweepPath = Path;

export interface RunSettings {
  test: SweepTest;
  family: Family;
  path: SweepPath;
  /** Sender -t in seconds (the receiver gets one more). */
  duration: number;
  port: number;
  /** Time a child may overrun its own run time before it is killed. */
  slackMs: number;
  /** -P for sender and receiver (absent or 1: one flow): every figure is then the sum of the flows. */
  flows?: number;
  /** -C/--cpus: the sender's and the receiver's CPU (classic -C), or absent. */
  senderCpu?: number | null;
  receiverCpu?: number | null;
}

export interface RunSpec {
  /** 1-based position in the plan. */
  index: number;
  size: number;
  mode: Mode;
  /** 1-based repetition. */
  rep: number;
  /** The send interface (absent: msg, MSG_ZEROCOPY). */
  api?: Api;
}

export interface RunRecord extends RunSpec {
  /** The run ended as expected: exit 0 on both sides, a report, data moved. */
  ok: boolean;
  /** Why not (empty when ok). */
  reasons: string[];
  /** The run produced numbers that go into the statistics. */
  measured: boolean;
  /** -Z given to a zerocopy sender (1 tx-only, 0 tx-rx); null for copy runs. */
  expect: 0 | 1 | null;
  /** Whether the completions matched -Z (zerocopy runs), from the sender's report. */
  expectationMet: boolean | null;
  packets: number | null;
  bytes: number | null;
  durationMs: number | null;
  throughputBps: number | null;
  /** Bytes per second / 1e9. */
  throughputGBps: number | null;
  /** Sender CPU seconds per GB (1e9 bytes) sent. */
  secPerGB: number | null;
  cpuUserUs: number | null;
  cpuSysUs: number | null;
  completions: number | null;
  copiedCompletions: number | null;
  zerocopiedCompletions: number | null;
  senderExit: number | null;
  receiverExit: number | null;
  rxPackets: number | null;
  rxBytes: number | null;
  senderArgv: string[];
  receiverArgv: string[] | null;
  wallMs: number;
  /** 1, 5 and 15 minute load averages read right after the run (null in a record made from outputs alone). */
  loadAverage?: number[] | null;
  /** The sender report's environment block (left out of the runs in --json: the document has the first one). */
  environment?: Environment | null;
}

export function destination(lab: Pick<Lab, 'addr'>, s: Pick<RunSettings, 'family' | 'path'>): string {
  const a = lab.addr[s.family];
  return s.path === 'tx-rx' ? a.dst : a.txOnly;
}

/** Expected notification outcome of a zerocopy sender on this path. */
export const expectation = expectationFor;

/** io_uring runs: copy is a plain IORING_OP_SEND (-m 0), zerocopy SEND_ZC from a registered buffer (-m 2, its default). */
export const URING_MODE = { copy: 0, zerocopy: 2 } as const;
/** Requests per submit, as the kernel's io_uring driver: 32 for udp, 1 for tcp. */
export const uringBatch = (test: SweepTest): number => (test === 'udp' ? 32 : 1);

export function senderSpec(lab: Pick<Lab, 'addr'>, s: RunSettings, r: Pick<RunSpec, 'size' | 'mode' | 'api'>): AnySenderSpec {
  const expect = r.mode === 'zerocopy' ? expectation(s.path) : null;
  if (r.api === 'uring') {
    return {
      role: 'sender', api: 'uring', family: s.family, test: s.test, port: s.port, dst: destination(lab, s), size: r.size,
      secs: s.duration, mode: URING_MODE[r.mode], batch: uringBatch(s.test), expect, json: true,
    };
  }
  return {
    role: 'sender', family: s.family, test: s.test, port: s.port, dst: destination(lab, s), size: r.size,
    secs: s.duration, zerocopy: r.mode === 'zerocopy', expect: r.mode === 'zerocopy' ? expectation(s.path) : null,
    json: true, flows: s.flows, cpu: s.senderCpu ?? null,
  };
}

/** The receiver of a tx-rx run: one second longer than the sender, as the kernel driver. */
export function receiverSpec(lab: Pick<Lab, 'addr'>, s: RunSettings, r: Pick<RunSpec, 'size'>): ReceiverSpec {
  return {
    role: 'receiver', family: s.family, test: s.test, port: s.port, dst: lab.addr[s.family].dst, size: r.size,
    secs: s.duration + 1, json: true, flows: s.flows, cpu: s.receiverCpu ?? null,
  };
}

export const senderArgs = (lab: Pick<Lab, 'addr'>, s: RunSettings, r: Pick<RunSpec, 'size' | 'mode' | 'api'>): string[] =>
  specArgv(senderSpec(lab, s, r));
export const receiverArgs = (lab: Pick<Lab, 'addr'>, s: RunSettings, r: Pick<RunSpec, 'size'>): string[] =>
  classicArgv(receiverSpec(lab, s, r));

/** How a child failed, with what it said (its report's error, else its stderr), or null. */
const failure = (who: string, r: ChildResult): string | null => childFailure(who, r, childError(r));

/** Turn the children's results into a run record. Pure; exported for tests. */
export function record(spec: RunSpec, s: RunSettings, sender: ChildResult | null, receiver: ChildResult | null,
  interrupted: boolean, wallMs: number, senderArgv: string[], receiverArgv: string[] | null): RunRecord {
  const parsed = sender ? readReport(sender.stdout) : null;
  const rep = isSenderReport(parsed) ? parsed : null;
  const rparsed = receiver ? readReport(receiver.stdout) : null;
  const rrep = isReceiverReport(rparsed) ? rparsed : null;
  const bytes = rep?.bytes ?? null;
  const throughputBps = rep?.throughputBps ?? null;
  const reasons: string[] = [];
  const expect = spec.mode === 'zerocopy' ? expectation(s.path) : null;
  const expectationMet = spec.mode === 'zerocopy' ? (rep?.expectationMet ?? null) : null;

  if (interrupted) reasons.push('interrupted');
  if (!sender) {
    reasons.push(receiver ? (failure('receiver', receiver) ?? 'receiver was not ready') : 'sender did not run');
  } else {
    const sf = failure('sender', sender);
    if (sf) reasons.push(sf);
    const nothing = sentNothing(rep ? rep.packets : null, 'sender printed no JSON report');
    if (nothing) reasons.push(nothing);
    if (expectationMet === false) reasons.push(reportBrokeExpectation(expect, rep?.copiedCompletions, rep?.zerocopiedCompletions));
    if (receiver && !receiver.killed) {
      const rf = failure('receiver', receiver) ?? tcpBytesDiffer(s.test, bytes, rrep?.bytes ?? null);
      if (rf) reasons.push(rf);
    }
  }
  const measured = !interrupted && !!sender && !sender.timedOut && sender.signal === null && rep !== null &&
    (bytes ?? 0) > 0 && rep.interrupted === null;
  return {
    ...spec,
    ok: reasons.length === 0,
    reasons: [...new Set(reasons)],
    measured,
    expect,
    expectationMet,
    packets: rep?.packets ?? null,
    bytes,
    durationMs: rep?.durationMs ?? null,
    throughputBps,
    throughputGBps: throughputBps === null ? null : throughputBps / 1e9,
    secPerGB: rep?.cpu.secPerGB ?? null,
    cpuUserUs: rep?.cpu.userUs ?? null,
    cpuSysUs: rep?.cpu.sysUs ?? null,
    completions: rep?.completions ?? null,
    copiedCompletions: rep?.copiedCompletions ?? null,
    zerocopiedCompletions: rep?.zerocopiedCompletions ?? null,
    senderExit: sender?.exitCode ?? null,
    receiverExit: receiver?.exitCode ?? null,
    rxPackets: rrep?.packets ?? null,
    rxBytes: rrep?.bytes ?? null,
    senderArgv,
    receiverArgv,
    wallMs,
    loadAverage: null,
    environment: (rep as { environment?: Environment } | null)?.environment ?? null,
  };
}

/** Run one sender (and receiver, tx-rx) in the lab. Never throws for child failures. */
export async function runOne(lab: Lab, s: RunSettings, spec: RunSpec, hooks: RunHooks): Promise<RunRecord> {
  const run = await runClassic({
    program: ownProgram(), sender: senderSpec(lab, s, spec), receiver: s.path === 'tx-rx' ? receiverSpec(lab, s, spec) : null,
    senderNs: lab.txNs, receiverNs: lab.rxNs, slackMs: s.slackMs,
  }, hooks);
  const r = record(spec, s, run.sender, run.receiver, run.cutShort, run.wallMs, run.senderArgv, run.receiverArgv);
  r.loadAverage = loadavg();
  const notReady = readinessFailure(run.readiness, run.receiver);
  if (notReady && !r.reasons.includes(notReady)) {
    r.reasons.push(notReady);
    r.ok = false;
  }
  return r;
}
