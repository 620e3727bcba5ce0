// SPDX-License-Identifier: GPL-2.0-only
// The README's install, as a user runs it: `npm pack` ships only what runs,
// the tarball installs without a warning and its msg-zerocopy runs; from a
// checkout, `npm install -g --ignore-scripts .` puts msg-zerocopy on PATH.
// (Both reach the npm registry for the dependencies, as an install does.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, start } from '../support/proc.js';

const tmp = mkdtempSync(join(tmpdir(), 'mzc-pack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const npm = (args: string[], cwd: string) => start(['npm', '--no-fund', '--no-audit', '--no-update-notifier', ...args],
  { cwd, timeoutMs: 180_000 }).done;

test('npm pack ships the executable, its bundle and the drop-in scripts, nothing else', async () => {
  const r = await npm(['pack', '--json', '--pack-destination', tmp], REPO_ROOT);
  assert.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = info.files.map((f) => f.path).sort();
  assert.ok(paths.includes('bin/msg-zerocopy'));
  assert.ok(paths.includes('dist/cli/msg-zerocopy.mjs'));
  assert.ok(paths.includes('dist/cli/early.cjs') && paths.includes('dist/cli/build-id'), 'the early receiver step ships');
  assert.ok(paths.includes('scripts/msg_zerocopy.sh'));
  const extra = paths.filter((p) => !/^(bin\/|dist\/cli\/([\w-]+\.mjs|early\.cjs|build-id)$|scripts\/\w*zerocopy\w*(\.sh)?$|LICENSE$|README\.md$|package\.json$)/.test(p));
  assert.deepEqual(extra, [], 'files that do not run');

  const into = join(tmp, 'installed');
  const inst = await npm(['install', '--prefix', into, '--ignore-scripts', join(tmp, info.filename)], tmp);
  assert.equal(inst.code, 0, inst.stderr);
  assert.doesNotMatch(inst.stderr, /npm warn/i);
  const v = await start([join(into, 'node_modules', '.bin', 'msg-zerocopy'), '--version']).done;
  assert.equal(v.stdout, `${version}\n`, v.stderr);
});

test('from a checkout, npm install -g --ignore-scripts . puts msg-zerocopy on PATH without a warning', async () => {
  const prefix = join(tmp, 'global');
  const inst = await npm(['install', '-g', '--ignore-scripts', '--prefix', prefix, '.'], REPO_ROOT);
  assert.equal(inst.code, 0, inst.stderr);
  assert.doesNotMatch(inst.stderr, /npm warn/i);
  const r = await start(['msg-zerocopy', 'help', 'suite'], { env: { PATH: `${join(prefix, 'bin')}:${process.env.PATH}` } }).done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: msg-zerocopy suite/m);
});
