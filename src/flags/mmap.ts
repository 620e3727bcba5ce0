// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy mmap`: the command line of the kernel's tcp_mmap (getopt
// "46p:svr:w:H:zxkP:M:C:a:i"), its defaults and its lenient number reading
// (atoi/atol: a leading number, else 0), and our long options.
import { Command } from 'commander';
import { parseAddress, unspecified } from '../net/address.js';
import type { Family } from '../core/vocabulary.js';
import { UsageError } from '../core/errors.js';
import { parseQuietly } from './parse.js';
import { parseInteger } from '../core/numbers.js';
import { DEFAULT_CHUNK, hugePageSize } from '../receiver/zerocopy-rx.js';
import { DEFAULT_PORT, FILE_SZ, type MmapConfig } from '../mmap/config.js';

export { FILE_SZ };

export interface MmapRawOptions {
  '4'?: boolean; '6'?: boolean; p?: string; s?: boolean; v?: boolean; r?: string; w?: string; H?: string; z?: boolean;
  x?: boolean; k?: boolean; P?: string; M?: string; C?: string; a?: string; i?: boolean; json?: boolean; bytes?: string;
  connections?: string;
}

/** C's atoi/atol: optional blanks and sign, then digits; anything else ends the number (none: 0). */
export function atoi(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Declare tcp_mmap's flags and ours on a command. */
export function addMmapOptions(cmd: Command): Command {
  return cmd
    .option('-4', 'IPv4')
    .option('-6', 'IPv6 (the default)')
    .option('-p <port>', `port (default ${DEFAULT_PORT})`)
    .option('-s', 'server: accept connections and read them (forever, one at a time, unless --connections)')
    .option('-v', 'accepted (tcp_mmap has it too, and does nothing with it)')
    .option('-r <bytes>', 'SO_RCVBUF (default: autotuning)')
    .option('-w <bytes>', 'SO_SNDBUF (default: autotuning)')
    .option('-H <host>', 'server: address to bind; client: address to connect to (default: the unspecified address)')
    .option('-z', 'server: mmap() the socket and read with TCP_ZEROCOPY_RECEIVE; client: send with MSG_ZEROCOPY')
    .option('-x', 'XOR every byte received (CPU load, as tcp_mmap\'s hash_zone)')
    .option('-k', 'accepted (tcp_mmap\'s keep flag, unused there too)')
    .option('-P <rate>', 'client: SO_MAX_PACING_RATE, bytes per second')
    .option('-M <mss>', 'TCP_MAXSEG (e.g. 4108 = 4096 + 12 of timestamps, for a page-sized MSS on any MTU)')
    .option('-C <bytes>', `chunk size (default ${DEFAULT_CHUNK})`)
    .option('-a <bytes>', 'alignment of the receive mapping (default: the huge page size)')
    .option('-i', 'integrity: the client sends the SHA-256 of the data after it, the server checks it')
    .option('--json', 'a JSON report on stdout after each connection (server) or the run (client)')
    .option('--bytes <n>', `what the client sends and the server reads at most (default ${FILE_SZ}, tcp_mmap's 32 GiB)`)
    .option('--connections <n>', 'server: exit 0 after <n> connections (default: serve forever, as tcp_mmap)');
}

/** The checked configuration; the numbers read as tcp_mmap reads them (atoi), our long options strictly. */
export function toMmapConfig(o: MmapRawOptions, argv: readonly string[] = []): MmapConfig {
  // getopt: the last of -4 / -6 wins; default IPv6.
  let family: Family = 6;
  for (const a of argv) {
    if (/^-[^-]/.test(a)) {
      for (const ch of a.slice(1)) {
        if (ch === '4') family = 4;
        else if (ch === '6') family = 6;
        else if ('prwHPMCa'.includes(ch)) break;
      }
    }
  }
  if (!argv.length) family = o['4'] && !o['6'] ? 4 : 6;
  const host = o.H ?? null;
  let addr = unspecified(family);
  if (host !== null) {
    const a = parseAddress(family, host);
    if (!a) throw new UsageError(`ipv${family} parse error: ${host}`, `-H needs an IPv${family} address${family === 6 ? ' (-4 for IPv4)' : ''}`);
    addr = a;
  }
  const chunk = o.C === undefined ? DEFAULT_CHUNK : atoi(o.C);
  if (chunk <= 0) throw new UsageError(`-C: chunk size must be positive, got '${o.C}'`);
  let align = o.a === undefined ? 0 : atoi(o.a);
  if (!align) align = hugePageSize();
  if (align < 4096 || (align & (align - 1)) !== 0) throw new UsageError(`-a: ${align} is not a power of two of at least 4096`);
  const port = o.p === undefined ? DEFAULT_PORT : atoi(o.p) & 0xffff;
  return {
    family, host, addr, port, server: !!o.s, rcvbuf: o.r === undefined ? 0 : atoi(o.r), sndbuf: o.w === undefined ? 0 : atoi(o.w),
    zerocopy: !!o.z, xor: !!o.x, keep: !!o.k, pacingRate: o.P === undefined ? 0 : atoi(o.P) >>> 0,
    mss: o.M === undefined ? 0 : atoi(o.M), chunk, align, integrity: !!o.i, json: !!o.json,
    fileSize: o.bytes === undefined ? FILE_SZ : parseInteger(o.bytes, '--bytes', 1, Number.MAX_SAFE_INTEGER),
    connections: o.connections === undefined ? null : parseInteger(o.connections, '--connections', 1, 1e9),
  };
}

/** Parse `mmap` arguments (after the word mmap); throws UsageError. For tests. */
export function parseMmapArgs(argv: string[]): MmapConfig {
  const cmd = addMmapOptions(new Command('mmap')).allowExcessArguments(false);
  parseQuietly(cmd, argv);
  return toMmapConfig(cmd.opts<MmapRawOptions>(), argv);
}
