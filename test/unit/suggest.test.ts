// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, didYouMean, editDistance } from '../../src/core/suggest.js';
import { parseClassicArgs } from '../../src/flags/classic.js';

test('edit distance counts insertions, deletions, substitutions and swaps', () => {
  assert.equal(editDistance('suite', 'suite'), 0);
  assert.equal(editDistance('suit', 'suite'), 1);
  assert.equal(editDistance('tpc', 'tcp'), 1);
  assert.equal(editDistance('sweep', 'swepe'), 1);
  assert.equal(editDistance('sweep', 'swept'), 2);
  assert.equal(editDistance('', 'pair'), 4);
  assert.equal(editDistance('compare', 'serve'), 6);
});

test('suggestions: the closest candidates within a typo\'s reach, else nothing', () => {
  const cmds = ['suite', 'sweep', 'compare', 'serve', 'pair', 'tcp', 'udp', 'raw'];
  assert.deepEqual(closest('suit', cmds), ['suite']);
  assert.deepEqual(closest('SWEPP', cmds), ['sweep']);
  assert.deepEqual(closest('pari', cmds), ['pair']);
  assert.deepEqual(closest('udpp', cmds), ['udp']);
  assert.deepEqual(closest('bogus', cmds), []);
  assert.equal(didYouMean('comapre', cmds), 'did you mean compare?');
  assert.equal(didYouMean('zzz', cmds), '');
});

test('a mistyped classic test or option names the likely one', () => {
  assert.throws(() => parseClassicArgs(['-4', '-D', '1.2.3.4', 'tpc'], { ifindex: () => 1 }),
    (e: Error & { line?: string }) => e.line === 'unknown cfg_test tpc (did you mean tcp?)');
  assert.throws(() => parseClassicArgs(['-4', '-D', '1.2.3.4', '--jsn', 'tcp'], { ifindex: () => 1 }),
    (e: Error & { line?: string }) => e.line === "unknown option '--jsn' (did you mean --json?)");
});
