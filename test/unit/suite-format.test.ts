// SPDX-License-Identifier: GPL-2.0-only
// The suite table on narrow terminals: every line within the width, every
// case still one row (cells wrap, least important columns go first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planCases } from '../../src/suite/cases.js';
import { formatRate, formatTable } from '../../src/suite/format.js';
import type { CaseResult } from '../../src/suite/runner.js';

const plan = planCases([4, 6], ['tcp', 'udp']);
const results: CaseResult[] = plan.map((c, i) => ({
  case: c, verdict: i === 6 ? 'fail' : 'pass', reasons: i === 6 ? ['sender exited 1: serr: ee_code: 1 != expected 0, and a long explanation after it'] : [],
  sender: null, receiver: null,
  tx: { packets: 1234567, bytes: 80783433600 }, rx: c.path === 'tx-rx' ? { packets: 1200000, bytes: 78522000000 } : null,
  throughputBps: 12.73e9, completions: c.mode === 'zerocopy' ? 1234567 : null,
  copiedCompletions: c.mode === 'zerocopy' ? (c.expect === 0 ? 1234567 : 0) : null,
  zerocopiedCompletions: null, copiedShare: c.mode === 'zerocopy' ? (c.expect === 0 ? 1 : 0) : null, wallMs: 1,
}));
const header = 'msg-zerocopy suite: kernel 6.18.0, namespaces mzc-abcdef-tx / mzc-abcdef-rx, egress ifb, -t 1';

test('suite table: unlimited width is one line per case, wider than 80', () => {
  const lines = formatTable(plan, results, { header, width: Infinity }).trimEnd().split('\n');
  assert.match(lines[1], /^ ?#\s+case\s+mode\s+tx\s+rx\s+throughput\s+txc\s+copied\s+expect\s+verdict$/);
  assert.ok(Math.max(...lines.map((l) => [...l].length)) > 80);
  assert.equal(lines.filter((l) => /^\s*\d+\s+ipv[46] /.test(l)).length, 12);
});

for (const width of [80, 60]) {
  test(`suite table fits ${width} columns: no line longer, every case and verdict present`, () => {
    const text = formatTable(plan, results, { header, width });
    const lines = text.trimEnd().split('\n');
    const long = lines.filter((l) => [...l].length > width);
    assert.deepEqual(long, [], text);
    // every case starts a row with its number, and its verdict is on that row
    for (const c of plan) {
      const row = lines.find((l) => new RegExp(`^\\s*${c.index}\\s+ipv${c.family}`).test(l));
      assert.ok(row, `case ${c.index} at ${width}:\n${text}`);
      assert.match(row, c.index === 7 ? /FAIL$/ : /PASS$/);
      assert.ok(row.includes(formatRate(12.73e9).split(' ')[0]), 'throughput kept');
    }
    assert.match(text, /left out to fit/);
    assert.ok(!/\bnot copied\b/.test(text), 'expect is the first column to go');
    assert.match(lines[lines.length - 1], /^FAIL: 11 passed, 1 failed, 0 skipped of 12 cases$/);
    assert.ok(lines.some((l) => l.startsWith('7 ipv4_udp_zerocopy_tx-rx: FAIL: sender exited 1')));
  });
}

test('suite JSON: throughput under names that say their unit, the old name kept', async () => {
  const { caseJson } = await import('../../src/suite/format.js');
  const j = caseJson(results[0]);
  assert.equal(j.bytesPerSecond, 12.73e9);
  assert.equal(j.bitsPerSecond, 12.73e9 * 8);
  assert.equal(j.throughputBps, 12.73e9);
});
