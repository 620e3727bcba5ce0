// SPDX-License-Identifier: GPL-2.0-only
// End to end: liveness both ways. kill -9 of pair mid-run makes serve stop
// its receiver; kill -9 of serve makes pair stop its sender and exit 1 with
// one line; both within 2 s (the kernel closes a dead process's connection,
// which the other side sees at once). A silent network (the link taken
// down) is noticed by the heartbeat within a few seconds. Ctrl-C of pair and
// SIGTERM of serve stop both halves cleanly. Nothing is left running.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { classicChildren, runPair, track, useServeLab, waitUntil, type Tracked } from './serve-helpers.js';

const pairs: Tracked[] = [];
const { lab, servers, secret } = useServeLab('mzsl-', { writeSecret: true, others: pairs });
const D = '192.168.1.2';

function startPair(port: number, cport: number, secs: number, test = 'tcp'): Tracked {
  const p = track(lab().txNs, ['pair', '-4', '-D', D, '-p', String(port), '--control-port', String(cport), '-t', String(secs),
    '--secret-file', secret(), test], 60000);
  pairs.push(p);
  return p;
}

/** Wait until the run is under way: serve's receiver is up and pair's sender runs. */
async function running(serve: Tracked, pair: Tracked, port: number): Promise<void> {
  await serve.waitFor(new RegExp(`receiver on \\S+:${port},`));
  assert.ok(await waitUntil(() => classicChildren(port).some((c) => !c.argv.includes('-r')), 5000),
    `the sender runs; pair: ${pair.stderrText()}; serve: ${serve.stderrText()}`);
  await new Promise((r) => setTimeout(r, 500));
}

/** When serve logged a line matching `re` (ms since the epoch), waiting up to `ms`. */
async function loggedAt(serve: Tracked, re: RegExp, ms: number): Promise<number | null> {
  await waitUntil(() => serve.stderrLines().some((l) => re.test(l.line)), ms);
  return serve.stderrLines().find((l) => re.test(l.line))?.at ?? null;
}

describe('one serve, pairs that die', () => {
  let serve: Tracked;
  before(async () => {
    serve = await servers.start(['-4', '-D', D, '--control-port', '9801', '--secret-file', secret()]);
  });

  test('kill -9 of pair mid-run: serve stops the receiver within 2 s; its sender dies with it; serve serves on', async (t) => {
    const p = startPair(9810, 9801, 8);
    await running(serve, p, 9810);
    const killed = Date.now();
    p.kill('SIGKILL');
    const at = await loggedAt(serve, /: the pair (closed|reset) the connection.*; stopping the receiver$/, 5000);
    assert.notEqual(at, null, serve.stderrText());
    const detectMs = (at as number) - killed;
    const goneOk = await waitUntil(() => classicChildren(9810).length === 0, 3000);
    const goneMs = Date.now() - killed;
    t.diagnostic(`pair killed: serve noticed after ${detectMs} ms; sender and receiver gone after ${goneMs} ms`);
    assert.ok(detectMs < 2000, `serve noticed after ${detectMs} ms`);
    assert.ok(goneOk, `still running: ${JSON.stringify(classicChildren(9810))}`);
    await serve.waitFor(/receiver ended \(exit [^)]+\); no report sent, the pair is gone/);
    const o = await runPair(lab(), ['-4', '-D', D, '-p', '9810', '--control-port', '9801', '-t', '0', '--secret-file', secret(), 'tcp']);
    assert.equal(o.code, 0, o.stderr);
  });

  test('Ctrl-C of pair mid-run: it aborts, serve stops the receiver, both sides reported, exit 130', async () => {
    const p = startPair(9820, 9801, 8, 'udp');
    await running(serve, p, 9820);
    const t0 = Date.now();
    p.kill('SIGINT');
    const o = await p.done;
    assert.equal(o.code, 130, o.stderr);
    assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
    assert.match(o.stderr, /^tx=\d+ /m);
    assert.match(o.stderr, /^rx=\d+ /m);
    assert.match(o.stdout, /^pair: serve stopped the receiver: the pair aborted \(SIGINT\)$/m);
    assert.match(serve.stderrText(), /: the pair aborted \(SIGINT\); stopping the receiver$/m);
    assert.ok(await waitUntil(() => classicChildren(9820).length === 0, 2000));
  });

  test('SIGTERM of serve mid-run: the receiver is stopped and reported; pair exits 1; serve exits 143', async () => {
    const p = startPair(9830, 9801, 8, 'udp');
    await running(serve, p, 9830);
    serve.kill('SIGTERM');
    const [o, s] = await Promise.all([p.done, serve.done]);
    assert.equal(o.code, 1, o.stderr);
    // a udp sender whose receiver is gone fails with ECONNREFUSED (as the C tool): said after the cause
    assert.match(o.stdout, /^pair: serve stopped the receiver: serve stopped \(SIGTERM\)(; the sender then failed \(exit 2: send: Connection refused\))?$/m);
    assert.match(o.stderr, /^rx=\d+ /m);
    assert.equal(s.code, 143, s.stderr);
    assert.ok(await waitUntil(() => classicChildren(9830).length === 0, 2000));
  });
});

test('kill -9 of serve mid-run: pair stops its sender and exits 1 with one line within 2 s; its receiver dies with it', async (t) => {
  const serve = await servers.start(['-4', '-D', D, '--control-port', '9841', '--secret-file', secret()]);
  const p = startPair(9840, 9841, 8);
  await running(serve, p, 9840);
  const killed = Date.now();
  serve.kill('SIGKILL');
  const o = await p.done;
  const exitMs = Date.now() - killed;
  const goneOk = await waitUntil(() => classicChildren(9840).length === 0, 3000);
  t.diagnostic(`serve killed: pair stopped its sender and exited after ${exitMs} ms`);
  assert.equal(o.code, 1, o.stderr);
  assert.ok(exitMs < 2000, `pair exited after ${exitMs} ms`);
  const own = o.stderr.split('\n').filter((l) => l.startsWith('msg-zerocopy'));
  assert.equal(own.length, 1, o.stderr);
  // the sender may see the reset before pair stops it: said in the same line
  assert.match(own[0], /^msg-zerocopy: pair: serve at 192\.168\.1\.2:9841 (closed|reset) the connection.* during the run; the sender was stopped( \(it saw: send: (Connection reset by peer|Broken pipe)\))? \(see the serve's log on 192\.168\.1\.2\)$/);
  assert.ok(goneOk, `still running: ${JSON.stringify(classicChildren(9840))}`);
});

test('a silent network (the link goes down mid-run): both sides notice within a few seconds and stop their halves', async (t) => {
  const serve = await servers.start(['-4', '-D', D, '--control-port', '9851', '--secret-file', secret()]);
  const p = startPair(9850, 9851, 10, 'udp');
  await running(serve, p, 9850);
  const down = Date.now();
  execFileSync('ip', ['-n', lab().rxNs, 'link', 'set', 'veth0', 'down']);
  try {
    const o = await p.done;
    const pairMs = Date.now() - down;
    const at = await loggedAt(serve, /: the pair went silent \(no word for \d+\.\d s\); stopping the receiver$/, 6000);
    assert.notEqual(at, null, serve.stderrText());
    const serveMs = (at as number) - down;
    const goneOk = await waitUntil(() => classicChildren(9850).length === 0, 3000);
    t.diagnostic(`link down: pair noticed and exited after ${pairMs} ms, serve noticed after ${serveMs} ms`);
    assert.equal(o.code, 1, o.stderr);
    assert.match(o.stderr, /^msg-zerocopy: pair: serve at 192\.168\.1\.2:9851 went silent \(no word for \d\.\d s\) during the run; the sender was stopped/m);
    assert.ok(pairMs < 5000, `pair: ${pairMs} ms`);
    assert.ok(serveMs < 5000, `serve: ${serveMs} ms`);
    assert.ok(goneOk, `still running: ${JSON.stringify(classicChildren(9850))}`);
  } finally {
    execFileSync('ip', ['-n', lab().rxNs, 'link', 'set', 'veth0', 'up']);
    // neighbour entries that failed while the link was down would refuse the next connection for a while
    for (const ns of [lab().txNs, lab().rxNs]) execFileSync('ip', ['-n', ns, 'neigh', 'flush', 'dev', 'veth0']);
  }
  // the link is back: serve serves again
  assert.ok(await waitUntil(() => execFileSync('ip', ['-n', lab().rxNs, '-4', 'route'], { encoding: 'utf8' }).includes('192.168.1.0/24'), 5000));
  const again = await runPair(lab(), ['-4', '-D', D, '-p', '9850', '--control-port', '9851', '-t', '0', '--secret-file', secret(), 'tcp']);
  assert.equal(again.code, 0, again.stderr);
});
