// SPDX-License-Identifier: GPL-2.0-only
// End to end: no byte to another program. A data port that any other socket
// of serve's namespace holds (a tcp listener, a udp socket, another
// program's SO_REUSEPORT receiver, in any table) is refused before anything
// starts: one line, pair exits 1, no sender runs, the other program
// receives nothing. And the rest of serve's policy: its port range, raw
// receivers only with --allow-raw.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ours, start, type Proc } from '../support/proc.js';
import { classicChildren, runPair, useServeLab, type Tracked } from './serve-helpers.js';

const others: Proc[] = [];
const { lab, servers, secret } = useServeLab('mzsp-', { writeSecret: true, others });
const D = '192.168.1.2';

/** Another program in the rx namespace: a tcp listener or a udp socket on D:port that counts what it receives. */
function foreign(kind: 'tcp' | 'udp', port: number): Proc {
  const code = kind === 'tcp'
    ? `let n=0;const s=require('net').createServer(c=>c.on('data',d=>{n+=d.length})).listen(${port},'${D}',()=>console.error('listening'));`
    : `let n=0;const s=require('dgram').createSocket('udp4');s.on('message',d=>{n+=d.length});s.bind(${port},'${D}',()=>console.error('listening'));`;
  const p = start([process.execPath, '-e', `${code}process.on('SIGTERM',()=>{console.log(n);process.exit(0)});`],
    { ns: lab().rxNs, timeoutMs: 60000 });
  others.push(p);
  return p;
}

describe('serve with default policy', () => {
  let serve: Tracked;
  const pair = (port: number, test: string, extra: string[] = []) =>
    runPair(lab(), ['-4', '-D', D, '-p', String(port), '--control-port', '9701', '-t', '1', '--secret-file', secret(), ...extra, test]);
  before(async () => {
    serve = await servers.start(['-4', '-D', D, '--control-port', '9701', '--secret-file', secret()]);
  });

  for (const [holder, kind] of [['tcp', 'tcp'], ['udp', 'udp'], ['udp', 'tcp']] as const) {
    test(`a ${holder} socket of another program on the data port: ${kind} refused, it receives nothing`, async () => {
      const port = 9710 + (holder === 'tcp' ? 0 : kind === 'udp' ? 1 : 2);
      const other = foreign(holder, port);
      await other.waitFor(/listening/);
      const o = await pair(port, kind);
      assert.equal(o.code, 1, o.stderr);
      const state = holder === 'tcp' ? 'LISTEN' : 'bound';
      assert.match(o.stderr, new RegExp(`^msg-zerocopy: pair: serve at ${D}:9701: data port ${port} is in use on this host ` +
        `\\(${holder} ${state} ${D.replace(/\./g, '\\.')}:${port} held by pid ${other.pid} \\(node\\)\\); nothing was started: pick another -p\\n$`));
      assert.doesNotMatch(o.stderr, /tx=/, 'no sender ran');
      assert.doesNotMatch(serve.stderrText(), new RegExp(`receiver on \\S+:${port},`), 'no receiver started');
      other.kill('SIGTERM');
      const got = await other.done;
      assert.equal(got.stdout.trim(), '0', 'the other program received nothing');
    });
  }

  test('another program\'s SO_REUSEPORT receiver on the port: refused, never joined, it receives nothing', async () => {
    // the classic receiver sets SO_REUSEPORT, as the C tool does: ours would join its group
    const other = ours(lab().rxNs, ['-4', '-r', '-D', D, '-p', '9720', '-t', '3', '--json', 'tcp'], { timeoutMs: 30000 });
    others.push(other);
    const listening = `:${(9720).toString(16).toUpperCase()} 00000000:0000 0A`;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !readFileSync(`/proc/${other.pid}/net/tcp`, 'utf8').includes(listening)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(readFileSync(`/proc/${other.pid}/net/tcp`, 'utf8').includes(listening), 'the other receiver listens');
    const o = await pair(9720, 'tcp');
    assert.equal(o.code, 1, o.stderr);
    assert.match(o.stderr, /data port 9720 is in use on this host \(tcp LISTEN 192\.168\.1\.2:9720 held by pid \d+ \(node\)\); nothing was started/);
    assert.doesNotMatch(o.stderr, /tx=/);
    // Its tcp receiver waits for one connection for its run's length: none came.
    const r = await other.done;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^msg-zerocopy: accept: no sender connected within 3\.6 s/m, 'the other receiver was never reached');
  });

  test('raw receivers only with --allow-raw', async () => {
    const o = await pair(9730, 'raw');
    assert.equal(o.code, 1);
    assert.equal(o.stderr, `msg-zerocopy: pair: serve at ${D}:9701: raw receivers are not allowed here (the raw test needs one): start serve with --allow-raw\n`);
  });

  test('after all that, the data port is free again and a run goes through', async () => {
    const o = await pair(9710, 'tcp');
    assert.equal(o.code, 0, o.stderr);
    assert.deepEqual(classicChildren(9710), []);
  });
});

test('--ports and --max-time: serve\'s own range and limit', async () => {
  await servers.start(['-4', '-D', D, '--control-port', '9741', '--ports', '9750-9759', '--max-time', '3', '--secret-file', secret()]);
  const pair = (port: number, secs: string) =>
    runPair(lab(), ['-4', '-D', D, '-p', String(port), '--control-port', '9741', '-t', secs, '--secret-file', secret(), 'udp']);
  let o = await pair(9760, '0');
  assert.equal(o.code, 1);
  assert.equal(o.stderr, `msg-zerocopy: pair: serve at ${D}:9741: data port 9760 is outside this serve's range 9750-9759: pick -p in the range\n`);
  o = await pair(9750, '3');
  assert.equal(o.code, 1);
  assert.equal(o.stderr, `msg-zerocopy: pair: serve at ${D}:9741: a 4 s receiver run (pair -t 3 + 1) is over this serve's limit of 3 s ` +
    '(serve --max-time): use -t 2 or less\n');
  o = await pair(9759, '0');
  assert.equal(o.code, 0, o.stderr);
});
