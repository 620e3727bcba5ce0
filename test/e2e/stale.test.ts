// SPDX-License-Identifier: GPL-2.0-only
// A command killed outright (kill -9) leaves no child running, and the next
// createLab removes the namespaces it left, saying so in one line; namespaces
// whose owner lives, or that have no record, are never touched.
// Needs root and the built CLI (`npm run build`); fails (does not skip) without them.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab } from '../../src/lab/lab.js';
import { BIN, ourUnavailableReason, REPO_ROOT, requireRoot, sleep, start } from '../support/proc.js';
import { sh } from './lab-helpers.js';

/** Every namespace prefix this file uses starts with this (random per run), so after() finds them all. */
const RUN_PREFIX = `mzk${randomBytes(2).toString('hex')}`;
let seq = 0;
const newPrefix = (): string => `${RUN_PREFIX}x${seq++}-`;
const hexId = (): string => randomBytes(3).toString('hex');
const dirs: string[] = [];
const newRecordDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'mzc-records-'));
  dirs.push(d);
  return d;
};
const strays: ChildProcess[] = [];

const netnsNames = async (): Promise<string[]> =>
  (await sh(['ip', 'netns', 'list'])).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
const nsPids = async (ns: string): Promise<number[]> => {
  try {
    return (await sh(['ip', 'netns', 'pids', ns])).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/** Fields 3 (state), 4 (parent) and 22 (start time) of /proc/<pid>/stat, read independently of the code under test. */
function procStat(pid: number): { state: string; ppid: number; startTime: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], ppid: Number(f[1]), startTime: Number(f[19]) };
}

/** The process that had this pid and start time still runs (an unreaped zombie does not run). */
function running(pid: number, startTime: number): boolean {
  const s = procStat(pid);
  return s !== null && s.startTime === startTime && s.state !== 'Z' && s.state !== 'X';
}

before(() => {
  requireRoot();
  const why = ourUnavailableReason();
  if (why) throw new Error(why);
});

after(async () => {
  for (const p of strays) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const ns of (await netnsNames()).filter((n) => n.startsWith(RUN_PREFIX))) {
    for (const pid of await nsPids(ns)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    spawnSync('ip', ['netns', 'del', ns]);
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Start `msg-zerocopy <args> --prefix P`, wait until a process runs in each of
 * its two namespaces, kill -9 it, then check that none of those processes
 * outlives it by more than 2 s, and that the next createLab removes the
 * namespaces it left, with one note naming them.
 */
async function killedOutright(t: TestContext, args: string[]): Promise<void> {
  const dir = newRecordDir();
  const prefix = newPrefix();
  const cmd = start([process.execPath, BIN, ...args, '--prefix', prefix],
    { cwd: REPO_ROOT, env: { MSG_ZEROCOPY_LAB_DIR: dir }, timeoutMs: 120000 });
  let exited = false;
  void cmd.done.then(() => { exited = true; });
  let txNs = '';
  let rxNs = '';
  let children: Array<{ pid: number; startTime: number }> = [];
  // The command's children: our CLI inside the lab (ip netns exec execs it: same pid), a child of the
  // command. Other processes seen in the namespaces while the lab is being set up (ip, sysctl) come and
  // go; they are not what this test is about, so only our CLI's processes are taken, one in each.
  const oursIn = async (ns: string): Promise<number[]> => (await nsPids(ns)).filter((pid) => {
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      return false; // ended meanwhile
    }
    return cmdline.includes(BIN) && procStat(pid)?.ppid === cmd.pid;
  });
  const until = Date.now() + 60000;
  while (children.length === 0) {
    assert.ok(!exited && Date.now() < until, `no child of ours ran in both namespaces (exited: ${exited}); ${args.join(' ')}`);
    const ours = (await netnsNames()).filter((n) => n.startsWith(prefix));
    txNs = ours.find((n) => n.endsWith('-tx')) ?? '';
    rxNs = ours.find((n) => n.endsWith('-rx')) ?? '';
    if (txNs && rxNs) {
      const [tx, rx] = [await oursIn(txNs), await oursIn(rxNs)];
      if (tx.length && rx.length) {
        children = [...tx, ...rx].map((pid) => ({ pid, startTime: procStat(pid)?.startTime ?? -1 }));
      }
    }
    if (children.length === 0) await sleep(20);
  }

  process.kill(cmd.pid, 'SIGKILL');
  const killedAt = performance.now();
  let alive = children.filter((c) => running(c.pid, c.startTime));
  while (alive.length && performance.now() - killedAt < 2000) {
    await sleep(5);
    alive = alive.filter((c) => running(c.pid, c.startTime));
  }
  const toDieMs = performance.now() - killedAt;
  const r = await cmd.done;
  t.diagnostic(`${args[0]}: ${children.length} children (pids ${children.map((c) => c.pid).join(', ')}); ` +
    `alive after kill -9: ${alive.length}; all gone ${alive.length ? 'NOT within 2000 ms' : `after ${toDieMs.toFixed(1)} ms`}`);
  assert.equal(r.signal, 'SIGKILL');
  assert.deepEqual(alive.map((c) => c.pid), [], 'children still running 2 s after kill -9');

  // Its namespaces stay (nothing could remove them) until the next lab is made.
  const left = await netnsNames();
  assert.ok(left.includes(txNs) && left.includes(rxNs), `namespaces ${txNs}, ${rxNs} left by the killed command`);
  const notes: string[] = [];
  const lab = await createLab({ prefix, recordDir: dir, onNote: (l) => notes.push(l) });
  try {
    assert.deepEqual(notes, [`msg-zerocopy: removed stale namespaces ${txNs}, ${rxNs} (owner pid ${cmd.pid} is gone)`]);
    const now = await netnsNames();
    assert.ok(!now.includes(txNs) && !now.includes(rxNs), `stale namespaces gone: ${now.join(' ')}`);
    assert.ok(now.includes(lab.txNs) && now.includes(lab.rxNs), 'the new lab is there');
    assert.deepEqual(readdirSync(dir), [`${prefix}${lab.id}.json`], 'the stale record removed, the new one written');
  } finally {
    await lab.destroy();
  }
  assert.deepEqual(readdirSync(dir), [], 'destroy removes the record');
}

test('kill -9 of suite: no child outlives it; the next createLab removes its namespaces in one line', async (t) => {
  await killedOutright(t, ['suite', '-t', '2']);
});

test('kill -9 of compare: no child outlives it; the next createLab removes its namespaces in one line', async (t) => {
  await killedOutright(t, ['compare', '--test', 'tcp', '-t', '2', '--no-progress']);
});

test('createLab records its owner (pid, start time, namespaces) and destroy removes the record', async () => {
  const dir = newRecordDir();
  const prefix = newPrefix();
  const lab = await createLab({ prefix, recordDir: dir });
  const file = join(dir, `${prefix}${lab.id}.json`);
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.equal(rec.version, 1);
    assert.equal(rec.pid, process.pid);
    assert.equal(rec.startTime, procStat(process.pid)?.startTime);
    assert.deepEqual(rec.namespaces, [lab.txNs, lab.rxNs]);
    assert.ok(Math.abs(Date.parse(String(rec.createdAt)) - Date.now()) < 60000, String(rec.createdAt));
  } finally {
    await lab.destroy();
  }
  assert.equal(existsSync(file), false);
});

test('only stale namespaces go: a live owner\'s and unrecorded ones are never touched', async (t) => {
  const dir = newRecordDir();
  const prefix = newPrefix();
  const pair = (id: string): [string, string] => [`${prefix}${id}-tx`, `${prefix}${id}-rx`];
  const self = procStat(process.pid);
  assert.ok(self);
  // An owner that has exited (its pid is free, or someone else's with another start time).
  const gone = spawnSync('true');
  const ids = { gone: hexId(), reused: hexId(), live: hexId(), unrecorded: hexId(), vanished: hexId() };
  const ns = {
    gone: pair(ids.gone), reused: pair(ids.reused), live: pair(ids.live), unrecorded: pair(ids.unrecorded),
  };
  for (const [a, b] of Object.values(ns)) {
    await sh(['ip', 'netns', 'add', a]);
    await sh(['ip', 'netns', 'add', b]);
  }
  const record = (id: string, pid: number, startTime: number): void => {
    writeFileSync(join(dir, `${prefix}${id}.json`), JSON.stringify({
      version: 1, pid, startTime, namespaces: pair(id), createdAt: new Date().toISOString(),
    }));
  };
  record(ids.gone, gone.pid as number, 1);
  record(ids.reused, process.pid, self.startTime + 1); // this pid, but another process's start time
  record(ids.live, process.pid, self.startTime); // this process: alive
  record(ids.vanished, gone.pid as number, 1); // stale, but its namespaces are already gone
  // A process inside the stale lab is killed with it; ones inside the others are left alone.
  const inside = (n: string): ChildProcess => {
    const p = spawn('ip', ['netns', 'exec', n, 'sleep', '120'], { stdio: 'ignore' });
    strays.push(p);
    return p;
  };
  const inGone = inside(ns.gone[1]);
  const inLive = inside(ns.live[1]);
  const inUnrecorded = inside(ns.unrecorded[0]);
  for (const n of [ns.gone[1], ns.live[1], ns.unrecorded[0]]) {
    const until = Date.now() + 5000;
    while ((await nsPids(n)).length === 0) {
      assert.ok(Date.now() < until, `sleep runs in ${n}`);
      await sleep(10);
    }
  }

  const notes: string[] = [];
  const lab = await createLab({ prefix, recordDir: dir, onNote: (l) => notes.push(l) });
  await lab.destroy();
  t.diagnostic(notes.join('\n'));

  // Records are read in file-name order: the note lists their namespaces in that order.
  const stale: Array<[string, number]> = [[ids.gone, gone.pid as number], [ids.reused, process.pid]];
  stale.sort((x, y) => (x[0] < y[0] ? -1 : 1));
  assert.deepEqual(notes, [`msg-zerocopy: removed stale namespaces ${stale.flatMap(([id]) => pair(id)).join(', ')} ` +
    `(owner pids ${stale.map(([, pid]) => pid).join(', ')} are gone)`]);
  const now = await netnsNames();
  for (const n of [...ns.gone, ...ns.reused]) assert.ok(!now.includes(n), `${n} removed`);
  for (const n of [...ns.live, ...ns.unrecorded]) assert.ok(now.includes(n), `${n} untouched`);
  assert.deepEqual(readdirSync(dir).sort(), [`${prefix}${ids.live}.json`], 'stale records removed, the live one kept');
  await sleep(100);
  assert.notEqual(inGone.exitCode ?? inGone.signalCode, null, 'the process inside the stale namespace was killed');
  assert.equal(inGone.signalCode, 'SIGKILL');
  assert.equal(inLive.exitCode ?? inLive.signalCode, null, 'the process inside the live owner\'s namespace runs');
  assert.equal(inUnrecorded.exitCode ?? inUnrecorded.signalCode, null, 'the process inside the unrecorded namespace runs');

  // A second createLab finds nothing more to say.
  const again: string[] = [];
  const lab2 = await createLab({ prefix, recordDir: dir, onNote: (l) => again.push(l) });
  await lab2.destroy();
  assert.deepEqual(again, []);
});
