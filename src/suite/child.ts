// SPDX-License-Identifier: GPL-2.0-only
// One child process of a suite case (sender or receiver inside a namespace,
// run by lab/child.ts), its output parsed into the suite's terms from the
// --json report or the classic stderr lines.

import { errorLine, lastJsonObject, type ChildResult } from '../lab/child.js';
import { parseReceiverLine, parseSenderLine } from '../report/report.js';

export interface ChildReport {
  /** Parsed --json object, when the child printed one. */
  json: Record<string, unknown> | null;
  packets: number | null;
  /** Exact bytes from JSON, else the classic line's MB × 2^20. */
  bytes: number | null;
  bytesExact: boolean;
  completions: number | null;
  expectedCompletions: number | null;
  copiedCompletions: number | null;
  zerocopiedCompletions: number | null;
  gaps: number | null;
  zc: 'y' | 'n' | null;
  durationMs: number | null;
  throughputBps: number | null;
  cpu: { userUs: number; sysUs: number } | null;
  /** Last error line the child printed (e.g. "setsockopt …: Operation not supported"). */
  errorLine: string | null;
}

export interface ChildOutcome extends ChildReport {
  role: 'sender' | 'receiver';
  argv: string[];
  pid: number | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Killed because it passed its deadline. */
  timedOut: boolean;
  /** Killed by the suite on purpose (interrupt, or its sender failed early). */
  killed: boolean;
  wallMs: number;
  stdout: string;
  stderr: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Parse what a sender or receiver printed. */
export function parseChildOutput(stdout: string, stderr: string): ChildReport {
  const json = lastJsonObject(stdout);
  const r: ChildReport = {
    json, packets: null, bytes: null, bytesExact: false, completions: null, expectedCompletions: null,
    copiedCompletions: null, zerocopiedCompletions: null, gaps: null, zc: null, durationMs: null,
    throughputBps: null, cpu: null, errorLine: null,
  };
  const tx = parseSenderLine(stderr);
  const rx = parseReceiverLine(stderr);
  if (tx) {
    r.packets = tx.packets;
    r.bytes = tx.mb * 1048576;
    r.completions = tx.completions;
    r.zc = tx.zc;
  } else if (rx) {
    r.packets = rx.packets;
    r.bytes = rx.mb * 1048576;
  }
  if (json) {
    r.packets = num(json.packets) ?? r.packets;
    if (num(json.bytes) !== null) {
      r.bytes = num(json.bytes);
      r.bytesExact = true;
    }
    r.completions = num(json.completions) ?? r.completions;
    r.expectedCompletions = num(json.expectedCompletions);
    r.copiedCompletions = num(json.copiedCompletions);
    r.zerocopiedCompletions = num(json.zerocopiedCompletions);
    r.gaps = num(json.gaps);
    if (json.zc === 'y' || json.zc === 'n') r.zc = json.zc;
    r.durationMs = num(json.durationMs);
    r.throughputBps = num(json.throughputBps);
    const cpu = json.cpu as Record<string, unknown> | undefined;
    if (cpu && num(cpu.userUs) !== null && num(cpu.sysUs) !== null) {
      r.cpu = { userUs: num(cpu.userUs) as number, sysUs: num(cpu.sysUs) as number };
    }
    if (typeof json.error === 'string') r.errorLine = json.error;
  }
  if (!r.errorLine) r.errorLine = errorLine(stderr);
  return r;
}

/** A finished child of a case, in the suite's terms. */
export function childOutcome(role: 'sender' | 'receiver', pid: number | null, r: ChildResult): ChildOutcome {
  return {
    role, argv: r.argv, pid, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, killed: r.killed,
    wallMs: r.wallMs, stdout: r.stdout, stderr: r.stderr, ...parseChildOutput(r.stdout, r.stderr),
  };
}
