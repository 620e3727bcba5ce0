// SPDX-License-Identifier: GPL-2.0-only
// Run one suite case inside a lab through the run layer (receiver for tx-rx,
// then the sender, each with its deadline), then judge it.

import type { ChildResult } from '../run/child.js';
import type { Lab } from '../lab/lab.js';
import { classicArgv, runtimeMs, specArgv, type AnySenderSpec, type ReceiverSpec } from '../run/classic.js';
import type { Program } from '../run/launch.js';
import { readinessFailure, runClassic, type RunHooks } from '../run/run.js';
import { childFailure as failure } from '../run/child.js';
import type { SuiteCase } from './cases.js';
import { completionsShort, countsBreakExpectation, receivedNothing, sentNothing, tcpBytesDiffer } from '../verdict/verdict.js';
import { PAGE_PAYLOAD } from '../lab/mtu.js';
import { childOutcome, type ChildOutcome } from './child.js';

export interface RunOptions {
  /** The msg_zerocopy executable (ours, or the C selftest). */
  bin: Program;
  /** Sender -t (seconds); the receiver gets one more, as the kernel driver. */
  duration: number;
  /** -s for both sides, or null for the tool's default. */
  size: number | null;
  port: number;
  /** Passthrough flags, appended after the suite's own (so they can override). */
  extra: string[];
  /** Extra time a child may take past its own run time before it is killed. */
  slackMs: number;
  /** -P for sender and receiver (absent or 1: one flow); tcp and udp only. */
  flows?: number;
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
  /** --rx mmap cases: share of the bytes the receiver mapped, percent; null otherwise. */
  mappedPercent?: number | null;
  wallMs: number;
}

type LabAddr = Pick<Lab, 'addr' | 'dev'>;

/** The sender of a case, as the kernel driver starts it. */
export function senderSpec(c: SuiteCase, lab: LabAddr, o: RunOptions): AnySenderSpec {
  const a = lab.addr[c.family];
  if (c.uring) {
    // The io_uring driver's sender: tcp or udp only, its own flags, -Z as ours.
    return {
      role: 'sender', api: 'uring', family: c.family, test: c.test === 'tcp' ? 'tcp' : 'udp', port: o.port,
      dst: c.path === 'tx-rx' ? a.dst : a.txOnly, size: o.size, secs: o.duration, mode: c.uring.mode,
      batch: c.uring.batch, expect: c.expect, json: true,
    };
  }
  return {
    role: 'sender', family: c.family, test: c.test, ifname: lab.dev, port: o.port, src: a.src,
    dst: c.path === 'tx-rx' ? a.dst : a.txOnly, size: c.rx === 'mmap' && o.size === null ? PAGE_PAYLOAD : o.size, secs: o.duration, json: o.bin.node,
    zerocopy: c.mode === 'zerocopy', expect: o.bin.expectFlag ? c.expect : null, extra: o.extra, flows: o.flows,
  };
}

/** The receiver of a tx-rx case: one second longer than the sender, as the kernel driver. */
export function receiverSpec(c: SuiteCase, lab: LabAddr, o: RunOptions): ReceiverSpec {
  const a = lab.addr[c.family];
  return {
    role: 'receiver', family: c.family, test: c.rxMode ?? 'raw', ifname: lab.dev, port: o.port, src: a.src,
    dst: a.dst, size: c.rx === 'mmap' && o.size === null ? PAGE_PAYLOAD : o.size, secs: o.duration + 1, json: o.bin.node,
    extra: o.extra, flows: o.flows, rxMode: c.rx,
  };
}

export const senderArgs = (c: SuiteCase, lab: LabAddr, o: RunOptions): string[] => specArgv(senderSpec(c, lab, o));
export const receiverArgs = (c: SuiteCase, lab: LabAddr, o: RunOptions): string[] => classicArgv(receiverSpec(c, lab, o));

/** --rx mmap with a zerocopy sender and a page-sized MSS: the least share of bytes mapped, percent. */
export const MIN_MAPPED = 99;

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
    const push = (...rs: Array<string | null>) => { for (const r of rs) if (r) reasons.push(r); };
    push(sentNothing(sender.packets));
    if (receiver && !receiver.killed) {
      // Byte counts only as exact as the lines say them (the classic line rounds to MB).
      const exact = sender.bytesExact && receiver.bytesExact;
      push(receivedNothing(receiver.packets) ?? (exact ? tcpBytesDiffer(c.test, sender.bytes, receiver.bytes) : null));
    }
    // Receive side (--rx mmap): a zerocopy sender's page-multiple writes map; a copying sender's show what they show.
    if (c.rx === 'mmap' && c.mode === 'zerocopy' && receiver && !receiver.killed && receiver.packets) {
      const pct = receiver.mappedPercent;
      if (pct === undefined || pct === null) reasons.push('receiver reported no mapped share');
      else if (pct < MIN_MAPPED) reasons.push(`receiver mapped ${pct.toFixed(4)} % of the bytes (expected at least ${MIN_MAPPED} %)`);
    }
    if (c.mode === 'zerocopy') {
      const comp = sender.completions;
      push(...completionsShort(comp, sender.packets, sender.expectedCompletions));
      if (sender.copiedCompletions !== null && sender.zerocopiedCompletions !== null && comp) {
        push(countsBreakExpectation(c.expect, comp, sender.copiedCompletions, sender.zerocopiedCompletions));
      } else if (!sender.json && c.expect === 1 && sender.zc !== 'y' && comp) {
        reasons.push('zc=n: completions were copied (expected not copied)');
      } else if (!sender.json && c.expect === 0 && sender.zc === 'y' && comp) {
        reasons.push('zc=y: completions were not copied (expected copied)');
      }
    }
  }
  return { verdict: reasons.length ? 'fail' : 'pass', reasons };
}

/** Run one case; never throws for child failures (they become the verdict). */
export async function runCase(c: SuiteCase, lab: Lab, o: RunOptions, hooks: RunHooks): Promise<CaseResult> {
  const started = Date.now();
  const run = await runClassic({
    program: o.bin, sender: senderSpec(c, lab, o), receiver: c.path === 'tx-rx' ? receiverSpec(c, lab, o) : null,
    senderNs: lab.txNs, receiverNs: lab.rxNs, slackMs: o.slackMs,
  }, hooks);
  const out = (role: 'sender' | 'receiver', r: ChildResult | null): ChildOutcome | null => (r ? childOutcome(role, r) : null);
  const senderOut = out('sender', run.sender);
  const receiverOut = out('receiver', run.receiver);
  const { verdict, reasons } = judge(c, senderOut, receiverOut, o, run.cutShort);
  const notReady = readinessFailure(run.readiness, run.receiver);
  if (notReady && !reasons.includes(notReady)) reasons.push(notReady);
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
    mappedPercent: c.rx === 'mmap' ? (receiverOut?.mappedPercent ?? null) : null,
    wallMs: Date.now() - started,
  };
}
