// SPDX-License-Identifier: GPL-2.0-only
// What pair prints after a run: both sides' throughput and CPU cost, and
// what was lost on the way. Pure, over the typed reports (src/report/read.ts).
import { isReceiverReport, isSenderReport } from '../report/read.js';
import type { ClassicReport } from '../report/report.js';

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

export interface PairSummary {
  test: string;
  sender: SideSummary | null;
  receiver: SideSummary | null;
  /** tcp: the receiver got every byte sent. */
  bytesMatch: boolean | null;
  /** Datagram tests: datagrams sent (sends / cork calls) and the share not received. */
  datagramsSent: number | null;
  loss: number | null;
}

/**
 * One side, from the fields checkReport (src/report/read.ts) has checked, so
 * that a peer's report missing a newer field still gives numbers: the rate
 * (over the time data moved), and CPU per GB from user + system time.
 */
function side(r: ClassicReport | null): SideSummary | null {
  if (!isSenderReport(r) && !isReceiverReport(r)) return null;
  const dataMs = typeof r.dataMs === 'number' && Number.isFinite(r.dataMs) ? r.dataMs : r.durationMs;
  return {
    packets: r.packets, bytes: r.bytes, durationMs: dataMs, throughputGbps: (r.throughputBps * 8) / 1e9,
    cpuSecPerGB: r.bytes > 0 ? (r.cpu.userUs + r.cpu.sysUs) / 1e6 / (r.bytes / 1e9) : null,
  };
}

/** Compare the two sides. */
export function summarizePair(test: string, cork: number, sender: ClassicReport | null, receiver: ClassicReport | null): PairSummary {
  const tx = side(sender);
  const rx = side(receiver);
  const s: PairSummary = { test, sender: tx, receiver: rx, bytesMatch: null, datagramsSent: null, loss: null };
  if (test === 'tcp') {
    if (tx && rx) s.bytesMatch = tx.bytes === rx.bytes;
  } else if (tx) {
    s.datagramsSent = cork > 0 ? Math.floor(tx.packets / cork) : tx.packets;
    if (rx && s.datagramsSent > 0) s.loss = Math.max(0, (s.datagramsSent - rx.packets) / s.datagramsSent);
  }
  return s;
}

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(bytes >= 1e10 ? 1 : 3)} GB`;

function sideLine(name: string, unit: string, s: SideSummary | null): string {
  if (!s) return `pair: ${name}: no report`;
  const cpu = s.cpuSecPerGB === null ? 'CPU -' : `CPU ${s.cpuSecPerGB.toFixed(3)} s/GB`;
  return `pair: ${name}: ${s.packets} ${unit}, ${gb(s.bytes)} in ${(s.durationMs / 1000).toFixed(2)} s, ` +
    `${s.throughputGbps.toFixed(2)} Gbit/s, ${cpu}`;
}

/** The human summary: one line per side, then what arrived. */
export function summaryLines(s: PairSummary): string[] {
  const lines = [sideLine('sender', 'sends', s.sender), sideLine('receiver', 'reads', s.receiver)];
  if (s.bytesMatch === true) {
    lines.push(`pair: tcp: all ${s.sender?.bytes} bytes arrived`);
  } else if (s.bytesMatch === false && s.sender && s.receiver) {
    lines.push(`pair: tcp: sent ${s.sender.bytes} bytes, received ${s.receiver.bytes} (${s.sender.bytes - s.receiver.bytes} missing)`);
  }
  if (s.loss !== null) {
    lines.push(`pair: ${s.test}: ${s.datagramsSent} datagrams sent, ${s.receiver?.packets} received, loss ${(s.loss * 100).toFixed(2)}%`);
  }
  return lines;
}
