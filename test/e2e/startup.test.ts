// SPDX-License-Identifier: GPL-2.0-only
// The classic receiver's early socket (src/startup/early.ts, run first by
// bin/msg-zerocopy from dist/cli/early.cjs): it is bound and listening before
// the CLI's modules load, the receiver uses it, and a missing or stale
// early.cjs leaves the run to the normal path without a word. Loopback only.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READY_MAX_MS } from '../../src/run/run.js';
import { REPO_ROOT, start } from '../support/proc.js';

const tmp = mkdtempSync(join(tmpdir(), 'mzc-startup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the executable and its bundles (koffi from the checkout), for changing dist/ without touching the real one. */
function copyOfTool(name: string, change: (cli: string) => void): string {
  const root = join(tmp, name);
  cpSync(join(REPO_ROOT, 'bin'), join(root, 'bin'), { recursive: true });
  cpSync(join(REPO_ROOT, 'dist'), join(root, 'dist'), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'));
  change(join(root, 'dist', 'cli'));
  return join(root, 'bin', 'msg-zerocopy');
}

/** The state (hex, as /proc/net/{tcp,udp} gives it: 0A listen, 07 a bound udp socket) of 127.0.0.1:`port` in `table`, or null. */
function stateIn(table: string, port: number): string | null {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) return f[3];
  }
  return null;
}
const socketState = (proto: 'tcp' | 'udp', port: number): string | null => stateIn(readFileSync(`/proc/net/${proto}`, 'utf8'), port);

async function waitListening(port: number, exited: () => boolean): Promise<void> {
  while (socketState('tcp', port) !== '0A') {
    assert.ok(!exited(), 'the receiver ended before it listened');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A tcp receiver and a sender over loopback with `bin`: both lines, exit 0, nothing else on stderr. */
async function tcpRun(bin: string, port: number): Promise<void> {
  const flags = ['-4', '-D', '127.0.0.1', '-p', String(port), '-s', '1000'];
  // The sender may take as long to start as the run layer gives a receiver to be ready; the receiver ends at its EOF.
  const rx = start([process.execPath, bin, ...flags, '-t', String(Math.ceil(READY_MAX_MS / 1000)), '-r', 'tcp'], { timeoutMs: 30_000 });
  let rxExited = false;
  void rx.done.then(() => { rxExited = true; });
  await waitListening(port, () => rxExited);
  const tx = await start([process.execPath, bin, ...flags, '-t', '0', 'tcp'], { timeoutMs: 30_000 }).done;
  const r = await rx.done;
  assert.equal(tx.code, 0, tx.stderr);
  assert.equal(r.code, 0, r.stderr);
  const sent = /^tx=(\d+) \((\d+) MB\) txc=0 zc=n\n$/.exec(tx.stderr);
  assert.ok(sent, tx.stderr);
  assert.match(r.stderr, /^rx=\d+ \(\d+ MB\)\n$/);
  assert.equal(Number(/\((\d+) MB\)/.exec(r.stderr)?.[1]), Number(sent[2]), 'what was sent arrived');
}

test('early.cjs binds and listens before the CLI loads: tcp listening, udp bound, a sender refused', async () => {
  const early = join(REPO_ROOT, 'dist', 'cli', 'early.cjs');
  const code = `const e = require(${JSON.stringify(early)});
    const out = [e.listenEarly(['-4', '-D', '127.0.0.1', '-p', '12751', '-r', 'tcp']),
      e.listenEarly(['-4', '-D', '127.0.0.1', '-p', '12752', '-s', '1000', '-r', 'udp']),
      e.listenEarly(['-4', '-D', '127.0.0.1', '-p', '12753', 'tcp'])];
    const state = require('node:fs').readFileSync('/proc/net/tcp', 'utf8') + require('node:fs').readFileSync('/proc/net/udp', 'utf8');
    console.log(JSON.stringify({ out, esm: Object.keys(require.cache).some((k) => k.endsWith('.mjs')), state }));`;
  const r = await start([process.execPath, '-e', code]).done;
  assert.equal(r.code, 0, r.stderr);
  const { out, esm, state } = JSON.parse(r.stdout) as { out: boolean[]; esm: boolean; state: string };
  assert.deepEqual(out, [true, true, false]);
  assert.equal(esm, false);
  assert.equal(stateIn(state, 12751), '0A', 'tcp 127.0.0.1:12751 listening');
  assert.equal(stateIn(state, 12752), '07', 'udp 127.0.0.1:12752 bound');
  assert.equal(stateIn(state, 12753), null, 'nothing on the sender\'s port');
});

test('a receiver run with the early socket: the lines and exit statuses of a run', async () => {
  await tcpRun(join(REPO_ROOT, 'bin', 'msg-zerocopy'), 12754);
});

test('without early.cjs (a partial or older build) the run is the same, with no error', async () => {
  await tcpRun(copyOfTool('missing', (cli) => unlinkSync(join(cli, 'early.cjs'))), 12755);
});

test('with a stale early.cjs (another build) nothing is opened early and the run is the same, with no error', async () => {
  const bin = copyOfTool('stale', (cli) => {
    const file = join(cli, 'early.cjs');
    const text = readFileSync(file, 'utf8');
    const stale = text.replace(/__MZC_BUILD_ID__|"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/g, '"00000000-0000-4000-8000-000000000000"');
    assert.notEqual(stale, text, 'the build id is in early.cjs');
    writeFileSync(file, stale);
  });
  // Several runs: a stale early socket open beside the receiver's own (SO_REUSEPORT), or closed under a
  // connection already queued on it, would lose the sender's connection about every other time.
  for (let i = 0; i < 3; i++) await tcpRun(bin, 12756 + i);
});
