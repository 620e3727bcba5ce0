// SPDX-License-Identifier: GPL-2.0-only
// Reading a classic run's --json report back (from a child's stdout, or from
// a peer over the network), checked and typed with the writer's own types:
// renaming a field in report.ts is a compile error in every reader.
import type { ClassicReport, ErrorReport, ReceiverReport, SenderReport } from './report.js';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Fields every counted report has, with their JSON types. The rates are
 * checked under their old names (throughputBps, packetsPerSec): aliases of
 * bytesPerSecond and packetsPerSecond for one release, which every writer
 * still has (the classic reports, the -P aggregate, a peer one release
 * older); check the new names once the aliases go.
 */
const COUNTED = ['packets', 'bytes', 'durationMs', 'exitStatus', 'throughputBps', 'packetsPerSec'] as const;
const SENDER = ['expectedCompletions', 'completions', 'copiedCompletions', 'zerocopiedCompletions', 'gaps', 'sendCalls'] as const;

/**
 * Check one parsed JSON value. Returns the report, or a one-line reason it is
 * not one (for a peer's report, shown to the user).
 */
export function checkReport(v: unknown): { ok: true; report: ClassicReport } | { ok: false; reason: string } {
  if (!isObject(v)) return { ok: false, reason: 'not a JSON object' };
  if (v.tool !== 'msg-zerocopy') return { ok: false, reason: 'not a msg-zerocopy report' };
  if (v.role !== 'sender' && v.role !== 'receiver') return { ok: false, reason: 'role is neither sender nor receiver' };
  if (typeof v.error === 'string') {
    if (!isNum(v.exitStatus)) return { ok: false, reason: 'error report without exitStatus' };
    return { ok: true, report: v as unknown as ErrorReport };
  }
  const need = v.role === 'sender' ? [...COUNTED, ...SENDER] : COUNTED;
  for (const k of need) if (!isNum(v[k])) return { ok: false, reason: `${k} is missing or not a number` };
  const cpu = v.cpu;
  if (!isObject(cpu) || !isNum(cpu.userUs) || !isNum(cpu.sysUs)) return { ok: false, reason: 'cpu is missing' };
  return { ok: true, report: v as unknown as ClassicReport };
}

/** The last line of `stdout` that is a valid report, or null. */
export function readReport(stdout: string): ClassicReport | null {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const t = lines[i].trim();
    if (!t.startsWith('{')) continue;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      continue;
    }
    const c = checkReport(v);
    if (c.ok) return c.report;
  }
  return null;
}

export const isErrorReport = (r: ClassicReport | null): r is ErrorReport => !!r && 'error' in r && typeof r.error === 'string';
export const isSenderReport = (r: ClassicReport | null): r is SenderReport => !!r && r.role === 'sender' && !isErrorReport(r);
export const isReceiverReport = (r: ClassicReport | null): r is ReceiverReport => !!r && r.role === 'receiver' && !isErrorReport(r);
