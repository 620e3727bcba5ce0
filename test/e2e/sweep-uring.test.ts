// SPDX-License-Identifier: GPL-2.0-only
// compare and sweep with --api msg,uring: MSG_ZEROCOPY and io_uring SEND_ZC
// side by side at the same sizes and path, with the same statistics, in
// fresh namespaces. Needs root; fails without it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ours, requireRoot } from '../support/proc.js';
import type { SweepJson } from '../../src/sweep/json.js';

before(() => requireRoot());
const run = (args: string[]) => ours(null, args, { timeoutMs: 240000 }).done;

test('compare --api msg,uring (udp tx-only): both interfaces measured, io_uring against MSG_ZEROCOPY per size', async () => {
  const r = await run(['compare', '--api', 'msg,uring', '--reps', '2', '-t', '0', '-s', '1000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as SweepJson;
  assert.deepEqual(j.options.apis, ['msg', 'uring']);
  assert.equal(j.runs.length, 8, '2 reps × 2 interfaces × copy, zerocopy');
  assert.deepEqual(j.runs.slice(0, 4).map((x) => `${x.api} ${x.mode} ${x.rep}`),
    ['msg copy 1', 'msg zerocopy 1', 'uring copy 1', 'uring zerocopy 1'], 'interfaces alternate within a repetition');
  for (const x of j.runs) {
    assert.ok(x.ok && x.measured, `${x.api} ${x.mode}: ${x.reasons.join('; ')}`);
    const argv = x.senderArgv.join(' ');
    if (x.api === 'uring') assert.match(argv, x.mode === 'zerocopy' ? / uring -4 .* -n 32 -m 2 -Z 1 --json udp$/ : / uring -4 .* -n 32 -m 0 --json udp$/);
    else assert.doesNotMatch(argv, / uring /);
    if (x.mode === 'zerocopy') {
      assert.equal(x.expectationMet, true, `${x.api}: tx-only, so not copied`);
      assert.equal(x.zerocopiedCompletions, x.completions);
    }
  }
  assert.deepEqual(j.apis.map((a) => a.api), ['msg', 'uring']);
  for (const a of j.apis) {
    assert.equal(a.summaries[0].size, 1000);
    assert.equal(a.summaries[0].zerocopy.measured, 2);
    assert.ok(['saves', 'costs', 'no significant difference', 'no verdict (too few pairs)'].includes(a.summaries[0].verdict));
  }
  assert.deepEqual(j.summaries, j.apis[0].summaries, 'summaries stay those of the first interface');
  const c = j.apiComparison?.[0];
  assert.ok(c, 'io_uring against MSG_ZEROCOPY');
  assert.equal(c.size, 1000);
  assert.equal(c.secPerGBInterval.n, 2);
  assert.equal(c.verdict, 'no verdict (too few pairs)', 'two pairs are too few for a 95% interval');
});

test('--api uring with --flows is refused before any namespace exists', async () => {
  const r = await run(['compare', '--api', 'uring', '--flows', '2']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'msg-zerocopy: --api uring: the io_uring sender runs one flow (leave out --flows, or compare msg alone)\n');
});
