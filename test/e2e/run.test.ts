// SPDX-License-Identifier: GPL-2.0-only
// End to end, the run layer: a receiver is ready only when its own socket is
// bound. Another program holding the data port in the receiver's namespace is
// never taken for it: the receiver's bind error is the result, no sender
// starts, and the other program receives nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ownProgram } from '../../src/run/launch.js';
import { runClassic, type RunHooks } from '../../src/run/run.js';
import type { Child } from '../../src/run/child.js';
import { start } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

const hooks = (): RunHooks & { children: Child[] } => {
  const children: Child[] = [];
  return { children, aborted: () => false, track: (c) => { children.push(c); } };
};

/** A listener that is not ours, counting what reaches it; prints `bytes=N` when it gets SIGTERM. */
const foreign = (proto: 'tcp' | 'udp', host: string, port: number): string => `
  const port = ${port}, host = ${JSON.stringify(host)};
  let bytes = 0;
  const done = () => { console.log('bytes=' + bytes); process.exit(0); };
  process.on('SIGTERM', done);
  setTimeout(done, 20000);
  if (${JSON.stringify(proto)} === 'tcp') {
    require('net').createServer((c) => c.on('data', (d) => { bytes += d.length; })).listen(port, host, () => console.log('listening'));
  } else {
    const s = require('dgram').createSocket('udp4');
    s.on('message', (m) => { bytes += m.length; });
    s.bind(port, host, () => console.log('listening'));
  }`;

for (const proto of ['tcp', 'udp'] as const) {
  test(`${proto}: a port another program holds is never ready; no sender starts, the other program gets nothing`, async (t) => {
    const port = proto === 'tcp' ? 9401 : 9402;
    const a = lab().addr[4];
    const other = start([process.execPath, '-e', foreign(proto, a.dst, port)], { ns: lab().rxNs, timeoutMs: 30000 });
    try {
      await other.waitFor(/listening/, 'stdout');
      const h = hooks();
      const t0 = Date.now();
      const run = await runClassic({
        program: ownProgram(),
        receiver: { role: 'receiver', family: 4, test: proto, port, dst: a.dst, secs: 1, json: true },
        sender: { role: 'sender', family: 4, test: proto, port, dst: a.dst, secs: 1, json: true },
        senderNs: lab().txNs, receiverNs: lab().rxNs, slackMs: 2000,
      }, h);
      t.diagnostic(`receiver refused after ${Date.now() - t0} ms`);
      assert.equal(run.readiness, 'exited');
      assert.equal(run.sender, null, 'no sender may start');
      assert.equal(h.children.length, 1);
      assert.equal(run.receiver?.exitCode, 2);
      assert.match(run.receiver?.stderr ?? '', /bind: Address already in use/);
      assert.match(run.receiver?.stdout ?? '', /"error":"bind: Address already in use"/);
    } finally {
      other.kill('SIGTERM');
    }
    const o = await other.done;
    assert.match(o.stdout, /^bytes=0$/m, `the other program received data: ${o.stdout}`);
  });
}

test('tcp: with the port free, the receiver is ready and both sides count the same bytes', async () => {
  const a = lab().addr[4];
  const run = await runClassic({
    program: ownProgram(),
    receiver: { role: 'receiver', family: 4, test: 'tcp', port: 9403, dst: a.dst, secs: 1, json: true },
    sender: { role: 'sender', family: 4, test: 'tcp', port: 9403, dst: a.dst, secs: 0, json: true },
    senderNs: lab().txNs, receiverNs: lab().rxNs, slackMs: 2000,
  }, hooks());
  assert.equal(run.readiness, 'ready');
  assert.equal(run.sender?.exitCode, 0, run.sender?.stderr);
  assert.equal(run.receiver?.exitCode, 0, run.receiver?.stderr);
  const tx = JSON.parse(run.sender?.stdout ?? '') as { bytes: number };
  const rx = JSON.parse(run.receiver?.stdout ?? '') as { bytes: number };
  assert.ok(tx.bytes > 0);
  assert.equal(rx.bytes, tx.bytes);
  assert.equal(run.cutShort, false);
});
