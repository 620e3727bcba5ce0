// SPDX-License-Identifier: GPL-2.0-only
// What a run prints: the selftest's classic stderr lines, and the --json report.
import type { Config } from '../core/config.js';
import type { IntervalRecord } from '../core/intervals.js';
import type { Expectation } from '../core/vocabulary.js';
import { toolHead } from './envelope.js';
import type { CompletionTracker } from '../notify/tracker.js';
import type { ReceiverResult } from '../receiver/receiver.js';
import type { SenderResult } from '../sender/sender.js';
import { formatBitRate, formatBytes } from '../core/units.js';
import type {
  CompletionFields, ErrorReport, FdTable, IntervalReport, Rates, ReceiverReport, RunHead, SenderIntervalReport, SenderReport,
} from './schema.js';
import { rxFields } from './rx.js';

export interface CpuTime {
  userUs: number;
  sysUs: number;
}

/** Megabytes as the selftest prints them: bytes >> 20, exact for any count. */
export const megabytes = (bytes: number): number => Math.floor(bytes / 1048576);

export function senderLine(r: Pick<SenderResult, 'packets' | 'bytes' | 'zc'> & { completions: number }): string {
  return `tx=${r.packets} (${megabytes(r.bytes)} MB) txc=${r.completions} zc=${r.zc}`;
}

export function receiverLine(r: Pick<ReceiverResult, 'packets' | 'bytes'>): string {
  return `rx=${r.packets} (${megabytes(r.bytes)} MB)`;
}

/** The sender's classic line, read back (ours or the C tool's): null when stderr has none. */
export function parseSenderLine(stderr: string): { packets: number; mb: number; completions: number; zc: 'y' | 'n' } | null {
  const m = /^tx=(\d+) \((\d+) MB\) txc=(\d+) zc=([yn])$/m.exec(stderr);
  return m ? { packets: Number(m[1]), mb: Number(m[2]), completions: Number(m[3]), zc: m[4] as 'y' | 'n' } : null;
}

/** The receiver's classic line, read back: null when stderr has none. */
export function parseReceiverLine(stderr: string): { packets: number; mb: number } | null {
  const m = /^rx=(\d+) \((\d+) MB\)$/m.exec(stderr);
  return m ? { packets: Number(m[1]), mb: Number(m[2]) } : null;
}

/**
 * Rates over `dataMs`, the time data moved (sender: first to last send;
 * receiver: first to last byte read), and the CPU over the whole run
 * (`durationMs`). Units are in the names: bytes, bits and packets per
 * second (SI: a GB/s is 1e9 bytes/s). The old names `throughputBps` (bytes/s),
 * `throughputGbps` (Gbit/s) and `packetsPerSec` are aliases of the new ones
 * for one release (0.1.x; see the README) and then go away.
 */
export function rates(bytes: number, packets: number, dataMs: number, durationMs: number, cpu: CpuTime): Rates {
  const secs = dataMs / 1000;
  const cpuUs = cpu.userUs + cpu.sysUs;
  const bytesPerSecond = secs > 0 ? bytes / secs : 0;
  const packetsPerSecond = secs > 0 ? packets / secs : 0;
  return {
    /** The interval the rates are over, ms. */
    dataMs,
    bytesPerSecond,
    bitsPerSecond: bytesPerSecond * 8,
    packetsPerSecond,
    /** Deprecated aliases (one release): bytesPerSecond, bitsPerSecond / 1e9, packetsPerSecond. */
    throughputBps: bytesPerSecond,
    throughputGbps: (bytesPerSecond * 8) / 1e9,
    packetsPerSec: packetsPerSecond,
    cpu: {
      userUs: cpu.userUs,
      sysUs: cpu.sysUs,
      /** CPU seconds spent per GB (1e9 bytes) moved; null when nothing moved. */
      secPerGB: bytes > 0 ? cpuUs / 1e6 / (bytes / 1e9) : null,
      /** Share of one CPU the run kept busy. */
      utilization: durationMs > 0 ? cpuUs / 1000 / durationMs : 0,
    },
  };
}

function common(cfg: Config, fdTable: FdTable): RunHead {
  return {
    ...toolHead(),
    test: cfg.test,
    family: cfg.family,
    zerocopy: cfg.zerocopy,
    payloadLen: cfg.payloadLen,
    payloadOffset: cfg.payloadOffset,
    port: cfg.port,
    dst: cfg.dstText,
    /** -S as given, or null. */
    src: cfg.srcText,
    /** -i as given, or null. */
    ifname: cfg.ifname,
    /** -C: the CPU asked for, or null (whether pinning worked is in the log line, as the selftest's). */
    pinCpu: cfg.cpu,
    /** -v count. */
    verbose: cfg.verbose,
    runtimeMs: cfg.runtimeMs,
    /** -I in seconds, or null (no interval reports). */
    intervalSecs: cfg.intervalMs > 0 ? cfg.intervalMs / 1000 : null,
    fdTable,
  };
}

/** Seconds from the run's start, for an interval's bounds. */
const toSec = (ms: number): number => ms / 1000;

/** What every interval reports (sender and receiver). */
function intervalCommon(r: IntervalRecord): IntervalReport {
  const ms = r.endMs - r.startMs;
  const cpuUs = r.userUs + r.sysUs;
  const bytesPerSecond = ms > 0 ? r.bytes / (ms / 1000) : 0;
  return {
    /** Start and end, seconds since the run's start (startedAt). */
    startSec: toSec(r.startMs),
    endSec: toSec(r.endMs),
    bytes: r.bytes,
    packets: r.packets,
    bytesPerSecond,
    bitsPerSecond: bytesPerSecond * 8,
    packetsPerSecond: ms > 0 ? r.packets / (ms / 1000) : 0,
    /** CPU time of the process in the interval, µs, and the share of one CPU it kept busy. */
    cpu: { userUs: r.userUs, sysUs: r.sysUs, utilization: ms > 0 ? cpuUs / 1000 / ms : 0 },
  };
}

/** A sender's interval in --json: counts in the interval (they sum to the run's totals). */
export function senderInterval(r: IntervalRecord): SenderIntervalReport {
  return {
    ...intervalCommon(r),
    completions: r.completions,
    copiedCompletions: r.copied,
    zerocopiedCompletions: r.completions - r.copied,
  };
}

export const receiverInterval = intervalCommon;

/** "0.50-1.00 s": an interval's bounds, seconds since the run's start. */
const span = (r: IntervalRecord): string => `${toSec(r.startMs).toFixed(2)}-${toSec(r.endMs).toFixed(2)} s`;

/** "1.63 GB at 26.1 Gbit/s": SI units, the rate over the interval. */
function amount(r: IntervalRecord): string {
  const ms = r.endMs - r.startMs;
  return `${formatBytes(r.bytes)} at ${formatBitRate(ms > 0 ? (r.bytes * 8) / (ms / 1000) : 0)}`;
}

/** "CPU 98%": the share of one CPU the process kept busy in the interval. */
function cpuShare(r: IntervalRecord): string {
  const ms = r.endMs - r.startMs;
  return `CPU ${ms > 0 ? Math.round((r.userUs + r.sysUs) / 10 / ms) : 0}%`;
}

/**
 * The sender's line for one interval (stderr, -I):
 * `interval 0.50-1.00 s: 1.63 GB at 26.1 Gbit/s, 24935 sends, 24900 completions (100% copied), CPU 98%`;
 * without -z no completions.
 */
export function senderIntervalLine(r: IntervalRecord, zerocopy: boolean): string {
  const parts = [`interval ${span(r)}: ${amount(r)}`, `${r.packets} sends`];
  if (zerocopy) {
    const share = r.completions > 0 ? ` (${Math.round((100 * r.copied) / r.completions)}% copied)` : '';
    parts.push(`${r.completions} completions${share}`);
  }
  parts.push(cpuShare(r));
  return parts.join(', ');
}

/** The receiver's line for one interval: `interval 0.50-1.00 s: 1.63 GB at 26.1 Gbit/s, 812 reads, CPU 45%`. */
export function receiverIntervalLine(r: IntervalRecord): string {
  return [`interval ${span(r)}: ${amount(r)}`, `${r.packets} reads`, cpuShare(r)].join(', ');
}

/**
 * What a sender report says of its completion notifications, from expectedCompletions to zc: the
 * tracker's counters, in one order for every sender (classic and io_uring). `notifications`: what
 * the sender counts as one (an error-queue notification; an io_uring notification CQE).
 */
export function completionFields(expectZerocopy: Expectation,
  r: { tracker: CompletionTracker; missingNotifications: boolean; zc: 'y' | 'n' }, expectedCompletions: number,
  notifications: number): CompletionFields {
  const t = r.tracker;
  return {
    expectedCompletions,
    completions: t.completions,
    uniqueCompletions: t.unique,
    notifications,
    copiedCompletions: t.copied,
    zerocopiedCompletions: t.zerocopied,
    copiedShare: t.completions > 0 ? t.copied / t.completions : null,
    gaps: t.gaps,
    outOfOrder: t.outOfOrder,
    duplicates: t.duplicates,
    missingNotifications: r.missingNotifications,
    expectationMet: expectZerocopy === -1 ? null : !t.mismatched,
    zc: r.zc,
  };
}

export function senderReport(cfg: Config, r: SenderResult, cpu: CpuTime, exitStatus: number, fdTable: FdTable): SenderReport {
  return {
    role: 'sender' as const,
    ...common(cfg, fdTable),
    cork: cfg.cork,
    corkMixed: cfg.corkMixed,
    notificationLimit: cfg.notificationLimit,
    expectZerocopy: cfg.expectZerocopy === -1 ? null : cfg.expectZerocopy,
    startedAt: new Date(r.startedAt).toISOString(),
    durationMs: r.durationMs,
    packets: r.packets,
    bytes: r.bytes,
    sendCalls: r.calls,
    eagain: r.eagain,
    enobufs: r.enobufs,
    ...completionFields(cfg.expectZerocopy, r, r.expectedCompletions, r.tracker.notifications),
    ...rates(r.bytes, r.packets, r.dataMs, r.durationMs, cpu),
    /** -I: one entry per interval, or null. */
    intervals: r.intervals ? r.intervals.map(senderInterval) : null,
    interrupted: r.interrupted,
    /** The socket stayed unwritable past the end of the run (exit 1); the line, its hint and figures in `stall`. */
    stalled: !!r.stall,
    stall: r.stall
      ? { message: r.stall.error.message, hint: r.stall.error.hint ?? null, notWritableMs: r.stall.notWritableMs, pastDeadlineMs: r.stall.pastDeadlineMs }
      : null,
    exitStatus,
  };
}

export function receiverReport(cfg: Config, r: ReceiverResult, cpu: CpuTime, exitStatus: number, fdTable: FdTable,
  voluntarySwitches = 0): ReceiverReport {
  return {
    role: 'receiver' as const,
    ...common(cfg, fdTable),
    startedAt: new Date(r.startedAt).toISOString(),
    durationMs: r.durationMs,
    packets: r.packets,
    bytes: r.bytes,
    ...rates(r.bytes, r.packets, r.dataMs, r.durationMs, cpu),
    /** -I: one entry per interval, or null. */
    intervals: r.intervals ? r.intervals.map(receiverInterval) : null,
    interrupted: r.interrupted,
    /** tcp: ended at the sender's EOF rather than at the deadline. */
    peerClosed: r.peerClosed,
    /** What the receiver refused as not its sender's (never counted above); --peer: whom it took. */
    foreign: foreignReport(r.foreign),
    peer: cfg.peer ? { address: cfg.peer.text, port: cfg.peer.port } : null,
    /** tcp: --rx and what it mapped and copied (src/report/rx.ts). */
    ...(r.rx ? rxFields(r.rx, r.bytes, { ...cpu, voluntarySwitches }) : {}),
    exitStatus,
  };
}

/** The receiver's `foreign` object: connections and datagrams refused, the datagrams by why. */
export function foreignReport(f: ReceiverResult['foreign']) {
  return {
    connections: f?.connections ?? 0,
    datagrams: f?.datagrams ?? 0,
    wrongSize: f?.wrongSize ?? 0,
    wrongPayload: f?.wrongPayload ?? 0,
    first: f?.first ?? null,
  };
}

/** The report of a run that ended in an error before it had counters (bad input, a refused call). */
export function errorReport(cfg: Pick<Config, 'rx' | 'test' | 'family' | 'zerocopy'>, error: string, hint: string | null,
  exitStatus: number, counters?: Record<string, number>): ErrorReport {
  const report: ErrorReport = {
    role: cfg.rx ? 'receiver' as const : 'sender' as const,
    ...toolHead(),
    test: cfg.test,
    family: cfg.family,
    zerocopy: cfg.zerocopy,
    error,
    hint,
    exitStatus,
  };
  // a run that failed after it started sending: its counters until then (the last key, so older readers see the same head)
  if (counters) report.counters = counters;
  return report;
}

export type {
  ClassicReport, CompletionFields, ErrorReport, FdTable, IntervalReport, Rates, ReceiverReport, RunHead, SenderIntervalReport,
  SenderReport,
} from './schema.js';
