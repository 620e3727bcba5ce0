// SPDX-License-Identifier: GPL-2.0-only
// msg-zerocopy: the command line. Without a subcommand it is the kernel
// selftest's msg_zerocopy (same flags, same lines, same exit codes); new
// features live in long options and subcommands.
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { addClassicOptions, addFlowOptions, flowOptions, toConfig, type RawOptions } from '../flags/classic.js';
import { commanderMessage } from '../flags/parse.js';
import { addPeerOptions } from '../flags/peer.js';
import { ToolError, UsageError } from '../core/errors.js';
import { didYouMean } from '../core/suggest.js';
import { TOOL_VERSION } from '../core/version.js';
import { isTestName, testList, TESTS } from '../core/vocabulary.js';
import type { Config } from '../core/config.js';

const prog = basename(process.argv[1] ?? 'msg-zerocopy');

/** Names of the subcommands (see subcommands.ts). */
const SUBCOMMANDS = ['suite', 'sweep', 'compare', 'serve', 'pair', 'uring', 'mmap', 'doctor', 'udpgso', 'udpgso-rx', 'merge'];

function printError(e: unknown): number {
  if (e instanceof ToolError) {
    process.stderr.write(`${prog}: ${e.line}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${prog}: internal error: ${msg}\n`);
  if (process.env.MZC_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  return 2;
}

async function runClassic(test: string | undefined, opts: RawOptions): Promise<number> {
  const { ifindex } = await import('./resolve.js');
  const cfg: Config = toConfig(test, opts, { ifindex });
  // -P n: n children of this program, one flow each (src/flows); without it, nothing else changes. The
  // driver comes with the subcommands' chunk, whose modules it shares, so that the chunks a classic
  // run loads stay exactly those it loaded before -P existed.
  const flows = flowOptions(opts, cfg);
  if (flows) return (await import('./subcommands.js')).runFlows(cfg, flows, (line) => process.stderr.write(`${line}\n`), prog);
  const { runClassicTest } = await import('./run.js');
  return runClassicTest(cfg, (line) => process.stderr.write(`${line}\n`), prog);
}

export async function main(argv: string[]): Promise<number> {
  const program = addPeerOptions(addFlowOptions(addClassicOptions(new Command('msg-zerocopy'))))
    .usage('[options] <test>')
    .description('Measure Linux MSG_ZEROCOPY: a port of the kernel selftest msg_zerocopy.\n' +
      `<test> is one of ${testList(TESTS, ', ')}.`)
    .argument('[test]', testList())
    .allowExcessArguments(false)
    .version(TOOL_VERSION, '--version', 'print the version and exit')
    .showSuggestionAfterError(true);

  let status = 0;
  program.action(async (test: string | undefined, opts: RawOptions) => {
    status = await runClassic(test, opts);
  });
  // Subcommands are loaded only when one may be asked for, so that a classic
  // run (the receiver the kernel driver starts 0.2 s before its sender)
  // starts as fast as it can.
  // A classic run starts with an option or its test name; any other first
  // word names a command (or is a typo of one).
  const first = argv[0];
  const command = first !== undefined && !first.startsWith('-') && !isTestName(first) ? first : null;
  if (command !== null && command !== 'help' && !SUBCOMMANDS.includes(command)) {
    const guess = didYouMean(command, [...SUBCOMMANDS, ...TESTS]);
    return printError(new UsageError(`unknown command or test '${command}'`, guess || `see ${prog} --help`));
  }
  if (command === 'help' && argv[1] !== undefined && !argv[1].startsWith('-') && !SUBCOMMANDS.includes(argv[1])) {
    const guess = didYouMean(argv[1], SUBCOMMANDS);
    return printError(new UsageError(`help: unknown command '${argv[1]}'`, guess || `the commands are ${SUBCOMMANDS.join(', ')}`));
  }
  if (argv.length === 0 || command !== null || argv.some((a) => a === '-h' || a === '--help')) {
    const udpgso = command === 'udpgso' || command === 'udpgso-rx';
    if (command !== 'uring' && command !== 'mmap' && !udpgso) { // drop-ins for kernel programs load only their own command
      const { registerSubcommands } = await import('./subcommands.js');
      registerSubcommands(program, (code) => { status = code; });
    }
    const { registerUringCommand } = await import('./uring.js');
    registerUringCommand(program, (code) => { status = code; });
    const { registerMmapCommand } = await import('./mmap.js');
    registerMmapCommand(program, (code) => { status = code; });
    // udpgso_bench.sh starts these: they too load only their own command.
    const { registerUdpgsoCommands } = await import('./udpgso.js');
    registerUdpgsoCommands(program, (code) => { status = code; });
    program.helpCommand('help [command]', 'show the help of a command');
  }

  if (argv.length === 0) {
    // nothing asked for: the usage, as a usage error (the selftest has no run without -4/-6 either)
    program.outputHelp({ error: true });
    return 1;
  }
  let errText = '';
  // Commander's own errors (unknown option, missing value) become one line
  // in the tool's format, for the subcommands too.
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({ writeErr: (s) => { errText += s; } });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      const [what, guess] = commanderMessage(errText || e.message);
      return printError(new UsageError(what, guess ?? `see ${prog} --help`));
    }
    return printError(e);
  }
  return status;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.exitCode = printError(e); },
);
