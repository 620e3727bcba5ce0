// SPDX-License-Identifier: GPL-2.0-only
// End to end: a hostile client in the sender namespace throws a few hundred
// connections at serve over about 16 s (idle connections by the hundred at
// once, random bytes, resets at every protocol step, half-closed and slow
// connections, oversized lines and fields, terminal escapes, replayed
// handshakes, and with the secret: unsealed and oversized requests, requests
// outside the policy, second pairs that reset after "busy"). Meanwhile a real
// pair must succeed; afterwards serve must be alive, and its log bounded and
// free of raw control characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { REPO_ROOT, sleep, start, type Proc } from '../support/proc.js';
import { classicChildren, runPair, useServeLab, type Tracked } from './serve-helpers.js';

const clients: Proc[] = [];
const { lab, servers, secret } = useServeLab('mzsh-', { writeSecret: true, others: clients });
const D = '192.168.1.2';

interface Burst { n: number; open: number; maxCloseMs: number | null; stillOpen: number }
interface HostileResult {
  recorded: boolean;
  connections: number;
  iterations: number;
  secs: number;
  burst: Burst[];
  oversized: Array<{ written: number; closedMs: number | null; reply: string | null }>;
  slow: Array<number | string>;
  busy: number;
  busyExample: string | null;
  replies: Record<string, number>;
}

test('a hostile client for ~16 s: a real pair still succeeds, serve survives, its log stays bounded', async (t) => {
  const serve: Tracked = await servers.start(['-4', '-D', D, '--control-port', '9601', '--secret-file', secret()]);
  const hostile = start([process.execPath, '--import', 'tsx', join(REPO_ROOT, 'test/e2e/serve-client.ts'), 'hostile', D, '9601', secret(), '16'],
    { ns: lab().txNs, cwd: REPO_ROOT, timeoutMs: 60000 });
  clients.push(hostile);

  // the real pair, in the middle of it (just after the second burst of idle connections)
  await sleep(2000);
  const t0 = Date.now();
  const real = await runPair(lab(), ['-4', '-D', D, '-p', '9600', '--control-port', '9601', '-t', '2', '--json', '--secret-file', secret(), 'tcp']);
  const realMs = Date.now() - t0;
  assert.equal(real.code, 0, real.stderr);
  const j = JSON.parse(real.stdout) as { summary: { bytesMatch: boolean }; sender: { bytes: number } };
  assert.equal(j.summary.bytesMatch, true);
  assert.ok(j.sender.bytes > 1e6);
  assert.ok(realMs < 8000, `the real pair took ${realMs} ms for a 2.2 s run`);

  const h = await hostile.done;
  assert.equal(h.code, 0, h.stderr);
  const r = JSON.parse(h.stdout) as HostileResult;
  t.diagnostic(`hostile client: ${r.connections} connections in ${r.secs.toFixed(1)} s (${r.iterations} waves); ` +
    `bursts ${r.burst.map((b) => `${b.open} idle at once, all closed by serve within ${b.maxCloseMs} ms`).join('; ')}; ` +
    `oversized: closed after ${r.oversized.map((o) => o.closedMs).join('/')} ms; slow (1 byte / 200 ms): closed after ${r.slow.join('/')} ms; ` +
    `answers: ${JSON.stringify(r.replies)}; busy answers ${r.busy}`);
  t.diagnostic(`real pair during it: exit 0 in ${realMs} ms`);

  assert.equal(r.recorded, true, 'the recorded handshake was valid (so its replay is a real replay)');
  assert.ok(r.connections >= 300 && r.connections <= 700, `${r.connections} connections`);
  assert.ok(r.secs < 25, `${r.secs} s`);
  for (const b of r.burst) {
    assert.equal(b.stillOpen, 0, 'serve closed every idle connection');
    assert.ok(b.open >= b.n * 0.9, `${b.open} of ${b.n} connected`);
    assert.ok((b.maxCloseMs ?? Infinity) < 4000, `idle connections held for ${b.maxCloseMs} ms (deadline 2 s)`);
  }
  for (const o of r.oversized) {
    assert.notEqual(o.closedMs, null, 'an oversized line ends its connection');
    assert.ok((o.closedMs ?? Infinity) < 4000, `${o.closedMs} ms`);
    assert.ok(o.reply === null || !o.reply.includes('AAAA'), 'nothing of the line is echoed');
  }
  for (const s of r.slow) assert.ok(typeof s === 'number' && s < 3500, `a slow client held on for ${s}`);
  assert.ok(r.busy >= 1, 'a second authenticated pair was told "busy" during the real run');
  assert.match(r.busyExample ?? '', /"busy: serving 192\.168\.1\.1:\d+ \([^)]*\) since \d\d:\d\d:\d\d UTC \(tcp receiver on 192\.168\.1\.2:9600, -t 3\); try again when it is done"/);
  const answers = Object.keys(r.replies).join('\n');
  assert.ok(!answers.includes('PWNED') && !answers.includes('AAAA'), `peer text echoed: ${answers}`);
  assert.match(answers, /authentication failed/, 'replayed proofs refused');
  assert.match(answers, /data port 80 is outside this serve's range/, 'requests outside the policy refused with the reason');

  // serve is alive and serves
  const after = await runPair(lab(), ['-4', '-D', D, '-p', '9600', '--control-port', '9601', '-t', '0', '--secret-file', secret(), 'udp']);
  assert.equal(after.code, 0, after.stderr);
  assert.deepEqual(classicChildren(9600), []);

  // its log: bounded, every line short, no raw control character, the flood summarised
  const log = serve.stderrText();
  const lines = log.split('\n');
  t.diagnostic(`serve log: ${lines.length} lines, ${log.length} bytes for ${r.connections} hostile connections`);
  assert.ok(log.length < 64 * 1024, `${log.length} bytes of log`);
  assert.ok(lines.length < 400, `${lines.length} lines of log`);
  for (const l of lines) assert.ok(l.length < 600, `a ${l.length}-character log line: ${l.slice(0, 100)}…`);
  assert.doesNotMatch(log, /[^\x20-\x7e\n]/, 'anything but printable ASCII in the log');
  assert.match(log, /more such lines about \d+ peers? left out/, 'the flood was summarised, not logged line by line');
  assert.match(log, /\\x1b\[2J/, 'escapes shown escaped');
  assert.doesNotMatch(log, /internal error/);
  assert.equal((log.match(/: report sent/g) ?? []).length, 2, 'two runs: the real pair and the one after');
});
