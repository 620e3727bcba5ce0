// SPDX-License-Identifier: GPL-2.0-only
// From checked documents (read.ts) to the fleet: every measured run as one
// record (source host, destination host, test, payload size, copy or
// zerocopy), records grouped by the options that change what a run measures
// (never mixed across groups), and per group, test, size, source and
// destination one cell: medians, the copied share and the verdict with its
// interval, by the same statistics as compare (src/sweep/summary.ts). Pure.

import type { RunRecord } from '../sweep/runner.js';
import { sizeSummary, type SizeSummary } from '../sweep/summary.js';
import type { Document } from './read.js';

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** What a report says of a host's environment (issue 18's `environment` block), where it has one. */
export interface HostEnvironment {
  hostname: string | null;
  kernel: string | null;
  /** The egress device: name, kind, driver (version, firmware) as given. */
  device: string | null;
  driver: string | null;
}

/** Sub-objects searched for the device and its driver. */
const DEVICE_PARENTS = ['egress', 'device', 'nic', 'netdev', 'interface'];

/** The first non-empty string under one of `keys`, depth-first, at most 4 levels down. */
function findString(v: unknown, keys: readonly string[], depth = 0): string | null {
  if (!isObject(v) || depth > 4) return null;
  for (const k of keys) {
    const s = str(v[k]);
    if (s) return s;
  }
  for (const child of Object.values(v)) {
    const s = findString(child, keys, depth + 1);
    if (s) return s;
  }
  return null;
}

/** The environment block's summary, or null when `env` is not an object. */
export function hostEnvironment(env: unknown): HostEnvironment | null {
  if (!isObject(env)) return null;
  const deviceBlock = DEVICE_PARENTS.map((k) => env[k]).find(isObject) ?? null;
  const kernelBlock = isObject(env.kernel) ? env.kernel : null;
  const dev = deviceBlock ? findString(deviceBlock, ['name', 'ifname', 'device']) : str(env.egressDevice);
  const kind = deviceBlock ? findString(deviceBlock, ['kind']) : null;
  return {
    hostname: findString(env, ['hostname', 'nodename']) ?? str(env.host),
    kernel: kernelBlock ? findString(kernelBlock, ['release', 'kernelRelease']) : findString(env, ['kernelRelease', 'release']) ?? str(env.kernel),
    device: dev ? `${dev}${kind ? ` (${kind})` : ''}` : null,
    driver: deviceBlock ? [findString(deviceBlock, ['driver']), findString(deviceBlock, ['version']), findString(deviceBlock, ['firmware'])]
      .filter(Boolean).join(' ') || null : null,
  };
}

/** One host's environment as text: "kernel 6.18, eth0 (physical) mlx5_core 6.18" ("-" when unknown). */
export function environmentText(e: HostEnvironment | null): string {
  if (!e) return '-';
  const parts = [e.kernel ? `kernel ${e.kernel}` : null, [e.device, e.driver].filter(Boolean).join(' ') || null].filter(Boolean);
  return parts.length ? parts.join(', ') : '-';
}

/**
 * A host's environment block in a document: for pair one per host
 * (`environment.sender` / `environment.receiver`, or each side's report's
 * own `environment`), for compare and sweep the document's.
 */
export function environmentOf(doc: Record<string, unknown>, role: 'sender' | 'receiver' | 'host'): unknown {
  const env = doc.environment;
  if (role === 'host') return env ?? null;
  if (isObject(env) && isObject(env[role])) return env[role];
  const side = doc[role];
  if (isObject(side) && isObject(side.environment)) return side.environment;
  return null;
}

/** The options that change what a run measures: runs that differ in any of them are never summarised together. */
export interface GroupOptions {
  /** pair (two hosts) or compare (one host; sweep too: the same runs). */
  kind: 'pair' | 'compare';
  toolVersion: string;
  family: number | null;
  /** Sender -t, seconds. */
  durationSecs: number | null;
  /** -P. */
  flows: number;
  /** compare and sweep: tx-only or tx-rx. */
  path: string | null;
  /** pair: -c, -m, -l, -O, -C as the sender ran them. */
  cork: number | null;
  corkMixed: boolean | null;
  notificationLimit: number | null;
  payloadOffset: number | null;
  pinCpu: number | null;
}

export interface FleetRun {
  file: string;
  line: number;
  groupKey: string;
  /** The test, with the send interface when it is not MSG_ZEROCOPY ("udp io_uring"). */
  test: string;
  size: number;
  mode: 'copy' | 'zerocopy';
  source: string;
  destination: string;
  startedAt: number | null;
  ok: boolean;
  measured: boolean;
  bytesPerSecond: number | null;
  secPerGB: number | null;
  completions: number | null;
  copiedCompletions: number | null;
  /** The run's pair (copy k with zerocopy k) within its cell: set by cells(). */
  rep: number;
  /** Pair only: the receiver's rate, bytes per second. */
  receiverBytesPerSecond: number | null;
  /** Pair only: the share of datagrams lost (udp), or null. */
  loss: number | null;
  sourceEnvironment: HostEnvironment | null;
  destinationEnvironment: HostEnvironment | null;
}

export interface Group {
  key: string;
  options: GroupOptions;
  /** Documents in the group: where they came from. */
  sources: string[];
}

const groupKey = (o: GroupOptions): string => JSON.stringify(o);

/** A pair document's runs: one. */
function pairRun(d: Document, docIndex: number): { group: GroupOptions; run: FleetRun } {
  const doc = d.doc;
  const tx = doc.sender as Record<string, unknown>;
  const summary = doc.summary as Record<string, unknown>;
  const txEnv = hostEnvironment(environmentOf(doc, 'sender'));
  const rxEnv = hostEnvironment(environmentOf(doc, 'receiver'));
  const flows = num(summary.flows) ?? 1;
  const group: GroupOptions = {
    kind: 'pair',
    toolVersion: d.receiverVersion ? `${d.toolVersion} (receiver ${d.receiverVersion})` : d.toolVersion,
    // runtimeMs is -t plus the selftest's 200 ms (cfg_runtime_ms)
    family: num(tx.family), durationSecs: num(tx.runtimeMs) === null ? null : (num(tx.runtimeMs)! - 200) / 1000, flows, path: null,
    cork: num(tx.cork), corkMixed: typeof tx.corkMixed === 'boolean' ? tx.corkMixed : null,
    notificationLimit: num(tx.notificationLimit), payloadOffset: num(tx.payloadOffset), pinCpu: num(tx.pinCpu),
  };
  const sideOk = typeof tx.error !== 'string' && num(tx.bytes) !== null;
  const s = isObject(summary.sender) ? summary.sender : null;
  const r = isObject(summary.receiver) ? summary.receiver : null;
  // the rate pair's summary gives (with -P: the flows' own rates added up), and CPU per GB of the sender
  const bps = s && num(s.throughputGbps) !== null ? (num(s.throughputGbps)! * 1e9) / 8 : null;
  const ok = doc.exitCode === 0 && sideOk;
  const test = str(tx.test) ?? str(summary.test) ?? '?';
  const started = str(tx.startedAt);
  const run: FleetRun = {
    file: d.file, line: d.line, groupKey: groupKey(group), test, size: num(tx.payloadLen) ?? 0,
    mode: tx.zerocopy === true ? 'zerocopy' : 'copy',
    // A host is named by its environment's hostname, else by its address (-S for the source: the pod's node
    // address in deploy/kubernetes), else the source stays unknown: one per file, so that unknown sources never mix.
    source: txEnv?.hostname ?? str(tx.src) ?? `source of ${d.file}`,
    destination: rxEnv?.hostname ?? str(tx.dst) ?? str(doc.control) ?? '?',
    startedAt: started ? Date.parse(started) : null,
    ok, measured: ok && bps !== null && num(s?.cpuSecPerGB) !== null,
    bytesPerSecond: bps, secPerGB: s ? num(s.cpuSecPerGB) : null,
    completions: num(tx.completions), copiedCompletions: num(tx.copiedCompletions),
    rep: docIndex,
    receiverBytesPerSecond: r && num(r.throughputGbps) !== null ? (num(r.throughputGbps)! * 1e9) / 8 : null,
    loss: num(summary.loss),
    sourceEnvironment: txEnv, destinationEnvironment: rxEnv,
  };
  return { group, run };
}

/** A compare or sweep document's runs (every interface, size, mode and repetition). */
function compareRuns(d: Document, docIndex: number): { group: GroupOptions; runs: FleetRun[] } {
  const doc = d.doc;
  const o = doc.options as Record<string, unknown>;
  const env = hostEnvironment(environmentOf(doc, 'host'));
  const host = env?.hostname ?? `host of ${d.file}`;
  const group: GroupOptions = {
    kind: 'compare', toolVersion: d.toolVersion, family: num(o.family), durationSecs: num(o.duration), flows: num(o.flows) ?? 1,
    path: str(o.path), cork: null, corkMixed: null, notificationLimit: null, payloadOffset: null, pinCpu: null,
  };
  const key = groupKey(group);
  const test = str(o.test) ?? '?';
  const runs: FleetRun[] = [];
  for (const x of doc.runs as unknown[]) {
    if (!isObject(x)) continue;
    const api = str(x.api) ?? 'msg';
    const rep = num(x.rep) ?? 0;
    runs.push({
      file: d.file, line: d.line, groupKey: key, test: api === 'msg' ? test : `${test} ${api === 'uring' ? 'io_uring' : api}`,
      size: num(x.size) ?? 0, mode: x.mode === 'zerocopy' ? 'zerocopy' : 'copy', source: host, destination: host,
      startedAt: null, ok: x.ok === true, measured: x.measured === true,
      bytesPerSecond: num(x.bytesPerSecond) ?? num(x.throughputBps), secPerGB: num(x.secPerGB),
      completions: num(x.completions), copiedCompletions: num(x.copiedCompletions),
      // compare paired copy k with zerocopy k (back to back); kept apart from every other document's pairs
      rep: docIndex * 1_000_000 + rep,
      receiverBytesPerSecond: null, loss: null, sourceEnvironment: env, destinationEnvironment: env,
    });
  }
  return { group, runs };
}

export interface Cell {
  groupKey: string;
  test: string;
  size: number;
  source: string;
  destination: string;
  summary: SizeSummary;
  /** Runs of each mode (done, measured); pairs that went into the interval: summary.ratio.secPerGBInterval.n. */
  runs: FleetRun[];
  sourceEnvironment: HostEnvironment | null;
  destinationEnvironment: HostEnvironment | null;
}

/** As a run record of the sweep, so that compare's own statistics summarise it. */
function asRecord(r: FleetRun, index: number): RunRecord {
  return {
    index, size: r.size, mode: r.mode, rep: r.rep, ok: r.ok, reasons: [], measured: r.measured,
    expect: null, expectationMet: null, packets: null, bytes: null, durationMs: null,
    throughputBps: r.bytesPerSecond, throughputGBps: r.bytesPerSecond === null ? null : r.bytesPerSecond / 1e9,
    secPerGB: r.secPerGB, cpuUserUs: null, cpuSysUs: null, completions: r.completions, copiedCompletions: r.copiedCompletions,
    zerocopiedCompletions: r.completions !== null && r.copiedCompletions !== null ? r.completions - r.copiedCompletions : null,
    senderExit: null, receiverExit: null, rxPackets: null, rxBytes: null, senderArgv: [], receiverArgv: null, wallMs: 0,
  };
}

/**
 * Pair runs of one cell into (copy, zerocopy) pairs that ran one right
 * after the other: in order of start, two neighbours of different modes
 * make a pair (the plan of deploy/kubernetes runs copy then zerocopy for
 * each repetition). A run without a neighbour of the other mode is in the
 * medians but not in the interval. Sets each run's rep.
 */
export function pairNeighbours(runs: FleetRun[]): void {
  const measured = runs.filter((r) => r.measured).sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
  let next = 1;
  for (let i = 0; i < measured.length; i++) {
    const a = measured[i];
    const b = measured[i + 1];
    if (b && a.mode !== b.mode && a.startedAt !== null && b.startedAt !== null) {
      a.rep = b.rep = next++;
      i++;
    } else {
      a.rep = next++;
    }
  }
  for (const r of runs) if (!r.measured) r.rep = next++;
}

export interface Fleet {
  groups: Group[];
  cells: Cell[];
  runs: FleetRun[];
  /** Reports given twice (the same document in two files, e.g. a pod's log and the report taken from it): read once. */
  duplicates: string[];
}

/** The documents, each once: a document equal to an earlier one is left out (and named). */
export function uniqueDocuments(docs: readonly Document[]): { unique: Document[]; duplicates: string[] } {
  const seen = new Set<string>();
  const unique: Document[] = [];
  const duplicates: string[] = [];
  for (const d of docs) {
    const k = JSON.stringify(d.doc);
    if (seen.has(k)) duplicates.push(d.line > 1 ? `${d.file}:${d.line}` : d.file);
    else { seen.add(k); unique.push(d); }
  }
  return { unique, duplicates };
}

/** Every run of every document, its group, and the cells. */
export function buildFleet(all: readonly Document[]): Fleet {
  const { unique: docs, duplicates } = uniqueDocuments(all);
  const groups = new Map<string, Group>();
  const runs: FleetRun[] = [];
  docs.forEach((d, i) => {
    const { group, runs: rs } = d.command === 'pair' ? (({ group: g, run }) => ({ group: g, runs: [run] }))(pairRun(d, i + 1)) : compareRuns(d, i + 1);
    const key = groupKey(group);
    const g = groups.get(key) ?? { key, options: group, sources: [] };
    const where = d.line > 1 ? `${d.file}:${d.line}` : d.file;
    if (!g.sources.includes(where)) g.sources.push(where);
    groups.set(key, g);
    runs.push(...rs);
  });
  const byCell = new Map<string, FleetRun[]>();
  for (const r of runs) {
    const k = JSON.stringify([r.groupKey, r.test, r.size, r.source, r.destination]);
    const list = byCell.get(k) ?? [];
    list.push(r);
    byCell.set(k, list);
  }
  const cells: Cell[] = [];
  for (const list of byCell.values()) {
    const first = list[0];
    // pair runs: paired by their neighbours in time; compare runs already carry their pairs
    if (list.every((r) => r.startedAt !== null)) pairNeighbours(list);
    cells.push({
      groupKey: first.groupKey, test: first.test, size: first.size, source: first.source, destination: first.destination,
      summary: sizeSummary(first.size, list.map(asRecord)), runs: list,
      sourceEnvironment: list.find((r) => r.sourceEnvironment)?.sourceEnvironment ?? null,
      destinationEnvironment: list.find((r) => r.destinationEnvironment)?.destinationEnvironment ?? null,
    });
  }
  const order = [...groups.keys()];
  cells.sort((a, b) => order.indexOf(a.groupKey) - order.indexOf(b.groupKey) || a.test.localeCompare(b.test) || a.size - b.size ||
    a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination));
  return { groups: [...groups.values()], cells, runs, duplicates };
}

/** The group's options as one line: "pair, msg-zerocopy 0.1.0, IPv4, -t 2 s, -P 1". */
export function groupLine(o: GroupOptions): string {
  const parts = [o.kind === 'pair' ? 'pair (two hosts)' : 'compare/sweep (one host)', `msg-zerocopy ${o.toolVersion}`];
  if (o.family !== null) parts.push(`IPv${o.family}`);
  if (o.durationSecs !== null) parts.push(`-t ${o.durationSecs} s`);
  parts.push(`-P ${o.flows}`);
  if (o.path) parts.push(o.path);
  if (o.cork) parts.push(`-c ${o.cork}${o.corkMixed ? ' -m' : ''}`);
  if (o.notificationLimit !== null && o.kind === 'pair') parts.push(`-l ${o.notificationLimit}`);
  if (o.payloadOffset) parts.push(`-O ${o.payloadOffset}`);
  if (o.pinCpu !== null) parts.push(`-C ${o.pinCpu}`);
  return parts.join(', ');
}
