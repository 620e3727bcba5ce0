// SPDX-License-Identifier: GPL-2.0-only
// The shape comparison the golden key-order test rests on (test/e2e/golden-keys.test.ts):
// it must see a reordered, renamed, added or lost key, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { shapeDiff, shapeOf, type Shape } from '../support/keys.js';

const doc = { role: 'sender', cpu: { userUs: 1, sysUs: 2 }, intervals: [{ a: 1, b: 2 }, { a: 3, b: 4 }], hint: null };

test('shapeOf: every object path with its keys in order, array elements as [], no values', () => {
  assert.deepEqual(shapeOf(doc), {
    '': [['role', 'cpu', 'intervals', 'hint']], cpu: [['userUs', 'sysUs']], 'intervals[]': [['a', 'b']],
  });
  assert.deepEqual(shapeOf({ ...doc, role: 'receiver', cpu: { userUs: 9, sysUs: 9 } }), shapeOf(doc), 'values do not count');
});

test('shapeDiff: a reordered, renamed, new or lost key is a difference', () => {
  const g = shapeOf(doc);
  assert.deepEqual(shapeDiff(g, shapeOf(doc)), []);
  assert.equal(shapeDiff(g, shapeOf({ cpu: doc.cpu, role: 'x', intervals: doc.intervals, hint: null })).length, 1, 'order');
  assert.equal(shapeDiff(g, shapeOf({ ...doc, cpu: { userUs: 1, sysMs: 2 } })).length, 1, 'rename');
  assert.equal(shapeDiff(g, shapeOf({ ...doc, extra: 1 })).length, 1, 'a new key');
  assert.deepEqual(shapeDiff(g, shapeOf({ ...doc, intervals: [] })), ['intervals[]: missing'], 'a lost object');
});

test('the golden fixtures: one per report kind, each a shape with a top level', () => {
  const dir = new URL('../fixtures/golden-keys/', import.meta.url);
  const kinds = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
  assert.deepEqual(kinds, ['compare', 'error', 'flows-receiver', 'flows-sender', 'pair', 'pair-flows', 'receiver',
    'receiver-intervals', 'sender', 'sender-intervals', 'serve', 'serve-flows', 'suite', 'suite-uring', 'sweep', 'sweep-uring',
    'uring', 'uring-error']);
  for (const k of kinds) {
    const shape = JSON.parse(readFileSync(new URL(`${k}.json`, dir), 'utf8')) as Shape;
    assert.ok(shape[''] && shape[''][0].length > 0, `${k}: a top-level key list`);
  }
});
