// SPDX-License-Identifier: GPL-2.0-only
// Benchmark of the io_uring sender (`msg-zerocopy uring`): ours against the
// kernel's C io_uring_zerocopy_tx with the same flags, and our io_uring path
// against the C msg_zerocopy -z sender, all tx-only udp (out of the lab's
// egress device, where notifications say not copied). Paired runs in one
// lab, the order inside a pair alternating (ours first, then C first), the
// ratio taken within each pair: on a shared, noisy machine only ratios from
// paired runs mean anything.
//
//   npm run bench -- --cases uring          # from bench/run.ts, with its --pairs / --seconds
//   node --import tsx bench/uring.ts [--pairs N] [--seconds N] [--cases a,b] [--no-write]
//
// Writes bench/URING.md and bench/results/uring.json.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import type { Family } from '../src/core/vocabulary.js';
import { nsExecArgv } from '../src/lab/exec.js';
import { createLab, type Lab } from '../src/lab/lab.js';
import { ensureUringReference, type Reference } from '../src/reference/reference.js';
import { parseSenderLine } from '../src/report/report.js';
import { parseUringLine } from '../src/uring/report.js';
import { describe as show, ourArgv, ourUnavailableReason, parseJson, rootUnavailableReason, start } from '../test/support/proc.js';
import { machineInfo, machineSection, type Machine } from './machine.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const TIME_BIN = '/usr/bin/time';
const TIME_MARK = 'MZC-RUSAGE';

export interface UringCase {
  name: string;
  title: string;
  /** Our flags after `uring`. */
  ours: string[];
  /** The C program and its flags. */
  c: 'io_uring_zerocopy_tx' | 'msg_zerocopy';
  cFlags: string[];
  payload: number;
  /** The median paired ratio (ours / C) the case must reach. */
  target: number;
}

export const URING_CASES: UringCase[] = [
  {
    name: 'uring-zc-1000', title: 'SEND_ZC, -s 1000: ours vs io_uring_zerocopy_tx (-m 1 -n 32)',
    ours: ['-m', '1', '-n', '32', '-s', '1000'], c: 'io_uring_zerocopy_tx', cFlags: ['-m', '1', '-n', '32', '-s', '1000'],
    payload: 1000, target: 0.97,
  },
  {
    name: 'uring-fixed-65435', title: 'SEND_ZC registered buffer, -s 65435: ours vs io_uring_zerocopy_tx (-m 2 -n 32)',
    ours: ['-m', '2', '-n', '32'], c: 'io_uring_zerocopy_tx', cFlags: ['-m', '2', '-n', '32'], payload: 65435, target: 0.97,
  },
  {
    name: 'uring-vs-msg-1000', title: 'our io_uring SEND_ZC (-m 1 -n 32) vs the C msg_zerocopy -z, -s 1000',
    ours: ['-m', '1', '-n', '32', '-s', '1000'], c: 'msg_zerocopy', cFlags: ['-z', '-s', '1000'], payload: 1000, target: 1.10,
  },
];

export interface UringRun {
  who: 'ours' | 'C';
  pair: number;
  packets: number;
  throughputBps: number;
  packetsPerSec: number;
  /** user + sys CPU of the sender process per send (GNU time; start-up included), ns. */
  cpuNsPerSend: number | null;
  /** ours: from --json (the run alone), ns per send; and the notification accounting. */
  jsonCpuNsPerSend: number | null;
  completions: number | null;
  zerocopiedCompletions: number | null;
}

export interface UringCaseResult {
  name: string;
  title: string;
  oursArgv: string[];
  cArgv: string[];
  target: number;
  runs: UringRun[];
  ratios: number[];
  ratio: { median: number; min: number; max: number };
  ratioOfMedians: number;
  /**
   * Per pair, C's CPU per send over ours (ours from --json: the run alone):
   * what the throughput ratio would be if both had a CPU to themselves. CPU
   * cost per send hardly moves with the load of a shared machine; sends per
   * second move with whatever else runs.
   */
  cpuRatio: number | null;
  oursPps: number;
  cPps: number;
  oursBps: number;
  cBps: number;
  oursCpuNsPerSend: number | null;
  oursJsonCpuNsPerSend: number | null;
  cCpuNsPerSend: number | null;
  met: boolean;
}

export interface UringBenchOptions {
  pairs: number;
  seconds: number;
  family: Family;
  cases?: string[];
  log?: (line: string) => void;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const medianOrNull = (xs: Array<number | null>): number | null => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? median(v) : null;
};

async function runOne(lab: Lab, ref: Reference, c: UringCase, who: 'ours' | 'C', pair: number, o: UringBenchOptions): Promise<UringRun> {
  const common = [`-${o.family}`, '-D', lab.addr[o.family].txOnly, '-t', String(o.seconds)];
  const program = who === 'ours'
    ? [...ourArgv(), 'uring', ...common, ...c.ours, '--json']
    : [c.c === 'msg_zerocopy' ? ref.bin : ref.uringBin, ...common, ...c.cFlags];
  const argv = nsExecArgv(lab.txNs, [TIME_BIN, '-f', `${TIME_MARK} %e %U %S`, ...program, 'udp']);
  const r = await start(argv, { timeoutMs: (o.seconds + 30) * 1000 }).done;
  const packets = parseUringLine(r.stderr)?.packets ?? parseSenderLine(r.stderr)?.packets;
  if (r.code !== 0 || packets === undefined) throw new Error(`${who} sender failed in ${c.name}\n${show(r)}`);
  const ru = new RegExp(`^${TIME_MARK} ([\\d.]+) ([\\d.]+) ([\\d.]+)$`, 'm').exec(r.stderr);
  const runtimeS = 0.2 + o.seconds;
  const j = who === 'ours' ? parseJson(r.stdout) as { cpu?: { userUs: number; sysUs: number }; completions?: number; zerocopiedCompletions?: number } | null : null;
  return {
    who, pair, packets,
    throughputBps: (packets * c.payload) / runtimeS,
    packetsPerSec: packets / runtimeS,
    cpuNsPerSend: ru && packets ? ((Number(ru[2]) + Number(ru[3])) * 1e9) / packets : null,
    jsonCpuNsPerSend: j?.cpu && packets ? ((j.cpu.userUs + j.cpu.sysUs) * 1e3) / packets : null,
    completions: j?.completions ?? null,
    zerocopiedCompletions: j?.zerocopiedCompletions ?? null,
  };
}

/** Run the io_uring cases in `lab`; `ref` with its io_uring half. */
export async function benchUring(lab: Lab, ref: Reference, o: UringBenchOptions): Promise<UringCaseResult[]> {
  const log = o.log ?? (() => {});
  const selected = URING_CASES.filter((c) => !o.cases || o.cases.includes(c.name));
  const results: UringCaseResult[] = [];
  for (const c of selected) {
    const runs: UringRun[] = [];
    for (let p = 0; p < o.pairs; p++) {
      // Alternate who goes first, so a slow drift of the machine favours neither.
      const first: 'ours' | 'C' = p % 2 === 0 ? 'ours' : 'C';
      const a = await runOne(lab, ref, c, first, p, o);
      const b = await runOne(lab, ref, c, first === 'ours' ? 'C' : 'ours', p, o);
      const [ours, cr] = first === 'ours' ? [a, b] : [b, a];
      runs.push(ours, cr);
      log(`${c.name} pair ${p + 1}/${o.pairs}: ours ${(ours.packetsPerSec / 1e3).toFixed(0)} k/s, C ${(cr.packetsPerSec / 1e3).toFixed(0)} k/s, ` +
        `ratio ${(ours.packetsPerSec / cr.packetsPerSec).toFixed(3)}`);
    }
    const os = runs.filter((r) => r.who === 'ours');
    const cs = runs.filter((r) => r.who === 'C');
    const ratios = os.map((r, i) => r.packetsPerSec / cs[i].packetsPerSec);
    const m = median(ratios);
    results.push({
      name: c.name, title: c.title, target: c.target,
      oursArgv: ['msg-zerocopy', 'uring', `-${o.family}`, '-t', String(o.seconds), ...c.ours, 'udp'],
      cArgv: [c.c, `-${o.family}`, '-t', String(o.seconds), ...c.cFlags, 'udp'],
      runs, ratios, ratio: { median: m, min: Math.min(...ratios), max: Math.max(...ratios) },
      ratioOfMedians: median(os.map((r) => r.packetsPerSec)) / median(cs.map((r) => r.packetsPerSec)),
      cpuRatio: medianOrNull(os.map((r, i) => (r.jsonCpuNsPerSend && cs[i].cpuNsPerSend ? cs[i].cpuNsPerSend! / r.jsonCpuNsPerSend : null))),
      oursPps: median(os.map((r) => r.packetsPerSec)), cPps: median(cs.map((r) => r.packetsPerSec)),
      oursBps: median(os.map((r) => r.throughputBps)), cBps: median(cs.map((r) => r.throughputBps)),
      oursCpuNsPerSend: medianOrNull(os.map((r) => r.cpuNsPerSend)),
      oursJsonCpuNsPerSend: medianOrNull(os.map((r) => r.jsonCpuNsPerSend)),
      cCpuNsPerSend: medianOrNull(cs.map((r) => r.cpuNsPerSend)),
      met: m >= c.target,
    });
  }
  return results;
}

const f = (x: number | null, d = 0): string => (x === null ? 'n/a' : x.toFixed(d));

export function uringTable(results: UringCaseResult[]): string {
  const head = '| case | ours/C median (target) | min | max | median ours / median C | CPU per send C/ours | ours k sends/s | C k sends/s | ours GB/s | C GB/s | CPU ns/send ours (--json) | ours (process) | C (process) |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = results.map((r) =>
    `| ${r.title} | **${r.ratio.median.toFixed(3)}** (${r.target.toFixed(2)}${r.met ? ', met' : ', missed'}) | ${r.ratio.min.toFixed(3)} | ` +
    `${r.ratio.max.toFixed(3)} | ${r.ratioOfMedians.toFixed(3)} | ${f(r.cpuRatio, 3)} | ${f(r.oursPps / 1e3)} | ${f(r.cPps / 1e3)} | ` +
    `${(r.oursBps / 1e9).toFixed(2)} | ${(r.cBps / 1e9).toFixed(2)} | ${f(r.oursJsonCpuNsPerSend)} | ${f(r.oursCpuNsPerSend)} | ${f(r.cCpuNsPerSend)} |`);
  return [head, ...rows].join('\n');
}

export function uringMachine(ref: Reference, lab: Lab): Machine {
  return machineInfo({
    date: new Date(),
    reference: `io_uring_zerocopy_tx.c and msg_zerocopy.c from linux-source-6.12 ${ref.version}, gcc -O2`,
    ours: process.env.MSG_ZEROCOPY_OURS ? `MSG_ZEROCOPY_OURS=${process.env.MSG_ZEROCOPY_OURS}` : 'bin/msg-zerocopy',
    egress: lab.egressKind,
  });
}

export function uringMarkdown(results: UringCaseResult[], machine: ReturnType<typeof uringMachine>, cmd: string,
  settings: { pairs: number; seconds: number; family: number }, notes = ''): string {
  return `# Benchmark: the io_uring sender (\`msg-zerocopy uring\`)

Produced by \`${cmd}\` (\`bench/uring.ts\`); raw runs in \`bench/results/uring.json\`.

${machineSection(machine)}

## Results (${settings.pairs} pairs per case, IPv${settings.family}, tx-only udp, \`-t ${settings.seconds}\`)

${uringTable(results)}

## Method

- One namespace lab (\`src/lab\`); every sender runs in its sender namespace and sends to
  ${settings.family === 4 ? '192.168.2.2' : 'fc::2'}, routed out of the egress device and dropped there (tx-only): no receiver,
  and every SEND_ZC notification says not copied.
- Each pair runs ours and the C program one after the other, the order alternating from pair to pair;
  the ratio (ours / C, sends per second) is taken within the pair. The table gives the median, min
  and max of those ratios, and for comparison the ratio of the two medians.
- Sends per second from each program's own \`tx=\` line over the nominal run time (200 ms + \`-t\`),
  the same for both; GB/s = sends x payload (GB = 10^9 bytes).
- CPU ns/send (process): user+sys of the sender process (GNU time), start-up included (node's costs
  ours tens of milliseconds); (--json): the cpu fields of our report, the run alone. CPU per send
  C/ours: per pair, C's (process) over ours (--json), the median: the throughput ratio the two
  would have with a CPU each to themselves, which the load of a shared machine hardly moves.
${notes}`;
}

// CLI: run the io_uring cases alone.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: '7' }, seconds: { type: 'string', default: '1' }, family: { type: 'string', default: '4' },
      cases: { type: 'string' }, 'no-write': { type: 'boolean', default: false }, check: { type: 'boolean', default: false },
    },
  });
  const why = rootUnavailableReason() ?? ourUnavailableReason();
  if (why) {
    process.stderr.write(`bench: ${why}\n`);
    process.exit(1);
  }
  const o: UringBenchOptions = {
    pairs: Number(values.pairs), seconds: Number(values.seconds), family: Number(values.family) as Family,
    cases: values.cases?.split(','), log: (l) => process.stderr.write(`${l}\n`),
  };
  const ref = await ensureUringReference({ log: o.log });
  const lab = await createLab();
  let results: UringCaseResult[];
  let machine: ReturnType<typeof uringMachine>;
  try {
    machine = uringMachine(ref, lab);
    results = await benchUring(lab, ref, o);
  } finally {
    await lab.destroy();
  }
  process.stdout.write(`${uringTable(results)}\n`);
  if (!values['no-write']) await writeUring(results, machine, o);
  if (values.check && results.some((r) => !r.met)) process.exit(1);
}

/** bench/URING.md and bench/results/uring.json. */
export async function writeUring(results: UringCaseResult[], machine: ReturnType<typeof uringMachine>, o: UringBenchOptions,
  notes = ''): Promise<void> {
  const cmd = `npm run bench -- --cases uring --pairs ${o.pairs} --seconds ${o.seconds}${o.family === 6 ? ' --family 6' : ''}`;
  await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
  const settings = { pairs: o.pairs, seconds: o.seconds, family: o.family };
  await writeFile(join(BENCH_DIR, 'results', 'uring.json'), `${JSON.stringify({ machine, settings, results }, null, 2)}\n`);
  await writeFile(join(BENCH_DIR, 'URING.md'), uringMarkdown(results, machine, cmd, o, notes));
}
