// SPDX-License-Identifier: GPL-2.0-only
// KTAP output of the suite, checked with a parser rather than by eye.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planCases, type SuiteCase } from '../../src/suite/cases.js';
import { formatKtap, formatKtapHeader, formatKtapResult, formatKtapTotals } from '../../src/suite/format.js';
import type { CaseResult, Verdict } from '../../src/suite/runner.js';
import { parseKtap } from './ktap-parser.js';

function result(c: SuiteCase, verdict: Verdict, reasons: string[] = []): CaseResult {
  return {
    case: c, verdict, reasons, sender: null, receiver: null,
    tx: { packets: 1000, bytes: 65435000 }, rx: c.path === 'tx-rx' ? { packets: 990, bytes: 64780650 } : null,
    throughputBps: 5e9, completions: c.mode === 'zerocopy' ? 1000 : null,
    copiedCompletions: c.mode === 'zerocopy' ? (c.expect === 0 ? 1000 : 0) : null,
    zerocopiedCompletions: c.mode === 'zerocopy' ? (c.expect === 0 ? 0 : 1000) : null,
    copiedShare: c.mode === 'zerocopy' ? (c.expect === 0 ? 1 : 0) : null, wallMs: 2600,
  };
}

test('KTAP: header, one line per case, skip directive, totals', () => {
  const plan = planCases([4], ['udp', 'raw']); // 8 cases
  const results = plan.map((c) => {
    if (c.test === 'raw' && c.mode === 'zerocopy') return result(c, 'skip', ['SO_ZEROCOPY not supported on raw sockets (EOPNOTSUPP)']);
    if (c.name === 'ipv4_udp_zerocopy_tx-rx') return result(c, 'fail', ['sender exited 1: serr: ee_code: 0 != expected 1', 'second # reason\nwith newline']);
    return result(c, 'pass');
  });
  const text = formatKtap(plan, results);
  const doc = parseKtap(text);
  assert.equal(doc.version, 1);
  assert.equal(doc.plan, 8);
  assert.deepEqual(doc.results.map((r) => r.name), plan.map((c) => c.name));
  assert.deepEqual(doc.results.map((r) => r.number), [1, 2, 3, 4, 5, 6, 7, 8]);
  const byName = new Map(doc.results.map((r) => [r.name, r]));
  const failed = byName.get('ipv4_udp_zerocopy_tx-rx');
  assert.ok(failed);
  assert.equal(failed.ok, false);
  assert.equal(failed.directive, null);
  assert.ok(failed.diagnostics.some((d) => d.includes('serr: ee_code: 0 != expected 1')));
  assert.ok(failed.diagnostics.some((d) => d.includes('second  reason with newline')), failed.diagnostics.join('|'));
  const skipped = byName.get('ipv4_raw_zerocopy_tx-only');
  assert.ok(skipped);
  assert.equal(skipped.ok, true);
  assert.equal(skipped.directive, 'SKIP');
  assert.match(skipped.reason ?? '', /EOPNOTSUPP/);
  assert.equal(byName.get('ipv4_udp_copy_tx-rx')?.ok, true);
  assert.deepEqual(doc.totals, { pass: 5, fail: 1, xfail: 0, xpass: 0, skip: 2, error: 0 });
});

test('KTAP: an interrupted suite still has one result per planned case', () => {
  const plan = planCases([4, 6], ['tcp', 'udp']);
  assert.equal(plan.length, 12);
  const results = plan.slice(0, 3).map((c) => result(c, 'pass'));
  const doc = parseKtap(formatKtap(plan, results, 'SIGINT'));
  assert.equal(doc.plan, 12);
  assert.equal(doc.results.length, 12);
  assert.deepEqual(doc.results.map((r) => r.ok), [true, true, true, ...Array(9).fill(false)]);
  assert.ok(doc.results[3].diagnostics.some((d) => /interrupted by SIGINT/.test(d)));
  assert.deepEqual(doc.totals, { pass: 3, fail: 9, xfail: 0, xpass: 0, skip: 0, error: 0 });
});

test('KTAP: streamed pieces equal the whole document', () => {
  const plan = planCases([6], ['udp']);
  const results = plan.map((c) => result(c, 'pass'));
  const streamed = formatKtapHeader(plan.length) + results.map(formatKtapResult).join('') + formatKtapTotals(plan, results);
  assert.equal(streamed, formatKtap(plan, results));
  assert.match(streamed, /^KTAP version 1\n1\.\.4\n/);
});

test('KTAP parser rejects what a runner would', () => {
  assert.throws(() => parseKtap('TAP version 13\n1..1\nok 1 a\n'), /KTAP version/);
  assert.throws(() => parseKtap('KTAP version 1\nok 1 a\n'), /plan/);
  assert.throws(() => parseKtap('KTAP version 1\n1..2\nok 1 a\n'), /plan says 2/);
  assert.throws(() => parseKtap('KTAP version 1\n1..2\nok 1 a\nok 3 b\n'), /expected 2/);
  assert.throws(() => parseKtap('KTAP version 1\n1..1\nfine 1 a\n'), /not a KTAP result/);
  const d = parseKtap('KTAP version 1\n1..1\n# hello\nok 1 a b # SKIP why not\n');
  assert.deepEqual(d.results[0], { ok: true, number: 1, name: 'a b', directive: 'SKIP', reason: 'why not', diagnostics: ['hello'] });
});
