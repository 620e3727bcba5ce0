// SPDX-License-Identifier: GPL-2.0-only
// What `udpgso` and `udpgso-rx` print: udpgso_bench_tx's and _rx's stderr
// lines, exactly, and the --json reports, with the classic sender's and
// receiver's field names where they mean the same (so the readers of
// compare and sweep read them), plus what GSO adds.
import { completionFields, megabytes, rates, type CpuTime, type FdTable } from '../report/report.js';
import { TOOL_VERSION } from '../core/version.js';
import type { UdpgsoRxConfig, UdpgsoTxConfig } from './config.js';
import type { UdpgsoRxResult } from './rx.js';
import type { UdpgsoTxResult } from './tx.js';

const pad = (n: number, w: number): string => String(n).padStart(w);
const proto = (tcp: boolean): string => (tcp ? 'tcp' : 'udp');

/** print_report: `udp tx:   1234 MB/s    20000 calls/s  20000 msg/s`. */
export function txLine(tcp: boolean, payloadLen: number, msgs: number, sends: number): string {
  return `${proto(tcp)} tx: ${pad(megabytes(msgs * payloadLen), 6)} MB/s ${pad(sends, 8)} calls/s ${pad(msgs, 6)} msg/s`;
}

/** The receiver's line: `udp rx:   1234 MB/s    20000 calls/s`. */
export function rxLine(tcp: boolean, bytes: number, packets: number): string {
  return `${proto(tcp)} rx: ${pad(megabytes(bytes), 6)} MB/s ${pad(packets, 8)} calls/s`;
}

/** A tx line read back (ours or the C program's). */
export function parseTxLine(line: string): { proto: string; mbPerSec: number; calls: number; msgs: number } | null {
  const m = /^(tcp|udp) tx: +(\d+) MB\/s +(\d+) calls\/s +(\d+) msg\/s$/.exec(line);
  return m ? { proto: m[1], mbPerSec: Number(m[2]), calls: Number(m[3]), msgs: Number(m[4]) } : null;
}

/**
 * print_audit_report: the summary lines, and the error line that ends the run
 * (exit 1) when the timestamps or zerocopy acks do not add up; [] when the
 * run took no whole millisecond (the C program prints nothing then).
 */
export function auditLines(cfg: UdpgsoTxConfig, r: UdpgsoTxResult): { lines: string[]; error: string | null } {
  const tdelta = r.tend - r.tstart;
  if (!tdelta) return { lines: [], error: null };
  const lines = [
    `Summary over ${Math.floor(tdelta / 1000)}.${String(tdelta % 1000).padStart(3, '0')} seconds...`,
    `sum ${proto(cfg.tcp)} tx: ${pad(Math.floor(Math.floor((r.msgs * cfg.payloadLen) / 1024) / tdelta), 6)} MB/s ` +
      `${pad(r.sends, 10)} calls (${Math.floor((r.sends * 1000) / tdelta)}/s) ` +
      `${pad(r.msgs, 10)} msgs (${Math.floor((r.msgs * 1000) / tdelta)}/s)`,
  ];
  const q = r.queue;
  if (cfg.txTimestamp) {
    if (q.timestampErrors) {
      return { lines, error: `Expected clean TX Timestamps: ${pad(q.timestamps, 9)} msgs received ${pad(q.timestampErrors, 6)} errors` };
    }
    if (q.timestamps !== r.sends) {
      return { lines, error: `Unexpected number of TX Timestamps: ${pad(r.sends, 9)} expected ${pad(q.timestamps, 9)} received` };
    }
    lines.push(`Tx Timestamps: ${pad(q.timestamps, 19)} received ${pad(q.timestampErrors, 17)} errors`);
  }
  if (cfg.zerocopy) {
    if (r.tracker.completions !== r.sends) {
      return { lines, error: `Unexpected number of Zerocopy completions: ${pad(r.sends, 9)} expected ${pad(r.tracker.completions, 9)} received` };
    }
    lines.push(`Zerocopy acks: ${pad(r.tracker.completions, 19)}`);
  }
  return { lines, error: null };
}

const sendMode = (cfg: UdpgsoTxConfig): string => (cfg.tcp ? 'tcp' : cfg.segment ? 'gso' : cfg.sendmmsg ? 'sendmmsg' : 'sendto');

export function txReport(cfg: UdpgsoTxConfig, r: UdpgsoTxResult, cpu: CpuTime, exitStatus: number, fdTable: FdTable) {
  const durationMs = r.tend - r.tstart;
  const secs = durationMs / 1000;
  const t = r.tracker;
  return {
    role: 'sender' as const,
    tool: 'msg-zerocopy' as const,
    toolVersion: TOOL_VERSION,
    api: 'msg' as const,
    /** Which kernel program this run stands in for. */
    program: 'udpgso_bench_tx' as const,
    test: proto(cfg.tcp),
    family: cfg.family,
    zerocopy: cfg.zerocopy,
    payloadLen: cfg.payloadLen,
    port: cfg.port,
    dst: cfg.dstText,
    runtimeMs: cfg.runtimeMs,
    fdTable,
    /** tcp | sendto (one per MSS) | gso (UDP_SEGMENT) | sendmmsg. */
    sendMode: sendMode(cfg),
    /** -S: the segment size (null without -S). */
    gsoSize: cfg.segment ? cfg.gsoSize : null,
    mss: cfg.mss,
    audit: cfg.audit,
    txTimestamps: cfg.txTimestamp ? (cfg.hwTimestamp ? 'hardware' : 'software') : null,
    /** --hugepages: what backed the buffers (hugetlb, thp or none), and why none. */
    hugepages: cfg.hugepages ? r.backing : null,
    hugepagesWhy: r.hugepagesWhy,
    startedAt: new Date(r.tstart).toISOString(),
    durationMs,
    /** System calls that sent (the C program's calls), as the classic sender's packets and sendCalls. */
    packets: r.sends,
    bytes: r.bytes,
    sendCalls: r.sends,
    /** Buffers of -s bytes (the C program's msgs). */
    msgs: r.msgs,
    /** Datagrams on the wire (0 for tcp), per call and per second. */
    segments: r.segments,
    segmentsPerCall: r.sends > 0 ? r.segments / r.sends : 0,
    segmentsPerSecond: secs > 0 ? r.segments / secs : 0,
    timestamps: cfg.txTimestamp ? { received: r.queue.timestamps, errors: r.queue.timestampErrors } : null,
    icmpErrors: r.queue.icmpErrors,
    ...completionFields(-1, {
      tracker: t, missingNotifications: cfg.zerocopy && t.completions < r.expectedCompletions,
      zc: cfg.zerocopy && t.completions > 0 && t.copied === 0 ? 'y' : 'n',
    }, r.expectedCompletions, t.notifications),
    ...rates(r.bytes, r.sends, durationMs, durationMs, cpu),
    interrupted: r.interrupted,
    exitStatus,
  };
}

export function rxReport(cfg: UdpgsoRxConfig, r: UdpgsoRxResult, cpu: CpuTime, exitStatus: number, fdTable: FdTable) {
  return {
    role: 'receiver' as const,
    tool: 'msg-zerocopy' as const,
    toolVersion: TOOL_VERSION,
    program: 'udpgso_bench_rx' as const,
    test: proto(cfg.tcp),
    family: cfg.family,
    port: cfg.port,
    dst: cfg.bindText,
    fdTable,
    gro: cfg.gro,
    startedAt: new Date(r.startedAt).toISOString(),
    durationMs: r.durationMs,
    packets: r.packets,
    bytes: r.bytes,
    ...rates(r.bytes, r.packets, r.durationMs, r.durationMs, cpu),
    validate: r.validator ? r.validator.toJSON() : null,
    interrupted: r.interrupted,
    peerClosed: r.peerClosed,
    timedOut: r.timedOut,
    exitStatus,
  };
}
