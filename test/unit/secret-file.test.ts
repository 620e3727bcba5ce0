// SPDX-License-Identifier: GPL-2.0-only
// The secret file opened safely (src/pair/secret.ts): no link followed, no
// wait on a FIFO, checked on the opened descriptor (regular file, this user's,
// mode 0600 or stricter, 32 to 4096 bytes, not on /proc or /sys), and no
// directory made for it under another user's home. Needs root (chown).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHomeOwner, createSecret, readSecret, serveSecret } from '../../src/pair/secret.js';

const GOOD = 'f'.repeat(64);
const NOBODY = 65534;

/** The one line a refusal prints, and how long it took. */
function refusal(path: string): { line: string; ms: number } {
  const t0 = Date.now();
  try {
    readSecret(path);
  } catch (e) {
    return { line: (e as { line?: string }).line ?? String(e), ms: Date.now() - t0 };
  }
  assert.fail(`${path} was accepted`);
}

test('secret file: links, FIFOs, devices, /proc and /sys, another owner, loose or odd modes, sizes: each refused at once with what was found', () => {
  assert.equal(process.geteuid?.(), 0, 'this test needs root (it gives files to nobody)');
  const dir = mkdtempSync(join(tmpdir(), 'mzc-unit-secret-'));
  try {
    const good = join(dir, 'good');
    writeFileSync(good, `${GOOD}\n`, { mode: 0o600 });
    assert.equal(readSecret(good).toString(), GOOD);

    const link = join(dir, 'link');
    symlinkSync('/proc/self/environ', link);
    let r = refusal(link);
    assert.equal(r.line, `secret file ${link} is a symbolic link (to /proc/self/environ), not a regular file: a secret is never read ` +
      'through a link (give --secret-file the real file)');
    assert.ok(r.ms < 1000, `${r.ms} ms`);
    // a link to a good secret is refused just the same
    const link2 = join(dir, 'link2');
    symlinkSync(good, link2);
    assert.match(refusal(link2).line, /is a symbolic link \(to \S+good\)/);

    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    r = refusal(fifo);
    assert.equal(r.line, `secret file ${fifo} is a FIFO, not a regular file (give --secret-file a regular file of mode 0600)`);
    assert.ok(r.ms < 1000, `a FIFO with no writer must not block: ${r.ms} ms`);

    assert.match(refusal('/dev/zero').line, /^secret file \/dev\/zero is a character device, not a regular file/);
    assert.match(refusal('/proc/self/environ').line, /^secret file \/proc\/self\/environ is \/proc\/\d+\/environ on \/proc; a secret is never read from \/proc or \/sys$/);
    assert.match(refusal('/sys/kernel/mm/transparent_hugepage/enabled').line, / on \/sys; a secret is never read from \/proc or \/sys$/);
    // a directory on the way that leads into /proc: the descriptor says where the file is
    const via = join(dir, 'via');
    symlinkSync('/proc/self', via);
    assert.match(refusal(join(via, 'environ')).line, / is \/proc\/\d+\/environ on \/proc;/);

    const theirs = join(dir, 'theirs');
    writeFileSync(theirs, `${GOOD}\n`, { mode: 0o600 });
    chownSync(theirs, NOBODY, NOBODY);
    assert.equal(refusal(theirs).line, `secret file ${theirs} belongs to uid ${NOBODY}, not to this user (uid 0) (chown 0 ${theirs})`);

    for (const [mode, why] of [[0o640, 'is open to group or others (mode 0640)'], [0o604, 'is open to group or others (mode 0604)'],
      [0o700, 'has mode 0700; a secret is mode 0600 or stricter'], [0o4600, 'has mode 4600; a secret is mode 0600 or stricter']] as const) {
      const p = join(dir, `mode-${mode.toString(8)}`);
      writeFileSync(p, `${GOOD}\n`, { mode: 0o600 });
      chmodSync(p, mode);
      assert.equal(refusal(p).line, `secret file ${p} ${why} (chmod 600 ${p})`);
    }
    const strict = join(dir, 'strict');
    writeFileSync(strict, `${GOOD}\n`, { mode: 0o400 });
    assert.equal(readSecret(strict).toString(), GOOD, '0400 is stricter than 0600');

    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(5000), { mode: 0o600 });
    assert.match(refusal(big).line, /holds 5000 bytes; a secret is 32 to 4096/);
    const short = join(dir, 'short');
    writeFileSync(short, 'x'.repeat(31), { mode: 0o600 });
    assert.match(refusal(short).line, /holds 31 bytes; a secret is 32 to 4096/);
    const edge = join(dir, 'edge');
    writeFileSync(edge, 'x'.repeat(32), { mode: 0o600 });
    assert.equal(readSecret(edge).length, 32);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('another user\'s HOME: serve makes no ~/.config there and names --secret-file; a home of its own is fine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mzc-unit-home-'));
  const oldHome = process.env.HOME;
  try {
    const home = join(dir, 'user');
    mkdirSync(home, { mode: 0o755 });
    chownSync(home, NOBODY, NOBODY);
    assert.throws(() => checkHomeOwner(home), (e: Error & { line?: string }) =>
      e.line === `$HOME (${home}) belongs to uid ${NOBODY}, not to this user (uid 0): serve does not create ` +
      `${home}/.config/msg-zerocopy there (give --secret-file a path of your own)`);
    process.env.HOME = home;
    const path = join(home, '.config', 'msg-zerocopy', 'secret');
    assert.throws(() => serveSecret(path, () => {}), (e: Error & { line?: string }) =>
      /belongs to uid 65534, not to this user \(uid 0\).*give --secret-file/.test(e.line ?? ''));
    assert.equal(existsSync(join(home, '.config')), false, 'nothing was made in the user\'s home');
    // a path of one's own under another user's directory: no directory is made there either
    assert.throws(() => createSecret(join(home, 'a', 'secret')), (e: Error & { line?: string }) =>
      /belongs to uid 65534.*no directory is made there.*give --secret-file/.test(e.line ?? ''));
    assert.equal(existsSync(join(home, 'a')), false);

    const mine = join(dir, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    process.env.HOME = mine;
    checkHomeOwner(mine);
    const lines: string[] = [];
    assert.equal(serveSecret(join(mine, '.config', 'msg-zerocopy', 'secret'), (l) => lines.push(l)).length, 64);
    assert.equal(lines.length, 1);
  } finally {
    if (oldHome === undefined) delete process.env.HOME;
    else process.env.HOME = oldHome;
    rmSync(dir, { recursive: true, force: true });
  }
});
