// SPDX-License-Identifier: GPL-2.0-only
// Run one suite case inside a lab: receiver (tx-rx only) in the receiver
// namespace, sender in the sender namespace, each with a deadline; then judge.

import { readFileSync } from 'node:fs';
import { childFailure as failure, spawnChild, waitReady, type Child } from '../lab/child.js';
import { nsExecArgv, type Lab } from '../lab/lab.js';
import type { SuiteCase } from './cases.js';
import { childOutcome, type ChildOutcome } from './child.js';

export interface BinSpec {
  /** Executable (our bin/msg-zerocopy or a C msg_zerocopy). */
  path: string;
  /** Run with Node (our CLI) and ask for --json; false for a native binary. */
  node: boolean;
  /** Pass -Z (the expectation); false for releases before it existed (6.12). */
  expectFlag: boolean;
}

/** Decide how to run a binary: a Node script (shebang node / .js) or native. */
export function binSpec(path: string): BinSpec {
  if (/\.(c|m)?js$/.test(path)) return { path, node: true, expectFlag: true };
  try {
    const head = readFileSync(path, { encoding: 'latin1', flag: 'r' }).slice(0, 128);
    return { path, node: head.startsWith('#!') && /\bnode\b/.test(head.split('\n')[0]), expectFlag: true };
  } catch {
    return { path, node: false, expectFlag: true };
  }
}

export interface RunOptions {
  bin: BinSpec;
  /** Sender -t (seconds); the receiver gets one more, as the kernel driver. */
  duration: number;
  /** -s for both sides, or null for the tool's default. */
  size: number | null;
  port: number;
  /** Passthrough flags, appended after the suite's own (so they can override). */
  extra: string[];
  /** Extra time a child may take past its own run time before it is killed. */
  slackMs: number;
}

export type Verdict = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  case: SuiteCase;
  verdict: Verdict;
  /** Why it failed or was skipped (empty when it passed). */
  reasons: string[];
  sender: ChildOutcome | null;
  receiver: ChildOutcome | null;
  tx: { packets: number | null; bytes: number | null };
  rx: { packets: number | null; bytes: number | null } | null;
  throughputBps: number | null;
  completions: number | null;
  copiedCompletions: number | null;
  zerocopiedCompletions: number | null;
  /** Share of completions reported copied (0..1), null when unknown or none. */
  copiedShare: number | null;
  wallMs: number;
}

/** Time a run of `secs` takes by the selftest's rules: 200 ms + secs × 1000 ms. */
export const runtimeMs = (secs: number): number => 200 + secs * 1000;

function baseArgs(c: SuiteCase, lab: Lab, o: RunOptions, dst: string): string[] {
  const a = lab.addr[c.family];
  const args = [`-${c.family}`, '-i', lab.dev, '-p', String(o.port), '-S', a.src, '-D', dst];
  if (o.size !== null) args.push('-s', String(o.size));
  if (o.bin.node) args.push('--json');
  return args;
}

function command(ns: string, o: RunOptions, args: string[]): string[] {
  const exe = o.bin.node ? [process.execPath, o.bin.path] : [o.bin.path];
  return nsExecArgv(ns, [...exe, ...args]);
}

export function senderArgs(c: SuiteCase, lab: Lab, o: RunOptions): string[] {
  const dst = c.path === 'tx-rx' ? lab.addr[c.family].dst : lab.addr[c.family].txOnly;
  const args = [...baseArgs(c, lab, o, dst), '-t', String(o.duration)];
  if (c.mode === 'zerocopy') args.push('-z');
  args.push(c.test);
  if (o.bin.expectFlag) args.push('-Z', String(c.expect));
  args.push(...o.extra);
  return args;
}

export function receiverArgs(c: SuiteCase, lab: Lab, o: RunOptions): string[] {
  const args = [...baseArgs(c, lab, o, lab.addr[c.family].dst), '-t', String(o.duration + 1), ...o.extra];
  args.push('-r', c.rxMode ?? 'raw');
  return args;
}

const UNSUPPORTED = /Operation not supported|EOPNOTSUPP|not supported/i;

const childFailure = (ch: ChildOutcome): string | null => failure(ch.role, ch, ch.errorLine);

/** Judge a finished case. Exported for unit tests. */
export function judge(c: SuiteCase, sender: ChildOutcome | null, receiver: ChildOutcome | null,
  o: Pick<RunOptions, 'duration'>, interrupted: boolean): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  if (interrupted) return { verdict: 'fail', reasons: ['interrupted'] };
  if (!sender) {
    const rf = receiver ? childFailure(receiver) : null;
    return {
      verdict: 'fail',
      reasons: rf ? [rf, 'sender not started: the receiver ended first'] : ['sender did not run'],
    };
  }

  // Kernels that accept SO_ZEROCOPY only on TCP/UDP refuse it on raw and
  // packet sockets with EOPNOTSUPP: that is a skip, not a failure.
  if (c.mode === 'zerocopy' && !sender.timedOut && sender.exitCode !== 0 && sender.exitCode !== null &&
      sender.packets === null && UNSUPPORTED.test(`${sender.errorLine ?? ''}\n${sender.stderr}`)) {
    return {
      verdict: 'skip',
      reasons: [`SO_ZEROCOPY not supported on ${c.test} sockets by this kernel (${sender.errorLine ?? 'EOPNOTSUPP'})`],
    };
  }

  const sf = childFailure(sender);
  if (sf) reasons.push(sf);
  if (receiver && !receiver.killed) {
    const rf = childFailure(receiver);
    if (rf) reasons.push(rf);
  }
  if (!sf) {
    if (sender.packets === null) reasons.push('sender printed no tx= line');
    else if (sender.packets === 0) reasons.push('sender sent nothing');
    if (receiver && !receiver.killed) {
      if (receiver.packets === null) reasons.push('receiver printed no rx= line');
      else if (receiver.packets === 0) reasons.push('receiver received nothing');
      else if (c.test === 'tcp' && sender.bytes !== null && receiver.bytes !== null &&
               sender.bytesExact && receiver.bytesExact && receiver.bytes !== sender.bytes) {
        reasons.push(`tcp byte count differs: sent ${sender.bytes}, received ${receiver.bytes}`);
      }
    }
    if (c.mode === 'zerocopy') {
      const comp = sender.completions;
      if (comp === null) reasons.push('no completion count');
      else if (comp === 0 && (sender.packets ?? 0) > 0) reasons.push('no completions');
      if (sender.expectedCompletions !== null && comp !== null && comp < sender.expectedCompletions) {
        reasons.push(`missing notifications: ${comp} < ${sender.expectedCompletions}`);
      }
      if (sender.copiedCompletions !== null && sender.zerocopiedCompletions !== null && comp) {
        if (c.expect === 0 && sender.zerocopiedCompletions > 0) {
          reasons.push(`${sender.zerocopiedCompletions} of ${comp} completions not copied (expected all copied)`);
        }
        if (c.expect === 1 && sender.copiedCompletions > 0) {
          reasons.push(`${sender.copiedCompletions} of ${comp} completions copied (expected none copied)`);
        }
      } else if (!sender.json && c.expect === 1 && sender.zc !== 'y' && comp) {
        reasons.push('zc=n: completions were copied (expected not copied)');
      } else if (!sender.json && c.expect === 0 && sender.zc === 'y' && comp) {
        reasons.push('zc=y: completions were not copied (expected copied)');
      }
    }
  }
  return { verdict: reasons.length ? 'fail' : 'pass', reasons };
}

export interface CaseControl {
  /** True once the suite is being interrupted. */
  aborted(): boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run one case; never throws for child failures (they become the verdict). */
export async function runCase(c: SuiteCase, lab: Lab, o: RunOptions, ctl: CaseControl,
  onChild?: (ch: Child) => void): Promise<CaseResult> {
  const started = Date.now();
  let receiver: Child | null = null;
  let sender: Child | null = null;
  const rxDeadline = runtimeMs(o.duration + 1) + 400 + o.slackMs;
  const txDeadline = runtimeMs(o.duration) + 500 + o.slackMs;

  if (c.path === 'tx-rx') {
    receiver = spawnChild(command(lab.rxNs, o, receiverArgs(c, lab, o)), { deadlineMs: rxDeadline });
    onChild?.(receiver);
    // The kernel driver sleeps 0.2 s; we wait for the socket itself (at
    // least that long is never needed, at most a few seconds is allowed).
    const t0 = Date.now();
    const ready = await waitReady(receiver, {
      family: c.family, test: c.rxMode ?? 'raw', port: o.port, minMs: 0, maxMs: 3000 + o.slackMs,
      nsPath: `/run/netns/${lab.rxNs}`, aborted: ctl.aborted,
    });
    if (ready !== 'ready' && !receiver.exited && !ctl.aborted()) {
      // Could not see the socket (e.g. /proc hidden): fall back to the driver's 0.2 s.
      const left = 200 - (Date.now() - t0);
      if (left > 0) await sleep(left);
    }
  }
  if (!ctl.aborted() && !(receiver && receiver.exited)) {
    sender = spawnChild(command(lab.txNs, o, senderArgs(c, lab, o)), { deadlineMs: txDeadline });
    onChild?.(sender);
  }
  const senderOut = sender ? childOutcome('sender', sender.pid, await sender.done) : null;
  if (receiver && !receiver.exited) {
    // A sender that failed outright leaves the receiver waiting for nothing.
    const senderFailed = !senderOut || senderOut.exitCode !== 0 || senderOut.signal !== null;
    if (senderFailed || ctl.aborted()) receiver.kill();
  }
  const receiverOut = receiver ? childOutcome('receiver', receiver.pid, await receiver.done) : null;

  const interrupted = ctl.aborted() && (
    !senderOut || senderOut.killed || senderOut.signal !== null || (receiverOut?.killed ?? false));
  const { verdict, reasons } = judge(c, senderOut, receiverOut, o, interrupted);
  const tx = { packets: senderOut?.packets ?? null, bytes: senderOut?.bytes ?? null };
  const rx = receiverOut ? { packets: receiverOut.packets, bytes: receiverOut.bytes } : null;
  let throughputBps = senderOut?.throughputBps ?? null;
  if (throughputBps === null && senderOut?.bytes != null && senderOut.packets !== null) {
    const ms = senderOut.durationMs ?? runtimeMs(o.duration);
    throughputBps = senderOut.bytes / (ms / 1000);
  }
  const comp = senderOut?.completions ?? null;
  let copied = senderOut?.copiedCompletions ?? null;
  let zerocopied = senderOut?.zerocopiedCompletions ?? null;
  if (copied === null && comp !== null && senderOut && !senderOut.json && c.mode === 'zerocopy' && comp > 0) {
    // Classic line only: zc=y means the expectation "not copied" held for all.
    if (c.expect === 1) {
      copied = senderOut.zc === 'y' ? 0 : null;
      zerocopied = senderOut.zc === 'y' ? comp : null;
    } else if (senderOut.exitCode === 0 && senderOut.zc === 'n' && (o.bin.expectFlag || comp > 0)) {
      copied = comp; // -Z 0 held (the tool exits 1 otherwise); old tools print zc=n when copied
      zerocopied = 0;
    }
  }
  return {
    case: c, verdict, reasons,
    sender: senderOut, receiver: receiverOut,
    tx, rx, throughputBps,
    completions: comp,
    copiedCompletions: copied,
    zerocopiedCompletions: zerocopied,
    copiedShare: comp && copied !== null ? copied / comp : null,
    wallMs: Date.now() - started,
  };
}
