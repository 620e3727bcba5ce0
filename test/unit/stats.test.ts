// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossover, finite, max, median, min, paysOff, ratio, spread, summarize } from '../../src/sweep/stats.js';

test('median of odd and even counts, unsorted input, nulls left out', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([5]), 5);
  assert.equal(median([null, 7, undefined, 1, NaN, 4]), 4);
  assert.equal(median([]), null);
  assert.equal(median([null, null]), null);
  // does not reorder its input
  const v = [3, 1, 2];
  median(v);
  assert.deepEqual(v, [3, 1, 2]);
});

test('min, max and spread', () => {
  assert.equal(min([2.5, -1, 7]), -1);
  assert.equal(max([2.5, -1, 7]), 7);
  assert.equal(spread([2.5, -1, 7]), 8);
  assert.equal(spread([4]), 0);
  assert.equal(min([]), null);
  assert.equal(max([null]), null);
  assert.equal(spread([]), null);
  assert.deepEqual(finite([1, null, Infinity, 2, undefined]), [1, 2]);
});

test('summary: median, range and spread relative to the median', () => {
  assert.deepEqual(summarize([10, 12, 8, null]), { n: 3, median: 10, min: 8, max: 12, spread: 4, relSpread: 0.4 });
  assert.deepEqual(summarize([]), { n: 0, median: null, min: null, max: null, spread: null, relSpread: null });
  assert.equal(summarize([0, 0]).relSpread, null, 'no relative spread around a zero median');
});

test('ratio of medians', () => {
  assert.equal(ratio(3, 4), 0.75);
  assert.equal(ratio(null, 4), null);
  assert.equal(ratio(3, 0), null);
  assert.equal(ratio(3, null), null);
});

test('pays off where zerocopy CPU per GB is below copy', () => {
  assert.equal(paysOff({ copy: 1, zerocopy: 0.5 }), true);
  assert.equal(paysOff({ copy: 1, zerocopy: 1 }), false, 'equal is not cheaper');
  assert.equal(paysOff({ copy: 1, zerocopy: 2 }), false);
  assert.equal(paysOff({ copy: null, zerocopy: 2 }), null);
});

const pts = (rows: Array<[number, number | null, number | null]>) => rows.map(([size, copy, zerocopy]) => ({ size, copy, zerocopy }));

test('crossover: smallest size from which zerocopy stays cheaper for every larger size', () => {
  // cheaper at 4000 by chance, dearer at 8000, then cheaper from 16000 on
  assert.equal(crossover(pts([[1000, 1, 2], [2000, 1, 1.5], [4000, 1, 0.9], [8000, 1, 1.1], [16000, 1, 0.8], [32000, 1, 0.7], [65435, 1, 0.6]])), 16000);
  assert.equal(crossover(pts([[1000, 1, 0.5], [2000, 1, 0.5]])), 1000, 'cheaper everywhere');
  assert.equal(crossover(pts([[1000, 1, 0.5], [2000, 1, 1.5]])), null, 'dearer at the largest size');
  assert.equal(crossover([]), null);
  // unsorted input is sorted by size
  assert.equal(crossover(pts([[65435, 1, 0.5], [1000, 1, 2], [16000, 1, 0.9]])), 16000);
  // a size without data breaks the run
  assert.equal(crossover(pts([[1000, 1, 0.5], [2000, null, 0.5], [4000, 1, 0.5]])), 4000);
  assert.equal(crossover(pts([[1000, 1, 0.5], [2000, 1, null]])), null);
});
