// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy suite`: the kernel's msg_zerocopy.sh as a subcommand.

import { Command, Option } from 'commander';
import { checkClassicArgs } from '../flags/classic.js';
import { intOption, LIMITS, optionParser } from '../flags/parse.js';
import { MAX_FLOWS } from '../core/flows.js';
import { parseRxModes, type RxMode } from '../core/vocabulary.js';
import { UsageError } from '../core/errors.js';
import { FLOW_TESTS, parseApis, parseFamilies, TEST_TABLE, testList, TESTS, URING_TESTS } from '../core/vocabulary.js';
import { LAB_ADDR } from '../lab/lab.js';
import { outputPath } from '../render/files.js';
import { parseSize } from '../core/units.js';
import { ownProgram, programAt } from '../run/launch.js';
import { parseUringArgs } from '../flags/uring.js';
import {
  parseTests, planSuite, splitArgs, type Api, type SuiteFamily, type SuiteTest,
} from '../suite/cases.js';
import { receiverArgs, senderArgs, type RunOptions } from '../suite/runner.js';
import { runSuite } from '../suite/suite.js';
import type { SuiteOutput } from '../suite/types.js';

/** One receive mode (the suite runs its tcp cases with one). */
function parseRxMode(text: string): RxMode {
  const modes = parseRxModes(text);
  if (modes.length !== 1) throw new Error('--rx: the suite reads with one mode at a time (trunc, copy or mmap)');
  return modes[0];
}

interface SuiteCliOptions {
  family: SuiteFamily[];
  tests: SuiteTest[];
  api: Api[];
  duration: number;
  size?: number;
  port: number;
  extra: string[];
  json?: boolean;
  ktap?: boolean;
  bin?: string;
  expectFlag: boolean;
  progress: boolean;
  slack: number;
  prefix?: string;
  flows: number;
  report?: string;
  rx: RxMode;
}


/**
 * Every case's command lines, parsed as our executable will parse them,
 * before the lab exists: bad input is refused with nothing created.
 */
export function checkSuiteArgs(apis: readonly Api[], families: SuiteFamily[], tests: SuiteTest[], o: RunOptions): void {
  const lab = { addr: LAB_ADDR, dev: 'veth0' as const };
  const plan = planSuite(apis, families, tests);
  for (const c of plan.filter((x) => x.uring)) parseUringArgs(senderArgs(c, lab, o).slice(1));
  checkClassicArgs(plan.flatMap((c) => {
    const argv = c.path === 'tx-rx' ? [receiverArgs(c, lab, o)] : [];
    return c.uring ? argv : [senderArgs(c, lab, o), ...argv];
  }));
}

/** The suite's options, each with its parser and default. */
function addSuiteOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--family <list>', 'address families, comma separated: 4, 6')
      .argParser(optionParser(parseFamilies)).default([4, 6], '4,6'))
    .addOption(new Option('--tests <list>', `tests, comma separated: ${testList(TESTS, ', ')}, or all`)
      .argParser(optionParser(parseTests)).default(['tcp', 'udp'], 'tcp,udp'))
    .addOption(new Option('-t, --duration <secs>', 'sender -t (the receiver gets one second more)')
      .argParser(intOption('--duration', ...LIMITS.secs)).default(1))
    .addOption(new Option('-s, --size <bytes>', 'payload size, passed as -s to both sides; K = 1024 as iperf3 ' +
      '(default: the tool\'s 65435)').argParser(optionParser((s) => parseSize('--size', s, ...LIMITS.size))))
    .addOption(new Option('-p, --port <port>', 'data port').argParser(intOption('--port', ...LIMITS.port)).default(8000))
    .addOption(new Option('--extra <flags>', 'more flags for sender and receiver, after the suite\'s own (so they win), e.g. "-c 4 -m"')
      .argParser(optionParser(splitArgs)).default([], 'none'))
    .addOption(new Option('--api <list>', 'send interfaces, comma separated: msg (MSG_ZEROCOPY, the msg_zerocopy.sh plan), ' +
      'uring (io_uring SEND_ZC, the io_uring_zerocopy_tx.sh plan: modes 1-3, udp -n 32, tcp -n 1, and tx-only udp)')
      .argParser(optionParser(parseApis)).default(['msg'], 'msg'))
    .addOption(new Option('--json', 'print one JSON report with every case').conflicts('ktap'))
    .addOption(new Option('--ktap', 'print KTAP v1 (kselftest result format)'))
    .addOption(new Option('--report <file.html>', 'also write a self-contained HTML report (the cases as a table, ' +
      'throughput bars, the JSON embedded)').argParser(optionParser((s) => outputPath('--report', s))))
    .addOption(new Option('--flows <n>', `flows at once in every case (-P to sender and receiver; ${testList(FLOW_TESTS, ' and ')}): ` +
      'the verdict is on their sums').argParser(intOption('--flows', 1, MAX_FLOWS)).default(1))
    .option('--bin <path>', 'msg_zerocopy executable to run (default: this package\'s bin/msg-zerocopy)')
    .addOption(new Option('--rx <mode>', 'how the tcp receivers read: trunc (MSG_TRUNC, the selftest), copy, or mmap ' +
      '(TCP_ZEROCOPY_RECEIVE: the veth MTU is set so the MSS is 15 pages, 61512 for IPv6 and 61492 for IPv4, the ' +
      'senders write 61440 bytes unless --size, and a zerocopy sender must be at least 99 % mapped)')
      .argParser(optionParser(parseRxMode)).default('trunc'))
    .option('--no-progress', 'no progress line, even on a terminal')
    .addOption(new Option('--no-expect-flag', 'do not pass -Z (for C binaries older than 6.13)').hideHelp())
    .addOption(new Option('--slack <ms>', 'time a child may overrun before it is killed')
      .argParser(intOption('--slack', 0, 600000)).default(10000).hideHelp())
    .addOption(new Option('--prefix <prefix>', 'namespace name prefix').default('mzc-').hideHelp());
}

/**
 * Add the `suite` subcommand. The exit status is reported through `done`
 * when given (the CLI's convention), else through process.exitCode.
 */
export function registerSuiteCommand(program: Command, done?: (code: number) => void): void {
  // The root command has classic short flags (-t, -s, …); make sure those
  // given after `suite` belong to the subcommand, not to the root.
  program.enablePositionalOptions();
  const cmd = addSuiteOptions(new Command('suite'))
    .description('Run the kernel selftest msg_zerocopy.sh in two fresh network namespaces (needs root). ' +
      'For each family and test, in copy and zerocopy mode: a sender to a receiver over veth (tx-rx: ' +
      'completions must be copied, -Z 0) and, except for tcp, a sender to a route out of an egress-only ' +
      'device (tx-only: completions must not be copied, -Z 1). Exit status 0 when no case fails.')
    .allowExcessArguments(false)
    .action(async (opts: SuiteCliOptions) => {
      const bin = opts.bin === undefined ? ownProgram() : programAt(opts.bin);
      if (!opts.expectFlag) bin.expectFlag = false;
      const runOpts: RunOptions = {
        bin, duration: opts.duration, size: opts.size ?? null, port: opts.port, extra: opts.extra, slackMs: opts.slack,
        flows: opts.flows,
      };
      if (opts.flows > 1) {
        const portless = opts.tests.filter((t) => !TEST_TABLE[t].flows);
        if (portless.length) throw new UsageError(`--flows: ${portless.join(', ')} ${portless.length > 1 ? 'have' : 'has'} no ports to tell flows apart`, `use --tests ${testList(FLOW_TESTS, ',')}`);
        if (!bin.node) throw new UsageError('--flows: -P is this tool\'s own', 'the program of --bin runs one flow');
      }
      if (opts.api.includes('uring')) {
        const why = !bin.node ? '--bin names a msg_zerocopy; the io_uring sender is this tool\'s own'
          : opts.flows > 1 ? '--flows: the io_uring sender runs one flow'
            : opts.extra.length ? '--extra holds msg_zerocopy flags; the io_uring sender takes none of them' : null;
        if (why) throw new UsageError(`--api uring: ${why}`, 'run the uring plan on its own, without that option');
        if (!opts.tests.some((t) => TEST_TABLE[t].uring)) {
          throw new UsageError(`--api uring: the io_uring sender knows ${testList(URING_TESTS, ' and ')} only`,
            `use --tests ${testList(URING_TESTS, ',')}`);
        }
      }
      if (opts.rx !== 'trunc') {
        if (!bin.node) throw new UsageError(`--rx ${opts.rx}: --rx is this tool's own`, 'the program of --bin reads with MSG_TRUNC');
        if (!opts.tests.includes('tcp') || !opts.api.includes('msg')) {
          throw new UsageError(`--rx ${opts.rx}: only the tcp cases of the msg plan have a stream to read`, 'add tcp to --tests');
        }
      }
      // Another program's flags are its own business; ours are checked now.
      if (bin.node) checkSuiteArgs(opts.api, opts.family, opts.tests, runOpts);
      const output: SuiteOutput = opts.json ? 'json' : opts.ktap ? 'ktap' : 'table';
      const outcome = await runSuite({
        apis: opts.api,
        families: opts.family,
        tests: opts.tests,
        duration: opts.duration,
        size: opts.size ?? null,
        port: opts.port,
        extra: opts.extra,
        bin,
        output,
        progress: opts.progress,
        slackMs: opts.slack,
        prefix: opts.prefix,
        flows: opts.flows,
        report: opts.report,
        rx: opts.rx,
      });
      if (done) done(outcome.exitCode);
      else process.exitCode = outcome.exitCode;
    });
  program.addCommand(cmd);
}
