// SPDX-License-Identifier: GPL-2.0-only
// Reading the files `merge` is given: each holds one JSON document (a pair,
// compare or sweep --json report, as printed) or a log of several (what
// `kubectl logs` gives of a pod that ran pair --json a few times: one JSON
// line per run, with pair's stderr lines between them). Every JSON object in
// a file must be a report of ours from a release whose reports this one
// reads; anything else refuses the file, with one line saying why.

import { readFileSync, statSync } from 'node:fs';
import { TOOL_VERSION } from '../core/version.js';

/** Largest file read (a pair report is a few kB; a sweep of many runs well under 1 MB). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** The commands whose reports merge reads. */
export const MERGED_COMMANDS = ['pair', 'compare', 'sweep'] as const;
export type MergedCommand = (typeof MERGED_COMMANDS)[number];

export interface Document {
  /** The file it came from, as given. */
  file: string;
  /** 1-based line of the file where it starts (1 for a whole-file document). */
  line: number;
  command: MergedCommand;
  /** The release that wrote it (for pair: the sender's; see receiverVersion). */
  toolVersion: string;
  /** pair: the receiver's release when it differs from the sender's, else null. */
  receiverVersion: string | null;
  doc: Record<string, unknown>;
}

/** Why a file was refused: one line, naming the file. */
export class RefusedFile extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** [major, minor, patch] of a release string, or null. */
export function parseVersion(v: unknown): [number, number, number] | null {
  if (typeof v !== 'string') return null;
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/**
 * Whether reports of release `v` can be read by release `ours`: the same
 * major release and, before 1.0, the same minor one (0.x releases may
 * rename fields: the aliases of the README last one release).
 */
export function compatibleVersion(v: string, ours: string = TOOL_VERSION): boolean {
  const a = parseVersion(v);
  const b = parseVersion(ours);
  if (!a || !b) return false;
  return a[0] === b[0] && (a[0] > 0 || a[1] === b[1]);
}

/** The series of releases ours reads, for messages: "0.1.x". */
export const readableSeries = (ours: string = TOOL_VERSION): string => {
  const b = parseVersion(ours);
  return b ? (b[0] > 0 ? `${b[0]}.x` : `0.${b[1]}.x`) : ours;
};

/** Text from a file, shown in a message: printable ASCII only, cut short. */
const shown = (v: unknown, max = 40): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  const t = s.replace(/[^\x20-\x7e]/g, '?');
  return t.length > max ? `${t.slice(0, max)}…` : t;
};

/** The role's report inside a pair document, if it is an object. */
const sideOf = (doc: Record<string, unknown>, role: 'sender' | 'receiver'): Record<string, unknown> | null =>
  (isObject(doc[role]) ? doc[role] : null);

/**
 * Check one parsed JSON value from `where` ("FILE" or "FILE line N").
 * Returns the document, or throws RefusedFile with one line.
 */
export function checkDocument(v: unknown, file: string, line: number, where: string, ours: string = TOOL_VERSION): Document {
  if (!isObject(v)) throw new RefusedFile(`${where}: not a msg-zerocopy report (a JSON ${Array.isArray(v) ? 'array' : typeof v}, not an object)`);
  if (v.tool !== 'msg-zerocopy') {
    throw new RefusedFile(`${where}: not a msg-zerocopy report (${'tool' in v ? `its tool is "${shown(v.tool)}"` : 'it has no "tool" field'})`);
  }
  const command = v.command;
  if (typeof command !== 'string') {
    const role = typeof v.role === 'string' ? `a classic ${shown(v.role, 10)} report` : 'a report without a command';
    throw new RefusedFile(`${where}: ${role}; merge reads the --json reports of ${MERGED_COMMANDS.join(', ')}`);
  }
  if (!(MERGED_COMMANDS as readonly string[]).includes(command)) {
    throw new RefusedFile(`${where}: a msg-zerocopy ${shown(command, 20)} report; merge reads the --json reports of ${MERGED_COMMANDS.join(', ')}`);
  }
  let version: unknown = v.toolVersion;
  let receiverVersion: string | null = null;
  if (command === 'pair') {
    const tx = sideOf(v, 'sender');
    const rx = sideOf(v, 'receiver');
    if (!tx || !rx || !isObject(v.summary)) throw new RefusedFile(`${where}: a pair report without its sender, receiver and summary`);
    version = tx.toolVersion;
    if (rx.toolVersion !== undefined && rx.toolVersion !== tx.toolVersion) {
      receiverVersion = typeof rx.toolVersion === 'string' ? rx.toolVersion : shown(rx.toolVersion, 20);
      if (!compatibleVersion(receiverVersion, ours)) {
        throw new RefusedFile(`${where}: its receiver ran msg-zerocopy ${shown(receiverVersion, 20)}; this merge (${ours}) reads ` +
          `reports of ${readableSeries(ours)}: merge it with that release`);
      }
    }
  } else if (!isObject(v.options) || !Array.isArray(v.summaries) || !Array.isArray(v.runs)) {
    throw new RefusedFile(`${where}: a ${command} report without its options, summaries and runs`);
  }
  if (version === undefined) throw new RefusedFile(`${where}: a msg-zerocopy ${command} report without its toolVersion (too old to merge)`);
  if (typeof version !== 'string' || !parseVersion(version)) {
    throw new RefusedFile(`${where}: toolVersion "${shown(version, 20)}" is not a release number`);
  }
  if (!compatibleVersion(version, ours)) {
    throw new RefusedFile(`${where}: written by msg-zerocopy ${version}; this merge (${ours}) reads reports of ${readableSeries(ours)}: ` +
      `merge it with msg-zerocopy ${readableSeries(version)}`);
  }
  return { file, line, command: command as MergedCommand, toolVersion: version, receiverVersion, doc: v };
}

/**
 * The documents in one file's text: the whole text as one JSON value, or
 * else every line that starts with "{" (other lines are log text, such as
 * pair's stderr in a pod's log). A line that starts with "{" and is not
 * JSON, or is not a report of ours, refuses the file; so does a file with
 * no report at all.
 */
export function documentsIn(text: string, file: string, ours: string = TOOL_VERSION): Document[] {
  const trimmed = text.trim();
  if (!trimmed) throw new RefusedFile(`${file}: empty; not a msg-zerocopy report`);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return [checkDocument(JSON.parse(trimmed), file, 1, file, ours)];
    } catch (e) {
      if (e instanceof RefusedFile) throw e;
      // not one JSON value: read it as a log below
    }
  }
  const out: Document[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (!t.startsWith('{')) continue;
    const where = `${file} line ${i + 1}`;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      throw new RefusedFile(`${where}: starts like JSON but is not (cut short?); not a msg-zerocopy report`);
    }
    out.push(checkDocument(v, file, i + 1, where, ours));
  }
  if (!out.length) throw new RefusedFile(`${file}: not a msg-zerocopy report (no JSON object in it)`);
  return out;
}

/** Read and check every file; throws RefusedFile at the first that is refused. */
export function readDocuments(files: readonly string[], ours: string = TOOL_VERSION): Document[] {
  const out: Document[] = [];
  for (const file of files) {
    let text: string;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new RefusedFile(`${file}: not a regular file`);
      if (st.size > MAX_FILE_BYTES) throw new RefusedFile(`${file}: ${st.size} bytes, more than any report (${MAX_FILE_BYTES})`);
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof RefusedFile) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new RefusedFile(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
    }
    out.push(...documentsIn(text, file, ours));
  }
  return out;
}
