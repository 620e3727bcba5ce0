// SPDX-License-Identifier: GPL-2.0-only
// One run of the lab's kind, for every command: start the receiver (when
// there is one), wait until its own socket is bound, start the sender, stop
// the receiver if the sender never ran, and say whether the run was cut
// short. Children are spawned by src/lab/child.ts (deadline, SIGTERM then
// SIGKILL, death with their parent); their --json reports are read back by
// src/report/read.ts.
import { readFileSync } from 'node:fs';
import { nsExecArgv } from '../lab/lab.js';
import { ownBinPath, spawnChild, type Child, type ChildResult } from '../lab/child.js';
import { parseSenderLine } from '../report/report.js';
import { isSenderReport, readReport } from '../report/read.js';
import { classicArgv, deadlineFor, specArgv, type AnySenderSpec, type ReceiverSpec } from './classic.js';
import { waitReady, type Readiness } from './ready.js';

/** The msg_zerocopy executable a run starts: ours, or another (the C selftest). */
export interface Program {
  path: string;
  /** Run with Node (our CLI, which takes --json); false for a native binary. */
  node: boolean;
  /** Pass -Z (the expectation); false for C releases before it existed (6.12). */
  expectFlag: boolean;
}

/** Our own executable. */
export const ownProgram = (): Program => ({ path: ownBinPath(), node: true, expectFlag: true });

/** Decide how to run an executable: a Node script (shebang node, .js) or native. */
export function programAt(path: string): Program {
  if (/\.(c|m)?js$/.test(path)) return { path, node: true, expectFlag: true };
  try {
    const head = readFileSync(path, { encoding: 'latin1', flag: 'r' }).slice(0, 128);
    return { path, node: head.startsWith('#!') && /\bnode\b/.test(head.split('\n')[0]), expectFlag: true };
  } catch {
    return { path, node: false, expectFlag: true };
  }
}

/** argv that runs `program` with `args`, inside network namespace `ns` when given. */
export function programArgv(program: Program, args: string[], ns?: string): string[] {
  const exe = program.node ? [process.execPath, program.path, ...args] : [program.path, ...args];
  return ns ? nsExecArgv(ns, exe) : exe;
}

/** How long a receiver may take to have its socket bound before the run gives up on it. */
export const READY_MAX_MS = 5000;

export interface RunHooks {
  /** True once the command is being stopped (first signal). */
  aborted(): boolean;
  /** Each child as it starts, so that a stop can reach it. */
  track(child: Child): void;
}

export interface RunPlan {
  program: Program;
  sender: AnySenderSpec;
  /** Null for a tx-only run (nothing listens). */
  receiver: ReceiverSpec | null;
  senderNs?: string;
  receiverNs?: string;
  /** Time a child may overrun its own run before it is killed. */
  slackMs: number;
  /** Called with every complete stderr line of the sender as it arrives. */
  onSenderLine?: (line: string) => void;
}

export interface RunResult {
  sender: ChildResult | null;
  receiver: ChildResult | null;
  senderArgv: string[];
  receiverArgv: string[] | null;
  /** How waiting for the receiver ended (null without one). */
  readiness: Readiness | null;
  /** The command was stopped while this run was going: not a result. */
  cutShort: boolean;
  wallMs: number;
}

/**
 * Start a receiver and wait until its own socket is bound. When it is not
 * ready ('exited', 'timeout', 'aborted') it is being stopped; wait for `done`.
 */
export async function startReceiver(program: Program, spec: ReceiverSpec, ns: string | undefined, slackMs: number,
  hooks: RunHooks, onStderrLine?: (line: string) => void): Promise<{ child: Child; argv: string[]; readiness: Readiness }> {
  const argv = programArgv(program, classicArgv(spec), ns);
  const child = spawnChild(argv, { deadlineMs: deadlineFor(spec, slackMs), onStderrLine });
  hooks.track(child);
  const readiness = await waitReady(child, {
    family: spec.family, test: spec.test, port: spec.port, flows: spec.flows, maxMs: READY_MAX_MS, aborted: hooks.aborted,
  });
  if (readiness !== 'ready') child.kill();
  return { child, argv, readiness };
}

/** The sender ran: it printed counters (a report without an error, or the classic tx= line). */
export function senderRan(r: Pick<ChildResult, 'stdout' | 'stderr'>): boolean {
  return isSenderReport(readReport(r.stdout)) || parseSenderLine(r.stderr) !== null;
}

const SIGNAL_EXITS = new Set([130, 143, 129]);

/** Run one sender, after its receiver when there is one. Never throws for a child's failure. */
export async function runClassic(plan: RunPlan, hooks: RunHooks): Promise<RunResult> {
  const started = Date.now();
  const senderArgv = programArgv(plan.program, specArgv(plan.sender), plan.senderNs);
  const receiverArgv = plan.receiver ? programArgv(plan.program, classicArgv(plan.receiver), plan.receiverNs) : null;
  let receiver: Child | null = null;
  let readiness: Readiness | null = null;
  if (plan.receiver) {
    ({ child: receiver, readiness } = await startReceiver(plan.program, plan.receiver, plan.receiverNs, plan.slackMs, hooks));
  }
  let sender: Child | null = null;
  if (readiness === null || readiness === 'ready') {
    sender = spawnChild(senderArgv, { deadlineMs: deadlineFor(plan.sender, plan.slackMs), onStderrLine: plan.onSenderLine });
    hooks.track(sender);
  }
  const s = sender ? await sender.done : null;
  // A sender that never ran leaves its receiver waiting for nothing.
  if (receiver && !receiver.exited && (!s || !senderRan(s) || s.signal !== null || hooks.aborted())) receiver.kill();
  const r = receiver ? await receiver.done : null;
  const cutShort = hooks.aborted() && (!s || s.killed || s.signal !== null || SIGNAL_EXITS.has(s.exitCode ?? 0) ||
    (r?.killed ?? false));
  return {
    sender: s, receiver: r, senderArgv, receiverArgv: plan.receiver ? receiverArgv : null, readiness, cutShort,
    wallMs: Date.now() - started,
  };
}

/** One line for a receiver that was not ready, or null. */
export function readinessFailure(readiness: Readiness | null, receiver: ChildResult | null): string | null {
  if (readiness === 'timeout') return `receiver did not bind its socket within ${READY_MAX_MS / 1000} s; no sender started`;
  if (readiness === 'exited' && receiver) return 'receiver ended before it was ready; no sender started';
  return null;
}
