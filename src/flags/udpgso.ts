// SPDX-License-Identifier: GPL-2.0-only
// The command lines of `msg-zerocopy udpgso` (udpgso_bench_tx's getopt
// "46acC:D:Hl:L:mM:p:s:PS:tTuvz") and `msg-zerocopy udpgso-rx`
// (udpgso_bench_rx's "4b:C:Gl:n:p:rR:S:tv"), with the C programs' defaults
// and checks in their order and words; our long options beside them. Bad
// input is one line and exit status 1, as the C programs.
import { Command } from 'commander';
import { parseAddress } from '../net/address.js';
import { UsageError } from '../core/errors.js';
import { parseQuietly } from './parse.js';
import { parseInteger } from '../core/numbers.js';
import { HUGEPAGES } from './groups.js';
import type { Family } from '../core/vocabulary.js';
import { DEFAULT_TX_PAYLOAD, maxPayloadOf, mssOf, type UdpgsoRxConfig, type UdpgsoTxConfig } from '../udpgso/config.js';

export interface TxRawOptions extends Record<string, unknown> {
  '4'?: number; '6'?: number; a?: boolean; c?: boolean; C?: string; D?: string; H?: boolean; l?: string; L?: string;
  m?: boolean; M?: string; p?: string; s?: string; P?: boolean; S?: string; t?: boolean; T?: boolean; u?: boolean;
  v?: boolean; z?: boolean; json?: boolean; hugepages?: boolean;
}

export interface RxRawOptions extends Record<string, unknown> {
  '4'?: boolean; b?: string; C?: string; G?: boolean; l?: string; n?: string; p?: string; r?: boolean; R?: string;
  S?: string; t?: boolean; v?: boolean; json?: boolean; validate?: boolean;
}

const count = (_: string, prev: number): number => prev + 1;
const U32 = 0xffffffff;

export const TX_USAGE = '[-46acmHPtTuvz] [-C cpu] [-D dst ip] [-l secs] [-L secs] [-M messagenr] [-p port] [-s sendsize] [-S gsosize]';
export const RX_USAGE = '[-C connect_timeout] [-Grtv] [-b addr] [-p port] [-l pktlen] [-n packetnr] [-R rcv_timeout] [-S gsosize]';

/** Declare udpgso_bench_tx's flags. */
export function addTxOptions(cmd: Command): Command {
  return cmd
    .option('-4', 'IPv4', count, 0)
    .option('-6', 'IPv6', count, 0)
    .option('-a', 'audit: count zerocopy acks and tx timestamps, print a summary; exit 1 when they do not add up')
    .option('-c', 'cold cache: cycle through 100 buffers')
    .option('-C <cpu>', 'pin to <cpu> (as the C program: only when > 0)')
    .option('-D <addr>', 'destination address (default: the unspecified address)')
    .option('-H', 'hardware tx timestamps (implies -T)')
    .option('-l <secs>', 'run for <secs> s (default: until interrupted)')
    .option('-L <secs>', 'wait up to <secs> s for the last notifications (default 2)')
    .option('-m', 'one sendmmsg of MSS-sized messages per buffer')
    .option('-M <n>', 'stop once <n> buffers went out within one report second (as the C program counts them)')
    .option('-p <port>', 'destination port (default 8000)')
    .option('-s <len>', `bytes per buffer (default ${DEFAULT_TX_PAYLOAD}; max 65507 with -4, 65487 with -6)`)
    .option('-P', 'poll for the error queue before each drain')
    .option('-S <gsosize>', 'UDP GSO (UDP_SEGMENT): one sendmsg per buffer, segments of <gsosize> bytes (0 = the MSS)')
    .option('-t', 'tcp')
    .option('-T', 'software tx timestamps (SO_TIMESTAMPING) through the error queue; needs -S or -m')
    .option('-u', 'unconnected: sendto with the address')
    .option('-v', 'verbose')
    .option('-z', 'zerocopy (MSG_ZEROCOPY)')
    .option('--json', 'print a JSON report on stdout after the run')
    .option(HUGEPAGES.flags, HUGEPAGES.help);
}

/** Declare udpgso_bench_rx's flags. */
export function addRxOptions(cmd: Command): Command {
  return cmd
    .option('-4', 'IPv4 (default IPv6, which also receives IPv4)')
    .option('-b <addr>', 'bind address (default: the unspecified address)')
    .option('-C <ms>', 'wait up to <ms> for the first data (default: for ever)')
    .option('-G', 'UDP_GRO: receive coalesced datagrams')
    .option('-l <len>', 'every datagram must be <len> bytes')
    .option('-n <nr>', 'stop after <nr> datagrams; exit 1 on any other count')
    .option('-p <port>', 'port (default 8000)')
    .option('-r', 'read whole datagrams (default: only their length)')
    .option('-R <ms>', 'stop after <ms> without data (default: run until interrupted)')
    .option('-S <gsosize>', 'with -G: every datagram must carry this UDP_GRO segment size')
    .option('-t', 'tcp')
    .option('-v', 'verify: each datagram continues a..z from its first byte (implies -r); exit 1 at the first mismatch')
    .option('--json', 'print a JSON report on stdout after the run')
    .option('--validate', 'check every byte of every datagram against the pattern and count mismatches with their offsets ' +
      '(implies -r; does not stop at the first)');
}

/** strtoul(optarg, NULL, 0) as the C programs read most numbers: here with a range and an error for junk. */
const num = (text: string, flag: string, max = U32): number => parseInteger(text, flag, 0, max);

function address(family: Family, text: string | undefined): [Uint8Array, string] {
  const t = text ?? (family === 6 ? '::' : '0.0.0.0');
  const a = parseAddress(family, t);
  if (!a) throw new UsageError(`ipv${family} parse error: ${t}`, `give an IPv${family} address, or the other of -4/-6`);
  return [a, t];
}

/** parse_opts of udpgso_bench_tx: the same checks in the same order and words. */
export function toTxConfig(o: TxRawOptions, excess: string[] = []): UdpgsoTxConfig {
  if ((o['4'] ?? 0) + (o['6'] ?? 0) > 1) throw new UsageError('Pass one of -4 or -6');
  // setup_sockaddr comes before the other checks: without a family it says "illegal domain".
  if (!o['4'] && !o['6']) throw new UsageError('illegal domain', 'pass -4 or -6');
  const family: Family = o['4'] ? 4 : 6;
  const port = o.p === undefined ? 8000 : num(o.p, '-p', 65535);
  const [dst, dstText] = address(family, o.D);
  if (excess.length) throw new UsageError(`Usage: msg-zerocopy udpgso ${TX_USAGE}`, `unexpected '${excess[0]}'`);
  const tcp = !!o.t;
  const connected = !o.u;
  const segment = o.S !== undefined;
  const sendmmsg = !!o.m;
  const txTimestamp = !!o.T || !!o.H;
  if (tcp && !connected) throw new UsageError('connectionless tcp makes no sense');
  if (segment && sendmmsg) throw new UsageError('cannot combine segment offload and sendmmsg');
  if (txTimestamp && !(segment || sendmmsg)) throw new UsageError('Options -T and -H require either -S or -m option');
  const mss = mssOf(family);
  const maxLen = maxPayloadOf(family);
  const gsoGiven = segment ? num(o.S!, '-S', 65535) : 0;
  const payloadLen = o.s === undefined ? DEFAULT_TX_PAYLOAD : num(o.s, '-s');
  if (payloadLen > maxLen) throw new UsageError(`payload length ${payloadLen} exceeds max ${maxLen}`);
  return {
    family, audit: !!o.a, cacheTrash: !!o.c, cpu: o.C === undefined ? -1 : parseInteger(o.C, '-C', 0, 1023),
    dst, dstText, hwTimestamp: !!o.H,
    runtimeMs: o.l === undefined ? -1 : parseInteger(o.l, '-l', 0, 1e6, true) * 1000,
    pollLoopTimeoutMs: o.L === undefined ? 2000 : parseInteger(o.L, '-L', 0, 1e6, true) * 1000,
    sendmmsg, msgNr: o.M === undefined ? 0 : parseInteger(o.M, '-M', 0, U32, true), port, poll: !!o.P, payloadLen,
    segment, gsoSize: gsoGiven || mss, tcp, txTimestamp, connected, verbose: !!o.v, zerocopy: !!o.z, mss,
    json: !!o.json, hugepages: !!o.hugepages,
  };
}

/** parse_opts of udpgso_bench_rx. */
export function toRxConfig(o: RxRawOptions, excess: string[] = []): UdpgsoRxConfig {
  const family: Family = o['4'] ? 4 : 6;
  const port = o.p === undefined ? 8000 : num(o.p, '-p', 65535);
  const [bind, bindText] = address(family, o.b);
  if (excess.length) throw new UsageError(`Usage: msg-zerocopy udpgso-rx ${RX_USAGE}`, `unexpected '${excess[0]}'`);
  const tcp = !!o.t;
  const verify = !!o.v;
  if (tcp && verify) throw new UsageError('TODO: implement verify mode for tcp', 'the kernel program verifies udp only');
  if (tcp && o.validate) throw new UsageError('--validate checks datagrams: udp only', 'drop -t, or --validate');
  return {
    family, bindText, bind, port, tcp, verify, validate: !!o.validate,
    connectTimeoutMs: o.C === undefined ? 0 : num(o.C, '-C', 0x7fffffff),
    gro: !!o.G,
    expectedLen: o.l === undefined ? 0 : num(o.l, '-l', 0x7fffffff),
    expectedNr: o.n === undefined ? 0 : num(o.n, '-n', 0x7fffffff),
    readAll: !!o.r || verify || !!o.validate,
    rcvTimeoutMs: o.R === undefined ? 0 : num(o.R, '-R', 0x7fffffff),
    expectedGso: o.S === undefined ? 0 : num(o.S, '-S', 0x7fffffff),
    json: !!o.json,
  };
}

/** Parse argv (after the command word) with `add`'s flags; commander's errors become one UsageError line. */
function parseWith<T extends Record<string, unknown>>(name: string, add: (c: Command) => Command, argv: string[]): { opts: T; args: string[] } {
  const cmd = add(new Command(name)).allowExcessArguments(true);
  parseQuietly(cmd, argv);
  return { opts: cmd.opts<T>(), args: cmd.args };
}

/** For tests and the run layer: `udpgso` arguments to a config. */
export function parseTxArgs(argv: string[]): UdpgsoTxConfig {
  const { opts, args } = parseWith<TxRawOptions>('udpgso', addTxOptions, argv);
  return toTxConfig(opts, args);
}

/** For tests and the run layer: `udpgso-rx` arguments to a config. */
export function parseRxArgs(argv: string[]): UdpgsoRxConfig {
  const { opts, args } = parseWith<RxRawOptions>('udpgso-rx', addRxOptions, argv);
  return toRxConfig(opts, args);
}
