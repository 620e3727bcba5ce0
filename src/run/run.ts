// SPDX-License-Identifier: GPL-2.0-only
// One run of the lab's kind, for every command: start the receiver (when
// there is one), wait until its own socket is bound, start the sender, stop
// the receiver if the sender never ran, and say whether the run was cut
// short. Children are started by launch.ts (program, argv, deadline,
// readiness); their --json reports are read back by src/report/read.ts.
import type { Child, ChildResult } from './child.js';
import { parseSenderLine } from '../report/report.js';
import { isSenderReport, readReport } from '../report/read.js';
import type { AnySenderSpec, ReceiverSpec } from './classic.js';
import { launch, launchArgv, type Program } from './launch.js';
import type { Readiness } from './ready.js';

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
  const rx = launch({ spec, program, ns, slackMs, onStderrLine, ready: { maxMs: READY_MAX_MS, aborted: hooks.aborted } });
  hooks.track(rx.child);
  return { child: rx.child, argv: rx.argv, readiness: await rx.ready };
}

/** The sender ran: it printed counters (a report without an error, or the classic tx= line). */
export function senderRan(r: Pick<ChildResult, 'stdout' | 'stderr'>): boolean {
  return isSenderReport(readReport(r.stdout)) || parseSenderLine(r.stderr) !== null;
}

const SIGNAL_EXITS = new Set([130, 143, 129]);

/** Run one sender, after its receiver when there is one. Never throws for a child's failure. */
export async function runClassic(plan: RunPlan, hooks: RunHooks): Promise<RunResult> {
  const started = Date.now();
  let receiver: Child | null = null;
  let receiverArgv: string[] | null = null;
  let readiness: Readiness | null = null;
  if (plan.receiver) {
    ({ child: receiver, argv: receiverArgv, readiness } = await startReceiver(plan.program, plan.receiver, plan.receiverNs, plan.slackMs, hooks));
  }
  const tx = { spec: plan.sender, program: plan.program, ns: plan.senderNs, slackMs: plan.slackMs, onStderrLine: plan.onSenderLine };
  const senderArgv = launchArgv(tx).argv;
  let sender: Child | null = null;
  if (readiness === null || readiness === 'ready') {
    sender = launch(tx).child;
    hooks.track(sender);
  }
  const s = sender ? await sender.done : null;
  // A sender that never ran leaves its receiver waiting for nothing.
  if (receiver && !receiver.exited && (!s || !senderRan(s) || s.signal !== null || hooks.aborted())) receiver.kill();
  const r = receiver ? await receiver.done : null;
  const cutShort = hooks.aborted() && (!s || s.killed || s.signal !== null || SIGNAL_EXITS.has(s.exitCode ?? 0) ||
    (r?.killed ?? false));
  return {
    sender: s, receiver: r, senderArgv, receiverArgv, readiness, cutShort,
    wallMs: Date.now() - started,
  };
}

/** One line for a receiver that was not ready, or null. */
export function readinessFailure(readiness: Readiness | null, receiver: ChildResult | null): string | null {
  if (readiness === 'timeout') return `receiver did not bind its socket within ${READY_MAX_MS / 1000} s; no sender started`;
  if (readiness === 'exited' && receiver) return 'receiver ended before it was ready; no sender started';
  return null;
}
