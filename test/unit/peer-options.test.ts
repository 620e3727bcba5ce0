// SPDX-License-Identifier: GPL-2.0-only
// --peer, --bind, --pattern-seed (src/flags/peer.ts), the endpoints they name
// (src/net/endpoint.ts), the seeded payload (src/net/headers.ts) and the argv
// serve and pair build with them (src/run/classic.ts, src/flows/plan.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClassicArgs } from '../../src/flags/classic.js';
import { planFlows } from '../../src/flows/plan.js';
import { isEndpoint, parseEndpoint } from '../../src/net/endpoint.js';
import { writeSockaddr } from '../../src/net/address.js';
import { fillPattern, matchesPattern, seededPattern } from '../../src/net/headers.js';
import { classicArgv } from '../../src/run/classic.js';

const res = { ifindex: () => 1 };
const SEED = '00112233445566778899aabbccddeeff';
const line = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { line?: string }).line ?? String(e);
  }
  return 'accepted';
};

test('--peer and --bind: ADDR:PORT ([ADDR]:PORT for IPv6), on the right side, for tests with addresses', () => {
  const rx = parseClassicArgs(['-4', '-D', '10.0.0.2', '-r', '--peer', '10.0.0.1:40000', 'tcp'], res);
  assert.deepEqual(rx.peer, { addr: Uint8Array.of(10, 0, 0, 1), text: '10.0.0.1', port: 40000 });
  const tx = parseClassicArgs(['-6', '-D', 'fd::2', '--bind', '[fd::1]:40000', 'udp'], res);
  assert.equal(tx.bindTo?.text, 'fd::1');
  assert.equal(tx.bindTo?.port, 40000);
  assert.equal(parseClassicArgs(['-4', '-D', '10.0.0.2', 'tcp'], res).peer, null, 'absent: null, as the selftest');
  assert.equal(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '--peer', '10.0.0.1:1', 'tcp'], res)),
    '--peer: names the sender a receiver takes (give it with -r, or --bind to the sender)');
  assert.equal(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '-r', '--bind', '10.0.0.1:1', 'tcp'], res)),
    '--bind: names where a sender sends from (give the receiver --peer)');
  assert.equal(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '-r', '--peer', 'fd::1:4', 'tcp'], res)),
    '--peer: \'fd::1:4\' is not an IPv4 address and port (give ADDR:PORT, e.g. 192.168.1.1:40000)');
  assert.match(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '-r', '--peer', '10.0.0.1:0', 'udp'], res)), /^--peer: 0 is out of range/);
  assert.equal(parseClassicArgs(['-4', '-D', '10.0.0.2', '-r', '--peer', '10.0.0.1:0', 'raw'], res).peer?.port, 0, 'raw: the address only');
  assert.equal(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '--bind', '10.0.0.1:5', 'packet'], res)),
    '--bind: packet has no socket address to bind (use it with tcp, udp or raw)');
  assert.equal(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '-r', '-P', '4', '--peer', '10.0.0.1:65534', 'udp'], res)),
    '-P 4: --peer port 65534 leaves no port for every flow (give a port from 1 to 65532)');
});

test('--pattern-seed: 32 hex digits, not for tcp; the pattern is the seed\'s, the same on both sides, and not a..z', () => {
  assert.equal(parseClassicArgs(['-4', '-D', '10.0.0.2', '--pattern-seed', SEED.toUpperCase(), 'udp'], res).patternSeed, SEED);
  assert.equal(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '--pattern-seed', 'abc', 'udp'], res)),
    '--pattern-seed: \'abc\' is not 32 hex digits');
  assert.equal(line(() => parseClassicArgs(['-4', '-D', '10.0.0.2', '--pattern-seed', SEED, 'tcp'], res)),
    '--pattern-seed: the tcp receiver does not read the payload (use it with udp or raw)');
  const a = seededPattern(SEED, 1000);
  const b = seededPattern(SEED, 64);
  assert.ok(a && b);
  assert.deepEqual(a.subarray(0, 64), b, 'a prefix of the same stream');
  assert.notDeepEqual(seededPattern('f'.repeat(32), 64), b, 'another seed, another pattern');
  assert.equal(seededPattern(null, 64), null);
  const buf = new Uint8Array(80);
  fillPattern(buf, 16, 64, b);
  assert.ok(matchesPattern(buf, 16, 64, b));
  assert.ok(!matchesPattern(buf, 16, 64, null), 'not the selftest\'s a..z');
  fillPattern(buf, 16, 64, null);
  assert.ok(matchesPattern(buf, 16, 64, null));
  assert.ok(!matchesPattern(buf, 16, 64, b), 'a..z is not the run\'s pattern: a forged datagram');
});

test('the endpoint check compares address and port of the sockaddr the kernel filled in', () => {
  const e = parseEndpoint(4, '192.168.1.1:40000', '--peer');
  const dv = new DataView(new ArrayBuffer(32));
  writeSockaddr(dv, 0, 4, e.addr, 40000);
  assert.ok(isEndpoint(dv, 0, 4, e));
  writeSockaddr(dv, 0, 4, e.addr, 40001);
  assert.ok(!isEndpoint(dv, 0, 4, e), 'another port');
  writeSockaddr(dv, 0, 4, Uint8Array.of(192, 168, 1, 3), 40000);
  assert.ok(!isEndpoint(dv, 0, 4, e), 'another host');
  const e6 = parseEndpoint(6, '[fd::1]:5', '--peer');
  writeSockaddr(dv, 0, 6, e6.addr, 5);
  assert.ok(isEndpoint(dv, 0, 6, e6));
  assert.ok(!isEndpoint(dv, 0, 4, e), 'another family');
});

test('serve and pair argv: --peer / --bind / --pattern-seed; with -P each flow gets port + k', () => {
  const rx = parseClassicArgs(['-4', '-D', '10.0.0.2', '-p', '9000', '-r', '-P', '2', '--peer', '10.0.0.1:40000', '--pattern-seed', SEED, 'udp'], res);
  const flows = planFlows(rx, [null, null]);
  assert.deepEqual(flows.map((f) => classicArgv(f.spec).join(' ').match(/-p (\d+) .*--peer (\S+) --pattern-seed (\S+)/)?.slice(1)),
    [['9000', '10.0.0.1:40000', SEED], ['9001', '10.0.0.1:40001', SEED]]);
  const tx = parseClassicArgs(['-6', '-D', 'fd::2', '-p', '9000', '-P', '2', '--bind', '[fd::1]:40000', 'tcp'], res);
  assert.deepEqual(planFlows(tx, [null, null]).map((f) => classicArgv(f.spec).join(' ').match(/--bind (\S+)/)?.[1]),
    ['[fd::1]:40000', '[fd::1]:40001']);
});
