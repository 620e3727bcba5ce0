// SPDX-License-Identifier: GPL-2.0-only
// Benchmark of `msg-zerocopy udpgso` against the kernel's udpgso_bench_tx
// with the same flags: UDP GSO at 64000 B (-S 0: segments of the MSS, 1472
// bytes), with and without -z, and ours with --hugepages, tx-only (out of the
// lab's egress device, where notifications say not copied) with the lab's
// path at MTU 1500, as a NIC has. Paired runs in one lab, the order inside a
// pair alternating, the ratio taken within each pair; the load average is
// read before every pair. On a shared, noisy machine only ratios of paired
// runs mean anything.
//
//   node --import tsx bench/udpgso.ts [--pairs N] [--seconds N] [--cases a,b] [--no-write]
//
// Writes bench/UDPGSO.md and bench/results/udpgso.json.

import { mkdir, writeFile } from 'node:fs/promises';
import { hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { createLab, type Lab } from '../src/lab/lab.js';
import { nsExecArgv, run as labRun } from '../src/lab/exec.js';
import { ensureUdpgsoReference, type Reference } from '../src/reference/reference.js';
import { describe as show, ourArgv, ourUnavailableReason, parseJson, rootUnavailableReason, start } from '../test/support/proc.js';
import { machineInfo, machineSection, type Machine } from './machine.js';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const TIME_BIN = '/usr/bin/time';
const TIME_MARK = 'MZC-RUSAGE';

export interface GsoCase {
  name: string;
  title: string;
  /** Flags for both programs (after -4 -D -l -a). */
  flags: string[];
  /** Our extra flags. */
  oursExtra: string[];
  target: number | null;
}

export const GSO_CASES: GsoCase[] = [
  { name: 'gso-zc', title: '-s 64000 -S 0 -z (GSO + MSG_ZEROCOPY)', flags: ['-s', '64000', '-S', '0', '-z'], oursExtra: [], target: 0.97 },
  { name: 'gso-copy', title: '-s 64000 -S 0 (GSO, copy)', flags: ['-s', '64000', '-S', '0'], oursExtra: [], target: 0.97 },
  { name: 'gso-zc-huge', title: '-s 64000 -S 0 -z, ours with --hugepages', flags: ['-s', '64000', '-S', '0', '-z'], oursExtra: ['--hugepages'], target: null },
];

export interface GsoRun {
  who: 'ours' | 'C';
  pair: number;
  calls: number;
  callsPerSec: number;
  mbPerSec: number;
  /** Zerocopy acks (the audit's), or null without -z. */
  acks: number | null;
  /** user + sys CPU of the process per call (GNU time, start-up included), ns. */
  cpuNsPerCall: number | null;
  /** ours: the run alone (--json). */
  jsonCpuNsPerCall: number | null;
  hugepages: string | null;
  copied: number | null;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function runOne(lab: Lab, ref: Reference, c: GsoCase, who: 'ours' | 'C', pair: number, seconds: number): Promise<GsoRun> {
  const common = ['-4', '-D', lab.addr[4].txOnly, '-l', String(seconds), '-a', ...c.flags];
  const program = who === 'ours' ? [...ourArgv(), 'udpgso', ...common, ...c.oursExtra, '--json'] : [ref.udpgsoTx, ...common];
  const r = await start(nsExecArgv(lab.txNs, [TIME_BIN, '-f', `${TIME_MARK} %e %U %S`, ...program]), { timeoutMs: (seconds + 30) * 1000 }).done;
  const sum = /^sum udp tx: +(\d+) MB\/s +(\d+) calls \((\d+)\/s\)/m.exec(r.stderr);
  if (r.code !== 0 || !sum) throw new Error(`${who} failed in ${c.name}\n${show(r)}`);
  const acks = /^Zerocopy acks: +(\d+)$/m.exec(r.stderr);
  const ru = new RegExp(`^${TIME_MARK} ([\\d.]+) ([\\d.]+) ([\\d.]+)$`, 'm').exec(r.stderr);
  const calls = Number(sum[2]);
  const j = who === 'ours' ? parseJson(r.stdout) as { cpu: { userUs: number; sysUs: number }; hugepages: string | null; copiedCompletions: number } | null : null;
  return {
    who, pair, calls, callsPerSec: Number(sum[3]), mbPerSec: Number(sum[1]), acks: acks ? Number(acks[1]) : null,
    cpuNsPerCall: ru && calls ? ((Number(ru[2]) + Number(ru[3])) * 1e9) / calls : null,
    jsonCpuNsPerCall: j && calls ? ((j.cpu.userUs + j.cpu.sysUs) * 1e3) / calls : null,
    hugepages: j?.hugepages ?? null, copied: j ? j.copiedCompletions : null,
  };
}

export interface GsoResult {
  name: string;
  title: string;
  target: number | null;
  runs: GsoRun[];
  loads: number[];
  ratios: number[];
  ratio: { median: number; min: number; max: number };
  cpuRatio: number | null;
  oursCallsPerSec: number;
  cCallsPerSec: number;
  met: boolean | null;
}

export async function benchUdpgso(lab: Lab, ref: Reference, o: { pairs: number; seconds: number; cases?: string[]; log: (l: string) => void }): Promise<GsoResult[]> {
  const out: GsoResult[] = [];
  for (const c of GSO_CASES.filter((x) => !o.cases || o.cases.includes(x.name))) {
    const runs: GsoRun[] = [];
    const loads: number[] = [];
    for (let p = 0; p < o.pairs; p++) {
      loads.push(loadavg()[0]);
      const first: 'ours' | 'C' = p % 2 === 0 ? 'ours' : 'C';
      const a = await runOne(lab, ref, c, first, p, o.seconds);
      const b = await runOne(lab, ref, c, first === 'ours' ? 'C' : 'ours', p, o.seconds);
      const [ours, cr] = first === 'ours' ? [a, b] : [b, a];
      runs.push(ours, cr);
      o.log(`${c.name} pair ${p + 1}/${o.pairs} (load ${loads[p].toFixed(1)}): ours ${ours.callsPerSec}/s, C ${cr.callsPerSec}/s, ` +
        `ratio ${(ours.callsPerSec / cr.callsPerSec).toFixed(3)}`);
    }
    const os = runs.filter((r) => r.who === 'ours');
    const cs = runs.filter((r) => r.who === 'C');
    const ratios = os.map((r, i) => r.callsPerSec / cs[i].callsPerSec);
    const cpu = os.map((r, i) => (r.jsonCpuNsPerCall && cs[i].cpuNsPerCall ? cs[i].cpuNsPerCall! / r.jsonCpuNsPerCall : null)).filter((x): x is number => x !== null);
    const m = median(ratios);
    out.push({
      name: c.name, title: c.title, target: c.target, runs, loads, ratios,
      ratio: { median: m, min: Math.min(...ratios), max: Math.max(...ratios) },
      cpuRatio: cpu.length ? median(cpu) : null,
      oursCallsPerSec: median(os.map((r) => r.callsPerSec)), cCallsPerSec: median(cs.map((r) => r.callsPerSec)),
      met: c.target === null ? null : m >= c.target,
    });
  }
  return out;
}

export function udpgsoTable(results: GsoResult[]): string {
  const head = '| case | ours/C median (target) | min | max | CPU per call C/ours | ours calls/s | C calls/s | ours GB/s | C GB/s | load avg (min-max) | ours buffers |\n' +
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|';
  const rows = results.map((r) => {
    const t = r.target === null ? 'reported' : `${r.target.toFixed(2)}, ${r.met ? 'met' : 'missed'}`;
    const hp = [...new Set(r.runs.filter((x) => x.who === 'ours').map((x) => x.hugepages ?? 'plain'))].join(', ');
    return `| ${r.title} | **${r.ratio.median.toFixed(3)}** (${t}) | ${r.ratio.min.toFixed(3)} | ${r.ratio.max.toFixed(3)} | ` +
      `${r.cpuRatio === null ? 'n/a' : r.cpuRatio.toFixed(3)} | ${Math.round(r.oursCallsPerSec)} | ${Math.round(r.cCallsPerSec)} | ` +
      `${((r.oursCallsPerSec * 64000) / 1e9).toFixed(2)} | ${((r.cCallsPerSec * 64000) / 1e9).toFixed(2)} | ` +
      `${Math.min(...r.loads).toFixed(1)}-${Math.max(...r.loads).toFixed(1)} | ${hp} |`;
  });
  return [head, ...rows].join('\n');
}

function markdown(results: GsoResult[], machine: Machine, o: { pairs: number; seconds: number }, cmd: string): string {
  return `# Benchmark: \`msg-zerocopy udpgso\` against the kernel's udpgso_bench_tx

Produced by \`${cmd}\` (\`bench/udpgso.ts\`); raw runs in \`bench/results/udpgso.json\`.

${machineSection(machine, [`| host | ${hostname()} |`, '| path | lab veth pair and egress device at MTU 1500 |'])}

## Results (${o.pairs} pairs per case, IPv4, tx-only, \`-l ${o.seconds} -a\`)

${udpgsoTable(results)}

## Method

- One namespace lab with its veth pair and egress device set to MTU 1500; every sender runs in the
  sender namespace and sends to 192.168.2.2, forwarded out of the egress device and dropped there
  (tx-only). \`-S 0\` is GSO in segments of the MSS (1472 bytes): 44 segments a call.
- Each pair runs ours and the C program with the same flags one after the other, the order
  alternating from pair to pair; the ratio (ours / C, calls per second from each program's own audit
  summary, \`sum udp tx: ... calls (N/s)\`) is taken within the pair. Load average (1 min) read before
  each pair. With -z both audits checked that the zerocopy acks equal the calls.
- CPU per call C/ours: per pair, C's user+sys (GNU time, start-up included) over ours (the run
  alone, from --json), the median: the ratio the two would have with a CPU each to themselves.
- The machine was shared with other engineers' work while this ran: the load average column says how
  much. Ratios from paired runs, not the absolute rates, are the result.
`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string', default: '7' }, seconds: { type: 'string', default: '2' }, cases: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const why = rootUnavailableReason() ?? ourUnavailableReason();
  if (why) {
    process.stderr.write(`bench: ${why}\n`);
    process.exit(1);
  }
  const log = (l: string): void => { process.stderr.write(`${l}\n`); };
  const o = { pairs: Number(values.pairs), seconds: Number(values.seconds), cases: values.cases?.split(','), log };
  const ref = await ensureUdpgsoReference({ log });
  const lab = await createLab();
  let results: GsoResult[];
  let machine: Machine;
  try {
    for (const [ns, dev] of [[lab.txNs, 'veth0'], [lab.rxNs, 'veth0'], [lab.rxNs, lab.egressDev]]) {
      await labRun(['ip', '-n', ns, 'link', 'set', 'dev', dev, 'mtu', '1500']);
    }
    machine = machineInfo({ date: new Date(), reference: `udpgso_bench_tx.c from linux-source-6.12 ${ref.version}, gcc -O2`,
      ours: 'bin/msg-zerocopy', egress: lab.egressKind });
    results = await benchUdpgso(lab, ref, o);
  } finally {
    await lab.destroy();
  }
  process.stdout.write(`${udpgsoTable(results)}\n`);
  if (!values['no-write']) {
    const cmd = `node --import tsx bench/udpgso.ts --pairs ${o.pairs} --seconds ${o.seconds}`;
    await mkdir(join(BENCH_DIR, 'results'), { recursive: true });
    await writeFile(join(BENCH_DIR, 'results', 'udpgso.json'), `${JSON.stringify({ machine, host: hostname(), settings: o, results }, null, 2)}\n`);
    await writeFile(join(BENCH_DIR, 'UDPGSO.md'), markdown(results, machine, o, cmd));
  }
}
