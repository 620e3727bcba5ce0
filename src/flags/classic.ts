// SPDX-License-Identifier: GPL-2.0-only
// The selftest's command line, with commander: the same short flags and
// getopt habits (grouped flags, attached values, any order, 0x numbers), and
// the checks that turn bad input into one line and exit status 1.
import { Command, CommanderError } from 'commander';
import { PAGE_SIZE, SELFTEST_PAYLOAD_OFFSET } from '../libc/layout.js';
import { parseAddress, unspecified } from '../net/address.js';
import { runtimeMs, TESTS, type Config, type TestName } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import { MAX_FLOWS, parseCpuList, type FlowOptions } from '../core/flows.js';
import { parseInteger } from '../core/numbers.js';
import { MAX_INTERVAL_SECS, MIN_INTERVAL_SECS } from '../core/intervals.js';
import { didYouMean } from '../core/suggest.js';
import { FLOW_TESTS, TEST_TABLE, testList } from '../core/vocabulary.js';
import { commanderMessage, LIMITS } from './parse.js';
import { rxOptions } from './rx-options.js';
import { checkGsoInput } from '../gso/gso.js';
import { addFlags, COMMON, DEFAULTS, HUGEPAGES, readDst, readExpectation, readFamily, type FlagSpec } from './groups.js';

/** -l when not given, as the selftest. */
const NOTIFICATION_LIMIT = 32;
import { addPeerOptions, checkPeerFlows, peerConfig } from './peer.js';

export interface RawOptions {
  '4'?: number;
  '6'?: number;
  c?: string;
  C?: string;
  D?: string;
  i?: string;
  l?: string;
  m?: boolean;
  p?: string;
  r?: boolean;
  s?: string;
  S?: string;
  t?: string;
  v?: number;
  z?: boolean;
  Z?: string;
  json?: boolean;
  payloadOffset?: string;
  sharedFdTable?: boolean;
  /** -I / --interval: seconds between interval reports. */
  interval?: string;
  /** -P / --flows and --cpus (src/flows). */
  flows?: string;
  cpus?: string;
  /** --peer, --bind, --pattern-seed (src/flags/peer.ts). */
  peer?: string;
  bind?: string;
  patternSeed?: string;
  /** --rx and --expect-mapped (receive side, issue 19). */
  rx?: string;
  expectMapped?: string;
  /** --gso and --hugepages (issue 20). */
  gso?: string;
  hugepages?: boolean;
  validate?: boolean;
}


/** The flags only the classic command (and pair, which passes them on) has. */
export const CLASSIC = {
  cork: { flags: '-c <n>', help: 'UDP cork: split each datagram into <n> sendmsg calls (0 = off)' },
  cpu: { flags: '-C <cpu>', help: 'pin the process to <cpu>' },
  ifname: { flags: '-i <ifname>', help: 'interface for packet sockets (default: index 1)' },
  limit: { flags: '-l <n>', help: `drain the error queue after <n> sends (default ${NOTIFICATION_LIMIT})` },
  mixed: { flags: '-m', help: 'with -c and -z: alternate copy and zerocopy calls' },
  rx: { flags: '-r', help: 'receiver mode' },
  src: { flags: '-S <addr>', help: 'source address for hand-built IP headers' },
  verbose: { flags: '-v', help: 'verbose: gaps and short sends; twice: every completion', counts: true },
  zerocopy: { flags: '-z', help: 'zerocopy: SO_ZEROCOPY on the socket, MSG_ZEROCOPY on sends' },
  // iperf3 spells it -i, which the selftest already uses for the interface: here -I (neper's letter) or --interval.
  interval: {
    flags: '-I, --interval <secs>', help: `a report line on stderr every <secs> s (decimals allowed, e.g. 0.5; ${MIN_INTERVAL_SECS} ` +
      `to ${MAX_INTERVAL_SECS}; 0 = none) and, with --json, an intervals array (default: none, as the selftest)`,
  },
  payloadOffset: {
    flags: '--payload-offset <bytes>', help: `where the payload starts within a page, 0-${PAGE_SIZE - 1} ` +
      `(default ${SELFTEST_PAYLOAD_OFFSET}, where the selftest's buffer lies; 0 = page aligned)`,
  },
  // The receive side (issue 19): how a tcp receiver reads, and -Z's counterpart for mmap.
  rxMode: {
    flags: '--rx <mode>', help: 'with -r, tcp: how to read: trunc (discard with MSG_TRUNC, as the selftest; the default), ' +
      'copy (into a buffer, as an application), mmap (map the pages with TCP_ZEROCOPY_RECEIVE, as tcp_mmap; needs a page-sized MSS)',
  },
  expectMapped: { flags: '--expect-mapped <pct>', help: 'with --rx mmap: exit 1 when less than <pct> % of the bytes were mapped' },
  gso: {
    flags: '--gso <size>', help: 'udp: UDP GSO, one sendmsg per payload with UDP_SEGMENT, in segments of <size> bytes ' +
      '(at most the path MTU minus the IP and UDP headers, e.g. 1472 at MTU 1500; at most 128 segments a send, 64 before linux 6.12)',
  },
  hugepages: HUGEPAGES,
  validate: {
    flags: '--validate', help: 'receiver (tcp, udp): check every byte received against the pattern (not only the first 64 of a ' +
      'datagram); mismatches are counted and reported with their offset, the cost shown; a mismatch exits 1',
  },
} as const satisfies Record<string, FlagSpec>;

/** Declare the classic flags on a command: the common ones and the classic ones, in the selftest's letter order. */
export function addClassicOptions(cmd: Command): Command {
  const [c, k] = [COMMON, CLASSIC];
  return addFlags(cmd, [c.ipv4, c.ipv6, k.cork, k.cpu, c.dst, k.ifname, k.limit, k.mixed, c.port, k.rx, c.size, k.src, c.secs,
    k.verbose, k.zerocopy, c.expect, c.json, k.interval, k.payloadOffset, k.rxMode, k.expectMapped, c.sharedFdTable, k.gso, k.hugepages,
    k.validate]);
}

/**
 * Declare -P and --cpus (the classic command, and every argv checked for
 * it); commands that run one flow of their own leave them out, so that they
 * refuse them rather than ignore them.
 */
export function addFlowOptions(cmd: Command): Command {
  return cmd
    .option('-P, --flows <n>', `run <n> flows at once (${testList(FLOW_TESTS, ', ')}; max ${MAX_FLOWS}), each a process of its own on ` +
      'its own CPU; flow k (0 to n-1) uses data port -p + k; per-flow lines [k] and a [SUM] line')
    .option('--cpus <list>', 'with -P: CPUs for the flows, e.g. 0-3 or 0,2 (flow k on the k-th, round robin; ' +
      'default: spread over the CPUs this process may use)');
}

export interface Resolvers {
  /** if_nametoindex; 0 when the interface does not exist. */
  ifindex(name: string): number;
}

/** Turn parsed flags and the test name into a checked Config (parse_opts). */
export function toConfig(testArg: string | undefined, o: RawOptions, res: Resolvers): Config {
  const family = readFamily(o, new UsageError('Pass one of -4 or -6', 'the address family is required'));
  if (testArg === undefined) throw new UsageError('Usage: msg-zerocopy [options] <test>', `<test> is one of ${TESTS.join(', ')}`);
  if (!(TESTS as readonly string[]).includes(testArg)) {
    throw new UsageError(`unknown cfg_test ${testArg}`, didYouMean(testArg, TESTS) || `<test> is one of ${TESTS.join(', ')}`);
  }
  const test = testArg as TestName;

  const port = o.p === undefined ? DEFAULTS.port : parseInteger(o.p, '-p', ...LIMITS.port);
  const dst = readDst(family, o.D, 'the destination address; the receiver binds to it');
  let src = unspecified(family);
  if (o.S !== undefined) {
    const s = parseAddress(family, o.S);
    if (!s) throw new UsageError(`ipv${family} parse error: ${o.S}`, `-S needs an IPv${family} address with -${family}`);
    src = s;
  }
  const payloadLen = o.s === undefined ? DEFAULTS.size : parseInteger(o.s, '-s', ...LIMITS.size);
  const cork = o.c === undefined ? 0 : parseInteger(o.c, '-c', 0, 65535);
  const cpu = o.C === undefined ? null : parseInteger(o.C, '-C', 0, 1 << 20);
  const notificationLimit = o.l === undefined ? NOTIFICATION_LIMIT : parseInteger(o.l, '-l', 0, 0xffffffff);
  const secs = o.t === undefined ? DEFAULTS.secs : parseInteger(o.t, '-t', ...LIMITS.secs, true);
  const expectZerocopy = readExpectation(o.Z);
  let ifindex = 1;
  if (o.i !== undefined) {
    ifindex = res.ifindex(o.i);
    if (!ifindex) throw new UsageError(`invalid iface: ${o.i}: No such device`, 'pick an interface from `ip link` in this network namespace');
  }
  const intervalMs = o.interval === undefined ? 0 : parseIntervalMs(o.interval);
  const payloadOffset = o.payloadOffset === undefined
    ? SELFTEST_PAYLOAD_OFFSET : parseInteger(o.payloadOffset, '--payload-offset', 0, PAGE_SIZE - 1);
  const zerocopy = !!o.z;
  if (o.m && (!zerocopy || !cork)) throw new UsageError('-m: cork_mixed requires corking and zerocopy', 'add -c <n> and -z');
  if (cork && test !== 'udp') throw new UsageError('can only cork udp sockets', '-c works with the udp test only');
  if (cork > payloadLen) throw new UsageError(`-c: ${cork} calls cannot split a ${payloadLen}-byte payload`, 'use a smaller -c or a larger -s');
  if (o.validate && !o.r) throw new UsageError('--validate checks what a receiver reads', 'add -r, or drop --validate');
  if (o.validate && test !== 'tcp' && test !== 'udp') throw new UsageError(`--validate: tcp and udp only, not ${test}`, 'drop --validate');
  const gsoSize = o.gso === undefined ? 0 : parseInteger(o.gso, '--gso', 0, 65535);
  if (o.gso !== undefined) checkGsoInput(test, family, payloadLen, gsoSize, cork);

  const { rxMode, expectMapped } = rxOptions(o, test, !!o.r);

  return {
    family, test, cork, corkMixed: !!o.m, cpu, dst, dstText: o.D as string, src, srcText: o.S ?? null, ifindex, ifname: o.i ?? null, notificationLimit, port,
    rx: !!o.r, payloadLen, runtimeMs: runtimeMs(secs), verbose: o.v ?? 0, zerocopy, expectZerocopy, json: !!o.json,
    payloadOffset, sharedFdTable: !!o.sharedFdTable, intervalMs, rxMode, expectMapped, gsoSize, hugepages: !!o.hugepages,
    validate: !!o.validate, ...peerConfig(o, family, test),
  };
}

/**
 * -I / --interval: seconds, decimals allowed ("0.5", ".5", "2"), to whole
 * milliseconds; 0 turns the reports off. Shorter than MIN_INTERVAL_SECS
 * makes no sense with loops that look at the clock every 50 ms.
 */
export function parseIntervalMs(text: string): number {
  const t = text.trim();
  const range = `give seconds from ${MIN_INTERVAL_SECS} to ${MAX_INTERVAL_SECS}, e.g. 0.5 or 2 (0 = no interval reports)`;
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t)) throw new UsageError(`--interval: not a number of seconds: '${text}'`, range);
  const secs = Number(t);
  if (secs === 0) return 0;
  if (secs < MIN_INTERVAL_SECS || secs > MAX_INTERVAL_SECS) throw new UsageError(`--interval: ${t} s is out of range`, range);
  return Math.round(secs * 1000);
}

/**
 * Parse a full classic argv (without node and script) into a Config; throws
 * UsageError for anything commander or the checks reject. For tests.
 */
export function parseClassicArgs(argv: string[], res: Resolvers): Config {
  const cmd = addPeerOptions(addFlowOptions(addClassicOptions(new Command('msg-zerocopy')))).argument('[test]').allowExcessArguments(false);
  let message = '';
  cmd.exitOverride().configureOutput({ writeErr: (s) => { message += s; }, writeOut: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const [what, guess] = commanderMessage(message || e.message);
      throw new UsageError(what, guess ?? undefined);
    }
    throw e;
  }
  const cfg = toConfig(cmd.args[0], cmd.opts<RawOptions>(), res);
  flowOptions(cmd.opts<RawOptions>(), cfg);
  return cfg;
}

/**
 * Check command lines that a command is about to hand to our executable, the
 * way that executable will parse them, before anything is created (a lab, a
 * child): the first problem is a UsageError naming the flag. Interface names
 * are not resolved here (they exist only inside the lab).
 */
export function checkClassicArgs(argvs: Iterable<string[]>): void {
  for (const argv of argvs) parseClassicArgs(argv, { ifindex: () => 1 });
}

/**
 * The multi-flow part of the command line, checked against the rest: null
 * for one flow (no -P, or -P 1), which runs exactly as without these options.
 */
export function flowOptions(o: RawOptions, cfg: Config): FlowOptions | null {
  const flows = o.flows === undefined ? 1 : parseInteger(o.flows, '-P', 1, MAX_FLOWS);
  if (flows === 1) {
    if (o.cpus !== undefined) throw new UsageError('--cpus: places the flows of -P <n>', 'pin a single flow with -C <cpu>');
    return null;
  }
  if (cfg.cpu !== null) throw new UsageError(`-C pins a single flow, not the ${flows} of -P`, 'give their CPUs with --cpus <list>');
  if (!TEST_TABLE[cfg.test].flows) {
    throw new UsageError(`-P: ${cfg.test} has no ports to tell the flows apart`, `run several flows with ${testList(FLOW_TESTS, ' or ')}`);
  }
  const last = cfg.port + flows - 1;
  if (last > 65535) throw new UsageError(`-P ${flows}: flow ${flows - 1} would need port ${last}`, `give a -p up to ${65536 - flows}`);
  checkPeerFlows(cfg, flows);
  return { flows, cpus: o.cpus === undefined ? null : parseCpuList(o.cpus) };
}
