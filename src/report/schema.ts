// SPDX-License-Identifier: GPL-2.0-only
// The run report's schema, written out: what a classic run's --json prints
// (sender, receiver, or an error before any counter), field by field, in
// the order the writers (report.ts) put them. Scripts read these names; the
// golden test (test/e2e/golden-keys.test.ts) holds the order.
import type { Family, TestName } from '../core/vocabulary.js';
import type { TOOL } from './envelope.js';

/** Whether the run had a file descriptor table of its own (see privateFdTable in src/libc). */
export type FdTable = 'private' | 'shared';

/** Who wrote the document (envelope.ts). */
export interface ToolHead {
  tool: typeof TOOL;
  toolVersion: string;
}

/** What both roles say of their configuration. */
export interface RunHead extends ToolHead {
  test: TestName;
  family: Family;
  zerocopy: boolean;
  payloadLen: number;
  payloadOffset: number;
  port: number;
  dst: string;
  /** -S as given, or null. */
  src: string | null;
  /** -i as given, or null. */
  ifname: string | null;
  /** -C: the CPU asked for, or null (whether pinning worked is in the log line, as the selftest's). */
  pinCpu: number | null;
  /** -v count. */
  verbose: number;
  runtimeMs: number;
  /** -I in seconds, or null (no interval reports). */
  intervalSecs: number | null;
  fdTable: FdTable;
}

/** CPU over the whole run. */
export interface RunCpu {
  userUs: number;
  sysUs: number;
  /** CPU seconds spent per GB (1e9 bytes) moved; null when nothing moved. */
  secPerGB: number | null;
  /** Share of one CPU the run kept busy. */
  utilization: number;
}

/** Rates over dataMs, the time data moved; units in the names (SI). */
export interface Rates {
  /** The interval the rates are over, ms. */
  dataMs: number;
  bytesPerSecond: number;
  bitsPerSecond: number;
  packetsPerSecond: number;
  /** Deprecated aliases (one release): bytesPerSecond, bitsPerSecond / 1e9, packetsPerSecond. */
  throughputBps: number;
  throughputGbps: number;
  packetsPerSec: number;
  cpu: RunCpu;
}

/** One interval (-I): counts in the interval (they sum to the run's totals). */
export interface IntervalReport {
  /** Start and end, seconds since the run's start (startedAt). */
  startSec: number;
  endSec: number;
  bytes: number;
  packets: number;
  bytesPerSecond: number;
  bitsPerSecond: number;
  packetsPerSecond: number;
  /** CPU time of the process in the interval, µs, and the share of one CPU it kept busy. */
  cpu: { userUs: number; sysUs: number; utilization: number };
}

export interface SenderIntervalReport extends IntervalReport {
  completions: number;
  copiedCompletions: number;
  zerocopiedCompletions: number;
}

/** What a sender says of its completion notifications (classic and io_uring alike). */
export interface CompletionFields {
  expectedCompletions: number;
  completions: number;
  uniqueCompletions: number;
  /** What the sender counts as one: an error-queue notification; an io_uring notification CQE. */
  notifications: number;
  copiedCompletions: number;
  zerocopiedCompletions: number;
  copiedShare: number | null;
  gaps: number;
  outOfOrder: number;
  duplicates: number;
  missingNotifications: boolean;
  /** -Z held (null: no -Z). */
  expectationMet: boolean | null;
  zc: 'y' | 'n';
}

/** A socket that stayed unwritable past the end of the run (exit 1). */
export interface StallReport {
  message: string;
  hint: string | null;
  notWritableMs: number;
  pastDeadlineMs: number;
}

export type SenderReport = { role: 'sender' } & RunHead & {
  cork: number;
  corkMixed: boolean;
  notificationLimit: number;
  expectZerocopy: 0 | 1 | null;
  startedAt: string;
  durationMs: number;
  packets: number;
  bytes: number;
  sendCalls: number;
  eagain: number;
  enobufs: number;
} & CompletionFields & Rates & {
  /** -I: one entry per interval, or null. */
  intervals: SenderIntervalReport[] | null;
  interrupted: string | null;
  stalled: boolean;
  stall: StallReport | null;
  exitStatus: number;
};

export type ReceiverReport = { role: 'receiver' } & RunHead & {
  startedAt: string;
  durationMs: number;
  packets: number;
  bytes: number;
} & Rates & {
  /** -I: one entry per interval, or null. */
  intervals: IntervalReport[] | null;
  interrupted: string | null;
  /** tcp: ended at the sender's EOF rather than at the deadline. */
  peerClosed: boolean;
  /** What the receiver refused as not its sender's (never counted above). Reports of older releases lack it. */
  foreign?: ForeignReport;
  /** --peer: the only sender it took; null: any, as the selftest. */
  peer?: { address: string; port: number } | null;
} & Partial<RxReport> & {
  exitStatus: number;
};

/** Connections and datagrams a receiver refused (src/receiver/receiver.ts), the datagrams by why, and the first. */
export interface ForeignReport {
  connections: number;
  datagrams: number;
  wrongSize: number;
  wrongPayload: number;
  first: string | null;
}

/**
 * A tcp receiver's read mode (--rx) and what it mapped and copied (issue
 * 19): present for tcp receivers, absent for datagram ones. Written by
 * rxFields (rx.ts).
 */
export interface RxReport {
  rxMode: 'trunc' | 'copy' | 'mmap';
  bytesMapped: number;
  bytesCopied: number;
  /** 0 to 100. */
  mappedPercent: number;
  rcvMss: number;
  /** Receiver CPU (user + sys, the whole process) per MB = 2^20 bytes, µs; null when nothing arrived. */
  cpuUsPerMB: number | null;
  /** Receiver CPU per GB = 1e9 bytes, seconds. */
  cpuSecPerGB: number | null;
  contextSwitches: number;
}

/** The report of a run that ended in an error before it had counters (bad input, a refused call). */
export interface ErrorReport extends ToolHead {
  role: 'sender' | 'receiver';
  test: TestName;
  family: Family;
  zerocopy: boolean;
  error: string;
  hint: string | null;
  exitStatus: number;
  /** A sender that failed while sending: what it had counted (packets, bytes, completions, …) until then. */
  counters?: Record<string, number>;
}

/** Any --json report a classic run prints: the type the reader (read.ts) returns. */
export type ClassicReport = SenderReport | ReceiverReport | ErrorReport;
