// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionTracker, COPIED } from '../../src/notify/tracker.js';

test('contiguous ranges add up and leave no gap', () => {
  const t = new CompletionTracker();
  assert.equal(t.record(0, 9, 0), 10);
  assert.equal(t.record(10, 10, 0), 1);
  assert.equal(t.record(11, 4000, 0), 3990);
  assert.equal(t.completions, 4001);
  assert.equal(t.unique, 4001);
  assert.equal(t.gaps, 0);
  assert.equal(t.next, 4001);
  assert.equal(t.notifications, 3);
  assert.equal(t.zerocopied, 4001);
  assert.equal(t.copied, 0);
});

test('copied flag counts completions in sends, not notifications', () => {
  const t = new CompletionTracker();
  t.record(0, 99, COPIED);
  t.record(100, 100, 0);
  t.record(101, 150, COPIED | 2);
  assert.equal(t.copied, 150);
  assert.equal(t.zerocopied, 1);
  assert.equal(t.lastOutcome, 0);
});

test('range and next id wrap at 2^32', () => {
  const t = new CompletionTracker();
  t.next = 0xfffffff0;
  // [0xfffffff0, 0x0000000f] spans the wrap: 32 ids
  assert.equal(t.record(0xfffffff0, 0x0000000f, 0), 32);
  assert.equal(t.next, 0x10);
  assert.equal(t.gaps, 0);
  assert.equal(t.record(0x10, 0x10, 0), 1);
  assert.equal(t.completions, 33);
  assert.equal(t.unique, 33);
  assert.equal(t.duplicates, 0);
});

test('a range ending at 0xffffffff sets next to 0', () => {
  const t = new CompletionTracker();
  t.next = 0xfffffffe;
  t.record(0xfffffffe, 0xffffffff, 0);
  assert.equal(t.next, 0);
  t.record(0, 5, 0);
  assert.equal(t.gaps, 0);
  assert.equal(t.completions, 8);
});

test('gaps are reported with the selftest arguments', () => {
  const seen: Array<[number, number, number]> = [];
  const t = new CompletionTracker(-1, { gap: (lo, hi, next) => seen.push([lo, hi, next]) });
  t.record(0, 4, 0);
  t.record(10, 19, 0);
  assert.deepEqual(seen, [[10, 19, 5]]);
  assert.equal(t.gaps, 1);
  assert.equal(t.outOfOrder, 0);
  assert.equal(t.completions, 15);
});

test('out-of-order ranges: later range first, earlier range afterwards', () => {
  const t = new CompletionTracker();
  t.record(0, 4, 0);
  t.record(10, 14, 0); // ahead: gap
  t.record(5, 9, 0); // back-filled: gap and out of order
  assert.equal(t.gaps, 2);
  assert.equal(t.outOfOrder, 1);
  assert.equal(t.duplicates, 0);
  assert.equal(t.unique, 15);
  assert.equal(t.completions, 15);
  assert.equal(t.next, 10); // the selftest follows the last hi
});

test('duplicate ids are counted once in unique, and as duplicates', () => {
  const t = new CompletionTracker();
  t.record(0, 9, 0);
  t.record(5, 14, 0); // 5..9 again
  assert.equal(t.duplicates, 5);
  assert.equal(t.unique, 15);
  assert.equal(t.completions, 20); // the selftest's txc adds whole ranges
});

test('out of order across the wrap', () => {
  const t = new CompletionTracker();
  t.next = 0xfffffffb;
  t.record(0x00000000, 0x00000004, 0); // ahead of next by 5
  t.record(0xfffffffb, 0xffffffff, 0); // the five before it
  assert.equal(t.outOfOrder, 1);
  assert.equal(t.unique, 10);
  assert.equal(t.duplicates, 0);
});

test('expectation mismatch reported once, then follows the outcome', () => {
  const lines: string[] = [];
  const t = new CompletionTracker(1, { mismatch: (got, want) => lines.push(`${got}!=${want}`) });
  t.record(0, 9, COPIED);
  t.record(10, 19, COPIED);
  assert.deepEqual(lines, ['0!=1']);
  assert.equal(t.mismatched, true);
  assert.equal(t.expectation, 0);
});

test('expectation that holds stays quiet', () => {
  const t = new CompletionTracker(0, { mismatch: () => assert.fail('no mismatch expected') });
  t.record(0, 99, COPIED);
  assert.equal(t.mismatched, false);
  assert.equal(t.expectation, 0);
});

test('-vv completed lines carry range, hi, lo', () => {
  const lines: string[] = [];
  const t = new CompletionTracker(-1, { completed: (r, hi, lo) => lines.push(`completed: ${r} (h=${hi} l=${lo})`) });
  t.record(3, 7, 0);
  assert.deepEqual(lines, ['completed: 5 (h=7 l=3)']);
});
