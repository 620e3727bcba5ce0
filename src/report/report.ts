// SPDX-License-Identifier: GPL-2.0-only
// What a run prints: the selftest's classic stderr lines, and the --json report.
import type { Config } from '../core/config.js';
import type { ReceiverResult } from '../receiver/receiver.js';
import type { SenderResult } from '../sender/sender.js';

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

function rates(bytes: number, packets: number, durationMs: number, cpu: CpuTime) {
  const secs = durationMs / 1000;
  const cpuUs = cpu.userUs + cpu.sysUs;
  return {
    throughputBps: secs > 0 ? bytes / secs : 0,
    throughputGbps: secs > 0 ? (bytes * 8) / secs / 1e9 : 0,
    packetsPerSec: secs > 0 ? packets / secs : 0,
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

/** Whether the run had a file descriptor table of its own (see privateFdTable in src/libc). */
export type FdTable = 'private' | 'shared';

function common(cfg: Config, fdTable: FdTable) {
  return {
    tool: 'msg-zerocopy',
    test: cfg.test,
    family: cfg.family,
    zerocopy: cfg.zerocopy,
    payloadLen: cfg.payloadLen,
    payloadOffset: cfg.payloadOffset,
    port: cfg.port,
    dst: cfg.dstText,
    runtimeMs: cfg.runtimeMs,
    fdTable,
  };
}

export function senderReport(cfg: Config, r: SenderResult, cpu: CpuTime, exitStatus: number, fdTable: FdTable) {
  const t = r.tracker;
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
    expectedCompletions: r.expectedCompletions,
    completions: t.completions,
    uniqueCompletions: t.unique,
    notifications: t.notifications,
    copiedCompletions: t.copied,
    zerocopiedCompletions: t.zerocopied,
    copiedShare: t.completions > 0 ? t.copied / t.completions : null,
    gaps: t.gaps,
    outOfOrder: t.outOfOrder,
    duplicates: t.duplicates,
    missingNotifications: r.missingNotifications,
    expectationMet: cfg.expectZerocopy === -1 ? null : !t.mismatched,
    zc: r.zc,
    ...rates(r.bytes, r.packets, r.durationMs, cpu),
    interrupted: r.interrupted,
    /** The socket stayed unwritable past the end of the run (exit 1); the line, its hint and figures in `stall`. */
    stalled: !!r.stall,
    stall: r.stall
      ? { message: r.stall.error.message, hint: r.stall.error.hint ?? null, notWritableMs: r.stall.notWritableMs, pastDeadlineMs: r.stall.pastDeadlineMs }
      : null,
    exitStatus,
  };
}

export function receiverReport(cfg: Config, r: ReceiverResult, cpu: CpuTime, exitStatus: number, fdTable: FdTable) {
  return {
    role: 'receiver' as const,
    ...common(cfg, fdTable),
    startedAt: new Date(r.startedAt).toISOString(),
    durationMs: r.durationMs,
    packets: r.packets,
    bytes: r.bytes,
    ...rates(r.bytes, r.packets, r.durationMs, cpu),
    interrupted: r.interrupted,
    /** tcp: ended at the sender's EOF rather than at the deadline. */
    peerClosed: r.peerClosed,
    exitStatus,
  };
}

export type SenderReport = ReturnType<typeof senderReport>;
export type ReceiverReport = ReturnType<typeof receiverReport>;

/** The report of a run that ended in an error before it had counters (bad input, a refused call). */
export function errorReport(cfg: Pick<Config, 'rx' | 'test' | 'family' | 'zerocopy'>, error: string, hint: string | null,
  exitStatus: number) {
  return {
    role: cfg.rx ? 'receiver' as const : 'sender' as const,
    tool: 'msg-zerocopy' as const,
    test: cfg.test,
    family: cfg.family,
    zerocopy: cfg.zerocopy,
    error,
    hint,
    exitStatus,
  };
}

export type ErrorReport = ReturnType<typeof errorReport>;
/** Any --json report a classic run prints: the type the readers in src/report/read.ts return. */
export type ClassicReport = SenderReport | ReceiverReport | ErrorReport;
