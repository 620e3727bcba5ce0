// SPDX-License-Identifier: GPL-2.0-only
// Input and messages a new user meets (issue 21): each bad input one line that
// names the flag and the fix, before anything runs; help and usage as asked;
// a failing sender's --json keeps what it counted. Traffic only to loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { BIN, ours, requireRoot } from '../support/proc.js';

const run = (args: string[]) => ours(null, args, { timeoutMs: 20000 }).done;

function asNobody(shell: string) {
  requireRoot();
  const r = spawnSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', shell], { encoding: 'utf8', timeout: 20000 });
  if (r.error) throw r.error;
  return r;
}

test('bare msg-zerocopy prints the usage (exit 1), not the family error', async () => {
  const r = await run([]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Usage: msg-zerocopy \[options\] <test>$/m);
  assert.match(r.stderr, /^Commands:$/m);
  assert.doesNotMatch(r.stderr, /Pass one of -4 or -6/);
});

test('help nosuch says unknown command; help suit suggests suite', async () => {
  const r = await run(['help', 'nosuch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^msg-zerocopy: help: unknown command 'nosuch' \(the commands are suite, sweep, compare, serve, pair, uring(, [a-z-]+)*\)\n$/);
  const t = await run(['help', 'suit']);
  assert.equal(t.stderr, "msg-zerocopy: help: unknown command 'suit' (did you mean suite?)\n");
});

test('-t 1.5 must be a whole number (it is a number)', async () => {
  const r = await run(['-4', '-D', '127.0.0.1', '-t', '1.5', 'udp']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "msg-zerocopy: -t: '1.5' must be a whole number (give a number from 0 to 1000000)\n");
  const x = await run(['-4', '-D', '127.0.0.1', '-t', 'abc', 'udp']);
  assert.match(x.stderr, /-t: not a number: 'abc'/, 'a word is still not a number');
});

test('suite --extra "-r" is refused before any namespace; --extra "-q" names --extra', async () => {
  const r = await run(['suite', '--extra', '-r']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^msg-zerocopy: .*--extra: -r is the suite's own flag: it starts each receiver itself/);
  assert.equal(r.stderr.split('\n').length, 2, 'one line');
  const g = await run(['suite', '--extra', '-vr']);
  assert.match(g.stderr, /--extra: -r is the suite's own flag/, 'also inside a group');
  const q = await run(['suite', '--extra', '-q']);
  assert.equal(q.code, 1);
  assert.equal(q.stderr, "msg-zerocopy: --extra '-q': unknown option '-q' (it takes msg_zerocopy's flags: see msg-zerocopy --help)\n");
  const ok = await run(['suite', '--extra', '-c 4 -m -z', '--help']);
  assert.equal(ok.code, 0, 'flags the suite does not own pass');
});

test('compare --report /proc/x.html fails at once, naming the folder, no temporary name', async () => {
  const t0 = Date.now();
  const r = await run(['compare', '--report', '/proc/x.html']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--report: cannot create a file in \/proc \(/);
  assert.doesNotMatch(r.stderr, /\.tmp|ENOENT/);
  assert.ok(Date.now() - t0 < 15000, 'before any run');
});

test('uring --help: the usage line fits 80 columns; pair --help shows defaults without quotes', async () => {
  const u = await run(['uring', '--help']);
  const usage = u.stdout.split('\n').find((l) => l.startsWith('Usage:'))!;
  assert.ok(usage.length <= 80, `${usage.length} columns: ${usage}`);
  assert.equal(usage, 'Usage: msg-zerocopy uring [options] (-4|-6) -D <dst_ip> <tcp|udp>');
  const p = await run(['pair', '--help']);
  assert.match(p.stdout, /\(default: 5\)/);
  assert.doesNotMatch(p.stdout, /default: "/);
});

test('non-root -r -p 80: bind refused with the privileged-port hint', () => {
  const r = asNobody(`exec ${process.execPath} ${BIN} -4 -r -D 127.0.0.1 -p 80 -t 0 tcp`);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'msg-zerocopy: bind: Permission denied (ports below net.ipv4.ip_unprivileged_port_start (1024 by default) ' +
    'need root or CAP_NET_BIND_SERVICE: pick a higher -p)\n');
});

test('-v with a CPU it cannot pin to: the selftest\'s one line, nothing after it', async () => {
  // a udp sender to a loopback port nobody holds: the pin line comes first, whatever the run does after
  const r = await run(['-4', '-v', '-C', '4000', '-D', '127.0.0.1', '-p', '9643', '-t', '0', 'udp']);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('cpu:'));
  assert.deepEqual(lines, ['cpu: unable to pin, may increase variance.']);
});

test('a sender that fails with --json keeps its counters from before the failure', async () => {
  // udp to a loopback port with no socket: the first sends go, the ICMP port unreachable fails a later one
  const r = await run(['-4', '-D', '127.0.0.1', '-p', '9644', '-t', '1', '-s', '1000', '--json', 'udp']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^msg-zerocopy: send: Connection refused/m);
  const doc = JSON.parse(r.stdout) as { error: string; counters: Record<string, number> };
  assert.match(doc.error, /^send: Connection refused/);
  assert.ok(doc.counters.packets >= 1, JSON.stringify(doc.counters));
  assert.equal(doc.counters.bytes, doc.counters.packets * 1000);
  assert.equal(Object.keys(doc).at(-1), 'counters', 'a new key, at the end');
});

test('ENOBUFS (locked-page limit, as a user) with --json: the counters say so', async () => {
  const sink = createSocket('udp4');
  await new Promise<void>((res) => sink.bind(9645, '127.0.0.1', () => res()));
  try {
    const r = asNobody(`ulimit -l 4; exec ${process.execPath} ${BIN} -4 -z -D 127.0.0.1 -p 9645 -t 1 --json udp`);
    assert.equal(r.status, 2, r.stderr);
    const doc = JSON.parse(r.stdout) as { error: string; counters: Record<string, number> };
    assert.equal(doc.error, 'send: No buffer space available');
    assert.equal(doc.counters.enobufs, 1);
    assert.equal(typeof doc.counters.packets, 'number');
  } finally {
    sink.close();
  }
});
