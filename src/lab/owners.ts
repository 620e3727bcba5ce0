// SPDX-License-Identifier: GPL-2.0-only
// Owner records of labs (stale labs). A process killed outright (kill -9,
// the OOM killer, a signal nobody handles) cannot remove its lab: each lab
// writes an owner record first, and the next createLab removes the
// namespaces of owners that are gone. Each lab writes
// <dir>/<prefix><id>.json before its first namespace exists and removes it
// once its namespaces are gone:
//   {"version":1,"pid":4242,"startTime":123456,"namespaces":["mzc-abc123-tx","mzc-abc123-rx"],"createdAt":"..."}
// createLab removes the namespaces of records whose owner is gone (no such
// pid, a pid now another process's, or exited and not yet reaped). A
// namespace without a record (not ours, or made by an older version), or one
// whose owner lives, is never touched.
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killPids, netnsNames, run } from './exec.js';

/** Default directory of owner records: on tmpfs, so it ends with a reboot as /run/netns does. */
export const LAB_RECORD_DIR = '/run/msg-zerocopy/labs';

/** Directory of owner records: $MSG_ZEROCOPY_LAB_DIR, else LAB_RECORD_DIR. */
export function labRecordDir(): string {
  return process.env.MSG_ZEROCOPY_LAB_DIR || LAB_RECORD_DIR;
}

export interface LabRecord {
  version: 1;
  /** The process that created the lab. */
  pid: number;
  /** Its start time, field 22 of /proc/<pid>/stat (clock ticks after boot): a reused pid has another. */
  startTime: number;
  /** The lab's namespaces, tx then rx. */
  namespaces: string[];
  createdAt: string;
}

/** alive; gone (no such pid); reused (the pid is another process's); dead (exited, not yet reaped). */
export type OwnerState = 'alive' | 'gone' | 'reused' | 'dead';

/** A namespace name createLab makes: <prefix><6 hex>-tx|rx. Records naming anything else are not ours. */
const LAB_NS_NAME = /^[A-Za-z0-9_.-]{1,20}[0-9a-f]{6}-(tx|rx)$/;

/**
 * State (field 3) and start time (field 22) from the text of /proc/<pid>/stat,
 * or null. The command name (field 2) may hold spaces and parentheses, so the
 * fields are counted after its last ')'.
 */
export function parseProcStat(text: string): { state: string; startTime: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 1).trim().split(/\s+/); // f[0] is field 3: field n is f[n - 3]
  const startTime = Number(f[19]);
  if (!/^[A-Za-z]$/.test(f[0] ?? '') || f[19] === undefined || !Number.isSafeInteger(startTime) || startTime < 0) return null;
  return { state: f[0], startTime };
}

/**
 * Whether a record's owner lives, from the current text of /proc/<pid>/stat
 * for its pid (null: no such process). Text that cannot be read as a stat
 * line counts as alive: when in doubt, touch nothing.
 */
export function ownerState(rec: Pick<LabRecord, 'startTime'>, stat: string | null): OwnerState {
  if (stat === null) return 'gone';
  const s = parseProcStat(stat);
  if (!s) return 'alive';
  if (s.startTime !== rec.startTime) return 'reused';
  return s.state === 'Z' || s.state === 'X' ? 'dead' : 'alive';
}

/** A record file's text as a LabRecord, or null when it is not a valid record of ours. */
export function parseLabRecord(text: string): LabRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  const ok = r.version === 1 && Number.isSafeInteger(r.pid) && (r.pid as number) > 0 &&
    Number.isSafeInteger(r.startTime) && (r.startTime as number) >= 0 &&
    Array.isArray(r.namespaces) && r.namespaces.length > 0 &&
    r.namespaces.every((n) => typeof n === 'string' && LAB_NS_NAME.test(n));
  return ok ? (v as LabRecord) : null;
}

export interface RecordView {
  file: string;
  record: LabRecord;
  owner: OwnerState;
}

export interface StalePlan {
  /** Namespaces to remove (existing ones of records whose owner is gone), in record order. */
  remove: string[];
  /** Record files whose owner is gone: removed once none of their namespaces is left. */
  files: string[];
}

/** What to remove. A namespace a live owner's record names is never touched, even if a stale record names it too. */
export function planStale(records: RecordView[], existing: ReadonlySet<string>): StalePlan {
  const claimed = new Set(records.filter((r) => r.owner === 'alive').flatMap((r) => r.record.namespaces));
  const remove: string[] = [];
  const files: string[] = [];
  for (const r of records) {
    if (r.owner === 'alive') continue;
    files.push(r.file);
    for (const ns of r.record.namespaces) {
      if (existing.has(ns) && !claimed.has(ns) && !remove.includes(ns)) remove.push(ns);
    }
  }
  return { remove, files };
}

/** The one line createLab writes after removing stale namespaces. */
export function staleNote(removed: string[], owners: number[]): string {
  const who = owners.length === 1 ? `owner pid ${owners[0]} is gone` : `owner pids ${owners.join(', ')} are gone`;
  return `msg-zerocopy: removed stale namespaces ${removed.join(', ')} (${who})`;
}

let selfStart: number | null | undefined;
/** This process's start time (field 22 of /proc/self/stat), or null without /proc. */
function selfStartTime(): number | null {
  if (selfStart === undefined) {
    try {
      selfStart = parseProcStat(readFileSync('/proc/self/stat', 'utf8'))?.startTime ?? null;
    } catch {
      selfStart = null;
    }
  }
  return selfStart;
}

/** /proc/<pid>/stat, null when there is no such process, '' when it cannot be read (counts as alive). */
async function readStat(pid: number): Promise<string | null> {
  try {
    return await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : '';
  }
}

async function writeLabRecord(dir: string, file: string, rec: LabRecord): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`; // not *.json: never read as a record
  await writeFile(tmp, `${JSON.stringify(rec)}\n`, { mode: 0o644 });
  await rename(tmp, file); // whole or absent, even under kill -9
}

/** Remove the namespaces of records in `dir` whose owner is gone, then the records; one note if any namespace went. */
export async function removeStaleLabs(dir: string, note: (line: string) => void): Promise<void> {
  if (selfStartTime() === null) return; // without /proc no owner can be judged alive: touch nothing
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return; // no records yet
  }
  const records: RecordView[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let record: LabRecord | null = null;
    try {
      record = parseLabRecord(await readFile(file, 'utf8'));
    } catch { /* removed meanwhile */ }
    if (record) records.push({ file, record, owner: ownerState(record, await readStat(record.pid)) });
  }
  if (records.every((r) => r.owner === 'alive')) return;
  const existing = await netnsNames();
  if (!existing) return;
  const plan = planStale(records, existing);
  const removed: string[] = [];
  for (const ns of plan.remove) {
    await killPids(ns); // processes still inside would keep it (and its devices) alive
    try {
      await run(['ip', 'netns', 'del', ns]);
      removed.push(ns);
    } catch { /* removed by someone else meanwhile, or not permitted: its record stays */ }
  }
  const left = await netnsNames();
  for (const r of records) {
    if (left && plan.files.includes(r.file) && !r.record.namespaces.some((ns) => left.has(ns))) {
      await unlink(r.file).catch(() => {});
    }
  }
  if (removed.length) {
    const owners = [...new Set(records.filter((r) => r.owner !== 'alive' && r.record.namespaces.some((ns) => removed.includes(ns)))
      .map((r) => r.record.pid))];
    note(staleNote(removed, owners));
  }
}

/**
 * Write the owner record of a lab about to make `namespaces` (before the
 * first exists: a kill -9 at any later point leaves nothing unrecorded).
 * Resolves with the record's file, or with why there is none.
 */
export async function recordOwner(dir: string, file: string, namespaces: string[]): Promise<{ file: string } | { error: string }> {
  const startTime = selfStartTime();
  if (startTime === null) return { error: 'cannot read /proc/self/stat' };
  try {
    await writeLabRecord(dir, file, { version: 1, pid: process.pid, startTime, namespaces, createdAt: new Date().toISOString() });
    return { file };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
