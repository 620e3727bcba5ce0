// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy serve` (host B) and `msg-zerocopy pair` (host A): one command
// per host; pair prints both sides.

import { Command, InvalidArgumentError } from 'commander';
import { UsageError } from '../core/errors.js';
import { parseInteger } from '../core/numbers.js';
import { addClassicOptions, toConfig, type RawOptions } from '../cli/options.js';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { parseAddress } from '../net/address.js';
import { runPair } from './pair.js';
import { runServe } from './serve.js';

const count = (_: string, prev: number): number => prev + 1;

const port = (flag: string) => (text: string, _prev?: unknown): number => {
  try {
    return parseInteger(text, flag, 1, 65535);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

/** The classic sender argv for the flags pair was given (values passed on as typed). */
export function senderArgv(test: string, o: RawOptions): string[] {
  const a: string[] = [];
  if (o['4']) a.push('-4');
  if (o['6']) a.push('-6');
  for (const k of ['c', 'C', 'D', 'i', 'l', 'p', 's', 'S', 't', 'Z'] as const) {
    const v = o[k];
    if (v !== undefined) a.push(`-${k}`, v);
  }
  if (o.m) a.push('-m');
  if (o.z) a.push('-z');
  for (let i = 0; i < (o.v ?? 0); i++) a.push('-v');
  a.push('--json', test);
  return a;
}

/** Default control port: the data port + 1. */
export function defaultControlPort(dataPort: number): number {
  if (dataPort >= 65535) throw new UsageError(`no default control port after data port ${dataPort}`, 'give --control-port');
  return dataPort + 1;
}

interface ServeCli {
  '4': number;
  '6': number;
  D?: string;
  p?: string;
  controlPort?: number;
  once?: boolean;
  json?: boolean;
  slack: number;
}

interface PairCli extends RawOptions {
  controlPort?: number;
  connectTimeout: string;
  slack: number;
}

export function registerPairCommands(program: Command, done: (code: number) => void): void {
  program.enablePositionalOptions();

  const serve = new Command('serve')
    .description('host B of a host pair: listen on a control port (data port + 1, default 8001) and, for each ' +
      '`msg-zerocopy pair` from host A, run our receiver and send its report back; one pair at a time, ' +
      'until SIGINT/SIGTERM')
    .option('-4', 'IPv4', count, 0)
    .option('-6', 'IPv6', count, 0)
    .option('-D <addr>', 'this host\'s address: the control port and the receiver bind to it')
    .option('-p <port>', 'data port the control port is derived from (pair says which data port to use)')
    .option('--control-port <port>', 'control port (default: -p + 1 = 8001)', port('--control-port'))
    .option('--once', 'stop after one pair')
    .option('--json', 'print one JSON line per pair (the receiver\'s report) on stdout')
    .option('--slack <ms>', 'time a receiver may overrun before it is killed', (s) => parseInteger(s, '--slack', 0, 600000), 10000)
    .allowExcessArguments(false)
    .action(async (o: ServeCli) => {
      if (o['4'] + o['6'] !== 1) throw new UsageError('Pass one of -4 or -6');
      const family = o['4'] ? 4 : 6;
      if (o.D === undefined) throw new UsageError('-D <addr> is required', 'this host\'s address, the one pair -D names');
      if (!parseAddress(family, o.D)) throw new UsageError(`ipv${family} parse error: ${o.D}`, `-D needs an IPv${family} address with -${family}`);
      const dataPort = o.p === undefined ? 8000 : parseInteger(o.p, '-p', 1, 65535);
      const code = await runServe({
        family, addr: o.D, controlPort: o.controlPort ?? defaultControlPort(dataPort), maxPayload: MAX_PAYLOAD,
        once: !!o.once, json: !!o.json, slackMs: o.slack,
      }, { out: (s) => { process.stdout.write(s); }, err: (s) => { process.stderr.write(s); } });
      done(code);
    });

  const pair = addClassicOptions(new Command('pair'))
    .description('host A of a host pair: run our sender against the receiver that `msg-zerocopy serve` starts on ' +
      'host B (-D), then print both classic lines, a summary, and with --json one object { sender, receiver }. ' +
      'Takes the classic sender flags.')
    .usage('[options] <test>')
    .argument('[test]', 'tcp | udp | raw | raw_hdrincl | packet | packet_dgram')
    .option('--control-port <port>', 'serve\'s control port (default: -p + 1 = 8001)', port('--control-port'))
    .option('--connect-timeout <secs>', 'give up connecting to the control port after this long', '5')
    .option('--slack <ms>', 'time the sender may overrun before it is killed', (s) => parseInteger(s, '--slack', 0, 600000), 10000)
    .allowExcessArguments(false)
    .action(async (test: string | undefined, o: PairCli) => {
      if (o.r) throw new UsageError('pair runs the sender; -r belongs to the other host', 'run `msg-zerocopy serve` there');
      const { ifindex } = await import('../cli/resolve.js');
      const cfg = toConfig(test, o, { ifindex });
      const timeout = Number(o.connectTimeout);
      if (!(timeout > 0 && timeout <= 600)) throw new UsageError(`--connect-timeout: '${o.connectTimeout}' is not a number of seconds from 0 to 600`);
      const code = await runPair({
        family: cfg.family, host: cfg.dstText, controlPort: o.controlPort ?? defaultControlPort(cfg.port), test: cfg.test,
        port: cfg.port, size: cfg.payloadLen, secs: (cfg.runtimeMs - 200) / 1000, cork: cfg.cork,
        senderArgs: senderArgv(cfg.test, o), json: cfg.json, connectTimeoutMs: timeout * 1000, slackMs: o.slack,
      }, { out: (s) => { process.stdout.write(s); }, err: (s) => { process.stderr.write(s); } });
      done(code);
    });

  program.addCommand(serve);
  program.addCommand(pair);
}
