// SPDX-License-Identifier: GPL-2.0-only
// What pair prints after a run: both sides' throughput and CPU cost, and
// what was lost on the way. Pure, over the typed reports (src/report/read.ts).
// A run of several flows (-P n) is summed by each side (src/flows/report.ts):
// the figures are those sums; tcp bytes are also compared flow by flow.
import { isReceiverReport, isSenderReport } from '../report/read.js';
import type { ClassicReport } from '../report/report.js';
import { bytesArrived } from '../verdict/verdict.js';

export interface SideSummary {
  packets: number;
  bytes: number;
  /** The time data moved (the report's dataMs; its durationMs when it has none). */
  durationMs: number;
  /** SI: 10^9 bits per second. */
  throughputGbps: number;
  /** CPU seconds (user + system) per GB (10^9 bytes) moved; null when nothing moved. */
  cpuSecPerGB: number | null;
}

/** tcp with several flows: one flow's bytes on each side (null: that side has no count for it). */
export interface FlowBytes {
  flow: number;
  sent: number | null;
  received: number | null;
}

export interface PairSummary {
  test: string;
  /** Flows at once (-P); 1 for a classic run. */
  flows: number;
  sender: SideSummary | null;
  receiver: SideSummary | null;
  /** tcp: the receiver got every byte sent (with several flows: on every flow). */
  bytesMatch: boolean | null;
  /** tcp with several flows: each flow's bytes on both sides; null otherwise. */
  flowBytes: FlowBytes[] | null;
  /** Datagram tests: datagrams sent (sends / cork calls) and the share not received (null when more arrived than were sent). */
  datagramsSent: number | null;
  loss: number | null;
  /**
   * The receiver counted more than the sender sent (datagrams; tcp: bytes):
   * by how many. Traffic that was not our sender's was counted, so the run
   * is a failure, never "0 % loss". Null when it did not.
   */
  excess: number | null;
  /** What the receiver refused as not our sender's (its report's `foreign`); null when its report has none. */
  foreign: { connections: number; datagrams: number } | null;
}

/** The receiver report's `foreign` counts (from the peer: anything malformed is none). */
function foreignOf(r: ClassicReport | null): { connections: number; datagrams: number } | null {
  const f = r && (r as { foreign?: unknown }).foreign;
  if (!f || typeof f !== 'object') return null;
  const { connections, datagrams } = f as Record<string, unknown>;
  return isCount(connections) && isCount(datagrams) ? { connections, datagrams } : null;
}

/** One flow's counters in a multi-flow report. */
interface FlowCounts {
  bytes: number;
  /** Its rate over the time its data moved, and that time; null when its report lacks them. */
  throughputBps: number | null;
  dataMs: number | null;
}

/** Most flows a report's `flows` array is read for (the -P limit). */
const MAX_FLOW_ENTRIES = 64;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * Each flow's counters in a multi-flow report (its `flows` array, each entry
 * a flow's own report with its number), by flow number; a flow that printed
 * no counters is absent. Null for a report without flows. The receiver's
 * report comes from the peer: anything malformed counts nothing.
 */
function flowCounts(r: ClassicReport | null): Map<number, FlowCounts> | null {
  const list = r && (r as { flows?: unknown }).flows;
  if (!Array.isArray(list) || list.length > MAX_FLOW_ENTRIES) return null;
  const out = new Map<number, FlowCounts>();
  for (const f of list as unknown[]) {
    if (!f || typeof f !== 'object') continue;
    const { flow, bytes, throughputBps, dataMs } = f as Record<string, unknown>;
    if (typeof flow === 'number' && Number.isInteger(flow) && flow >= 0 && flow < MAX_FLOW_ENTRIES && isCount(bytes) && !out.has(flow)) {
      out.set(flow, { bytes, throughputBps: isCount(throughputBps) ? throughputBps : null, dataMs: isCount(dataMs) ? dataMs : null });
    }
  }
  return out;
}

/** Each flow's byte count in a multi-flow report, by flow number (see flowCounts); null for a report without flows. */
export function flowByteCounts(r: ClassicReport | null): Map<number, number> | null {
  const c = flowCounts(r);
  return c && new Map([...c].map(([k, v]) => [k, v.bytes]));
}

/**
 * One side, from the fields checkReport (src/report/read.ts) has checked, so
 * that a peer's report missing a newer field still gives numbers: the rate
 * (over the time data moved), and CPU per GB from user + system time. A side
 * of several flows: the sums, CPU over its whole process tree, and the rate
 * as the sum of the flows' own rates, each over the time its data moved
 * (the aggregate's own rate is over the span of its flows, which for a udp
 * receiver is its whole run, data or not), over the longest of those times.
 */
function side(r: ClassicReport | null): SideSummary | null {
  if (!isSenderReport(r) && !isReceiverReport(r)) return null;
  let dataMs = typeof r.dataMs === 'number' && Number.isFinite(r.dataMs) ? r.dataMs : r.durationMs;
  let bps = r.throughputBps;
  const flows = [...(flowCounts(r)?.values() ?? [])];
  if (flows.length && flows.every((f) => f.throughputBps !== null && f.dataMs !== null)) {
    bps = flows.reduce((a, f) => a + (f.throughputBps ?? 0), 0);
    dataMs = Math.max(...flows.map((f) => f.dataMs ?? 0));
  }
  return {
    packets: r.packets, bytes: r.bytes, durationMs: dataMs, throughputGbps: (bps * 8) / 1e9,
    cpuSecPerGB: r.bytes > 0 ? (r.cpu.userUs + r.cpu.sysUs) / 1e6 / (r.bytes / 1e9) : null,
  };
}

/** Compare the two sides; `flows`: how many the run had (-P). */
export function summarizePair(test: string, cork: number, sender: ClassicReport | null, receiver: ClassicReport | null,
  flows = 1): PairSummary {
  const tx = side(sender);
  const rx = side(receiver);
  const s: PairSummary = {
    test, flows, sender: tx, receiver: rx, bytesMatch: null, flowBytes: null, datagramsSent: null, loss: null, excess: null,
    foreign: foreignOf(receiver),
  };
  if (test === 'tcp') {
    if (tx && rx) s.bytesMatch = bytesArrived(tx.bytes, rx.bytes);
    if (tx && rx && rx.bytes > tx.bytes) s.excess = rx.bytes - tx.bytes;
    const sent = flows > 1 ? flowByteCounts(sender) : null;
    const got = flows > 1 ? flowByteCounts(receiver) : null;
    if (sent && got) {
      s.flowBytes = Array.from({ length: flows }, (_, flow) => ({ flow, sent: sent.get(flow) ?? null, received: got.get(flow) ?? null }));
      if (s.bytesMatch !== null) s.bytesMatch &&= s.flowBytes.every((f) => bytesArrived(f.sent, f.received) === true);
    }
  } else if (tx) {
    s.datagramsSent = cork > 0 ? Math.floor(tx.packets / cork) : tx.packets;
    if (rx && rx.packets > s.datagramsSent) s.excess = rx.packets - s.datagramsSent;
    else if (rx && s.datagramsSent > 0) s.loss = (s.datagramsSent - rx.packets) / s.datagramsSent;
  }
  return s;
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(bytes >= 1e10 ? 1 : 3)} GB`;

function sideLine(name: string, unit: string, s: SideSummary | null, flows: number): string {
  if (!s) return `pair: ${name}: no report`;
  const cpu = s.cpuSecPerGB === null ? 'CPU -' : `CPU ${s.cpuSecPerGB.toFixed(3)} s/GB`;
  return `pair: ${name}: ${flows > 1 ? `${flows} flows, ` : ''}${s.packets} ${unit}, ${gb(s.bytes)} in ${(s.durationMs / 1000).toFixed(2)} s, ` +
    `${s.throughputGbps.toFixed(2)} Gbit/s, ${cpu}`;
}

/** The human summary: one line per side (the sums of the flows), then what arrived. */
export function summaryLines(s: PairSummary): string[] {
  const lines = [sideLine('sender', 'sends', s.sender, s.flows), sideLine('receiver', 'reads', s.receiver, s.flows)];
  if (s.bytesMatch === true) {
    lines.push(`pair: tcp: all ${s.sender?.bytes} bytes arrived${s.flowBytes ? `, on each of the ${s.flows} flows` : ''}`);
  } else if (s.bytesMatch === false && s.sender && s.receiver) {
    if (s.sender.bytes !== s.receiver.bytes) {
      const d = s.sender.bytes - s.receiver.bytes;
      lines.push(`pair: tcp: sent ${s.sender.bytes} bytes, received ${s.receiver.bytes} (${d > 0 ? `${d} missing` : `${-d} more than sent`})`);
    }
    for (const f of s.flowBytes ?? []) {
      if (f.sent !== null && f.sent === f.received) continue;
      const count = (n: number | null): string => (n === null ? 'no count' : `${n} bytes`);
      lines.push(`pair: tcp: flow ${f.flow}: sent ${count(f.sent)}, received ${count(f.received)}` +
        (f.sent !== null && f.received !== null ? ` (${f.sent - f.received} missing)` : ''));
    }
  }
  if (s.loss !== null) {
    lines.push(`pair: ${s.test}: ${s.datagramsSent} datagrams sent, ${s.receiver?.packets} received, loss ${(s.loss * 100).toFixed(2)}%`);
  }
  const f = s.foreign;
  if (f && (f.connections || f.datagrams)) {
    const parts = [f.connections ? `${f.connections} connection${f.connections === 1 ? '' : 's'}` : '',
      f.datagrams ? `${f.datagrams} datagram${f.datagrams === 1 ? '' : 's'}` : ''].filter(Boolean);
    lines.push(`pair: foreign: the receiver refused ${parts.join(' and ')} that did not come from this sender (none of it counted)`);
  }
  return lines;
}
