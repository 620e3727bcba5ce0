// SPDX-License-Identifier: GPL-2.0-only
// One measured run of a sweep: our sender (and for tx-rx our receiver,
// started first) inside a lab's namespaces, each with --json; the sender's
// report becomes a run record.

import {
  childError, childFailure, ownCommand, spawnChild, waitReady, type Child, type ChildResult,
} from '../lab/child.js';
import { nsExecArgv, type Lab } from '../lab/lab.js';

export type Mode = 'copy' | 'zerocopy';
export type SweepTest = 'udp' | 'tcp';
export type SweepPath = 'tx-only' | 'tx-rx';
export const MODES: readonly Mode[] = ['copy', 'zerocopy'];

export interface RunSettings {
  test: SweepTest;
  family: 4 | 6;
  path: SweepPath;
  /** Sender -t in seconds (the receiver gets one more). */
  duration: number;
  port: number;
  /** Time a child may overrun its own run time before it is killed. */
  slackMs: number;
}

export interface RunSpec {
  /** 1-based position in the plan. */
  index: number;
  size: number;
  mode: Mode;
  /** 1-based repetition. */
  rep: number;
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
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const runtimeMs = (secs: number): number => 200 + secs * 1000;

export function destination(lab: Pick<Lab, 'addr'>, s: Pick<RunSettings, 'family' | 'path'>): string {
  const a = lab.addr[s.family];
  return s.path === 'tx-rx' ? a.dst : a.txOnly;
}

/** Expected notification outcome of a zerocopy sender on this path. */
export const expectation = (path: SweepPath): 0 | 1 => (path === 'tx-only' ? 1 : 0);

export function senderArgs(lab: Pick<Lab, 'addr'>, s: RunSettings, r: Pick<RunSpec, 'size' | 'mode'>): string[] {
  const args = [`-${s.family}`, '-p', String(s.port), '-D', destination(lab, s), '-s', String(r.size),
    '-t', String(s.duration)];
  if (r.mode === 'zerocopy') args.push('-z', '-Z', String(expectation(s.path)));
  args.push('--json', s.test);
  return args;
}

export function receiverArgs(lab: Pick<Lab, 'addr'>, s: RunSettings, r: Pick<RunSpec, 'size'>): string[] {
  return [`-${s.family}`, '-p', String(s.port), '-D', lab.addr[s.family].dst, '-s', String(r.size),
    '-t', String(s.duration + 1), '--json', '-r', s.test];
}

/** How a child failed, with what it said (its report's error, else its stderr), or null. */
const failure = (who: string, r: ChildResult): string | null => childFailure(who, r, childError(r));

/** Turn the children's results into a run record. Pure; exported for tests. */
export function record(spec: RunSpec, s: RunSettings, sender: ChildResult | null, receiver: ChildResult | null,
  interrupted: boolean, wallMs: number, senderArgv: string[], receiverArgv: string[] | null): RunRecord {
  const rep = sender?.report ?? null;
  const cpu = (rep?.cpu ?? null) as Record<string, unknown> | null;
  const rrep = receiver?.report ?? null;
  const bytes = num(rep?.bytes);
  const throughputBps = num(rep?.throughputBps);
  const reasons: string[] = [];
  const expect = spec.mode === 'zerocopy' ? expectation(s.path) : null;
  const expectationMet = spec.mode === 'zerocopy' && typeof rep?.expectationMet === 'boolean' ? rep.expectationMet : null;

  if (interrupted) reasons.push('interrupted');
  if (!sender) {
    reasons.push(receiver ? (failure('receiver', receiver) ?? 'receiver was not ready') : 'sender did not run');
  } else {
    const sf = failure('sender', sender);
    if (sf) reasons.push(sf);
    if (!rep) reasons.push('sender printed no JSON report');
    else if (!num(rep.packets)) reasons.push('sender sent nothing');
    if (expectationMet === false) {
      const copied = num(rep?.copiedCompletions);
      const zc = num(rep?.zerocopiedCompletions);
      reasons.push(expect === 1
        ? `expected not copied, ${copied ?? '?'} completions copied`
        : `expected copied, ${zc ?? '?'} completions not copied`);
    }
    if (receiver && !receiver.killed) {
      const rf = failure('receiver', receiver);
      if (rf) reasons.push(rf);
      else if (s.test === 'tcp' && num(rrep?.bytes) !== null && bytes !== null && num(rrep?.bytes) !== bytes) {
        reasons.push(`tcp byte count differs: sent ${bytes}, received ${num(rrep?.bytes)}`);
      }
    }
  }
  const measured = !interrupted && !!sender && !sender.timedOut && sender.signal === null && rep !== null &&
    (bytes ?? 0) > 0 && rep.interrupted == null;
  return {
    ...spec,
    ok: reasons.length === 0,
    reasons: [...new Set(reasons)],
    measured,
    expect,
    expectationMet,
    packets: num(rep?.packets),
    bytes,
    durationMs: num(rep?.durationMs),
    throughputBps,
    throughputGBps: throughputBps === null ? null : throughputBps / 1e9,
    secPerGB: num(cpu?.secPerGB),
    cpuUserUs: num(cpu?.userUs),
    cpuSysUs: num(cpu?.sysUs),
    completions: num(rep?.completions),
    copiedCompletions: num(rep?.copiedCompletions),
    zerocopiedCompletions: num(rep?.zerocopiedCompletions),
    senderExit: sender?.exitCode ?? null,
    receiverExit: receiver?.exitCode ?? null,
    rxPackets: num(rrep?.packets),
    rxBytes: num(rrep?.bytes),
    senderArgv,
    receiverArgv,
    wallMs,
  };
}

export interface RunControl {
  aborted(): boolean;
  /** Called with each child as it starts (so an interrupt can kill it). */
  track(child: Child): void;
}

/** Run one sender (and receiver, tx-rx) in the lab. Never throws for child failures. */
export async function runOne(lab: Lab, s: RunSettings, spec: RunSpec, ctl: RunControl): Promise<RunRecord> {
  const started = Date.now();
  const sArgs = senderArgs(lab, s, spec);
  const rArgs = s.path === 'tx-rx' ? receiverArgs(lab, s, spec) : null;
  let receiver: Child | null = null;
  if (rArgs) {
    receiver = spawnChild(nsExecArgv(lab.rxNs, ownCommand(rArgs)),
      { deadlineMs: runtimeMs(s.duration + 1) + 400 + s.slackMs });
    ctl.track(receiver);
    // The kernel driver starts the receiver 0.2 s before the sender; wait at
    // least that long, and until its socket is bound when that can be seen.
    await waitReady(receiver, {
      family: s.family, test: s.test, port: s.port, minMs: 200, maxMs: 3000 + s.slackMs,
      nsPath: `/run/netns/${lab.rxNs}`, aborted: ctl.aborted,
    });
  }
  let sender: Child | null = null;
  if (!ctl.aborted() && !(receiver?.exited ?? false)) {
    sender = spawnChild(nsExecArgv(lab.txNs, ownCommand(sArgs)), { deadlineMs: runtimeMs(s.duration) + 500 + s.slackMs });
    ctl.track(sender);
  }
  const sOut = sender ? await sender.done : null;
  if (receiver && !receiver.exited) {
    const failed = !sOut || (sOut.exitCode !== 0 && sOut.report === null) || sOut.signal !== null;
    if (failed || ctl.aborted()) receiver.kill();
  }
  const rOut = receiver ? await receiver.done : null;
  const interrupted = ctl.aborted() && (!sOut || sOut.killed || sOut.signal !== null || sOut.exitCode === 130 ||
    sOut.exitCode === 143 || (rOut?.killed ?? false));
  return record(spec, s, sOut, rOut, interrupted, Date.now() - started, sArgs, rArgs);
}
