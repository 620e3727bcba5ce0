// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy sweep` and `msg-zerocopy compare`: command-line options.

import { Command, Option } from 'commander';
import { checkClassicArgs } from '../flags/classic.js';
import { intOption, LIMITS, optionParser } from '../flags/parse.js';
import { MAX_FLOWS } from '../core/flows.js';
import { UsageError } from '../core/errors.js';
import { parseApis, parseFamily, testList, type Api, type Family } from '../core/vocabulary.js';
import { LAB_ADDR } from '../lab/lab.js';
import { outputPath } from '../render/files.js';
import { parseSize } from '../core/units.js';
import { parseUringArgs } from '../flags/uring.js';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { runSweep } from '../sweep/sweep.js';
import type { SweepOptions, SweepOutput } from '../sweep/types.js';
import { MODES, receiverArgs, senderArgs, SWEEP_TESTS, type RunSettings, type SweepPath, type SweepTest } from '../sweep/runner.js';

export const DEFAULT_SIZES = [1000, 2000, 4000, 8000, 16000, 32000, 65435];

/** "1000,2000, 4K" → [1000, 2000, 4096]: sizes as iperf3 reads them (K = 1024, M = 1024²). */
export function parseSizes(text: string): number[] {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (!parts.length) throw new Error('--sizes: give a comma-separated list of payload sizes');
  return [...new Set(parts.map((p) => parseSize('--sizes', p, 1, MAX_PAYLOAD)))].sort((a, b) => a - b);
}


interface CliOptions {
  sizes?: number[];
  size?: number;
  reps: number;
  duration: number;
  test: SweepTest;
  family: Family;
  path?: SweepPath;
  port: number;
  json?: boolean;
  markdown?: boolean;
  chart: boolean;
  progress: boolean;
  slack: number;
  prefix: string;
  flows: number;
  api: Api[];
  cpus?: number[];
  report?: string;
  csv?: string;
}

/** -C/--cpus: one or two CPU numbers (sender, receiver). */
export function parseCpuPair(text: string): number[] {
  const parts = text.split(',');
  if (parts.length > 2 || parts.some((p) => !/^\d+$/.test(p.trim()))) {
    throw new UsageError(`bad -C/--cpus: ${text}`, 'one CPU for the sender, or two (sender,receiver), e.g. 0,1');
  }
  const cpus = parts.map((p) => Number(p.trim()));
  if (cpus.some((c) => c > 1023)) throw new UsageError(`bad -C/--cpus: ${text}`, 'CPU numbers go from 0 to 1023');
  return cpus;
}

/** The path a test runs on unless told: udp tx-only, tcp tx-rx (it needs a receiver). */
export function resolvePath(test: SweepTest, path: SweepPath | undefined): SweepPath {
  if (path === undefined) return test === 'tcp' ? 'tx-rx' : 'tx-only';
  if (test === 'tcp' && path === 'tx-only') {
    throw new UsageError('--path tx-only: tcp needs a receiver', 'use --path tx-rx, the default for tcp');
  }
  return path;
}

function common(cmd: Command, reps: number): Command {
  return cmd
    .option('--reps <n>', 'runs of each mode per size, copy and zerocopy alternating (a verdict needs at least 6; 10 find a ' +
      '5% difference in CPU per GB on a 2-vCPU machine)', intOption('--reps', 1, 1000), reps)
    .option('-t, --duration <secs>', 'sender -t of each run (200 ms + secs s)', intOption('--duration', ...LIMITS.secs), 1)
    .addOption(new Option('--test <test>', testList(SWEEP_TESTS, ' or ')).choices(SWEEP_TESTS).default('udp'))
    .option('--family <4|6>', 'address family', optionParser(parseFamily), 4)
    .addOption(new Option('--path <path>', 'tx-only: udp out of the egress device, zerocopy expected not copied (-Z 1); ' +
      'tx-rx: to our receiver over the veth pair, always copied (-Z 0). Default: tx-only for udp, tx-rx for tcp')
      .choices(['tx-only', 'tx-rx']))
    .option('-p, --port <port>', 'data port', intOption('--port', ...LIMITS.port), 8000)
    .addOption(new Option('--api <list>', 'send interfaces side by side, comma separated: msg (sendmsg, MSG_ZEROCOPY), uring ' +
      `(io_uring: IORING_OP_SEND vs SEND_ZC from a registered buffer, -n 32 for udp, 1 for tcp); with both, io_uring's ` +
      'zerocopy against MSG_ZEROCOPY with the same statistics').argParser(optionParser(parseApis)).default(['msg'], 'msg'))
    .option('--flows <n>', 'flows at once in every run (-P to sender and receiver): throughput, CPU per GB and the ' +
      'verdict are on their sums', intOption('--flows', 1, MAX_FLOWS), 1)
    .option('-C, --cpus <list>', 'pin every run as the classic -C: the sender on the first CPU, the receiver (tx-rx) on the ' +
      'second, e.g. 0,1 (default: no pinning)', optionParser(parseCpuPair))
    .option('--json', 'print one JSON object with every run and the summaries')
    .option('--markdown', 'print a Markdown table')
    .option('--report <file.html>', 'also write a self-contained HTML report (SVG charts with the intervals, the JSON embedded)',
      optionParser((s) => outputPath('--report', s)))
    .option('--csv <file.csv>', 'also write the summary as CSV, one row per size and mode', optionParser((s) => outputPath('--csv', s)))
    .option('--no-progress', 'no progress line, even on a terminal')
    .addOption(new Option('--slack <ms>', 'time a child may overrun before it is killed')
      .argParser(intOption('--slack', 0, 600000)).default(10000).hideHelp())
    .addOption(new Option('--prefix <prefix>', 'namespace name prefix').default('mzc-').hideHelp())
    .allowExcessArguments(false);
}

function output(o: CliOptions): SweepOutput {
  if (o.json && o.markdown) throw new UsageError('--json and --markdown: choose one');
  return o.json ? 'json' : o.markdown ? 'markdown' : 'table';
}

/**
 * Every run's command lines, parsed as our executable will parse them,
 * before the lab exists: bad input is refused with nothing created.
 */
export function checkSweepArgs(o: SweepOptions): void {
  const lab = { addr: LAB_ADDR };
  const settings: RunSettings = {
    test: o.test, family: o.family, path: o.path, duration: o.duration, port: o.port, slackMs: o.slackMs, flows: o.flows,
    senderCpu: o.cpus?.[0] ?? null, receiverCpu: o.cpus?.[1] ?? null,
  };
  const apis = o.apis ?? ['msg'];
  if (o.cpus && (o.flows ?? 1) > 1) throw new UsageError('-C/--cpus pins one flow: with --flows the flows take their own CPUs', 'leave out -C or --flows');
  if (o.cpus && apis.includes('uring')) throw new UsageError('-C/--cpus: the io_uring sender has no -C', 'compare msg alone when pinning');
  if (apis.includes('uring') && (o.flows ?? 1) > 1) {
    throw new UsageError('--api uring: the io_uring sender runs one flow', 'leave out --flows, or compare msg alone');
  }
  checkClassicArgs(o.sizes.flatMap((size) => MODES.flatMap((mode) => {
    const argv = apis.includes('msg') ? [senderArgs(lab, settings, { size, mode })] : [];
    if (apis.includes('uring')) parseUringArgs(senderArgs(lab, settings, { size, mode, api: 'uring' }).slice(1));
    if (o.path === 'tx-rx') argv.push(receiverArgs(lab, settings, { size }));
    return argv;
  })));
}

async function start(o: SweepOptions): Promise<number> {
  checkSweepArgs(o);
  return (await runSweep(o)).exitCode;
}

export function registerSweepCommands(program: Command, done: (code: number) => void): void {
  program.enablePositionalOptions();
  const sweep = common(new Command('sweep')
    .description('copy versus zerocopy over payload sizes in fresh network namespaces (needs root): ' +
      'median and spread of throughput and CPU per GB, from which size zerocopy saves CPU (a 95% interval per size), charts'), 10)
    .addOption(new Option('--sizes <list>', 'payload sizes in bytes, comma separated; K = 1024 as in iperf3 (4K = 4096)')
      .argParser(optionParser(parseSizes)).default(DEFAULT_SIZES, DEFAULT_SIZES.join(',')))
    .option('--no-chart', 'no charts after the table')
    .action(async (o: CliOptions) => {
      done(await start({
        command: 'sweep', test: o.test, family: o.family, path: resolvePath(o.test, o.path), sizes: o.sizes ?? DEFAULT_SIZES,
        reps: o.reps, duration: o.duration, port: o.port, output: output(o), progress: o.progress, chart: o.chart,
        slackMs: o.slack, prefix: o.prefix, flows: o.flows, apis: o.api, report: o.report, csv: o.csv, cpus: o.cpus,
      }));
    });
  const compare = common(new Command('compare')
    .description('copy versus zerocopy side by side at one payload size in fresh network namespaces (needs root), ' +
      'with a verdict from a 95% interval'), 10)
    .option('-s, --size <bytes>', 'payload size in bytes; K = 1024 as iperf3 ("32K")', optionParser((s) => parseSize('--size', s, 1, MAX_PAYLOAD)), MAX_PAYLOAD)
    .action(async (o: CliOptions) => {
      done(await start({
        command: 'compare', test: o.test, family: o.family, path: resolvePath(o.test, o.path), sizes: [o.size ?? MAX_PAYLOAD],
        reps: o.reps, duration: o.duration, port: o.port, output: output(o), progress: o.progress, chart: false,
        slackMs: o.slack, prefix: o.prefix, flows: o.flows, apis: o.api, report: o.report, csv: o.csv, cpus: o.cpus,
      }));
    });
  program.addCommand(sweep);
  program.addCommand(compare);
}
