// SPDX-License-Identifier: GPL-2.0-only
// End to end: serve and pair prove the shared secret to each other before
// anything starts. No secret, a wrong secret, a loose secret file, a
// replayed or reflected handshake, a serve that cannot prove it (an
// impostor), a serve that sends a malformed report: each ends in one line,
// and nothing is started.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '../../src/pair/protocol.js';
import { REPO_ROOT, start, type Proc } from '../support/proc.js';
import { classicChildren, linesMatching, runPair, useServeLab, waitUntil, writeSecret, type Tracked } from './serve-helpers.js';

const clients: Proc[] = [];
const { lab, servers, dir } = useServeLab('mzsa-', { others: clients });

/** The scripted peer (serve-client.ts) in namespace `ns`. */
function client(ns: string, args: string[]): Proc {
  const p = start([process.execPath, '--import', 'tsx', join(REPO_ROOT, 'test/e2e/serve-client.ts'), ...args],
    { ns, cwd: REPO_ROOT, timeoutMs: 60000 });
  clients.push(p);
  return p;
}

describe('one serve with a secret', () => {
  let serve: Tracked;
  let good: string;
  const D = '192.168.1.2';
  const args = (secret: string, port = '9500'): string[] =>
    ['-4', '-D', D, '-p', port, '--control-port', '9501', '-t', '0', '--secret-file', secret, 'tcp'];
  before(async () => {
    good = writeSecret(join(dir(), 'good'));
    serve = await servers.start(['-4', '-D', D, '--control-port', '9501', '--secret-file', good]);
  });

  test('the right secret: a run', async () => {
    const o = await runPair(lab(), args(good));
    assert.equal(o.code, 0, o.stderr);
    assert.match(o.stdout, /^pair: tcp: all \d+ bytes arrived$/m);
  });

  test('no secret file: one line saying how to get it; nothing reaches serve', async () => {
    const missing = join(dir(), 'missing', 'secret');
    const before = serve.stderrText();
    const o = await runPair(lab(), args(missing));
    assert.equal(o.code, 1);
    assert.equal(o.stderr, `msg-zerocopy: pair: no secret file at ${missing} (serve created one on first start: ` +
      `mkdir -p -m 700 ${join(dir(), 'missing')} && scp -p ${D}:.config/msg-zerocopy/secret ${missing} (or give --secret-file))\n`);
    assert.equal(o.stdout, '');
    assert.ok(!existsSync(missing), 'pair never creates a secret');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(serve.stderrText(), before, 'serve saw nothing');
  });

  test('a wrong secret: one line on each side, nothing started, the refusal logged once per peer', async () => {
    const wrong = writeSecret(join(dir(), 'wrong'), 'f00d'.repeat(16));
    const before = serve.stderrText().length;
    const outs = [];
    for (let i = 0; i < 4; i++) outs.push(await runPair(lab(), args(wrong, '9502')));
    for (const o of outs) {
      assert.equal(o.code, 1);
      assert.equal(o.stderr, `msg-zerocopy: pair: serve at ${D}:9501 could not prove it holds our secret: the two secret files ` +
        `differ (or this is not your serve); nothing was asked of it (copy the secret from ${D} again)\n`);
      assert.doesNotMatch(o.stderr, /tx=/, 'no sender ran');
    }
    await new Promise((r) => setTimeout(r, 300));
    const log = serve.stderrText().slice(before);
    const refusals = linesMatching(log, /refused: authentication failed/);
    assert.equal(refusals.length, 1, log);
    assert.match(refusals[0], /^msg-zerocopy serve: 192\.168\.1\.1:\d+: refused: authentication failed: the peer found this serve's proof wrong, so its secret differs from ours \(it says "your proof does not match my secret"\); nothing started$/);
    assert.doesNotMatch(log, /receiver on/, 'no receiver started');
    assert.deepEqual(classicChildren(9502), []);
  });

  test('a secret file open to others is refused before anything is sent', async () => {
    const loose = writeSecret(join(dir(), 'loose'), undefined, 0o644);
    const o = await runPair(lab(), args(loose));
    assert.equal(o.code, 1);
    assert.equal(o.stderr, `msg-zerocopy: secret file ${loose} is open to group or others (mode 0644) (chmod 600 ${loose})\n`);
  });

  test('replayed and reflected handshakes fail; a line sealed for another session ends the connection', async () => {
    const before = serve.stderrText().length;
    const c = client(lab().txNs, ['replay', D, '9501', good]);
    const o = await c.done;
    assert.equal(o.code, 0, o.stderr);
    const r = JSON.parse(o.stdout) as Record<string, string | number | boolean | null>;
    assert.equal(r.sameServeNonce, false, 'serve picks a fresh nonce every time');
    const refusal = '{"type":"error","message":"authentication failed: this serve holds another secret; copy it from this host again"}';
    assert.equal(r.replayed, refusal);
    assert.ok((r.replayedClosed as number) < 2500);
    assert.equal(r.reflected, refusal);
    assert.equal(r.crossSession, null, 'no answer to a forged line');
    assert.ok((r.crossClosed as number) < 2500, `closed after ${r.crossClosed} ms`);
    const log = serve.stderrText().slice(before);
    assert.doesNotMatch(log, /receiver on/);
    assert.match(log, /authenticated, but sent a line that fails its message authentication/);
  });

  test('serve refuses to start with a secret file open to others', async () => {
    const loose = writeSecret(join(dir(), 'loose2'), undefined, 0o640);
    const s = start([process.execPath, join(REPO_ROOT, 'bin/msg-zerocopy'), 'serve', '-4', '-D', D, '--control-port', '9521',
      '--secret-file', loose], { ns: lab().rxNs, timeoutMs: 10000 });
    const o = await s.done;
    assert.equal(o.code, 1);
    assert.equal(o.stderr, `msg-zerocopy: secret file ${loose} is open to group or others (mode 0640) (chmod 600 ${loose})\n`);
  });

  test('serve is still there and serves', async () => {
    const o = await runPair(lab(), args(good));
    assert.equal(o.code, 0, o.stderr);
  });
});

test('an impostor serve (no secret) never gets the request; pair says so in one line and starts no sender', async () => {
  const secret = writeSecret(join(dir(), 'imp'));
  const fake = client(lab().rxNs, ['impostor', '192.168.1.2', '9531', 'proof']);
  await fake.waitFor(/listening/);
  // no --control-port: the default, the data port - 1
  const o = await runPair(lab(), ['-4', '-D', '192.168.1.2', '-p', '9532', '-t', '0', '--secret-file', secret, 'tcp']);
  assert.equal(o.code, 1);
  assert.match(o.stderr, /^msg-zerocopy: pair: serve at 192\.168\.1\.2:9531 could not prove it holds our secret/);
  assert.equal(o.stderr.split('\n').length, 2, 'one line');
  const seen = JSON.parse((await fake.done).stdout) as { lines: string[] };
  assert.equal(seen.lines.length, 2, JSON.stringify(seen.lines));
  assert.match(seen.lines[0], new RegExp(`^\\{"type":"hello","version":${PROTOCOL_VERSION},"nonce":"[A-Za-z0-9+/]{43}="\\}$`));
  assert.equal(seen.lines[1], '{"type":"refused","message":"your proof does not match my secret"}');
});

test('peer text is shown escaped and cut: an impostor\'s error with terminal escapes', async () => {
  const secret = writeSecret(join(dir(), 'imp2'));
  const fake = client(lab().rxNs, ['impostor', '192.168.1.2', '9541', 'escape']);
  await fake.waitFor(/listening/);
  const o = await runPair(lab(), ['-4', '-D', '192.168.1.2', '-p', '9542', '-t', '0', '--secret-file', secret, 'tcp']);
  assert.equal(o.code, 1);
  for (const c of ['\x1b', '\x07', '\r', '\u202e']) assert.ok(!o.stderr.includes(c), `raw ${JSON.stringify(c)} printed`);
  assert.match(o.stderr, /^msg-zerocopy: pair: serve at 192\.168\.1\.2:9541: \\x1b\[2J\\x1b\[31mPWNED\\x07\\x1b\]0;title\\x07\\x0d\\u\{202e\}y+\.\.\. \(\d+ more characters\)\n$/);
  assert.ok(o.stderr.length < 400, `${o.stderr.length} characters`);
  await fake.done;
});

for (const how of ['no-stderr', 'bad-report']) {
  test(`a malformed report from serve (${how}) is one clear line, never an internal error`, async () => {
    const secret = writeSecret(join(dir(), `fake-${how}`));
    const port = how === 'no-stderr' ? 9551 : 9561;
    const fake = client(lab().rxNs, ['fakeserve', '192.168.1.2', String(port), secret, how]);
    await fake.waitFor(/listening/);
    const o = await runPair(lab(), ['-4', '-D', '192.168.1.2', '-p', String(port + 1), '-t', '0', '--json', '--secret-file', secret, 'udp']);
    await fake.done;
    assert.equal(o.code, 1, o.stderr);
    assert.doesNotMatch(o.stderr, /internal error/);
    assert.ok(!o.stderr.includes('\x1b'), 'a raw escape printed');
    if (how === 'no-stderr') {
      assert.match(o.stderr, /^msg-zerocopy: pair: serve at 192\.168\.1\.2:9551 sent a report message with missing or mistyped fields instead of the receiver's report$/m);
    } else {
      assert.match(o.stderr, /^pair: the receiver's report is unusable \(packets is missing or not a number\); receiver on 192\.168\.1\.2 exit 0$/m);
      assert.match(o.stderr, /^receiver on 192\.168\.1\.2: \\x1b\[2J/m);
      const j = JSON.parse(o.stdout) as { receiver: { error: string }; sender: { role: string } };
      assert.equal(j.sender.role, 'sender');
      assert.match(j.receiver.error, /unusable/);
    }
  });
}

test('the default secret: serve creates ~/.config/msg-zerocopy/secret and says how to copy it; pair finds it there', async () => {
  const home = join(dir(), 'home');
  const env = { HOME: home };
  const s = await servers.start(['-4', '-D', '192.168.1.2', '--control-port', '9571', '--once'], 30000, env);
  const path = join(home, '.config', 'msg-zerocopy', 'secret');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const o = await start([process.execPath, join(REPO_ROOT, 'bin/msg-zerocopy'), 'pair', '-4', '-D', '192.168.1.2', '-p', '9572', '-t', '0', 'tcp'],
    { ns: lab().txNs, env, timeoutMs: 30000 }).done;
  assert.equal(o.code, 0, o.stderr);
  const done = await s.done;
  assert.equal(done.code, 0);
  assert.match(done.stderr, new RegExp(`^msg-zerocopy serve: created a new secret in ${path} \\(mode 0600\\); copy it to the host that runs pair, e\\.g\\. \`ssh HOST-A 'mkdir -p -m 700 \\.config/msg-zerocopy' && scp -p ${path} HOST-A:\\.config/msg-zerocopy/secret\` \\(or give both commands --secret-file\\)$`, 'm'));
  assert.ok(await waitUntil(() => classicChildren(9572).length === 0, 2000));
});
