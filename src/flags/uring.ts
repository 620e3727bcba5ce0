// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy uring`: io_uring_zerocopy_tx's command line (-4 -6 -D -p -s
// -t -n -c -m, the test last) with its defaults and checks, and our long
// options. Bad input is one line and exit status 1, as the selftest.
import { Command } from 'commander';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { UsageError } from '../core/errors.js';
import { parseInteger } from '../core/numbers.js';
import { runtimeMs } from '../core/config.js';
import { testList, URING_TESTS, type UringTest } from '../core/vocabulary.js';
import { addFlags, COMMON, DEFAULTS, HUGEPAGES, readDst, readExpectation, readFamily, type FlagSpec } from './groups.js';
import { LIMITS, parseQuietly } from './parse.js';
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
  hugepages?: boolean;
  fixedFile?: boolean;
  registeredRing?: boolean;
  deferTaskrun?: boolean;
  sharedFdTable?: boolean;
}

export const URING_USAGE = '(-4|-6) (udp|tcp) -D<dst_ip> [-s<payload size>] [-t<time s>] [-n<batch>] [-p<port>] [-m<mode>]';

/** The flags only the io_uring sender has (its -c and -m are io_uring_zerocopy_tx's, not the classic ones). */
export const URING = {
  batch: { flags: '-n <reqs>', help: `requests per submit, 1-${RING_ENTRIES} (default ${DEFAULT_BATCH})` },
  cork: { flags: '-c <0|1>', help: 'UDP_CORK on around each batch of -n requests (udp only)' },
  mode: {
    flags: '-m <mode>', help: '0 IORING_OP_SEND (copy), 1 SEND_ZC, 2 SEND_ZC from a registered buffer (default), ' +
      '3 a random mix of 0-2 per request, 4 SENDMSG_ZC',
  },
  fixedFile: { flags: '--fixed-file', help: 'register the socket with the ring and send through its index (IOSQE_FIXED_FILE)' },
  registeredRing: { flags: '--registered-ring', help: 'register the ring fd and enter through its index (IORING_ENTER_REGISTERED_RING)' },
  deferTaskrun: {
    flags: '--defer-taskrun', help: 'set the ring up with IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN: ' +
      'completions and notifications are posted only when the sender waits for them',
  },
} as const satisfies Record<string, FlagSpec>;

/** Declare the flags on the `uring` command: the common ones and io_uring_zerocopy_tx's own, in its order. */
export function addUringOptions(cmd: Command): Command {
  const [c, u] = [COMMON, URING];
  return addFlags(cmd, [c.ipv4, c.ipv6, c.dst, c.port, c.size, c.secs, u.batch, u.cork, u.mode, c.expect, c.json,
    u.fixedFile, u.registeredRing, u.deferTaskrun, c.sharedFdTable, HUGEPAGES]);
}

/** Turn parsed flags and the test name into a checked UringConfig (parse_opts). */
export function toUringConfig(testArg: string | undefined, o: UringRawOptions): UringConfig {
  const family = readFamily(o, new UsageError('illegal domain', 'pass -4 or -6'));
  if (testArg === undefined) throw new UsageError(`Usage: msg-zerocopy uring ${URING_USAGE}`, 'the test, tcp or udp, comes last');
  if (!(URING_TESTS as readonly string[]).includes(testArg)) {
    throw new UsageError(`unknown cfg_test ${testArg}`, `io_uring_zerocopy_tx knows ${testList(URING_TESTS, ' and ')}`);
  }
  const test = testArg as UringTest;
  const port = o.p === undefined ? DEFAULTS.port : parseInteger(o.p, '-p', ...LIMITS.port);
  const dst = readDst(family, o.D, 'the destination address');
  let payloadLen: number = DEFAULTS.size;
  if (o.s !== undefined) {
    payloadLen = parseInteger(o.s, '-s', 0, Number.MAX_SAFE_INTEGER);
    if (payloadLen > MAX_PAYLOAD) throw new UsageError(`-s: payload exceeds max (${MAX_PAYLOAD})`);
  }
  const secs = o.t === undefined ? DEFAULTS.secs : parseInteger(o.t, '-t', ...LIMITS.secs, true);
  const batch = o.n === undefined ? DEFAULT_BATCH : parseInteger(o.n, '-n', 1, RING_ENTRIES);
  const cork = o.c === undefined ? false : parseInteger(o.c, '-c', 0, 0x7fffffff) !== 0;
  if (cork && test !== 'udp') throw new UsageError('can only cork udp sockets', '-c works with the udp test only');
  const mode = (o.m === undefined ? MODE_ZC_FIXED : parseInteger(o.m, '-m', 0, 4)) as UringMode;
  const expectZerocopy = readExpectation(o.Z);
  return {
    family, test, dst, dstText: o.D as string, port, payloadLen, runtimeMs: runtimeMs(secs), batch, cork, mode, expectZerocopy,
    fixedFile: !!o.fixedFile, registeredRing: !!o.registeredRing, deferTaskrun: !!o.deferTaskrun,
    sharedFdTable: !!o.sharedFdTable, json: !!o.json, hugepages: !!o.hugepages,
  };
}

/** Parse `uring` arguments (after the word uring) into a UringConfig; throws UsageError. For tests and the run layer. */
export function parseUringArgs(argv: string[]): UringConfig {
  const cmd = addUringOptions(new Command('uring')).argument('[test]').allowExcessArguments(false);
  parseQuietly(cmd, argv);
  return toUringConfig(cmd.args[0], cmd.opts<UringRawOptions>());
}
