// SPDX-License-Identifier: GPL-2.0-only
// End to end, `suite --rx mmap` (issue 19): the suite sets the veth MTU so
// the MSS is 15 pages, the tcp receivers read with TCP_ZEROCOPY_RECEIVE, the
// zerocopy case is at least 99 % mapped, the copying one shows the kernel's
// low figure, and the header says what was changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe as show, ours, requireRoot } from '../support/proc.js';

test('suite --tests tcp --family 6 --rx mmap --json: the receive-side cases, mapped shares, bytes, the MTU set', async () => {
  requireRoot();
  const r = await ours(null, ['suite', '--tests', 'tcp', '--family', '6', '--rx', 'mmap', '-t', '1', '--json'], { timeoutMs: 120_000 }).done;
  assert.equal(r.code, 0, show(r));
  const doc = JSON.parse(r.stdout) as { options: { rx: string }; cases: Array<Record<string, unknown> & { tx: { bytes: number }; rx: { bytes: number } }> };
  assert.equal(doc.options.rx, 'mmap');
  assert.deepEqual(doc.cases.map((c) => c.name), ['ipv6_tcp_copy_tx-rx_rx-mmap', 'ipv6_tcp_zerocopy_tx-rx_rx-mmap']);
  const [copy, zc] = doc.cases;
  assert.ok((zc.mappedPercent as number) >= 99, `zerocopy case mapped ${zc.mappedPercent} %`);
  assert.ok((copy.mappedPercent as number) < 1, `copy case mapped ${copy.mappedPercent} %`);
  for (const c of doc.cases) {
    assert.equal(c.rxMode, 'mmap');
    assert.equal(c.verdict, 'pass');
    assert.equal(c.rx.bytes, c.tx.bytes);
    assert.equal((c.receiver as { report: { rcvMss: number } }).report.rcvMss, 61440);
  }
});

test('suite --rx mmap without tcp, and with a bad mode: one line, exit 1, no lab', async () => {
  const a = await ours(null, ['suite', '--tests', 'udp', '--rx', 'mmap'], { timeoutMs: 15_000 }).done;
  assert.equal(a.code, 1, show(a));
  assert.match(a.stderr.trim(), /^msg-zerocopy: --rx mmap: only the tcp cases of the msg plan have a stream to read \(add tcp to --tests\)$/);
  const b = await ours(null, ['suite', '--rx', 'trunc,mmap'], { timeoutMs: 15_000 }).done;
  assert.equal(b.code, 1, show(b));
  assert.equal(b.stderr.trim().split('\n').length, 1, show(b));
});
