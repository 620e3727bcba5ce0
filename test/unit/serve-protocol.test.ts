// SPDX-License-Identifier: GPL-2.0-only
// serve's side of the protocol: bounded connections, the policy check, what
// is shown of peer text, the rate-limited log, the port holders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { sessionKey } from '../../src/pair/auth.js';
import { checkRunRequest, DEFAULT_POLICY, parsePortRange, policyLine, type ServeLimits } from '../../src/pair/policy.js';
import { decodeLocal, holdersIn } from '../../src/pair/ports.js';
import {
  Connection, endText, expect, MAX_LINE, PING_MS, SILENCE_MS, type Ended, type Message,
} from '../../src/pair/protocol.js';
import { RateLog } from '../../src/pair/ratelog.js';
import { shown } from '../../src/pair/text.js';

/** Two connected in-memory streams (what one side writes, the other reads). */
function duplexPair(): [Socket, Socket] {
  const make = (peer: () => Duplex): Duplex => new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) { peer().push(chunk); cb(); },
    final(cb) { peer().push(null); cb(); },
  });
  const a: Duplex = make(() => b);
  const b: Duplex = make(() => a);
  return [a as unknown as Socket, b as unknown as Socket];
}

test('connection: messages in order, split anywhere; pings are taken as they come', async () => {
  const [a, b] = duplexPair();
  const r = new Connection(b, MAX_LINE);
  a.write('{"type":"ready","receiverArgv":[]}\n{"type":');
  a.write('"ping"}\n\n{"type":"sent","ok":true}\n');
  assert.deepEqual(await r.next(1000), { msg: { type: 'ready', receiverArgv: [] } });
  assert.deepEqual(await r.next(1000), { msg: { type: 'sent', ok: true } });
  assert.deepEqual(await r.next(20), { timeout: true });
  a.end();
  assert.deepEqual(await r.next(1000), { end: { reason: 'closed', detail: 'the peer closed the connection' } });
  assert.ok('end' in await r.next(1000), 'stays ended');
});

test('connection: garbage, an oversized line and a flood end it with the reason', async () => {
  const cases: Array<[string | string[], string, RegExp]> = [
    ['not json\n', 'garbage', /not JSON: "not json"/],
    ['[1,2]\n', 'garbage', /not a message/],
    ['"x"\n', 'garbage', /not a message/],
    [`{"type":"x","pad":"${'a'.repeat(MAX_LINE)}"}\n`, 'oversized', /over 4096 bytes/],
    ['a'.repeat(MAX_LINE + 1), 'oversized', /over 4096 bytes/],
    [Array.from({ length: 100 }, () => '{"type":"x"}\n').join(''), 'flood', /more than 64 lines/],
  ];
  for (const [input, reason, detail] of cases) {
    const [a, b] = duplexPair();
    const r = new Connection(b, MAX_LINE);
    a.write(input as string);
    await new Promise((res) => setImmediate(res));
    let n = await r.next(200);
    while ('msg' in n) n = await r.next(200);
    assert.ok('end' in n, `${reason}: ${JSON.stringify(n)}`);
    assert.equal(n.end.reason, reason);
    assert.match(n.end.detail, detail);
    assert.ok(b.destroyed, 'the socket is destroyed');
  }
});

test('connection: once secured, only sealed lines in order pass; a forged one ends it', async () => {
  const [a, b] = duplexPair();
  const key = sessionKey(Buffer.from('k'.repeat(40)), Buffer.alloc(32, 1), Buffer.alloc(32, 2));
  const pairSide = new Connection(a, MAX_LINE);
  const serveSide = new Connection(b, MAX_LINE);
  pairSide.secure(key, 'pair>serve', 'serve>pair');
  serveSide.secure(key, 'serve>pair', 'pair>serve');
  pairSide.send({ type: 'sent', ok: true });
  assert.deepEqual(await serveSide.next(1000), { msg: { type: 'sent', ok: true } });
  serveSide.send({ type: 'error', message: 'busy' });
  assert.deepEqual(await pairSide.next(1000), { msg: { type: 'error', message: 'busy' } });
  a.write('{"type":"abort","reason":"injected"}\n');
  const n = await serveSide.next(1000);
  assert.ok('end' in n && n.end.reason === 'forged', JSON.stringify(n));
});

test('connection: the heartbeat keeps a live peer, and ends a silent one after SILENCE_MS', async () => {
  const [a, b] = duplexPair();
  const x = new Connection(a, MAX_LINE);
  const y = new Connection(b, MAX_LINE);
  x.startHeartbeat();
  y.startHeartbeat();
  await new Promise((r) => setTimeout(r, 1600));
  assert.equal(x.ended, null);
  assert.equal(y.ended, null);
  y.close();
  const closed = await new Promise<Ended>((res) => x.onEnd(res));
  assert.equal(closed.reason, 'closed', 'a peer that closes is gone at once');

  // a peer that says nothing (its side never beats)
  const [c, d] = duplexPair();
  const talker = new Connection(c, MAX_LINE);
  void new Connection(d, MAX_LINE);
  const t0 = Date.now();
  talker.startHeartbeat();
  const silent = await new Promise<Ended>((res) => talker.onEnd(res));
  const ms = Date.now() - t0;
  assert.equal(silent.reason, 'silent');
  assert.match(silent.detail, /^no word for 3\.\d s$/);
  assert.ok(ms >= SILENCE_MS && ms <= SILENCE_MS + PING_MS + 300, `${ms} ms`);
});

test('expect: each message type with its fields checked', () => {
  const m = (v: unknown): Message => v as Message;
  assert.ok(expect(m({ type: 'hello', version: 2, nonce: 'n' }), 'hello'));
  assert.equal(expect(m({ type: 'hello', version: '2', nonce: 'n' }), 'hello'), null);
  assert.equal(expect(m({ type: 'hello', version: 2, nonce: 'n' }), 'auth'), null);
  assert.ok(expect(m({ type: 'report', exitCode: 0, signal: null, timedOut: false, failure: null, report: {}, stderr: '' }), 'report'));
  assert.equal(expect(m({ type: 'report', exitCode: 0, signal: null, timedOut: false, failure: null, report: {} }), 'report'), null,
    'a report without stderr');
  assert.equal(expect(m({ type: 'report', exitCode: 'x', signal: null, timedOut: false, failure: null, stderr: '' }), 'report'), null);
  assert.equal(expect(m({ type: 'ready', receiverArgv: [1] }), 'ready'), null);
  assert.equal(expect(m({ type: 'error' }), 'error'), null);
  assert.equal(endText({ reason: 'silent', detail: 'no word for 3.1 s' }), 'went silent (no word for 3.1 s)');
});

const limits: ServeLimits = { family: 4, controlPort: 7999, maxPayload: 65435, policy: { ...DEFAULT_POLICY } };
const good = { type: 'run', family: 4, test: 'udp', senderTest: 'udp', port: 8000, flows: 1, size: 65435, secs: 5, client: 'a',
  source: { address: '192.168.1.1', port: 40000 }, seed: '00112233445566778899aabbccddeeff' as string | null };

test('run requests: a good one passes, extra fields dropped', () => {
  assert.deepEqual(checkRunRequest({ ...good, evil: '; rm -rf /' }, limits), { ok: true, req: { ...good, rx: 'trunc', expectMapped: null } });
  assert.equal(checkRunRequest({ ...good, size: 0 }, limits).ok, true, '-s 0 as the C tool');
  // udp on the control port number is another protocol: left to the port check (serve's own socket holds it)
  assert.equal(checkRunRequest({ ...good, port: 7999 }, limits).ok, true);
});

test('run requests: every field outside the policy is refused with the reason', () => {
  const bad = (m: unknown, l: ServeLimits = limits): string => {
    const r = checkRunRequest(m, l);
    assert.equal(r.ok, false, JSON.stringify(m));
    return (r as { reason: string }).reason;
  };
  assert.match(bad(null), /not a JSON object/);
  assert.match(bad([1]), /not a JSON object/);
  assert.match(bad({ ...good, type: 'ready' }), /expected a run request/);
  assert.match(bad({ ...good, family: 6 }), /family mismatch: this serve runs -4; run pair with -4 \(or serve with -6\)/);
  assert.match(bad({ ...good, family: 5 }), /family must be 4 or 6/);
  assert.match(bad({ ...good, test: 'packet' }), /one of tcp, udp, raw/);
  assert.match(bad({ ...good, test: '--json' }), /one of tcp, udp, raw/);
  assert.match(bad({ ...good, senderTest: 'x' }), /sender test/);
  assert.equal(bad({ ...good, test: 'raw', senderTest: 'packet' }),
    'raw receivers are not allowed here (the packet test needs one): start serve with --allow-raw');
  assert.equal(checkRunRequest({ ...good, test: 'raw' }, { ...limits, policy: { ...DEFAULT_POLICY, allowRaw: true } }).ok, true);
  assert.match(bad({ ...good, port: 0 }), /port/);
  assert.match(bad({ ...good, port: '8000' }), /port/);
  assert.equal(bad({ ...good, test: 'tcp', port: 7999 }), 'data port 7999 is this serve\'s control port: pick another -p');
  assert.match(bad({ ...good, flows: undefined }), /flows must be a whole number from 1 to 64/, 'a request without flows');
  assert.equal(bad({ ...good, port: 22 }),
    'data port 22 is outside this serve\'s range 1024-65535 (privileged ports are refused unless serve --ports includes them): pick -p in the range');
  assert.equal(bad({ ...good, port: 9101 }, { ...limits, policy: { ...DEFAULT_POLICY, portLo: 9000, portHi: 9100 } }),
    'data port 9101 is outside this serve\'s range 9000-9100: pick -p in the range');
  assert.equal(checkRunRequest({ ...good, port: 80 }, { ...limits, policy: { ...DEFAULT_POLICY, portLo: 80, portHi: 80 } }).ok, true);
  assert.match(bad({ ...good, size: 65436 }), /size .* 0 to 65435/);
  assert.match(bad({ ...good, size: 1.5 }), /size/);
  assert.match(bad({ ...good, secs: 0 }), /secs/);
  assert.equal(bad({ ...good, secs: 61 }),
    'a 61 s receiver run (pair -t 60 + 1) is over this serve\'s limit of 60 s (serve --max-time): use -t 59 or less');
  assert.match(bad({ ...good, client: 'x'.repeat(300) }), /client/);
  assert.match(bad({ ...good, client: 1 }), /client/);
});

test('--ports and the policy line', () => {
  assert.deepEqual(parsePortRange('9000-9100'), { lo: 9000, hi: 9100 });
  assert.deepEqual(parsePortRange('0x2328'), { lo: 9000, hi: 9000 });
  assert.throws(() => parsePortRange('9100-9000'), /empty/);
  assert.throws(() => parsePortRange('0-10'), /out of range/);
  assert.throws(() => parsePortRange('a-b'), /not a number/);
  assert.throws(() => parsePortRange('1-2-3'), /not a port or a range/);
  assert.equal(policyLine(DEFAULT_POLICY),
    'policy: data ports 1024-65535, receiver runs up to 60 s, raw receivers refused (serve --allow-raw)');
});

test('peer text is shown with control characters escaped and cut', () => {
  assert.equal(shown('plain text'), 'plain text');
  assert.equal(shown('\x1b[31mred\x1b[0m\r\n\x07'), '\\x1b[31mred\\x1b[0m\\x0d\\x0a\\x07');
  assert.equal(shown('a\u202eb\u0085c\u200bd'), 'a\\u{202e}b\\x85c\\u{200b}d');
  assert.equal(shown('x'.repeat(1 << 20), 10), `${'x'.repeat(10)}... (${(1 << 20) - 10} more characters)`);
  assert.equal(shown('\x1b'.repeat(300)).length < 1300, true);
  assert.equal(shown(42), '42');
  assert.equal(shown('plain ASCII ~!'), 'plain ASCII ~!', 'printable ASCII as it is');
  assert.equal(shown('h\u00e9llo \u05d0\ufffd'), 'h\\xe9llo \\u{5d0}\\u{fffd}', 'anything else escaped (bidi letters, replacement characters)');
});

test('rate-limited log: one line per peer per window, a cap over all peers, and a count of what was left out', () => {
  let now = 0;
  const out: string[] = [];
  const rl = new RateLog((l) => out.push(l), 10000, 3, () => now);
  rl.log('a', 'a1');
  rl.log('a', 'a2');
  rl.log('b', 'b1');
  rl.log('c', 'c1');
  rl.log('d', 'd1'); // over the cap of 3 per window
  assert.deepEqual(out, ['a1', 'b1', 'c1']);
  now = 10000;
  rl.log('a', 'a3');
  assert.deepEqual(out, ['a1', 'b1', 'c1', '(2 more such lines about 2 peers left out in the last 10 s)', 'a3']);
  for (let i = 0; i < 100000; i++) rl.log(`x${i}`, 'flood');
  now = 20000;
  rl.roll();
  assert.equal(out.length, 8);
  assert.equal(out[7], '(99998 more such lines about 4096 peers left out in the last 10 s)');
});

test('port holders: every table, any state; inode 0 is nobody; raw receivers look at their protocol', () => {
  const head = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const tcp = `${head}   0: 0201A8C0:2454 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0\n` +
    `   1: 0201A8C0:2454 0101A8C0:9C40 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0\n` +
    `   2: 0201A8C0:1F40 0101A8C0:9C41 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0\n`;
  const udp6 = `${head}  10: 00000000000000000000000000000000:2454 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 333 2 0 0\n`;
  const raw = `${head}   8: 0201A8C0:0008 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 444 2 0 0\n`;
  const held = holdersIn({ tcp, udp6, raw }, 0x2454, 'tcp');
  assert.deepEqual(held.map((h) => [h.table, h.state, h.inode, h.local]), [
    ['tcp', 'LISTEN', '111', '192.168.1.2:9300'],
    ['udp6', 'bound', '333', '[::]:9300'],
  ]);
  assert.deepEqual(holdersIn({ tcp }, 0x1f40, 'udp').map((h) => h.state), ['ESTABLISHED'], 'an established connection holds it too');
  assert.deepEqual(holdersIn({ raw }, 9300, 'raw').map((h) => h.inode), ['444'], 'another IPPROTO_EGP socket');
  assert.deepEqual(holdersIn({ raw }, 9300, 'udp'), []);
  assert.equal(decodeLocal('00000000000000000000000001000000:0050'), '[::1]:80');
  assert.equal(decodeLocal('0000FD00000000000000000002000000:2454'), '[fd::2]:9300');
  assert.equal(decodeLocal('0100007F:1F41'), '127.0.0.1:8001');
});

test('run requests (protocol 4): the sender\'s source and the pattern seed are checked before anything starts', () => {
  const bad = (m: unknown): string => {
    const r = checkRunRequest(m, limits);
    assert.equal(r.ok, false, JSON.stringify(m));
    return (r as { reason: string }).reason;
  };
  assert.match(bad({ ...good, source: undefined }), /^source \(the sender's address and port\) is missing: run the same msg-zerocopy release/);
  assert.equal(bad({ ...good, source: { address: 'fd::1', port: 40000 } }), 'source address must be an IPv4 address');
  assert.equal(bad({ ...good, source: { address: '192.168.1.1', port: 0 } }), 'source port must be a whole number from 1 to 65535');
  assert.equal(bad({ ...good, source: { address: '192.168.1.1', port: '1' } }), 'source port must be a whole number from 1 to 65535');
  assert.equal(bad({ ...good, seed: null }), 'seed must be 32 hex digits');
  assert.equal(bad({ ...good, seed: 'zz'.repeat(16) }), 'seed must be 32 hex digits');
  assert.equal(bad({ ...good, test: 'tcp', senderTest: 'tcp' }), 'seed must be null for tcp');
  assert.equal(checkRunRequest({ ...good, test: 'tcp', senderTest: 'tcp', seed: null }, limits).ok, true);
  // raw: the address only
  const raw = { ...limits, policy: { ...DEFAULT_POLICY, allowRaw: true } };
  assert.equal(checkRunRequest({ ...good, test: 'raw', senderTest: 'raw_hdrincl', source: { address: '192.168.1.1', port: 0 } }, raw).ok, true);
  // flows: every flow's source port must exist
  assert.equal(bad({ ...good, flows: 4, source: { address: '192.168.1.1', port: 65534 } }), 'source port must be a whole number from 1 to 65532');
});
