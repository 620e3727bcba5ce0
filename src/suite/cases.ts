// SPDX-License-Identifier: GPL-2.0-only
// The cases a suite runs: the kernel driver's do_test() for each selected
// family and test, first in copy mode, then in zerocopy mode.

import { expectationFor, receiveMode, TESTS, type Api, type Family, type Mode, type Path, type RxMode, type RxTest, type TestName } from '../core/vocabulary.js';

export const SUITE_TESTS = TESTS;
export type SuiteTest = TestName;
export type SuiteFamily = Family;
export type CaseMode = Mode;
export type CasePath = Path;

export interface SuiteCase {
  /** 1-based position in the plan (the KTAP test number). */
  index: number;
  family: SuiteFamily;
  test: SuiteTest;
  mode: CaseMode;
  path: CasePath;
  /** -Z given to the sender: 0 = copied (local delivery), 1 = not copied (leaves through a device). */
  expect: 0 | 1;
  /** Receive mode of the receiver (tx-rx only): raw for packet, packet_dgram and raw_hdrincl. */
  rxMode: RxTest | null;
  /** Stable name, e.g. ipv4_udp_zerocopy_tx-only (KTAP test name). */
  name: string;
  /** Readable label, e.g. "ipv4 udp tx-only". */
  label: string;
  /** The send interface: MSG_ZEROCOPY (the classic sender) or io_uring (`msg-zerocopy uring`). */
  api: Api;
  /** io_uring cases: -m (1 SEND_ZC, 2 from a registered buffer, 3 a mix) and -n (requests per submit). */
  uring: { mode: 1 | 2 | 3; batch: number } | null;
  /** --rx of the receiver (tcp tx-rx cases of the msg plan; absent: trunc, the selftest's). */
  rx?: RxMode;
}

export type { Api };

/**
 * The plan. Order follows the kernel driver: tests outermost (its no-argument
 * run does 4 tcp, 6 tcp, 4 udp, 6 udp), then families, then copy before
 * zerocopy, tx-rx before tx-only (no tx-only for tcp: it needs a peer).
 */
export function planCases(families: SuiteFamily[], tests: SuiteTest[]): SuiteCase[] {
  const out: SuiteCase[] = [];
  for (const test of tests) {
    for (const family of families) {
      for (const mode of ['copy', 'zerocopy'] as const) {
        const paths: CasePath[] = test === 'tcp' ? ['tx-rx'] : ['tx-rx', 'tx-only'];
        for (const path of paths) {
          out.push({
            index: out.length + 1,
            family,
            test,
            mode,
            path,
            expect: expectationFor(path),
            rxMode: path === 'tx-rx' ? receiveMode(test) : null,
            name: `ipv${family}_${test}_${mode}_${path}`,
            label: `ipv${family} ${test} ${path}`,
            api: 'msg',
            uring: null,
          });
        }
      }
    }
  }
  return out;
}

/**
 * The plan of the kernel's io_uring driver (io_uring_zerocopy_tx.sh without
 * arguments): for each family, modes 1 to 3, udp with -n 32 then tcp with
 * -n 1, to our receiver (copied, -Z 0); then tx-only udp cases out of the
 * egress device, which must report not copied (-Z 1). `tests` keeps tcp
 * and udp only (the io_uring sender knows no other).
 */
export function planUringCases(families: SuiteFamily[], tests: SuiteTest[]): SuiteCase[] {
  const out: SuiteCase[] = [];
  const add = (family: SuiteFamily, test: 'tcp' | 'udp', mode: 1 | 2 | 3, path: CasePath): void => {
    out.push({
      index: out.length + 1, family, test, mode: 'zerocopy', path, expect: expectationFor(path),
      rxMode: path === 'tx-rx' ? test : null, name: `ipv${family}_${test}_uring-m${mode}_${path}`,
      label: `ipv${family} ${test} ${path} -m ${mode}`, api: 'uring', uring: { mode, batch: test === 'udp' ? 32 : 1 },
    });
  };
  const modes = [1, 2, 3] as const;
  for (const family of families) {
    for (const mode of modes) {
      if (tests.includes('udp')) add(family, 'udp', mode, 'tx-rx');
      if (tests.includes('tcp')) add(family, 'tcp', mode, 'tx-rx');
    }
  }
  if (tests.includes('udp')) for (const family of families) for (const mode of modes) add(family, 'udp', mode, 'tx-only');
  return out;
}

/** The plans of the interfaces asked for, one after the other, numbered through. */
export function planSuite(apis: readonly Api[], families: SuiteFamily[], tests: SuiteTest[]): SuiteCase[] {
  const all = apis.flatMap((a) => (a === 'msg' ? planCases(families, tests) : planUringCases(families, tests)));
  return all.map((c, i) => ({ ...c, index: i + 1 }));
}

/**
 * suite --rx: the tcp tx-rx cases of the msg plan read with `rx` (copy or
 * mmap), named for it; every other case as it was. trunc changes nothing.
 */
export function withRx(plan: SuiteCase[], rx: RxMode): SuiteCase[] {
  if (rx === 'trunc') return plan;
  return plan.map((c) => (c.api === 'msg' && c.test === 'tcp' && c.path === 'tx-rx'
    ? { ...c, rx, name: `${c.name}_rx-${rx}`, label: `${c.label} --rx ${rx}` }
    : c));
}

/** "tcp,udp" → ['tcp', 'udp']; "all" → every test; throws on unknown names. */
export function parseTests(text: string): SuiteTest[] {
  const out: SuiteTest[] = [];
  for (const raw of text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (raw === 'all') {
      for (const t of SUITE_TESTS) if (!out.includes(t)) out.push(t);
      continue;
    }
    if (!(SUITE_TESTS as readonly string[]).includes(raw)) {
      throw new Error(`--tests: unknown test '${raw}' (one of ${SUITE_TESTS.join(', ')}, or all)`);
    }
    if (!out.includes(raw as SuiteTest)) out.push(raw as SuiteTest);
  }
  if (out.length === 0) throw new Error('--tests: give at least one test');
  return out;
}

/**
 * Split passthrough flags like a shell would split words (quotes and
 * backslashes honoured), without running a shell.
 */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      have = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      have = true;
    } else if (/\s/.test(c)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quote) throw new Error(`--extra: unterminated ${quote} quote`);
  if (have) out.push(cur);
  return out;
}
