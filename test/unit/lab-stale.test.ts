// SPDX-License-Identifier: GPL-2.0-only
// Stale labs, the pure part: reading /proc/<pid>/stat, judging a record's
// owner (alive, gone, pid reused, exited), which namespaces a stale record
// lets us remove, the one-line note; and the wrapper that makes a child die
// with its parent, run for real (no namespaces, no root needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  ownerState, parseLabRecord, parseProcStat, planStale, staleNote, type LabRecord, type RecordView,
} from '../../src/lab/owners.js';
import { parentDeathArgv } from '../../src/run/child.js';

/** A /proc/<pid>/stat line: fields 1..52, with state and start time where the kernel puts them (3 and 22). */
function statLine(pid: number, comm: string, state: string, startTime: number): string {
  const fields = Array.from({ length: 52 }, (_, i) => String(i + 1));
  fields[0] = String(pid);
  fields[1] = `(${comm})`;
  fields[2] = state;
  fields[21] = String(startTime);
  return `${fields.join(' ')}\n`;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const record = (pid: number, startTime: number, namespaces: string[]): LabRecord =>
  ({ version: 1, pid, startTime, namespaces, createdAt: '2025-01-01T00:00:00.000Z' });

test('parseProcStat: state and start time, command names with spaces and parentheses', () => {
  assert.deepEqual(parseProcStat(statLine(4242, 'node', 'S', 123456)), { state: 'S', startTime: 123456 });
  assert.deepEqual(parseProcStat(statLine(7, 'a) b (c', 'R', 99)), { state: 'R', startTime: 99 });
  assert.deepEqual(parseProcStat(statLine(7, ') 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20', 'Z', 5)), { state: 'Z', startTime: 5 });
  assert.equal(parseProcStat(''), null);
  assert.equal(parseProcStat('4242 (node) S 1 2 3'), null, 'too short');
  assert.equal(parseProcStat('4242 node S'), null, 'no command name');
  // This process: the start time is the one `ps -o lstart` would show, here a positive count of ticks.
  const self = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
  assert.ok(self && self.startTime > 0 && /^[RS]$/.test(self.state), JSON.stringify(self));
});

test('ownerState: alive, gone, pid reused, exited but not reaped; unreadable text counts as alive', () => {
  const rec = record(4242, 123456, ['mzc-abc123-tx', 'mzc-abc123-rx']);
  assert.equal(ownerState(rec, statLine(4242, 'node', 'S', 123456)), 'alive');
  assert.equal(ownerState(rec, statLine(4242, 'node', 'D', 123456)), 'alive');
  assert.equal(ownerState(rec, null), 'gone');
  assert.equal(ownerState(rec, statLine(4242, 'bash', 'S', 987654)), 'reused');
  assert.equal(ownerState(rec, statLine(4242, 'node', 'Z', 123456)), 'dead');
  assert.equal(ownerState(rec, statLine(4242, 'node', 'X', 123456)), 'dead');
  assert.equal(ownerState(rec, ''), 'alive', 'when in doubt, touch nothing');
  assert.equal(ownerState(rec, 'garbage'), 'alive');
});

test('parseLabRecord: only well-formed records naming namespaces createLab makes', () => {
  const good = record(4242, 123456, ['mzc-abc123-tx', 'mzc-abc123-rx']);
  assert.deepEqual(parseLabRecord(JSON.stringify(good)), good);
  assert.deepEqual(parseLabRecord(JSON.stringify(record(1, 0, ['mzt99x0-00ff00-rx']))), record(1, 0, ['mzt99x0-00ff00-rx']));
  for (const bad of [
    '', 'not json', '[]', 'null', '{"version":1}',
    JSON.stringify({ ...good, version: 2 }),
    JSON.stringify({ ...good, pid: 0 }),
    JSON.stringify({ ...good, pid: '4242' }),
    JSON.stringify({ ...good, startTime: -1 }),
    JSON.stringify({ ...good, startTime: 1.5 }),
    JSON.stringify({ ...good, namespaces: [] }),
    JSON.stringify({ ...good, namespaces: ['mzc-abc123-tx', 'eth0'] }),
    JSON.stringify({ ...good, namespaces: ['mzc-ABC123-tx'] }),
    JSON.stringify({ ...good, namespaces: ['../netns/x-abc123-tx'] }),
    JSON.stringify({ ...good, namespaces: ['mzc-abc123-tx\nfoo'] }),
  ]) {
    assert.equal(parseLabRecord(bad), null, bad);
  }
});

test('planStale: gone, reused and exited owners\' existing namespaces; never a live owner\'s', () => {
  const view = (file: string, owner: RecordView['owner'], pid: number, ns: string[]): RecordView =>
    ({ file, owner, record: record(pid, 1, ns) });
  const records = [
    view('a.json', 'gone', 11, ['mzc-aaaaaa-tx', 'mzc-aaaaaa-rx']),
    view('b.json', 'alive', 12, ['mzc-bbbbbb-tx', 'mzc-bbbbbb-rx']),
    view('c.json', 'reused', 13, ['mzc-cccccc-tx', 'mzc-cccccc-rx']),
    view('d.json', 'dead', 14, ['mzc-dddddd-tx', 'mzc-dddddd-rx']),
    // a stale record naming a live owner's namespace (should never happen): the live claim wins
    view('e.json', 'gone', 15, ['mzc-bbbbbb-rx', 'mzc-eeeeee-rx']),
  ];
  const existing = new Set(['mzc-aaaaaa-tx', 'mzc-aaaaaa-rx', 'mzc-bbbbbb-tx', 'mzc-bbbbbb-rx', 'mzc-cccccc-rx',
    'mzc-dddddd-tx', 'mzc-dddddd-rx', 'mzc-ffffff-tx', 'mzc-eeeeee-rx']);
  assert.deepEqual(planStale(records, existing), {
    remove: ['mzc-aaaaaa-tx', 'mzc-aaaaaa-rx', 'mzc-cccccc-rx', 'mzc-dddddd-tx', 'mzc-dddddd-rx', 'mzc-eeeeee-rx'],
    files: ['a.json', 'c.json', 'd.json', 'e.json'],
  });
  assert.deepEqual(planStale([records[1]], existing), { remove: [], files: [] }, 'only live owners: nothing');
  assert.deepEqual(planStale([records[0]], new Set()), { remove: [], files: ['a.json'] }, 'namespaces already gone: only the record');
});

test('staleNote: one line, one or several owners', () => {
  assert.equal(staleNote(['mzc-abc123-tx', 'mzc-abc123-rx'], [4242]),
    'msg-zerocopy: removed stale namespaces mzc-abc123-tx, mzc-abc123-rx (owner pid 4242 is gone)');
  assert.equal(staleNote(['mzc-aaaaaa-tx', 'mzc-bbbbbb-rx'], [11, 12]),
    'msg-zerocopy: removed stale namespaces mzc-aaaaaa-tx, mzc-bbbbbb-rx (owner pids 11, 12 are gone)');
});

test('parentDeathArgv: the program runs when its parent is the one named, not when it was orphaned first', () => {
  const argv = parentDeathArgv(['/bin/echo', 'ran', 'with "quotes" and $HOME'], process.pid);
  assert.deepEqual(argv.slice(0, 4), ['/usr/bin/setpriv', '--pdeathsig', 'SIGKILL', '--']);
  assert.deepEqual(argv.slice(-3), ['/bin/echo', 'ran', 'with "quotes" and $HOME']);
  // spawnSync forks from this process: the parent is the one named, the program runs, arguments untouched.
  const ok = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'ran with "quotes" and $HOME\n');
  // A parent that died before the death signal was set: the child's parent is another process. It must not run.
  const orphan = parentDeathArgv(['/bin/echo', 'ran'], 1);
  const r = spawnSync(orphan[0], orphan.slice(1), { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
});

test('parentDeathArgv: the program itself (after setpriv, sh and its own execve) has SIGKILL as its death signal', () => {
  // Ask the kernel from inside the program: prctl(PR_GET_PDEATHSIG = 2) through koffi.
  const probe = "const k=require('koffi');const f=k.load('libc.so.6').func('int prctl(int, _Out_ int *)');" +
    'const v=[0];if(f(2,v)!==0)process.exit(3);process.stdout.write(String(v[0]))';
  const plain = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', cwd: REPO_ROOT });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout, '0', 'without the wrapper: no death signal');
  const argv = parentDeathArgv([process.execPath, '-e', probe]);
  const wrapped = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: REPO_ROOT });
  assert.equal(wrapped.status, 0, wrapped.stderr);
  assert.equal(wrapped.stdout, '9', 'SIGKILL');
});
