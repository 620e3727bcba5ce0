// SPDX-License-Identifier: GPL-2.0-only
// Benchmark: our sender against the kernel's C sender (msg_zerocopy from
// linux-source-6.12, built by src/reference), side by side on one namespace
// pair, alternating ours, C, ours, C... Each run is what the kernel driver
// does: a receiver (the C one, so only the sender differs) and a sender, or a
// sender alone to the egress address for the tx-only cases.
//
//   npm run bench                      # all cases, 7 pairs, -t 1
//   npm run bench -- --pairs 9 --cases tcp-copy,udp-txonly-1000
//   npm run bench:smoke                # CI: one pair of one case, no files rewritten
//   npm run bench -- --cases flows     # only the flows case: -P 2 against one flow and two C senders
//   npm run bench -- --cases uring     # only the io_uring cases (bench/uring.ts, its own table bench/URING.md)
//
// Throughput is bytes sent over the nominal run time (200 ms + secs), the
// same for both programs, with bytes from each program's own `tx=` line.
// CPU time per GB: user+sys of the sender process measured by GNU time
// (both programs), and for ours also the cpu fields of its --json report.
// The flows case (bench/flows.ts) writes its own table, bench/FLOWS.md.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { Family, TestName } from '../src/core/vocabulary.js';
import { createLab, type Lab } from '../src/lab/lab.js';
import { ensureReference, ensureUringReference } from '../src/reference/reference.js';
import { runPair, runTxOnly } from '../test/compat/harness.js';
import { describe as show, ourArgv, ourUnavailableReason, parseJson, rootUnavailableReason, type ProcResult, type TxLine } from '../test/support/proc.js';
import { benchFlows, flowsMarkdown, flowsTables, type FlowsResult } from './flows.js';
import { benchUring, uringMachine, uringTable, writeUring, type UringCaseResult } from './uring.js';
import { machineInfo, machineSection } from './machine.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const TIME_BIN = '/usr/bin/time';
const TIME_MARK = 'MZC-RUSAGE';
const DEFAULT_PAYLOAD = 65435;

interface CaseDef {
  name: string;
  title: string;
  test: TestName;
  txOnly: boolean;
  flags: string[];
  payload: number;
}

const CASES: CaseDef[] = [
  { name: 'tcp-copy', title: 'tcp copy (tx-rx)', test: 'tcp', txOnly: false, flags: [], payload: DEFAULT_PAYLOAD },
  { name: 'tcp-zc', title: 'tcp zerocopy (tx-rx)', test: 'tcp', txOnly: false, flags: ['-z'], payload: DEFAULT_PAYLOAD },
  { name: 'udp-copy-txonly', title: 'udp copy tx-only', test: 'udp', txOnly: true, flags: [], payload: DEFAULT_PAYLOAD },
  { name: 'udp-zc-txonly', title: 'udp zerocopy tx-only', test: 'udp', txOnly: true, flags: ['-z'], payload: DEFAULT_PAYLOAD },
  { name: 'udp-txonly-1000', title: 'udp copy tx-only, -s 1000', test: 'udp', txOnly: true, flags: ['-s', '1000'], payload: 1000 },
];

interface RunRecord {
  who: 'ours' | 'C';
  pair: number;
  packets: number;
  bytes: number;
  throughputBps: number;
  txc: number;
  zc: boolean;
  wallS: number | null;
  cpuUserS: number | null;
  cpuSysS: number | null;
  cpuSecPerGB: number | null;
  /** ours only: from the --json report */
  jsonCpuSecPerGB: number | null;
  jsonBytes: number | null;
}

interface CaseResult {
  name: string;
  title: string;
  argv: string[];
  runs: RunRecord[];
  ratios: number[];
  ratio: { median: number; min: number; max: number };
  /** median(ours) / median(C): less sensitive to one pair landing on a slow CPU layout */
  ratioOfMedians: number;
  oursBps: number;
  cBps: number;
  oursCpuSecPerGB: number | null;
  oursJsonCpuSecPerGB: number | null;
  cCpuSecPerGB: number | null;
}

function usage(): never {
  process.stderr.write(
    'usage: bench/run.ts [--pairs N] [--cases a,b] [--seconds N] [--family 4|6] [--pin] [--smoke] [--check] [--no-write]\n' +
      `cases: ${CASES.map((c) => c.name).join(', ')}, ${FLOWS_CASE}, ${URING_CASE}\n`,
  );
  process.exit(2);
}

const { values: opt } = parseArgs({
  options: {
    pairs: { type: 'string' },
    cases: { type: 'string' },
    seconds: { type: 'string' },
    family: { type: 'string', default: '4' },
    pin: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (opt.help) usage();

const smoke = opt.smoke;
const pairs = Number(opt.pairs ?? (smoke ? 1 : 7));
const seconds = Number(opt.seconds ?? 1);
const family = Number(opt.family) as Family;
/** The flows case (bench/flows.ts): its own rounds, its own table. */
const FLOWS_CASE = 'flows';
/** The io_uring cases (bench/uring.ts): ours and C io_uring_zerocopy_tx, ours and C msg_zerocopy; their own table. */
const URING_CASE = 'uring';
const caseNames = (opt.cases ?? (smoke ? 'udp-zc-txonly' : [...CASES.map((c) => c.name), FLOWS_CASE, URING_CASE].join(','))).split(',').filter(Boolean);
const wantFlows = caseNames.includes(FLOWS_CASE);
const wantUring = caseNames.includes(URING_CASE);
if (!Number.isInteger(pairs) || pairs < 1) usage();
if (!Number.isInteger(seconds) || seconds < 0) usage();
if (family !== 4 && family !== 6) usage();
const cases = caseNames.filter((n) => n !== FLOWS_CASE && n !== URING_CASE)
  .map((n) => CASES.find((c) => c.name === n) ?? (process.stderr.write(`unknown case ${n}\n`), usage()));
const write = !opt['no-write'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function medianOrNull(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? median(v) : null;
}

function parseRusage(stderr: string): { wall: number; user: number; sys: number } | null {
  const m = new RegExp(`^${TIME_MARK} ([\\d.]+) ([\\d.]+) ([\\d.]+)$`, 'm').exec(stderr);
  return m ? { wall: Number(m[1]), user: Number(m[2]), sys: Number(m[3]) } : null;
}

function record(who: 'ours' | 'C', pair: number, c: CaseDef, r: ProcResult, line: TxLine | null): RunRecord {
  if (r.code !== 0 || !line) throw new Error(`${who} sender failed in ${c.name}\n${show(r)}`);
  const runtimeS = 0.2 + seconds;
  // udp sends are all-or-nothing: bytes are exact. tcp: the MB figure of the tx= line (same for both programs).
  const bytes = c.test === 'udp' ? line.tx * c.payload : line.mb * 2 ** 20;
  const ru = parseRusage(r.stderr);
  const gb = bytes / 1e9;
  let jsonCpu: number | null = null;
  let jsonBytes: number | null = null;
  if (who === 'ours') {
    const j = parseJson(r.stdout) as { bytes?: number; cpu?: { userUs?: number; sysUs?: number } } | null;
    if (j?.cpu && typeof j.cpu.userUs === 'number' && typeof j.cpu.sysUs === 'number' && typeof j.bytes === 'number') {
      jsonBytes = j.bytes;
      jsonCpu = (j.cpu.userUs + j.cpu.sysUs) / 1e6 / (j.bytes / 1e9);
    }
  }
  return {
    who,
    pair,
    packets: line.tx,
    bytes,
    throughputBps: bytes / runtimeS,
    txc: line.txc,
    zc: line.zc,
    wallS: ru?.wall ?? null,
    cpuUserS: ru?.user ?? null,
    cpuSysS: ru?.sys ?? null,
    cpuSecPerGB: ru && gb > 0 ? (ru.user + ru.sys) / gb : null,
    jsonCpuSecPerGB: jsonCpu,
    jsonBytes,
  };
}

async function runOne(lab: Lab, c: CaseDef, who: 'ours' | 'C', sender: string[], cBin: string[], pair: number): Promise<RunRecord> {
  const wrap = [TIME_BIN, '-f', `${TIME_MARK} %e %U %S`];
  const extra = who === 'ours' && !process.env.MSG_ZEROCOPY_OURS ? ['--json'] : [];
  const pinTx = opt.pin ? ['-C', String(Math.min(1, availableParallelism() - 1))] : [];
  if (c.txOnly) {
    const r = await runTxOnly(lab, { family, test: c.test, sender, flags: [...c.flags, ...pinTx, ...extra], txSecs: seconds, senderWrap: wrap });
    return record(who, pair, c, r.tx, r.txLine);
  }
  const r = await runPair(lab, {
    family,
    test: c.test,
    sender,
    receiver: cBin,
    flags: c.flags,
    receiverFlags: opt.pin ? ['-C', '0'] : [],
    senderFlags: [...pinTx, ...extra],
    rxSecs: seconds + 1,
    txSecs: seconds,
    senderWrap: wrap,
  });
  if (r.rx.code !== 0) throw new Error(`C receiver failed in ${c.name}\n${show(r.rx)}`);
  return record(who, pair, c, r.tx, r.txLine);
}

function fmtGB(bps: number): string {
  return (bps / 1e9).toFixed(2);
}
function fmtN(x: number | null, d = 3): string {
  return x === null ? 'n/a' : x.toFixed(d);
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Short commit of the work tree, '+dirty' when src/ has uncommitted changes; null outside git. */
function commitId(): string | null {
  const root = join(BENCH_DIR, '..');
  const head = sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  if (!head) return null;
  return sh('git', ['-C', root, 'status', '--porcelain', '--', 'src']) ? `${head}+dirty` : head;
}

/** One case: `pairs` alternating runs of ours and C, and their ratios. */
async function benchCase(lab: Lab, c: CaseDef, ours: string[], cBin: string[]): Promise<CaseResult> {
  const runs: RunRecord[] = [];
  for (let p = 0; p < pairs; p++) {
    const o = await runOne(lab, c, 'ours', ours, cBin, p);
    const k = await runOne(lab, c, 'C', cBin, cBin, p);
    runs.push(o, k);
    process.stderr.write(
      `${c.name} pair ${p + 1}/${pairs}: ours ${fmtGB(o.throughputBps)} GB/s, C ${fmtGB(k.throughputBps)} GB/s, ratio ${(o.throughputBps / k.throughputBps).toFixed(3)}\n`,
    );
  }
  const o = runs.filter((r) => r.who === 'ours');
  const k = runs.filter((r) => r.who === 'C');
  const ratios = o.map((r, i) => r.throughputBps / k[i].throughputBps);
  const flags = [`-${family}`, ...c.flags, '-t', String(seconds), c.test];
  return {
    name: c.name,
    title: c.title,
    argv: flags,
    runs,
    ratios,
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
    ratioOfMedians: median(o.map((r) => r.throughputBps)) / median(k.map((r) => r.throughputBps)),
    oursBps: median(o.map((r) => r.throughputBps)),
    cBps: median(k.map((r) => r.throughputBps)),
    oursCpuSecPerGB: medianOrNull(o.map((r) => r.cpuSecPerGB)),
    oursJsonCpuSecPerGB: medianOrNull(o.map((r) => r.jsonCpuSecPerGB)),
    cCpuSecPerGB: medianOrNull(k.map((r) => r.cpuSecPerGB)),
  };
}

/** Write the results files (bench/results/, RESULTS.md, FLOWS.md, URING.md); a smoke run writes only its own. */
async function writeResults(r: {
  machine: ReturnType<typeof machineInfo>; settings: Record<string, unknown>; results: CaseResult[]; md: string;
  flows: FlowsResult | null; uring: UringCaseResult[] | null; uringHost: ReturnType<typeof uringMachine> | null;
}): Promise<void> {
  const { machine, settings, results, flows, uring, uringHost } = r;
  if (write && !smoke) {
    await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
    if (results.length) {
      await writeFile(join(BENCH_DIR, 'results', 'latest.json'), JSON.stringify({ machine, settings, results }, null, 2) + '\n');
      await writeFile(join(BENCH_DIR, 'RESULTS.md'), r.md);
      process.stderr.write(`bench: wrote bench/RESULTS.md and bench/results/latest.json\n`);
    }
    if (flows) {
      const cmd = `npm run bench -- --cases ${FLOWS_CASE} --pairs ${pairs} --seconds ${seconds}${family === 6 ? ' --family 6' : ''}`;
      await writeFile(join(BENCH_DIR, 'results', 'flows.json'), JSON.stringify({ machine, flows }, null, 2) + '\n');
      await writeFile(join(BENCH_DIR, 'FLOWS.md'), flowsMarkdown(flows, machine, cmd));
      process.stderr.write(`bench: wrote bench/FLOWS.md and bench/results/flows.json\n`);
    }
    if (uring && uringHost) {
      await writeUring(uring, uringHost, { pairs, seconds, family });
      process.stderr.write(`bench: wrote bench/URING.md and bench/results/uring.json\n`);
    }
  } else if (write && smoke) {
    await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
    await writeFile(join(BENCH_DIR, 'results', 'smoke.json'), JSON.stringify({ machine, settings, results }, null, 2) + '\n');
  }
}

/** --check: exit 1 when a ratio or target is missed. */
function checkTargets(results: CaseResult[], flows: FlowsResult | null, uring: UringCaseResult[] | null): void {
  const low = results.filter((r) => r.ratio.median < 0.95);
  if (low.length) {
    process.stderr.write(`bench: median ratio below 0.95 in ${low.map((r) => r.name).join(', ')}\n`);
    process.exit(1);
  }
  // Two flows need two idle CPUs: judged on the quiet rounds when there are any.
  const scaling = flows ? median(flows.quietRatios.scaling.length ? flows.quietRatios.scaling : flows.ratios.scaling) : null;
  if (scaling !== null && scaling < 1.7) {
    process.stderr.write(`bench: flows: -P 2 / one flow ${scaling.toFixed(3)} below 1.7\n`);
    process.exit(1);
  }
  const missed = (uring ?? []).filter((r) => !r.met);
  if (missed.length) {
    process.stderr.write(`bench: io_uring targets missed in ${missed.map((r) => `${r.name} (${r.ratio.median.toFixed(3)} < ${r.target})`).join(', ')}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const why = rootUnavailableReason() ?? ourUnavailableReason() ?? (existsSync(TIME_BIN) ? null : `${TIME_BIN} missing: apt-get install -y time`);
  if (why) {
    process.stderr.write(`bench: ${why}\n`);
    process.exit(1);
  }
  const ref = await (wantUring ? ensureUringReference : ensureReference)({ log: (l) => process.stderr.write(l + '\n') });
  const cBin = [ref.bin];
  const ours = ourArgv();
  const lab = await createLab();
  const results: CaseResult[] = [];
  let flows: FlowsResult | null = null;
  let uring: UringCaseResult[] | null = null;
  let uringHost: ReturnType<typeof uringMachine> | null = null;
  const started = new Date();
  try {
    for (const c of cases) results.push(await benchCase(lab, c, ours, cBin));
    if (wantFlows) {
      flows = await benchFlows(lab, { rounds: pairs, seconds, family, ours, c: cBin, log: (l) => process.stderr.write(`${l}\n`) });
    }
    if (wantUring) {
      uringHost = uringMachine(ref, lab);
      uring = await benchUring(lab, ref, { pairs, seconds, family, log: (l) => process.stderr.write(`${l}\n`) });
    }
  } finally {
    await lab.destroy();
  }

  const machine = machineInfo({
    date: started,
    reference: `msg_zerocopy.c from linux-source-6.12 ${ref.version}, gcc -O2`,
    ours: process.env.MSG_ZEROCOPY_OURS ? `MSG_ZEROCOPY_OURS=${process.env.MSG_ZEROCOPY_OURS} (dry run)` : 'bin/msg-zerocopy',
    commit: commitId(),
    egress: lab.egressKind,
  });
  const settings = { pairs, seconds, family, pin: opt.pin, cases: cases.map((c) => c.name) };
  const md = markdown(machine, settings, results);
  if (results.length) process.stdout.write(md.table + '\n');
  if (flows) {
    const t = flowsTables(flows);
    process.stdout.write(`${t.ratios}\n\n${t.kinds(true)}\n\n${t.kinds(false)}\n`);
  }
  if (uring) process.stdout.write(`${uringTable(uring)}\n`);

  await writeResults({ machine, settings, results, md: md.full, flows, uring, uringHost });

  if (opt.check) checkTargets(results, flows, uring);
}

function markdown(
  machine: Record<string, unknown>,
  settings: { pairs: number; seconds: number; family: number; pin: boolean; cases: string[] },
  results: CaseResult[],
): { table: string; full: string } {
  const head =
    '| case | ours/C median | min | max | median ours / median C | ours GB/s | C GB/s | CPU s/GB ours (--json) | CPU s/GB ours (process) | CPU s/GB C (process) |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = results.map(
    (r) =>
      `| ${r.title} | **${r.ratio.median.toFixed(3)}** | ${r.ratio.min.toFixed(3)} | ${r.ratio.max.toFixed(3)} | ${r.ratioOfMedians.toFixed(3)} | ${fmtGB(r.oursBps)} | ${fmtGB(r.cBps)} | ${fmtN(r.oursJsonCpuSecPerGB)} | ${fmtN(r.oursCpuSecPerGB)} | ${fmtN(r.cCpuSecPerGB)} |`,
  );
  const table = [head, ...rows].join('\n');
  const cmd = `npm run bench -- --pairs ${settings.pairs} --seconds ${settings.seconds}${settings.family === 6 ? ' --family 6' : ''}${settings.pin ? ' --pin' : ''}`;
  const full = `# Benchmark: our sender vs the kernel's C selftest

Produced by \`${cmd}\` (\`bench/run.ts\`); raw runs in \`bench/results/latest.json\`.

${machineSection(machine)}

## Results (${settings.pairs} pairs per case, IPv${settings.family}, sender \`-t ${settings.seconds}\`)

${table}

## Method

- One namespace pair (\`src/lab\`), the kernel driver's topology. For each case the two senders run
  alternately, ours then C, ${settings.pairs} times; the ratio is taken within each pair, and the table
  gives the median, min and max of those ratios (and, for comparison, the ratio of the two medians).
  Target: median >= 0.95 on every case. GB/s columns are medians over the runs.
- tx-rx cases (tcp) start the **C receiver** (\`-r -t ${settings.seconds + 1}\`) in the receiver namespace,
  wait until it listens, then run the sender (\`-t ${settings.seconds}\`), as \`msg_zerocopy.sh\` does. tx-only
  cases send to 192.168.2.2, routed by the receiver namespace into its egress device and dropped: no
  receiver, and zerocopy completions come back as not copied.
- Throughput = bytes from the sender's own \`tx=\` line (udp: packets x payload; tcp: its MB figure)
  over the nominal run time (${(0.2 + settings.seconds).toFixed(1)} s), the same for both programs. GB = 10^9 bytes.
- CPU s/GB (process): user+sys of the whole sender process from GNU time (\`/usr/bin/time\`), start-up
  included (node's start-up costs ours some 40-60 ms of CPU per run). CPU s/GB (--json): the cpu fields
  of our \`--json\` report over its own byte count.
- What the binding alone costs per send, and the best ratio that leaves for each case:
  [FLOOR.md](FLOOR.md) (\`npm run bench:floor\`, which reads these results).
`;
  return { table, full };
}

await main();
