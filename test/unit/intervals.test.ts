// SPDX-License-Identifier: GPL-2.0-only
// The confidence intervals behind the verdicts: exact rank distributions
// against published tables, coverage on synthetic data with a known ratio,
// the three verdicts, determinism.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  binomialHalfCdf, medianInterval, normalCdf, normalQuantile, pairedRatioInterval, signedRankCdf, signedRankInterval,
  verdict, verdictCrossover, walshAverages, type Interval, type Pair,
} from '../../src/sweep/stats.js';
import { rng } from '../support/random.js';

/** Standard normal draws (Box-Muller). */
function gauss(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

test('signed-rank null distribution: totals, symmetry and the published critical values', () => {
  const c5 = signedRankCdf(5);
  assert.equal(c5.length, 16);
  assert.equal(c5[0], 1 / 32);
  assert.equal(c5[15], 1);
  // P(T+ ≤ 3) for n = 5: sums 0, 1, 2, 3 ({}, {1}, {2}, {3}, {1,2}) = 5/32
  assert.equal(c5[3], 5 / 32);
  // Two-sided α = 0.05 critical values (largest t with P(T ≤ t) ≤ 0.025): n=6: 0, 8: 3, 10: 8, 15: 25, 20: 52
  for (const [n, crit] of [[6, 0], [8, 3], [10, 8], [15, 25], [20, 52]] as const) {
    const c = signedRankCdf(n);
    assert.ok(c[crit] <= 0.025 && c[crit + 1] > 0.025, `n=${n}: P(T≤${crit})=${c[crit]}, P(T≤${crit + 1})=${c[crit + 1]}`);
  }
});

test('binomial(n, ½) distribution and the normal helpers', () => {
  assert.deepEqual(binomialHalfCdf(3), [1 / 8, 4 / 8, 7 / 8, 1]);
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-6);
  assert.ok(Math.abs(normalQuantile(0.025) + 1.959964) < 1e-6);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.throws(() => normalQuantile(1), RangeError);
});

test('Walsh averages and the Hodges-Lehmann interval on a hand-checked sample', () => {
  assert.deepEqual(walshAverages([1, 3]), [1, 2, 3]);
  // n = 10: the 95 % interval runs from the 9th smallest to the 9th largest of the 55 Walsh averages
  const d = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const w = walshAverages(d);
  const r = signedRankInterval(d);
  assert.equal(r.n, 10);
  assert.equal(r.estimate, 5.5);
  assert.equal(r.low, w[8]);
  assert.equal(r.high, w[55 - 9]);
  // Walsh averages from the bottom: 1, 1.5, 2, 2, 2.5, 2.5, 3, 3, 3 (the 9th); symmetric at the top
  assert.equal(r.low, 3);
  assert.equal(r.high, 8);
  assert.ok(Math.abs(r.level - (1 - 2 * signedRankCdf(10)[8])) < 1e-15);
  assert.ok(r.level >= 0.95 && r.level < 0.96, `level ${r.level}`);
  // too few values: the extremes, at the confidence they have
  const few = signedRankInterval([0.1, 0.3, 0.2]);
  assert.deepEqual([few.low, few.high, few.level], [0.1, 0.3, 0.75]);
  assert.deepEqual(signedRankInterval([]), { estimate: null, low: null, high: null, level: 0, n: 0 });
  // beyond 300 values the normal approximation, close to exact where both apply
  const big = Array.from({ length: 400 }, (_, i) => i);
  const rb = signedRankInterval(big);
  assert.ok(rb.level > 0.949 && rb.level < 0.952, `level ${rb.level}`);
  assert.ok(rb.low! < 199.5 && rb.high! > 199.5);
});

test('median interval from order statistics', () => {
  const m = medianInterval([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
  // n = 10: [x(2), x(9)], confidence 1 − 2·P(B ≤ 1) = 1 − 2·11/1024
  assert.deepEqual([m.low, m.high], [2, 9]);
  assert.ok(Math.abs(m.level - (1 - 22 / 1024)) < 1e-12);
  assert.equal(m.method, 'order-statistics');
  assert.equal(m.nominal, 0.95);
  assert.deepEqual(medianInterval([1, 2]).level, 0.5);
  assert.equal(medianInterval([]).low, null);
});

/** n pairs with copy ~ lognormal around 1 and zerocopy = copy × trueRatio × lognormal noise. */
function synthetic(n: number, trueRatio: number, noise: number, draw: () => number): Pair[] {
  return Array.from({ length: n }, () => {
    const copy = Math.exp(0.1 * draw());
    return { copy, zerocopy: copy * trueRatio * Math.exp(noise * draw()) };
  });
}

test('paired ratio interval: contains the true ratio on synthetic data about 95 % of the time', () => {
  const draw = gauss(rng(42));
  for (const [n, trueRatio, noise] of [[10, 0.9, 0.03], [8, 1.07, 0.1], [25, 0.95, 0.05]] as const) {
    let hit = 0;
    const trials = 1000;
    for (let i = 0; i < trials; i++) {
      const r = pairedRatioInterval(synthetic(n, trueRatio, noise, draw));
      assert.equal(r.n, n);
      assert.ok(r.low! <= r.estimate! && r.estimate! <= r.high!);
      if (r.low! <= trueRatio && trueRatio <= r.high!) hit++;
    }
    // exact level ≥ 95 %: with 1000 trials the share sits within about ±2 % of it
    assert.ok(hit / trials >= 0.93 && hit / trials <= 0.99, `n=${n} ratio ${trueRatio}: coverage ${hit / trials}`);
  }
  // one typical draw: the interval holds the true ratio and is narrow with little noise
  const one = pairedRatioInterval(synthetic(20, 0.9, 0.01, gauss(rng(7))));
  assert.ok(one.low! < 0.9 && one.high! > 0.9, `${one.low}–${one.high}`);
  assert.ok(one.high! - one.low! < 0.02);
  assert.equal(one.method, 'wilcoxon-signed-rank');
});

test('paired ratio interval: pairs with a missing or non-positive value are left out; order does not matter', () => {
  const pairs: Pair[] = [{ copy: 1, zerocopy: 0.9 }, { copy: null, zerocopy: 0.5 }, { copy: 2, zerocopy: 0 },
    { copy: 1, zerocopy: 0.8 }, { copy: 1, zerocopy: 1.1 }];
  const r = pairedRatioInterval(pairs);
  assert.equal(r.n, 3);
  assert.ok(Math.abs(r.low! - 0.8) < 1e-12 && Math.abs(r.high! - 1.1) < 1e-12);
  assert.deepEqual(pairedRatioInterval([...pairs].reverse()), r, 'deterministic, independent of order');
  const none = pairedRatioInterval([]);
  assert.deepEqual([none.low, none.high, none.estimate, none.n, none.level], [null, null, null, 0, 0]);
});

test('deterministic: the same runs give the same interval, to the bit', () => {
  const a = pairedRatioInterval(synthetic(30, 0.93, 0.04, gauss(rng(99))));
  const b = pairedRatioInterval(synthetic(30, 0.93, 0.04, gauss(rng(99))));
  assert.deepEqual(a, b);
});

const iv = (low: number, high: number, level = 0.96): Interval =>
  ({ low, high, level, nominal: 0.95, method: 'wilcoxon-signed-rank', n: 10 });

test('verdict: saves, costs, no significant difference; no verdict with too few pairs', () => {
  assert.equal(verdict(iv(0.85, 0.95)), 'saves');
  assert.equal(verdict(iv(1.02, 1.3)), 'costs');
  assert.equal(verdict(iv(0.9, 1.05)), 'no significant difference');
  assert.equal(verdict(iv(0.9, 1)), 'no significant difference', 'an interval that reaches 1 is not below it');
  assert.equal(verdict(iv(0.5, 0.6, 0.9375)), 'no verdict (too few pairs)', 'too few pairs for 95 %: no verdict, not "no difference"');
  assert.equal(verdict({ ...iv(0, 0), low: null, high: null, level: 0 }), 'no verdict (too few pairs)', 'no pairs at all');
  // sweep --reps 2, and a Ctrl-C after one pair: never "no significant difference"
  assert.equal(verdict(pairedRatioInterval([{ copy: 2, zerocopy: 1 }, { copy: 2, zerocopy: 1.1 }])), 'no verdict (too few pairs)');
  assert.equal(verdict(pairedRatioInterval([{ copy: 2, zerocopy: 1 }])), 'no verdict (too few pairs)');
  assert.equal(verdict(pairedRatioInterval(synthetic(5, 0.5, 0.01, gauss(rng(6))))), 'no verdict (too few pairs)', '5 pairs: 94 %');
  assert.equal(verdict(pairedRatioInterval(synthetic(6, 0.5, 0.01, gauss(rng(6))))), 'saves', '6 pairs reach 95 %');
  // from synthetic runs: a real 10 % saving over 10 quiet pairs is found, and so is a 10 % cost
  assert.equal(verdict(pairedRatioInterval(synthetic(10, 0.9, 0.02, gauss(rng(3))))), 'saves');
  assert.equal(verdict(pairedRatioInterval(synthetic(10, 1.1, 0.02, gauss(rng(4))))), 'costs');
  assert.equal(verdict(pairedRatioInterval(synthetic(10, 1, 0.02, gauss(rng(5))))), 'no significant difference');
});

test('crossover by verdict: smallest size from which zerocopy saves at every larger size', () => {
  const pts = (v: Array<[number, 'saves' | 'costs' | 'no significant difference']>) => v.map(([size, verdict]) => ({ size, verdict }));
  assert.equal(verdictCrossover(pts([[1000, 'costs'], [4000, 'saves'], [8000, 'no significant difference'], [16000, 'saves'], [65435, 'saves']])), 16000);
  assert.equal(verdictCrossover(pts([[65435, 'saves'], [1000, 'saves']])), 1000);
  assert.equal(verdictCrossover(pts([[1000, 'saves'], [2000, 'no significant difference']])), null);
  assert.equal(verdictCrossover([]), null);
});
