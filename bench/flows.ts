// SPDX-License-Identifier: GPL-2.0-only
// The flows case of `npm run bench`: udp tx-only zerocopy (65435 B, -Z 1)
// with two flows at once. Each round runs four things back to back, in an
// order that rotates from round to round (so drift on a shared machine
// falls on each in turn):
//
//   ours, one flow            msg-zerocopy -z -Z 1 udp
//   ours, -P 2                msg-zerocopy -z -Z 1 -P 2 udp (flows pinned to CPUs 0 and 1)
//   C, one sender             msg_zerocopy -z udp (6.12 has no -Z; its zc=y is checked)
//   C, two senders            two msg_zerocopy -z udp side by side, -C 0 -p P and -C 1 -p P+1
//
// and the ratios are taken within the round: ours -P 2 / ours one flow (the
// scaling, target >= 1.7), C two / C one (what the C tool reaches here), ours
// -P 2 / C two (target: at least ours one flow / C one, the single-flow ratio
// of the same rounds). Throughput = bytes sent over the nominal run time
// (200 ms + secs), as the classic cases; two senders' bytes are summed.
// CPU s/GB (process): user + system time from GNU time around the sender (for
// ours -P 2 that is the whole process tree: time waits for our process, which
// waits for its flows), start-up included.
//
// Two flows need two idle CPUs. On a machine shared with other work, each run
// waits (bounded) for a quiet moment: the CPUs busy over 300 ms, from
// /proc/stat, while nothing of ours runs. The same is sampled right after the
// run; the table gives each ratio over all rounds and over the rounds where
// both of its runs started and ended quiet.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Family } from '../src/core/vocabulary.js';
import type { Lab } from '../src/lab/lab.js';
import { runTxOnly } from '../test/compat/harness.js';
import { describe as show, parseJson, type ProcResult } from '../test/support/proc.js';
import { machineSection } from './machine.js';

const PAYLOAD = 65435;
const TIME_MARK = 'MZC-FLOWS-RUSAGE';
const WRAP = ['/usr/bin/time', '-f', `${TIME_MARK} %e %U %S`];

export type FlowsKind = 'ours-1' | 'ours-P2' | 'C-1' | 'C-2';
export const FLOWS_KINDS: readonly FlowsKind[] = ['ours-1', 'ours-P2', 'C-1', 'C-2'];

export interface FlowsRun {
  kind: FlowsKind;
  round: number;
  /** Position in its round (0-3). */
  order: number;
  packets: number;
  bytes: number;
  throughputBps: number;
  /** user + sys of the sender process(es) from GNU time, per 1e9 bytes. */
  cpuSecPerGB: number | null;
  /** ours: from the --json report (for -P 2, the flows' own CPU plus the parent's). */
  jsonCpuSecPerGB: number | null;
  /** ours -P 2: Jain's index of the two flows. */
  jain: number | null;
  /** CPUs busy (others' work) over 300 ms just before and just after the run. */
  busyBefore: number;
  busyAfter: number;
  /** How long the run waited for a quiet moment, ms. */
  waitedMs: number;
}

export interface FlowsResult {
  rounds: number;
  seconds: number;
  family: Family;
  runs: FlowsRun[];
  /** Per-round ratios: every round, and the rounds where both runs of the ratio started and ended quiet. */
  ratios: Record<RatioName, number[]>;
  quietRatios: Record<RatioName, number[]>;
  quietCpus: number;
  quietWaitMs: number;
  loadBefore: number[];
  loadAfter: number[];
}

export type RatioName = 'scaling' | 'cScaling' | 'vsTwoC' | 'single';
/** Each ratio: throughput of the first over the second, in the same round. */
export const RATIOS: Record<RatioName, readonly [FlowsKind, FlowsKind]> = {
  scaling: ['ours-P2', 'ours-1'], cScaling: ['C-2', 'C-1'], vsTwoC: ['ours-P2', 'C-2'], single: ['ours-1', 'C-1'],
};

export interface FlowsBenchOptions {
  rounds: number;
  /** A moment is quiet when fewer CPUs than this are busy (default 0.2). */
  quietCpus?: number;
  /** Wait at most this long for one (default 20 s). */
  quietWaitMs?: number;
  seconds: number;
  family: Family;
  /** argv prefix of our CLI and of the C selftest. */
  ours: string[];
  c: string[];
  log: (line: string) => void;
}

/** Busy and total time of all CPUs so far, from the first line of /proc/stat (in clock ticks). */
function cpuTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: user + nice + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CPUS = (): number => Math.max(1, readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length);

/** CPUs busy over the next `ms`. */
async function busyCpus(ms = 300): Promise<number> {
  const a = cpuTicks();
  await sleep(ms);
  const b = cpuTicks();
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * CPUS() : 0;
}

/** Wait until fewer than `cpus` CPUs are busy, for at most `maxMs`; the last sample and the time waited. */
async function waitQuiet(cpus: number, maxMs: number): Promise<{ busy: number; waitedMs: number }> {
  const t0 = Date.now();
  let busy = await busyCpus();
  while (busy >= cpus && Date.now() - t0 < maxMs) busy = await busyCpus();
  return { busy, waitedMs: Date.now() - t0 };
}

function rusage(stderr: string): { user: number; sys: number } | null {
  let user = 0;
  let sys = 0;
  let n = 0;
  for (const m of stderr.matchAll(new RegExp(`^${TIME_MARK} ([\\d.]+) ([\\d.]+) ([\\d.]+)$`, 'gm'))) {
    user += Number(m[2]);
    sys += Number(m[3]);
    n++;
  }
  return n ? { user, sys } : null;
}

function fail(what: string, r: ProcResult): never {
  throw new Error(`bench flows: ${what} failed\n${show(r)}`);
}

/** Bytes and CPU of one of ours (its --json report: one flow's, or the sum of -P 2). */
type Measured = Omit<FlowsRun, 'round' | 'order' | 'throughputBps' | 'busyBefore' | 'busyAfter' | 'waitedMs'>;

function oursRun(kind: FlowsKind, r: ProcResult): Measured {
  const j = parseJson(r.stdout) as { packets?: number; bytes?: number; zc?: string; cpu?: { secPerGB?: number | null };
    fairness?: { jainIndex?: number | null } } | null;
  if (r.code !== 0 || !j || typeof j.bytes !== 'number' || typeof j.packets !== 'number' || j.zc !== 'y') fail(kind, r);
  const ru = rusage(r.stderr);
  return {
    kind, packets: j.packets, bytes: j.bytes,
    cpuSecPerGB: ru && j.bytes > 0 ? (ru.user + ru.sys) / (j.bytes / 1e9) : null,
    jsonCpuSecPerGB: j.cpu?.secPerGB ?? null,
    jain: j.fairness?.jainIndex ?? null,
  };
}

/** Bytes and CPU of C senders (their tx= lines; udp sends are all or nothing, so packets x payload is exact). */
function cRun(kind: FlowsKind, rs: Array<{ tx: ProcResult; txLine: { tx: number; zc: boolean } | null }>): Measured {
  let packets = 0;
  let user = 0;
  let sys = 0;
  for (const r of rs) {
    if (r.tx.code !== 0 || !r.txLine || !r.txLine.zc) fail(kind, r.tx);
    packets += r.txLine.tx;
    const ru = rusage(r.tx.stderr);
    if (ru) {
      user += ru.user;
      sys += ru.sys;
    }
  }
  const bytes = packets * PAYLOAD;
  return { kind, packets, bytes, cpuSecPerGB: bytes > 0 ? (user + sys) / (bytes / 1e9) : null, jsonCpuSecPerGB: null, jain: null };
}

async function runKind(lab: Lab, o: FlowsBenchOptions, kind: FlowsKind, port: number): Promise<Measured> {
  const base = { family: o.family, test: 'udp' as const, txSecs: o.seconds, senderWrap: WRAP };
  const flags = ['-z', '-Z', '1', '-p', String(port)];
  switch (kind) {
    case 'ours-1':
      return oursRun(kind, (await runTxOnly(lab, { ...base, sender: o.ours, flags: [...flags, '--json'] })).tx);
    case 'ours-P2':
      return oursRun(kind, (await runTxOnly(lab, { ...base, sender: o.ours, flags: [...flags, '-P', '2', '--json'] })).tx);
    // The C release built here (6.12) has no -Z: its zc=y says the completions were not copied.
    case 'C-1':
      return cRun(kind, [await runTxOnly(lab, { ...base, sender: o.c, flags: ['-z', '-p', String(port)] })]);
    case 'C-2':
      return cRun(kind, await Promise.all([0, 1].map((k) =>
        runTxOnly(lab, { ...base, sender: o.c, flags: ['-z', '-p', String(port + k), '-C', String(k)] }))));
  }
}

export async function benchFlows(lab: Lab, o: FlowsBenchOptions): Promise<FlowsResult> {
  const runtimeS = 0.2 + o.seconds;
  const runs: FlowsRun[] = [];
  const loadBefore = loadavg();
  const quietCpus = o.quietCpus ?? 0.2;
  const quietWaitMs = o.quietWaitMs ?? 20000;
  for (let round = 0; round < o.rounds; round++) {
    const order = FLOWS_KINDS.map((_, i) => FLOWS_KINDS[(i + round) % FLOWS_KINDS.length]);
    const got = new Map<FlowsKind, FlowsRun>();
    for (const [i, kind] of order.entries()) {
      const q = await waitQuiet(quietCpus, quietWaitMs);
      const r = await runKind(lab, o, kind, 8100 + 10 * i);
      const busyAfter = await busyCpus();
      const run: FlowsRun = {
        ...r, round, order: i, throughputBps: r.bytes / runtimeS, busyBefore: q.busy, busyAfter, waitedMs: q.waitedMs,
      };
      got.set(kind, run);
      runs.push(run);
    }
    const gb = (k: FlowsKind): number => (got.get(k)?.throughputBps ?? NaN) / 1e9;
    o.log(`flows round ${round + 1}/${o.rounds}: ours ${gb('ours-1').toFixed(2)} / -P 2 ${gb('ours-P2').toFixed(2)} GB/s ` +
      `(x${(gb('ours-P2') / gb('ours-1')).toFixed(2)}), C ${gb('C-1').toFixed(2)} / two ${gb('C-2').toFixed(2)} GB/s ` +
      `(x${(gb('C-2') / gb('C-1')).toFixed(2)}); busy before/after ${[...got.values()].map((x) =>
        `${x.busyBefore.toFixed(1)}/${x.busyAfter.toFixed(1)}`).join(' ')}`);
  }
  const partial = { rounds: o.rounds, runs, quietCpus };
  return {
    rounds: o.rounds, seconds: o.seconds, family: o.family, runs, loadBefore, loadAfter: loadavg(), quietCpus, quietWaitMs,
    ratios: ratiosOf(partial, false), quietRatios: ratiosOf(partial, true),
  };
}

/** A run started and ended with fewer than `cpus` CPUs busy with other work. */
export const isQuiet = (r: FlowsRun, cpus: number): boolean => r.busyBefore < cpus && r.busyAfter < cpus;

/** The per-round ratios of a set of runs; `quiet`: only rounds where both runs of a ratio were quiet. */
export function ratiosOf(r: Pick<FlowsResult, 'rounds' | 'runs' | 'quietCpus'>, quiet: boolean): Record<RatioName, number[]> {
  const out = {} as Record<RatioName, number[]>;
  for (const [name, [a, b]] of Object.entries(RATIOS) as Array<[RatioName, readonly [FlowsKind, FlowsKind]]>) {
    out[name] = [];
    for (let round = 0; round < r.rounds; round++) {
      const x = r.runs.find((y) => y.round === round && y.kind === a);
      const y = r.runs.find((z) => z.round === round && z.kind === b);
      if (!x || !y || (quiet && !(isQuiet(x, r.quietCpus) && isQuiet(y, r.quietCpus)))) continue;
      out[name].push(x.throughputBps / y.throughputBps);
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const f3 = (x: number | null): string => (x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));
const f2 = (x: number): string => x.toFixed(2);

const stats = (xs: number[]): string => (xs.length ? `**${f3(median(xs))}** | ${f3(Math.min(...xs))} | ${f3(Math.max(...xs))}` : 'n/a | | ');

/** The ratio rows (all rounds, and the quiet ones) and the per-kind rows of some runs, as Markdown. */
export function flowsTables(r: FlowsResult): { ratios: string; kinds: (quietOnly: boolean) => string } {
  const row = (title: string, name: RatioName, target: string): string =>
    `| ${title} | ${stats(r.ratios[name])} | ${r.quietRatios[name].length} | ${stats(r.quietRatios[name])} | ${target} |`;
  const ratios = [
    `| ratio (per round) | all ${r.rounds} rounds: median | min | max | quiet rounds | median | min | max | target |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    row('ours -P 2 / ours one flow (scaling)', 'scaling', '>= 1.7'),
    row('C two senders / C one sender (scaling)', 'cScaling', 'reference (2.0 on an idle machine)'),
    row('ours -P 2 / two C senders', 'vsTwoC', '>= ours one / C one'),
    row('ours one flow / one C sender (single-flow ratio)', 'single', 'reference'),
  ].join('\n');
  const title: Record<FlowsKind, string> = {
    'ours-1': 'ours, one flow', 'ours-P2': 'ours, -P 2', 'C-1': 'C, one sender', 'C-2': 'C, two senders side by side',
  };
  const kinds = (quietOnly: boolean): string => [
    '| sender | runs | GB/s (median) | min | max | CPU s/GB (process) | CPU s/GB ours (--json) | Jain\'s index |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...FLOWS_KINDS.map((k) => {
      const rs = r.runs.filter((x) => x.kind === k && (!quietOnly || isQuiet(x, r.quietCpus)));
      if (!rs.length) return `| ${title[k]} | 0 | | | | | | |`;
      const gb = rs.map((x) => x.throughputBps / 1e9);
      const med = (sel: (x: FlowsRun) => number | null): number | null => {
        const v = rs.map(sel).filter((x): x is number => x !== null && Number.isFinite(x));
        return v.length ? median(v) : null;
      };
      return `| ${title[k]} | ${rs.length} | ${f2(median(gb))} | ${f2(Math.min(...gb))} | ${f2(Math.max(...gb))} | ` +
        `${f3(med((x) => x.cpuSecPerGB))} | ${f3(med((x) => x.jsonCpuSecPerGB))} | ${k === 'ours-P2' ? f3(med((x) => x.jain)) : '-'} |`;
    }),
  ].join('\n');
  return { ratios, kinds };
}

/** bench/FLOWS.md */
export function flowsMarkdown(r: FlowsResult, machine: Record<string, unknown>, cmd: string): string {
  const t = flowsTables(r);
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  return `# Benchmark: two flows at once (-P 2) against one, and against two C senders

Produced by \`${cmd}\` (\`bench/flows.ts\`, the flows case of \`bench/run.ts\`); raw runs in
\`bench/results/flows.json\`.

${machineSection(machine, [`| load average (1, 5, 15 min) before / after | ${load(r.loadBefore)} / ${load(r.loadAfter)} |`])}

## Results (${r.rounds} rounds, IPv${r.family}, udp tx-only zerocopy \`-z -Z 1\`, ${PAYLOAD} B, sender \`-t ${r.seconds}\`)

${t.ratios}

Quiet runs (started and ended with fewer than ${r.quietCpus} CPUs busy with other work):

${t.kinds(true)}

All runs:

${t.kinds(false)}

## Method

- One namespace pair (\`src/lab\`); every sender sends to 192.168.2.2 (fc::2), routed by the receiver
  namespace into its egress device and dropped, so the completions say not copied: ours runs with
  \`-Z 1\`, the C release built here (6.12) has no \`-Z\`, and every sender's \`zc=y\` is checked.
- A round runs the four senders of the second table one after the other; the order rotates by one
  from round to round. Ratios are taken within a round, then the median, min and max over rounds.
- Ours -P 2 pins its flows to CPUs 0 and 1 (the default spread over the CPUs it may use); the two C
  senders get \`-C 0\` and \`-C 1\` and data ports P and P+1, started together. One flow and one C
  sender are not pinned, as in the classic cases.
- Throughput = bytes sent (udp: packets x payload; ours: the byte count of its --json report, the
  sum of the flows for -P 2) over the nominal run time (${(0.2 + r.seconds).toFixed(1)} s). GB = 10^9 bytes.
- CPU s/GB (process): user + system time from GNU time around each sender command (ours -P 2: the
  parent and both flows; two C senders: the sum of both), start-up included. CPU s/GB (--json): our
  report's cpu fields (for -P 2 the flows' own CPU plus the parent's, over the summed bytes).
- Two flows need two idle CPUs, and this machine was shared with other work while this ran (see the
  load average). Before each run the bench waits (at most ${r.quietWaitMs / 1000} s) until fewer than
  ${r.quietCpus} CPUs are busy over 300 ms (\`/proc/stat\`, nothing of ours running), and samples the same
  right after the run. The quiet columns take a round's ratio only when both of its runs started and
  ended below that. Compare ratios from one run on one host, never absolute figures across hosts.
`;
}
