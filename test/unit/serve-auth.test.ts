// SPDX-License-Identifier: GPL-2.0-only
// The handshake of serve and pair (src/pair/auth.ts) and the secret file (src/pair/secret.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkProof, decodeNonce, encodeNonce, newNonce, NONCE_BYTES, Opener, proof, Sealer, sessionKey,
} from '../../src/pair/auth.js';
import { createSecret, pairSecret, readSecret, SecretMissing, serveSecret } from '../../src/pair/secret.js';

const K = Buffer.from('k'.repeat(40));
const K2 = Buffer.from('j'.repeat(40));

test('proofs: each side proves with its own label over both nonces; the other side checks it', () => {
  const np = newNonce();
  const ns = newNonce();
  assert.equal(np.length, NONCE_BYTES);
  assert.notDeepEqual(np, ns);
  const ps = proof(K, 'serve', np, ns);
  const pp = proof(K, 'pair', np, ns);
  assert.match(ps, /^[0-9a-f]{64}$/);
  assert.ok(checkProof(K, 'serve', np, ns, ps));
  assert.ok(checkProof(K, 'pair', np, ns, pp));
  // another secret
  assert.equal(checkProof(K2, 'pair', np, ns, pp), false);
  // reflection: serve's own proof sent back as the pair's
  assert.equal(checkProof(K, 'pair', np, ns, ps), false);
  // replay: a recorded pair proof against a fresh serve nonce
  assert.equal(checkProof(K, 'pair', np, newNonce(), pp), false);
  // swapped nonces
  assert.equal(checkProof(K, 'pair', ns, np, pp), false);
  // anything that is not 64 lower-case hex digits
  for (const bad of [undefined, null, 1, '', pp.toUpperCase(), pp.slice(1), `${pp}0`, { pp }, `${pp.slice(0, 63)}g`]) {
    assert.equal(checkProof(K, 'pair', np, ns, bad), false, String(bad));
  }
});

test('nonces: exactly 32 bytes of base64, nothing else', () => {
  const n = newNonce();
  assert.deepEqual(decodeNonce(encodeNonce(n)), n);
  assert.equal(decodeNonce(encodeNonce(Buffer.alloc(31))), null);
  assert.equal(decodeNonce(encodeNonce(Buffer.alloc(33))), null);
  assert.equal(decodeNonce(`${encodeNonce(n)}\n`), null);
  assert.equal(decodeNonce(42), null);
  assert.equal(decodeNonce('x'.repeat(1 << 20)), null);
});

test('sealed lines: in order, one direction, one session; anything else is refused', () => {
  const np = newNonce();
  const ns = newNonce();
  const key = sessionKey(K, np, ns);
  const tx = new Sealer(key, 'pair>serve');
  const rx = new Opener(key, 'pair>serve');
  const l1 = tx.seal('{"type":"run"}');
  const l2 = tx.seal('{"type":"ping"}');
  assert.equal(rx.open(l1), '{"type":"run"}');
  assert.equal(rx.open(l1), null, 'a replayed line');
  assert.equal(rx.open(l2), '{"type":"ping"}');
  // reordered
  const a = tx.seal('{"type":"a"}');
  const b = tx.seal('{"type":"b"}');
  assert.equal(rx.open(b), null);
  assert.equal(rx.open(a), '{"type":"a"}');
  // altered body, wrong direction, another session
  const c = tx.seal('{"type":"sent","ok":true}');
  assert.equal(rx.open(c.replace('true', 'false')), null);
  assert.equal(new Opener(key, 'serve>pair').open(new Sealer(key, 'pair>serve').seal('{}')), null);
  assert.equal(new Opener(sessionKey(K, np, newNonce()), 'pair>serve').open(new Sealer(key, 'pair>serve').seal('{}')), null);
  assert.equal(rx.open('{"type":"sent","ok":true}'), null, 'an unsealed line');
  assert.equal(rx.open(''), null);
});

test('secret file: created 0600 in a 0700 directory, read back; loose modes and short secrets refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mzc-unit-secret-'));
  try {
    const p = join(dir, 'a', 'b', 'secret');
    assert.throws(() => readSecret(p), SecretMissing);
    const lines: string[] = [];
    const k = serveSecret(p, (l) => lines.push(l));
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'a', 'b')).mode & 0o777, 0o700);
    assert.equal(k.length, 64);
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`^created a new secret in ${p} \\(mode 0600\\); copy it to the host that runs pair, e\\.g\\. .*scp -p ${p} `));
    // a second start reads the same secret, says nothing, never overwrites
    assert.deepEqual(serveSecret(p, (l) => lines.push(l)), k);
    assert.equal(lines.length, 1);
    assert.throws(() => createSecret(p), /EEXIST/);
    assert.equal(readFileSync(p, 'utf8').trim(), k.toString());

    chmodSync(p, 0o640);
    assert.throws(() => readSecret(p), (e: Error & { line?: string }) =>
      e.line === `secret file ${p} is open to group or others (mode 0640) (chmod 600 ${p})`);
    assert.throws(() => serveSecret(p, () => {}), /open to group or others/, 'serve never replaces a loose secret');
    chmodSync(p, 0o604);
    assert.throws(() => readSecret(p), /mode 0604/);

    const short = join(dir, 'short');
    writeFileSync(short, 'abc\n', { mode: 0o600 });
    assert.throws(() => readSecret(short), /holds 3 bytes; a secret is 32 to 4096/);
    assert.throws(() => readSecret(dir), /not a regular file/);

    // white space around the secret does not count
    const spaced = join(dir, 'spaced');
    writeFileSync(spaced, `\n  ${k.toString()}  \n\n`, { mode: 0o600 });
    assert.deepEqual(readSecret(spaced), k);

    assert.throws(() => pairSecret(join(dir, 'none'), '192.168.1.2'), (e: Error & { line?: string }) =>
      /^pair: no secret file at \S+none \(serve created one on first start: mkdir -p -m 700 \S+ && scp -p 192\.168\.1\.2:\.config\/msg-zerocopy\/secret \S+none \(or give --secret-file\)\)$/
        .test(e.line ?? ''));
    assert.throws(() => pairSecret(join(dir, 'none'), 'fd::2'), (e: Error & { line?: string }) => / scp -p \[fd::2\]:/.test(e.line ?? ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
