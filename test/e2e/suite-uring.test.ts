// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy suite --api uring`: the kernel io_uring driver's plan
// (io_uring_zerocopy_tx.sh: modes 1-3, udp -n 32, tcp -n 1, to our receiver,
// all copied) plus tx-only udp cases that must report not copied, in fresh
// namespaces, through our own executable. Needs root; fails without it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN, REPO_ROOT, requireRoot, start } from '../support/proc.js';
import type { SuiteJson } from '../../src/suite/format.js';

before(() => requireRoot());

const suite = (args: string[]) => start([process.execPath, BIN, 'suite', ...args], { cwd: REPO_ROOT, timeoutMs: 180000 }).done;

test('suite --api uring: every case of the io_uring plan passes; tx-rx all copied, tx-only none copied', async () => {
  const r = await suite(['--api', 'uring', '--family', '4,6', '-t', '0', '--json']);
  const j = JSON.parse(r.stdout) as SuiteJson;
  assert.equal(r.code, 0, `${r.stderr}\n${j.cases.map((c) => `${c.name}: ${c.reasons.join('; ')}`).join('\n')}`);
  assert.deepEqual(j.options.apis, ['uring']);
  assert.equal(j.cases.length, 18, '2 families × 3 modes × (udp, tcp) tx-rx + 2 × 3 udp tx-only');
  assert.deepEqual(j.cases.slice(0, 6).map((c) => c.name), ['ipv4_udp_uring-m1_tx-rx', 'ipv4_tcp_uring-m1_tx-rx',
    'ipv4_udp_uring-m2_tx-rx', 'ipv4_tcp_uring-m2_tx-rx', 'ipv4_udp_uring-m3_tx-rx', 'ipv4_tcp_uring-m3_tx-rx']);
  for (const c of j.cases) {
    assert.equal(c.verdict, 'pass', `${c.name}: ${c.reasons.join('; ')}`);
    const argv = c.sender?.argv.join(' ') ?? '';
    assert.match(argv, / uring -[46] /, `${c.name} runs the io_uring sender: ${argv}`);
    assert.match(argv, c.test === 'udp' ? / -n 32 / : / -n 1 /);
    assert.ok((c.completions ?? 0) > 0, `${c.name}: notifications counted`);
    if (c.path === 'tx-rx') {
      assert.equal(c.copiedCompletions, c.completions, `${c.name}: delivered locally, so copied`);
      assert.ok((c.rx?.packets ?? 0) > 0, `${c.name}: our receiver got data`);
      if (c.test === 'tcp') assert.equal(c.rx?.bytes, c.tx.bytes, `${c.name}: every byte arrived`);
    } else {
      assert.equal(c.zerocopiedCompletions, c.completions, `${c.name}: out of a device, so not copied`);
    }
  }
});

test('suite --api uring refuses what the io_uring sender cannot take, before any namespace exists', async () => {
  const extra = await suite(['--api', 'uring', '--extra', '-c 4']);
  assert.equal(extra.code, 1);
  assert.equal(extra.stderr, 'msg-zerocopy: --api uring: --extra holds msg_zerocopy flags; the io_uring sender takes none of them ' +
    '(run the uring plan on its own, without that option)\n');
  const raw = await suite(['--api', 'uring', '--tests', 'raw']);
  assert.equal(raw.code, 1);
  assert.match(raw.stderr, /the io_uring sender knows tcp and udp only/);
  const bad = await suite(['--api', 'rds']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--api: unknown interface 'rds' \(msg, uring\)/);
});
