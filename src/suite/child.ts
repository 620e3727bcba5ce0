// SPDX-License-Identifier: GPL-2.0-only
// One child process of a suite case (sender or receiver inside a namespace,
// run by the run layer), its output in the suite's terms: from its --json
// report (read with the writer's types) or, for the C selftest, the classic
// stderr lines.

import { errorLine, type ChildResult } from '../run/child.js';
import { isErrorReport, isReceiverReport, isSenderReport, readReport } from '../report/read.js';
import { parseReceiverLine, parseSenderLine, type ClassicReport } from '../report/report.js';

export interface ChildReport {
  /** The --json report, when the child printed one. */
  json: ClassicReport | null;
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
  /** A tcp receiver's --rx figures (issue 19), when its report has them. */
  mappedPercent?: number | null;
  cpuUsPerMB?: number | null;
}

export interface ChildOutcome extends ChildReport {
  role: 'sender' | 'receiver';
  argv: string[];
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

/** Parse what a sender or receiver printed. */
export function parseChildOutput(stdout: string, stderr: string): ChildReport {
  const json = readReport(stdout);
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
  if (isSenderReport(json) || isReceiverReport(json)) {
    r.packets = json.packets;
    r.bytes = json.bytes;
    r.bytesExact = true;
    r.durationMs = json.durationMs;
    r.throughputBps = json.throughputBps;
    r.cpu = { userUs: json.cpu.userUs, sysUs: json.cpu.sysUs };
  }
  if (isReceiverReport(json) && 'mappedPercent' in json) {
    r.mappedPercent = json.mappedPercent ?? null;
    r.cpuUsPerMB = json.cpuUsPerMB ?? null;
  }
  if (isSenderReport(json)) {
    r.completions = json.completions;
    r.expectedCompletions = json.expectedCompletions;
    r.copiedCompletions = json.copiedCompletions;
    r.zerocopiedCompletions = json.zerocopiedCompletions;
    r.gaps = json.gaps;
    r.zc = json.zc;
  }
  if (isErrorReport(json)) r.errorLine = json.error;
  if (!r.errorLine) r.errorLine = errorLine(stderr);
  return r;
}

/** A finished child of a case, in the suite's terms. */
export function childOutcome(role: 'sender' | 'receiver', r: ChildResult): ChildOutcome {
  return {
    role, argv: r.argv, exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, killed: r.killed,
    wallMs: r.wallMs, stdout: r.stdout, stderr: r.stderr, ...parseChildOutput(r.stdout, r.stderr),
  };
}
