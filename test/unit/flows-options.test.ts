// SPDX-License-Identifier: GPL-2.0-only
// Options a run of several flows must carry everywhere: --interval to the
// receiver's flows (as to the sender's), and --flows in the suite's table
// header and JSON options (as the sweep's have).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClassicArgs } from '../../src/flags/classic.js';
import { planFlows, receiverSpecOf } from '../../src/flows/plan.js';
import { classicArgv } from '../../src/run/classic.js';
import { suiteHeader, suiteJson, type SuiteRun } from '../../src/suite/format.js';

const res = { ifindex: () => 1 };

test('-r -P n -I secs: every receiver flow gets the interval, as every sender flow does', () => {
  for (const role of [['-r'], []]) {
    const cfg = parseClassicArgs(['-4', '-D', '192.168.1.2', '-t', '2', '-P', '2', '-I', '0.5', ...role, 'udp'], res);
    for (const f of planFlows(cfg, [0, 1])) {
      assert.equal(f.spec.interval, 0.5);
      const argv = classicArgv(f.spec);
      assert.ok(` ${argv.join(' ')} `.includes(' --interval 0.5 '), argv.join(' '));
      assert.equal(parseClassicArgs(argv, res).intervalMs, 500);
    }
  }
  const none = receiverSpecOf(parseClassicArgs(['-4', '-D', '192.168.1.2', '-r', 'udp'], res));
  assert.equal(none.interval, undefined, 'no -I: no interval flag');
  assert.ok(!classicArgv(none).includes('--interval'));
});

const lab = { id: 'abcdef', txNs: 'mzc-abcdef-tx', rxNs: 'mzc-abcdef-rx', egressKind: 'ifb' as const, egressDev: 'ifb0' };

test('suite: the header and the JSON options record --flows', () => {
  assert.match(suiteHeader(lab, 1), /egress ifb, -t 1$/, 'one flow: as before');
  assert.match(suiteHeader(lab, 1, 1), /, -t 1$/);
  assert.match(suiteHeader(lab, 1, 4), /, -t 1, -P 4 \(sums of the flows\)$/);
  const run = (flows?: number): SuiteRun => ({
    options: {
      families: [4], tests: ['udp'], duration: 1, size: null, port: 8000, extra: [],
      bin: { path: '/x/bin/msg-zerocopy', node: true, expectFlag: true }, flows,
    },
    plan: [], results: [], startedAt: 0, durationMs: 1, ok: true, exitCode: 0, interrupted: null, error: null, lab,
  });
  assert.equal(suiteJson(run(2)).options.flows, 2);
  assert.equal(suiteJson(run()).options.flows, 1, 'absent: one flow');
});
