// SPDX-License-Identifier: GPL-2.0-only
// The first thing bin/msg-zerocopy runs, before the command line loads: for
// a classic receiver (the kernel driver's `msg_zerocopy ... -r tcp`), open,
// bind and listen, so the socket is ready a few milliseconds after Node's own
// start-up instead of after commander, the checks and the run's modules (the
// driver starts its sender 0.2 s after the receiver; SPEC section 7). It
// prints nothing and decides nothing: an argv it does not fully understand, a
// failed call, anything unexpected, and it closes what it opened and leaves
// the run to the normal path, which parses the same argv with commander,
// checks it, and reports every error exactly as before. The receiver then
// takes the socket only if it is the one it would have made
// (src/net/early.ts). Built as its own small CommonJS bundle
// (dist/cli/early.cjs): it loads koffi and libc, nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOCK_STREAM } from '../libc/constants.js';
import { SIN6 } from '../libc/layout.js';
import { allocNative, bind, close, listen, privateFdTable, setsockopt, socket } from '../libc/libc.js';
import { parseAddress, writeSockaddr } from '../net/address.js';
import { BUILD_ID, publishEarlySocket, RECEIVER_SOCKET_OPTIONS } from '../net/early.js';
import { socketKind } from '../net/socket.js';
import { parseInteger } from '../core/numbers.js';
import { RX_TESTS, type Family, type RxTest } from '../core/vocabulary.js';

/** What a classic receiver's argv says about the socket it will make. */
export interface EarlyPlan {
  family: Family;
  test: RxTest;
  dst: Uint8Array;
  port: number;
}

/**
 * The classic flags this step reads past: short ones that take a value and
 * those that do not, and the long ones. The command line declares them (with
 * commander); test/unit/early.test.ts checks that these sets are exactly its
 * one-flow options, less those that make this step stand aside (-P, --cpus,
 * --shared-fd-table, --help, --version, and the receive modes and checks that
 * change what the receiver does with its socket: --rx, --expect-mapped, --gso,
 * --validate, --peer, --pattern-seed; --hugepages and --bind are a sender's).
 */
export const WITH_VALUE: ReadonlySet<string> = new Set(['c', 'C', 'D', 'i', 'l', 'p', 's', 'S', 't', 'Z', 'I']);
export const WITHOUT_VALUE: ReadonlySet<string> = new Set(['4', '6', 'm', 'r', 'v', 'z']);
export const LONG_WITH_VALUE: ReadonlySet<string> = new Set(['--interval', '--payload-offset']);
export const LONG_WITHOUT_VALUE: ReadonlySet<string> = new Set(['--json']);

/**
 * Read a classic receiver's argv the way commander will (grouped flags,
 * attached values, any order): the socket it asks for, or null for anything
 * else (a sender, a subcommand, -P, --shared-fd-table, help, an option or a
 * value this scan does not know). Null only means "no early socket".
 */
export function planEarly(argv: readonly string[]): EarlyPlan | null {
  const v: Record<string, string> = {};
  const seen = new Set<string>();
  const tests: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a : a.slice(0, eq);
      if (LONG_WITHOUT_VALUE.has(name) && eq < 0) continue;
      if (!LONG_WITH_VALUE.has(name)) return null;
      if (eq < 0 && ++i >= argv.length) return null;
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j];
        if (WITHOUT_VALUE.has(f)) { seen.add(f); continue; }
        if (!WITH_VALUE.has(f)) return null;
        let value: string;
        if (j + 1 < a.length) value = a.slice(j + 1);
        else if (i + 1 < argv.length) value = argv[++i];
        else return null;
        v[f] = value;
        break;
      }
      continue;
    }
    tests.push(a);
  }
  if (!seen.has('r') || tests.length !== 1 || seen.has('4') === seen.has('6') || v.D === undefined) return null;
  const test = tests[0];
  if (!(RX_TESTS as readonly string[]).includes(test)) return null;
  const family: Family = seen.has('4') ? 4 : 6;
  const dst = parseAddress(family, v.D);
  if (!dst) return null;
  let port = 8000;
  try {
    if (v.p !== undefined) port = parseInteger(v.p, '-p', 1, 65535);
  } catch {
    return null;
  }
  return { family, test: test as RxTest, dst, port };
}

/** Open, set up, bind and (tcp) listen as runReceiver does, and hand the socket over; false if anything failed. */
export function openEarly(plan: EarlyPlan): boolean {
  // As runClassicTest does before its sockets exist (no --shared-fd-table here: planEarly refuses it).
  privateFdTable();
  const kind = socketKind(plan.test, plan.family);
  const fd = socket(kind.domain, kind.type, kind.protocol);
  if (fd < 0) return false;
  const value = allocNative(4);
  const sa = allocNative(SIN6.size);
  let ok = RECEIVER_SOCKET_OPTIONS.every(([level, name, v]) => {
    value.dv.setInt32(0, v, true);
    return setsockopt(fd, level, name, value.addr, 4) === 0;
  });
  ok &&= bind(fd, sa.addr, writeSockaddr(sa.dv, 0, plan.family, plan.dst, plan.port)) === 0 &&
    (kind.type !== SOCK_STREAM || listen(fd, 1) === 0);
  if (!ok) {
    close(fd);
    return false;
  }
  publishEarlySocket({ build: BUILD_ID, fd, kind, family: plan.family, dst: [...plan.dst], port: plan.port });
  return true;
}

/**
 * True when the CLI beside this file comes from the same build: scripts/build.mjs
 * writes the id both bundles carry to dist/cli/build-id. An early.cjs from another
 * build (a partial copy, a stale file) opens nothing, so no socket of its making
 * is ever open while the receiver makes its own.
 */
function sameBuild(): boolean {
  if (typeof __dirname !== 'string') return false;
  try {
    return readFileSync(join(__dirname, 'build-id'), 'utf8').trim() === BUILD_ID;
  } catch {
    return false;
  }
}

/** bin/msg-zerocopy's first step. Never throws, never prints. */
export function listenEarly(argv: readonly string[]): boolean {
  try {
    const plan = planEarly(argv);
    return plan !== null && sameBuild() && openEarly(plan);
  } catch {
    return false;
  }
}
