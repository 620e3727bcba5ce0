// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy serve` (host B) and `msg-zerocopy pair` (host A): one command
// per host; pair prints both sides.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { testList } from '../core/vocabulary.js';
import { parseInteger } from '../core/numbers.js';
import { addClassicOptions, addFlowOptions, flowOptions, toConfig, type RawOptions } from '../flags/classic.js';
import { intOption, LIMITS, optionParser } from '../flags/parse.js';
import { addFlags, COMMON, readDst, readFamily, withHelp } from '../flags/groups.js';
import { rxOptions } from '../flags/rx-options.js';
import { isTestName, receiveMode } from '../core/vocabulary.js';
import { allowedCpus, flowCpus } from '../flows/plan.js';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { senderSpecOf } from '../run/classic.js';
import { runPair } from '../pair/pair.js';
import { DEFAULT_POLICY, MAX_TIME_LIMIT, parsePortRange } from '../pair/policy.js';
import { DEFAULT_CONTROL_PORT, DEFAULT_DATA_PORT, defaultControlPort } from '../pair/protocol.js';
import { defaultSecretPath, pairSecret, serveSecret } from '../pair/secret.js';
import { runServe } from '../pair/serve.js';


function procStatus(): string {
  try {
    return readFileSync('/proc/self/status', 'utf8');
  } catch {
    return '';
  }
}

const port = (flag: string) => intOption(flag, ...LIMITS.port);
const slack = intOption('--slack', 0, 600000);

export { defaultControlPort };

interface ServeCli {
  '4': number;
  '6': number;
  D?: string;
  p?: string;
  controlPort?: number;
  once?: boolean;
  json?: boolean;
  slack: number;
  secretFile?: string;
  ports?: { lo: number; hi: number };
  maxTime?: number;
  allowRaw?: boolean;
}

interface PairCli extends RawOptions {
  controlPort?: number;
  connectTimeout: string;
  slack: number;
  secretFile?: string;
}

type IO = { out: (s: string) => void; err: (s: string) => void };

/** `serve`: host B's command. */
function serveCommand(io: IO, done: (code: number) => void): Command {
  const serve = new Command('serve')
    .description(`host B of a host pair: listen on a control port (the data port - 1, default ${DEFAULT_CONTROL_PORT}) and, for each ` +
      '`msg-zerocopy pair` from host A that proves it holds the shared secret, run our receiver (of as many flows as ' +
      'pair -P asks for, on data ports -p .. -p + N - 1, above the control port) and send its ' +
      'report back; one pair at a time, until SIGINT/SIGTERM. It opens sockets on request (root is needed only for ' +
      '--allow-raw): see the README, "Running between two hosts", for what it exposes');
  addFlags(serve, [COMMON.ipv4, COMMON.ipv6, withHelp(COMMON.dst, 'this host\'s address: the control port and the receiver bind to it'),
    withHelp(COMMON.port, `data port the control port is derived from (default ${DEFAULT_DATA_PORT}; pair says which data ports to use)`)]);
  serve
    .option('--control-port <port>', `control port (default: -p - 1 = ${DEFAULT_CONTROL_PORT})`, port('--control-port'))
    .option('--secret-file <path>', `the shared secret; created (mode 0600) when missing (default ${defaultSecretPath()})`)
    .option('--ports <lo-hi>', `data ports a pair may ask for (default ${DEFAULT_POLICY.portLo}-${DEFAULT_POLICY.portHi}: no privileged port)`,
      optionParser(parsePortRange))
    .option('--max-time <secs>', `longest receiver run a pair may ask for (default ${DEFAULT_POLICY.maxSecs})`,
      intOption('--max-time', 1, MAX_TIME_LIMIT))
    .option('--allow-raw', 'allow raw receivers (for the raw, raw_hdrincl, packet and packet_dgram senders); they ' +
      'receive every IPPROTO_EGP packet to -D')
    .option('--once', 'stop after one run')
    .option('--json', 'print one JSON line per run (the receiver\'s report) on stdout')
    .option('--slack <ms>', 'time a receiver may overrun before it is killed', slack, 10000)
    .allowExcessArguments(false)
    .action(async (o: ServeCli) => {
      const family = readFamily(o, new UsageError('Pass one of -4 or -6'));
      readDst(family, o.D, 'this host\'s address, the one pair -D names');
      const dataPort = o.p === undefined ? DEFAULT_DATA_PORT : parseInteger(o.p, '-p', ...LIMITS.port);
      const log = (s: string): void => io.err(`msg-zerocopy serve: ${s}\n`);
      const secret = serveSecret(o.secretFile ?? defaultSecretPath(), log);
      const policy = {
        portLo: o.ports?.lo ?? DEFAULT_POLICY.portLo, portHi: o.ports?.hi ?? DEFAULT_POLICY.portHi,
        maxSecs: o.maxTime ?? DEFAULT_POLICY.maxSecs, allowRaw: !!o.allowRaw,
      };
      done(await runServe({
        family, addr: o.D as string, controlPort: o.controlPort ?? defaultControlPort(dataPort), maxPayload: MAX_PAYLOAD,
        once: !!o.once, json: !!o.json, slackMs: o.slack, policy, secret,
      }, io));
    });
  return serve;
}

/** `pair`: host A's command, every classic sender flag and its own. */
function pairCommand(io: IO, done: (code: number) => void): Command {
  const pair = addFlowOptions(addClassicOptions(new Command('pair')))
    .description('host A of a host pair: run our sender against the receiver that `msg-zerocopy serve` starts on ' +
      'host B (-D), then print both classic lines, a summary, and with --json one object { sender, receiver }. ' +
      'Takes every classic sender flag and passes it on. -P N: N flows on data ports -p .. -p + N - 1 against a ' +
      'receiver of N flows on host B (--cpus places the flows of this host); both sides\' [k] and [SUM] lines, the ' +
      'summary on the sums.')
    .usage('[options] <test>')
    .argument('[test]', testList())
    .option('--control-port <port>', `serve's control port (default: -p - 1 = ${DEFAULT_CONTROL_PORT}, below every flow's data port)`,
      port('--control-port'))
    .option('--secret-file <path>', `the shared secret, a copy of serve's (default ${defaultSecretPath()})`)
    .option('--connect-timeout <secs>', 'give up connecting to the control port after this many seconds (0-600)', '5')
    .option('--slack <ms>', 'time the sender may overrun before it is killed', slack, 10000)
    .allowExcessArguments(false)
    .action(async (test: string | undefined, o: PairCli) => {
      if (o.r) throw new UsageError('pair runs the sender; -r belongs to the other host', 'run `msg-zerocopy serve` there');
      const { ifindex } = await import('../cli/resolve.js');
      // --rx and --expect-mapped are for serve's receiver: checked as a receiver's, then left out of the sender's config.
      const rx = rxOptions(o, receiveMode(test && isTestName(test) ? test : 'tcp'), true);
      const cfg = toConfig(test, { ...o, rx: undefined, expectMapped: undefined }, { ifindex });
      // -P n: the multi-flow sender here, a receiver of as many flows there (flows/). Its CPUs are checked before anything is asked of serve.
      const flows = flowOptions(o, cfg);
      if (flows) flowCpus(flows.flows, flows.cpus, allowedCpus(procStatus()));
      const timeout = Number(o.connectTimeout);
      if (!(timeout > 0 && timeout <= 600)) throw new UsageError(`--connect-timeout: '${o.connectTimeout}' is not a number of seconds from 0 to 600`);
      const controlPort = o.controlPort ?? defaultControlPort(cfg.port);
      const secret = pairSecret(o.secretFile ?? defaultSecretPath(), cfg.dstText);
      const sender = flows
        ? { ...senderSpecOf(cfg), flows: flows.flows, extra: flows.cpus ? ['--cpus', flows.cpus.join(',')] : [] }
        : senderSpecOf(cfg);
      done(await runPair({
        host: cfg.dstText, controlPort, sender, secret, json: cfg.json,
        connectTimeoutMs: timeout * 1000, slackMs: o.slack, rx: { mode: rx.rxMode, expectMapped: rx.expectMapped },
      }, io));
    });
  // -r is refused by name (it belongs to serve's host): accepted, but not offered in the help.
  pair.options.find((opt) => opt.short === '-r')?.hideHelp();
  return pair;
}

export function registerPairCommands(program: Command, done: (code: number) => void): void {
  program.enablePositionalOptions();
  const io: IO = { out: (s: string) => { process.stdout.write(s); }, err: (s: string) => { process.stderr.write(s); } };
  program.addCommand(serveCommand(io, done));
  program.addCommand(pairCommand(io, done));
}
