// SPDX-License-Identifier: GPL-2.0-only
// What a multi-flow run prints, from its flows' own reports (pure): the
// [k] and [SUM] lines, and one --json report that is a classic report of
// the whole run (the sums, so every reader of a classic report reads it:
// suite, sweep and compare judge the aggregate) plus each flow's full
// report, the CPU of the whole process tree and the fairness of the flows.
import { environmentOf } from '../environment/environment.js';
import type { Config } from '../core/config.js';
import { isReceiverReport, isSenderReport } from '../report/read.js';
import {
  errorReport, foreignReport, rates, receiverLine, senderLine, type ClassicReport, type CpuTime, type ReceiverReport, type SenderReport,
} from '../report/report.js';

/** How one flow ended. */
export interface FlowEnd {
  index: number;
  port: number;
  cpu: number | null;
  /** Its --json report (read back with the writer's types), or null. */
  report: ClassicReport | null;
  /** Its classic tx=/rx= line as it printed it, or null. */
  line: string | null;
  /** One line naming the flow and how it failed, or null (it exited 0, or stopped at our signal). */
  failure: string | null;
  exitStatus: number | null;
}

/** Jain's fairness index of `xs`: (Σx)² / (n Σx²), 1 when all are equal, 1/n when one has everything; null without data. */
export function jainIndex(xs: readonly number[]): number | null {
  const sum = xs.reduce((a, x) => a + x, 0);
  const squares = xs.reduce((a, x) => a + x * x, 0);
  return xs.length && squares > 0 ? (sum * sum) / (xs.length * squares) : null;
}

/** Counters of a sender report that add up over flows. */
const SENDER_SUMS = [
  'packets', 'bytes', 'sendCalls', 'eagain', 'enobufs', 'expectedCompletions', 'completions', 'uniqueCompletions',
  'notifications', 'copiedCompletions', 'zerocopiedCompletions', 'gaps', 'outOfOrder', 'duplicates',
] as const satisfies ReadonlyArray<keyof SenderReport>;
const RECEIVER_SUMS = ['packets', 'bytes'] as const satisfies ReadonlyArray<keyof ReceiverReport>;

type Sums<K extends string> = Record<K, number>;

function sums<K extends string>(reports: ReadonlyArray<Record<K, number>>, keys: readonly K[]): Sums<K> {
  const out = {} as Sums<K>;
  for (const k of keys) out[k] = reports.reduce((a: number, r) => a + r[k], 0);
  return out;
}

const senderReports = (flows: readonly FlowEnd[]): SenderReport[] => flows.map((f) => f.report).filter(isSenderReport);
const receiverReports = (flows: readonly FlowEnd[]): ReceiverReport[] => flows.map((f) => f.report).filter(isReceiverReport);

/** zc=y for the sum only when every flow ran and said zc=y. */
const sumZc = (flows: readonly FlowEnd[]): 'y' | 'n' => {
  const r = senderReports(flows);
  return r.length === flows.length && r.every((x) => x.zc === 'y') ? 'y' : 'n';
};

/** The [SUM] line: the classic line of the totals (MB = 2^20 of the summed bytes). */
export function sumLine(role: 'sender' | 'receiver', flows: readonly FlowEnd[]): string {
  if (role === 'receiver') return `[SUM] ${receiverLine(sums(receiverReports(flows), RECEIVER_SUMS))}`;
  const s = sums(senderReports(flows), SENDER_SUMS);
  return `[SUM] ${senderLine({ packets: s.packets, bytes: s.bytes, completions: s.completions, zc: sumZc(flows) })}`;
}

/** The [k] line of a flow: its own classic line, else the one its report gives; null when it has neither. */
export function flowLine(f: FlowEnd): string | null {
  let line = f.line;
  if (line === null && isSenderReport(f.report)) line = senderLine(f.report);
  if (line === null && isReceiverReport(f.report)) line = receiverLine(f.report);
  return line === null ? null : `[${f.index}] ${line}`;
}

/**
 * Fields the per-run report gains after this module was written (and that
 * it does not sum): a boolean is true when any flow's is; a field that may
 * be null is the first flow's that is not; the rest are the first flow's.
 */
function combineRest<T extends object>(reports: readonly T[]): T {
  const all = reports as unknown as ReadonlyArray<Record<string, unknown>>;
  const out: Record<string, unknown> = { ...all[0] };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === 'boolean') out[k] = all.some((r) => r[k] === true);
    else if (v === null) out[k] = all.map((r) => r[k]).find((x) => x !== null && x !== undefined) ?? null;
  }
  return out as unknown as T;
}

/** From the first flow's start to the last flow's end, and the spread of the starts. */
function span(reports: ReadonlyArray<{ startedAt: string; durationMs: number }>): { startMs: number; spanMs: number; skewMs: number } {
  const starts = reports.map((r) => Date.parse(r.startedAt));
  const startMs = Math.min(...starts);
  const endMs = Math.max(...reports.map((r, i) => starts[i] + r.durationMs));
  return { startMs, spanMs: endMs - startMs, skewMs: Math.max(...starts) - startMs };
}

export const CPU_SCOPE = 'process tree: user + system time of every flow (each from its own report, all its threads) ' +
  'plus this process';

/**
 * The flows' rates added up, as iperf3's [SUM] line: each flow's own rate is
 * over the time its data moved, so a receiver's idle wait for its sender
 * (or a flow that started later) does not dilute the sum. `dataMs` is the
 * interval over which the summed bytes give that rate. CPU is the whole
 * process tree's per GB (1e9 bytes); utilisation counts CPUs kept busy over
 * the span of the flows.
 */
function treeRates(reports: ReadonlyArray<{ bytesPerSecond?: number; throughputBps: number }>, bytes: number, packets: number,
  spanMs: number, cpu: CpuTime) {
  const sum = reports.reduce((a, r) => a + (r.bytesPerSecond ?? r.throughputBps), 0);
  const dataMs = sum > 0 ? (bytes / sum) * 1000 : spanMs;
  const r = rates(bytes, packets, dataMs, spanMs, cpu);
  return { ...r, cpu: { ...r.cpu, scope: CPU_SCOPE } };
}

const addCpu = (reports: ReadonlyArray<{ cpu: CpuTime }>, own: CpuTime): CpuTime => ({
  userUs: reports.reduce((a, r) => a + r.cpu.userUs, own.userUs),
  sysUs: reports.reduce((a, r) => a + r.cpu.sysUs, own.sysUs),
});

export interface FlowsRun {
  cfg: Config;
  flows: readonly FlowEnd[];
  /** This process's own CPU time over the run. */
  ownCpu: CpuTime;
  exitStatus: number;
  /** The signal that stopped the run, or null. */
  interrupted: string | null;
}

/** What every multi-flow report adds to the classic one. */
function flowsPart(x: FlowsRun) {
  const throughputs = x.flows.map((f) => (isSenderReport(f.report) || isReceiverReport(f.report) ? f.report.throughputBps : 0));
  return {
    flowCount: x.flows.length,
    ports: x.flows.map((f) => f.port),
    cpus: x.flows.map((f) => f.cpu),
    failedFlows: x.flows.filter((f) => f.failure !== null).map((f) => f.index),
    failures: x.flows.map((f) => f.failure).filter((f): f is string => f !== null),
    /** Jain's index of the flows' throughputs (each over its own run; a flow without counters counts 0). */
    fairness: { jainIndex: jainIndex(throughputs), throughputsBps: throughputs },
    /** Each flow's own report as it printed it (or, when it printed none, why), with its number. */
    flows: x.flows.map((f) => ({
      flow: f.index,
      ...(f.report ?? errorReport(x.cfg, f.failure ?? 'no report', null, f.exitStatus ?? 1)),
    })),
  };
}

/**
 * What the sums of the sender flows and of the receiver flows say alike: the run's port, the span
 * of the flows, their rates and CPU added up, no intervals, and how the run was interrupted.
 */
function aggregatePart<R extends SenderReport | ReceiverReport>(x: FlowsRun, counted: readonly R[], bytes: number,
  packets: number) {
  const t = span(counted);
  return {
    port: x.cfg.port,
    fdTable: counted.every((r) => r.fdTable === 'private') ? 'private' as const : 'shared' as const,
    startedAt: new Date(t.startMs).toISOString(),
    /** From the first flow's start to the last flow's end. */
    durationMs: t.spanMs,
    /** How much later the last flow started than the first. */
    startSkewMs: t.skewMs,
    ...treeRates(counted, bytes, packets, t.spanMs, addCpu(counted, x.ownCpu)),
    /** Interval reports are each flow's own (in `flows`); the sums have none. */
    intervals: null,
    interrupted: x.interrupted ?? counted.find((r) => r.interrupted !== null)?.interrupted ?? null,
  };
}

/** The sums of the sender flows as a sender report, with the flows and their fairness. */
export function flowsSenderReport(x: FlowsRun) {
  const counted = senderReports(x.flows);
  if (!counted.length) return null;
  const s = sums(counted, SENDER_SUMS);
  const every = counted.length === x.flows.length;
  return {
    ...combineRest(counted),
    ...s,
    ...aggregatePart(x, counted, s.bytes, s.packets),
    copiedShare: s.completions > 0 ? s.copiedCompletions / s.completions : null,
    missingNotifications: counted.some((r) => r.missingNotifications),
    /** Any flow stalled; `stall`: the first one's. */
    stalled: counted.some((r) => r.stalled),
    stall: counted.find((r) => r.stall !== null)?.stall ?? null,
    expectationMet: x.cfg.expectZerocopy === -1 ? null : every && counted.every((r) => r.expectationMet === true),
    zc: sumZc(x.flows),
    exitStatus: x.exitStatus,
    ...flowsPart(x),
  };
}

/** The flows' `foreign` counts added up; the first refusal is the first flow's that has one. */
function sumForeign(reports: readonly ReceiverReport[]) {
  const fs = reports.map((r) => foreignReport(r.foreign));
  return {
    connections: fs.reduce((a, f) => a + f.connections, 0),
    datagrams: fs.reduce((a, f) => a + f.datagrams, 0),
    wrongSize: fs.reduce((a, f) => a + f.wrongSize, 0),
    wrongPayload: fs.reduce((a, f) => a + f.wrongPayload, 0),
    first: fs.find((f) => f.first !== null)?.first ?? null,
  };
}

/** The sums of the receiver flows as a receiver report, with the flows and their fairness. */
export function flowsReceiverReport(x: FlowsRun) {
  const counted = receiverReports(x.flows);
  if (!counted.length) return null;
  const s = sums(counted, RECEIVER_SUMS);
  return {
    ...combineRest(counted),
    ...s,
    ...aggregatePart(x, counted, s.bytes, s.packets),
    /** tcp: every flow ended at its sender's EOF. */
    peerClosed: counted.every((r) => r.peerClosed),
    /** What the flows refused as not their sender's, added up (a flow's own report has its share). */
    foreign: sumForeign(counted),
    exitStatus: x.exitStatus,
    ...flowsPart(x),
  };
}

/** The --json report of a multi-flow run: the aggregate, or an error report (with the flows) when no flow counted. */
export function flowsReport(x: FlowsRun) {
  const r = x.cfg.rx ? flowsReceiverReport(x) : flowsSenderReport(x);
  if (r) return r;
  const why = x.flows.find((f) => f.failure !== null)?.failure ?? 'no flow printed a report';
  // The environment as the other reports carry it: the first flow's that has one (each flow collected its own).
  const environment = x.flows.map((f) => environmentOf(f.report)).find((e) => e !== null) ?? null;
  return { ...errorReport(x.cfg, why, null, x.exitStatus), environment, ...flowsPart(x) };
}

export type FlowsSenderReport = NonNullable<ReturnType<typeof flowsSenderReport>>;
export type FlowsReceiverReport = NonNullable<ReturnType<typeof flowsReceiverReport>>;
