// SPDX-License-Identifier: GPL-2.0-only
// Every flag declared once (neper's add_flags_common → add_flags_stream):
// its letter, its default, its help. The flags the two senders share
// (COMMON: -4 -6 -D -p -s -t -Z --json --shared-fd-table) are declared here
// and used by the classic command, pair, uring and serve alike; each
// command's group adds its own. The values are read by the parsers beside
// them (classic.ts, uring.ts), with the C tools' error lines.
import { Command } from 'commander';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { parseAddress } from '../net/address.js';
import { UsageError } from '../core/errors.js';
import type { Expectation, Family } from '../core/vocabulary.js';
import { count } from './parse.js';

/** The defaults of the shared flags, as the selftests have them. */
export const DEFAULTS = { port: 8000, secs: 4, size: MAX_PAYLOAD } as const;

export interface FlagSpec {
  /** commander's flags: '-p <port>', '-I, --interval <secs>'. */
  flags: string;
  help: string;
  /** For flags that count (-4, -v): commander's reducer and its start. */
  counts?: boolean;
}

/** The flags every sender command has, each once. */
export const COMMON = {
  ipv4: { flags: '-4', help: 'IPv4', counts: true },
  ipv6: { flags: '-6', help: 'IPv6', counts: true },
  dst: { flags: '-D <addr>', help: 'destination address (the receiver binds to it)' },
  port: { flags: '-p <port>', help: `data port (default ${DEFAULTS.port})` },
  size: { flags: '-s <len>', help: `payload bytes (max ${MAX_PAYLOAD}, the default)` },
  secs: { flags: '-t <secs>', help: `run for 200 ms + <secs> s (default ${DEFAULTS.secs}; a receiver: 400 ms longer)` },
  expect: { flags: '-Z <0|1>', help: 'expected notification outcome (1 = not copied); a mismatch exits 1' },
  json: { flags: '--json', help: 'print a JSON report on stdout after the run' },
  sharedFdTable: {
    flags: '--shared-fd-table', help: "keep the file descriptor table shared with Node's helper threads " +
      '(by default the run takes a private one, as a single-threaded C program has, so the kernel ' +
      'skips a file reference count per system call)',
  },
} as const satisfies Record<string, FlagSpec>;

/** Declare flags on a command, in the order given. */
export function addFlags(cmd: Command, specs: readonly FlagSpec[]): Command {
  for (const s of specs) {
    if (s.counts) cmd.option(s.flags, s.help, count, 0);
    else cmd.option(s.flags, s.help);
  }
  return cmd;
}

/** A spec with the help a command says it in (serve's -D is its own address). */
export const withHelp = (spec: FlagSpec, help: string): FlagSpec => ({ ...spec, help });

/** -4 / -6: exactly one; `missing` is the tool's own line when neither is given. */
export function readFamily(o: { '4'?: number; '6'?: number }, missing: UsageError): Family {
  if ((o['4'] ?? 0) + (o['6'] ?? 0) > 1) throw new UsageError('Pass one of -4 or -6');
  if (!o['4'] && !o['6']) throw missing;
  return o['4'] ? 4 : 6;
}

/** -D: required, an address of the family. */
export function readDst(family: Family, text: string | undefined, hint: string): Uint8Array {
  if (text === undefined) throw new UsageError('-D <addr> is required', hint);
  const dst = parseAddress(family, text);
  if (!dst) throw new UsageError(`ipv${family} parse error: ${text}`, `-D needs an IPv${family} address with -${family}`);
  return dst;
}

/** -Z: 0 or 1, -1 when not given. */
export function readExpectation(text: string | undefined): Expectation {
  if (text === undefined) return -1;
  if (text !== '0' && text !== '1') throw new UsageError(`-Z: expected 0 or 1, got '${text}'`, '1 = notifications say not copied, 0 = copied');
  return text === '1' ? 1 : 0;
}

/** --hugepages (classic, uring and udpgso senders): declared once. */
export const HUGEPAGES: FlagSpec = {
  flags: '--hugepages', help: 'back the payload with huge pages: MAP_HUGETLB when reserved, else transparent huge pages (madvise)',
};
