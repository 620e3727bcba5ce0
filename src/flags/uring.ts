// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy uring`: io_uring_zerocopy_tx's command line (-4 -6 -D -p -s
// -t -n -c -m, the test last) with its defaults and checks, and our long
// options. Bad input is one line and exit status 1, as the selftest.
import { Command, CommanderError } from 'commander';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { parseAddress } from '../net/address.js';
import { UsageError } from '../core/errors.js';
import { parseInteger } from '../core/numbers.js';
import { testList, URING_TESTS, type Family, type UringTest } from '../core/vocabulary.js';
import { DEFAULT_BATCH, MODE_ZC_FIXED, RING_ENTRIES, type UringConfig, type UringMode } from '../uring/config.js';

export interface UringRawOptions {
  '4'?: number;
  '6'?: number;
  D?: string;
  p?: string;
  s?: string;
  t?: string;
  n?: string;
  c?: string;
  m?: string;
  Z?: string;
  json?: boolean;
  fixedFile?: boolean;
  registeredRing?: boolean;
  deferTaskrun?: boolean;
  sharedFdTable?: boolean;
}

const count = (_: string, prev: number): number => prev + 1;

export const URING_USAGE = '(-4|-6) (udp|tcp) -D<dst_ip> [-s<payload size>] [-t<time s>] [-n<batch>] [-p<port>] [-m<mode>]';

/** Declare the flags on the `uring` command. */
export function addUringOptions(cmd: Command): Command {
  return cmd
    .option('-4', 'IPv4', count, 0)
    .option('-6', 'IPv6', count, 0)
    .option('-D <addr>', 'destination address')
    .option('-p <port>', 'data port (default 8000)')
    .option('-s <len>', `payload bytes (max ${MAX_PAYLOAD}, the default)`)
    .option('-t <secs>', 'run for 200 ms + <secs> s (default 4)')
    .option('-n <reqs>', `requests per submit, 1-${RING_ENTRIES} (default ${DEFAULT_BATCH})`)
    .option('-c <0|1>', 'UDP_CORK on around each batch of -n requests (udp only)')
    .option('-m <mode>', '0 IORING_OP_SEND (copy), 1 SEND_ZC, 2 SEND_ZC from a registered buffer (default), ' +
      '3 a random mix of 0-2 per request, 4 SENDMSG_ZC')
    .option('-Z <0|1>', 'expected outcome of the notifications (1 = not copied); a mismatch exits 1')
    .option('--json', 'print a JSON report on stdout after the run')
    .option('--fixed-file', 'register the socket with the ring and send through its index (IOSQE_FIXED_FILE)')
    .option('--registered-ring', 'register the ring fd and enter through its index (IORING_ENTER_REGISTERED_RING)')
    .option('--defer-taskrun', 'set the ring up with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN: ' +
      'completions and notifications are posted only when the sender waits for them')
    .option('--shared-fd-table', "keep the file descriptor table shared with Node's helper threads (see the classic sender)");
}

/** Turn parsed flags and the test name into a checked UringConfig (parse_opts). */
export function toUringConfig(testArg: string | undefined, o: UringRawOptions): UringConfig {
  if ((o['4'] ?? 0) + (o['6'] ?? 0) > 1) throw new UsageError('Pass one of -4 or -6');
  if (!o['4'] && !o['6']) throw new UsageError('illegal domain', 'pass -4 or -6');
  const family: Family = o['4'] ? 4 : 6;
  if (testArg === undefined) throw new UsageError(`Usage: msg-zerocopy uring ${URING_USAGE}`, 'the test, tcp or udp, comes last');
  if (!(URING_TESTS as readonly string[]).includes(testArg)) {
    throw new UsageError(`unknown cfg_test ${testArg}`, `io_uring_zerocopy_tx knows ${testList(URING_TESTS, ' and ')}`);
  }
  const test = testArg as UringTest;
  const port = o.p === undefined ? 8000 : parseInteger(o.p, '-p', 1, 65535);
  if (o.D === undefined) throw new UsageError('-D <addr> is required', 'the destination address');
  const dst = parseAddress(family, o.D);
  if (!dst) throw new UsageError(`ipv${family} parse error: ${o.D}`, `-D needs an IPv${family} address with -${family}`);
  let payloadLen = MAX_PAYLOAD;
  if (o.s !== undefined) {
    payloadLen = parseInteger(o.s, '-s', 0, Number.MAX_SAFE_INTEGER);
    if (payloadLen > MAX_PAYLOAD) throw new UsageError(`-s: payload exceeds max (${MAX_PAYLOAD})`);
  }
  const secs = o.t === undefined ? 4 : parseInteger(o.t, '-t', 0, 1e6, true);
  const batch = o.n === undefined ? DEFAULT_BATCH : parseInteger(o.n, '-n', 1, RING_ENTRIES);
  const cork = o.c === undefined ? false : parseInteger(o.c, '-c', 0, 0x7fffffff) !== 0;
  if (cork && test !== 'udp') throw new UsageError('can only cork udp sockets', '-c works with the udp test only');
  const mode = (o.m === undefined ? MODE_ZC_FIXED : parseInteger(o.m, '-m', 0, 4)) as UringMode;
  let expectZerocopy: -1 | 0 | 1 = -1;
  if (o.Z !== undefined) {
    if (o.Z !== '0' && o.Z !== '1') throw new UsageError(`-Z: expected 0 or 1, got '${o.Z}'`, '1 = notifications say not copied, 0 = copied');
    expectZerocopy = o.Z === '1' ? 1 : 0;
  }
  return {
    family, test, dst, dstText: o.D, port, payloadLen, runtimeMs: 200 + secs * 1000, batch, cork, mode, expectZerocopy,
    fixedFile: !!o.fixedFile, registeredRing: !!o.registeredRing, deferTaskrun: !!o.deferTaskrun,
    sharedFdTable: !!o.sharedFdTable, json: !!o.json,
  };
}

/** Parse `uring` arguments (after the word uring) into a UringConfig; throws UsageError. For tests and the run layer. */
export function parseUringArgs(argv: string[]): UringConfig {
  const cmd = addUringOptions(new Command('uring')).argument('[test]').allowExcessArguments(false);
  let message = '';
  cmd.exitOverride().configureOutput({ writeErr: (s) => { message += s; }, writeOut: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError((message || e.message).trim().split('\n')[0].replace(/^error: /, ''));
    throw e;
  }
  return toUringConfig(cmd.args[0], cmd.opts<UringRawOptions>());
}
