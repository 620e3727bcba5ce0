// SPDX-License-Identifier: GPL-2.0-only
// `udpgso` / `udpgso-rx` without sockets: the C programs' option parsing,
// defaults and error words, their lines byte for byte, the audit's checks;
// --gso's checks; --validate's pattern check, and -v's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRxArgs, parseTxArgs } from '../../src/flags/udpgso.js';
import { auditLines, parseTxLine, rxLine, txLine } from '../../src/udpgso/report.js';
import { verifyDatagram } from '../../src/udpgso/rx.js';
import { PatternValidator, StreamValidator } from '../../src/receiver/validate.js';
import { CompletionTracker } from '../../src/notify/tracker.js';
import { checkGsoInput, checkGsoMtu, maxSegments, segmentsPerCall } from '../../src/gso/gso.js';
import { fillPayload } from '../../src/net/headers.js';
import { ToolError } from '../../src/core/errors.js';
import type { UdpgsoTxResult } from '../../src/udpgso/tx.js';

const usage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ToolError, String(e));
    assert.equal(e.exitCode, 1);
    return e.message;
  }
  assert.fail('no error');
};

test('udpgso: defaults as udpgso_bench_tx', () => {
  const c = parseTxArgs(['-4']);
  assert.equal(c.family, 4);
  assert.equal(c.dstText, '0.0.0.0');
  assert.equal(c.port, 8000);
  assert.equal(c.payloadLen, 1472 * 42);
  assert.equal(c.runtimeMs, -1);
  assert.equal(c.pollLoopTimeoutMs, 2000);
  assert.equal(c.mss, 1472);
  assert.equal(c.segment, false);
  assert.equal(c.connected, true);
  assert.equal(c.cpu, -1);
  const six = parseTxArgs(['-6', '-S', '0', '-l', '3', '-z', '-a', '-T', '-p', '0x1f40']);
  assert.equal(six.mss, 1452);
  assert.equal(six.gsoSize, 1452, '-S 0 is the MSS');
  assert.equal(six.segment, true);
  assert.equal(six.runtimeMs, 3000);
  assert.equal(six.port, 8000);
  assert.ok(six.zerocopy && six.audit && six.txTimestamp && !six.hwTimestamp);
  // Grouped flags and attached values, as getopt.
  const g = parseTxArgs(['-4zaT', '-S1472', '-D127.0.0.1']);
  assert.ok(g.zerocopy && g.audit && g.txTimestamp);
  assert.equal(g.gsoSize, 1472);
  assert.equal(g.dstText, '127.0.0.1');
});

test('udpgso: the C program\'s errors, in its order and words', () => {
  assert.equal(usage(() => parseTxArgs([])), 'illegal domain');
  assert.equal(usage(() => parseTxArgs(['-4', '-6'])), 'Pass one of -4 or -6');
  assert.equal(usage(() => parseTxArgs(['-4', '-t', '-u'])), 'connectionless tcp makes no sense');
  assert.equal(usage(() => parseTxArgs(['-4', '-S', '0', '-m'])), 'cannot combine segment offload and sendmmsg');
  assert.equal(usage(() => parseTxArgs(['-4', '-T'])), 'Options -T and -H require either -S or -m option');
  assert.equal(usage(() => parseTxArgs(['-4', '-H'])), 'Options -T and -H require either -S or -m option');
  assert.equal(usage(() => parseTxArgs(['-4', '-s', '65508'])), 'payload length 65508 exceeds max 65507');
  assert.equal(usage(() => parseTxArgs(['-6', '-s', '65488'])), 'payload length 65488 exceeds max 65487');
  assert.equal(usage(() => parseTxArgs(['-4', '-D', '::1'])), 'ipv4 parse error: ::1');
  assert.match(usage(() => parseTxArgs(['-4', 'extra'])), /^Usage: msg-zerocopy udpgso /);
  assert.match(usage(() => parseTxArgs(['-4', '-x'])), /unknown option '-x'/);
});

test('udpgso-rx: defaults and errors as udpgso_bench_rx', () => {
  const c = parseRxArgs([]);
  assert.equal(c.family, 6, 'IPv6 by default');
  assert.equal(c.bindText, '::');
  assert.equal(c.readAll, false);
  assert.equal(c.connectTimeoutMs, 0);
  const v = parseRxArgs(['-4', '-v', '-n', '10', '-l', '1472', '-R', '500', '-G', '-S', '1472']);
  assert.equal(v.family, 4);
  assert.equal(v.bindText, '0.0.0.0');
  assert.ok(v.verify && v.readAll && v.gro);
  assert.equal(v.expectedNr, 10);
  assert.equal(v.expectedLen, 1472);
  assert.equal(v.rcvTimeoutMs, 500);
  assert.equal(v.expectedGso, 1472);
  assert.equal(parseRxArgs(['--validate']).readAll, true, '--validate reads whole datagrams');
  assert.equal(usage(() => parseRxArgs(['-t', '-v'])), 'TODO: implement verify mode for tcp');
});

test('the lines, byte for byte as the C programs print them', () => {
  // printf("%s tx: %6lu MB/s %8lu calls/s %6lu msg/s\n"), MB = bytes >> 20.
  assert.equal(txLine(false, 61824, 20000, 20000), 'udp tx:   1179 MB/s    20000 calls/s  20000 msg/s');
  assert.equal(txLine(true, 61824, 1, 3), 'tcp tx:      0 MB/s        3 calls/s      1 msg/s');
  assert.equal(rxLine(false, 5 << 20, 12345), 'udp rx:      5 MB/s    12345 calls/s');
  assert.deepEqual(parseTxLine('udp tx:   1179 MB/s    20000 calls/s  20000 msg/s'), { proto: 'udp', mbPerSec: 1179, calls: 20000, msgs: 20000 });
  assert.equal(parseTxLine('udp rx:   1179 MB/s    20000 calls/s'), null);
});

function result(o: { msgs: number; sends: number; ms: number; acks: number; ts?: number; tsErrors?: number }): UdpgsoTxResult {
  const tracker = new CompletionTracker();
  if (o.acks) tracker.record(0, o.acks - 1, 0);
  return {
    msgs: o.msgs, sends: o.sends, bytes: o.msgs * 61824, segments: 0, tstart: 1000, tend: 1000 + o.ms, tracker,
    queue: { timestamps: o.ts ?? 0, timestampErrors: o.tsErrors ?? 0 } as UdpgsoTxResult['queue'],
    expectedCompletions: o.sends, interrupted: null, backing: 'none', hugepagesWhy: null,
  };
}

test('the audit summary: the C arithmetic, and the lines that end the run', () => {
  const cfg = parseTxArgs(['-4', '-S', '0', '-z', '-a', '-T']);
  const ok = auditLines(cfg, result({ msgs: 6000, sends: 6000, ms: 3001, acks: 6000, ts: 6000 }));
  assert.equal(ok.error, null);
  assert.deepEqual(ok.lines, [
    'Summary over 3.001 seconds...',
    // ((6000 * 61824) >> 10) / 3001 = 362250 / 3001 = 120; 6000 * 1000 / 3001 = 1999.
    'sum udp tx:    120 MB/s       6000 calls (1999/s)       6000 msgs (1999/s)',
    'Tx Timestamps:                6000 received                 0 errors',
    'Zerocopy acks:                6000',
  ]);
  assert.equal(auditLines(cfg, result({ msgs: 10, sends: 10, ms: 1000, acks: 9, ts: 10 })).error,
    'Unexpected number of Zerocopy completions:        10 expected         9 received');
  assert.equal(auditLines(cfg, result({ msgs: 10, sends: 10, ms: 1000, acks: 10, ts: 8 })).error,
    'Unexpected number of TX Timestamps:        10 expected         8 received');
  assert.equal(auditLines(cfg, result({ msgs: 10, sends: 10, ms: 1000, acks: 10, ts: 10, tsErrors: 1 })).error,
    'Expected clean TX Timestamps:        10 msgs received      1 errors');
  assert.deepEqual(auditLines(cfg, result({ msgs: 1, sends: 1, ms: 0, acks: 1, ts: 1 })).lines, [], 'no whole millisecond: no summary');
});

test('--gso checks: udp only, no cork, segments per send, the MTU', () => {
  assert.equal(segmentsPerCall(65435, 1472), 45);
  assert.equal(segmentsPerCall(14720, 1472), 10);
  assert.equal(maxSegments('6.18.0-1-amd64'), 128);
  assert.equal(maxSegments('6.12.48+deb13-amd64'), 128);
  assert.equal(maxSegments('6.1.0-40-amd64'), 64);
  assert.equal(maxSegments('5.10.0'), 64);
  assert.match(usage(() => checkGsoInput('tcp', 4, 65435, 1448, 0)), /applies to udp only, not tcp/);
  assert.match(usage(() => checkGsoInput('udp', 4, 65435, 1472, 2)), /--gso and -c/);
  assert.equal(usage(() => checkGsoInput('udp', 4, 65435, 1000, 0, '6.1.0')), "--gso 1000: -s 65435 makes 66 segments, above the kernel's 64 per send");
  checkGsoInput('udp', 4, 65435, 1000, 0, '6.18.0');
  assert.equal(usage(() => checkGsoInput('udp', 4, 65435, 500, 0, '6.18.0')), "--gso 500: -s 65435 makes 131 segments, above the kernel's 128 per send");
  checkGsoMtu(4, 1472, 1500, '192.168.2.2');
  checkGsoMtu(6, 1452, 1500, 'fc::2');
  assert.match(usage(() => checkGsoMtu(6, 1472, 1500, 'fc::2')), /--gso 1472 is over the MTU's payload: .+ MTU 1500, which leaves 1452 bytes/);
});

test('--validate: every byte checked, a corrupted one caught with its offset', () => {
  const v = new PatternValidator(65535);
  const buf = new Uint8Array(4000);
  fillPayload(buf, 0, 4000);
  v.check(buf, 4000);
  v.check(buf.subarray(7), 1472); // a GSO segment starts mid-pattern
  assert.equal(v.badBytes, 0);
  buf[1234] ^= 0x20;
  v.check(buf, 4000);
  assert.equal(v.datagrams, 3);
  assert.equal(v.bytes, 4000 + 1472 + 4000);
  assert.equal(v.badBytes, 1);
  assert.equal(v.badDatagrams, 1);
  assert.deepEqual(v.first[0], { datagram: 2, offset: 1234, got: buf[1234], want: buf[1234] ^ 0x20 });
  buf[1234] ^= 0x20;
  buf[0] = 0x41; // a corrupted first byte: the second tells where the datagram starts
  v.check(buf, 4000);
  assert.equal(v.badBytes, 2);
  assert.equal(v.first[1].offset, 0);
  assert.match(v.line(), /^validate: 4 datagrams, 0\.0 MB checked, 2 wrong bytes in 2 datagrams; [\d.]+ ns\/byte .+first: datagram 2 offset 1234/);
});

test('-v: the C program\'s check and its mismatch line', () => {
  const buf = new Uint8Array(100);
  fillPayload(buf, 0, 100);
  verifyDatagram(buf.subarray(3), 97);
  buf[50] = 0x41;
  assert.throws(() => verifyDatagram(buf, 100), /^Error: data\[50\]: len 100, \.\(65\) != y\(121\)$/);
  assert.throws(() => verifyDatagram(new Uint8Array([0x41, 0x62]), 2), /data initial byte out of range/);
});

test('--validate on a tcp stream: payloads back to back, an early restart is not a mismatch, a flipped byte is', () => {
  const L = 1000;
  const v = new StreamValidator(L);
  const p = new Uint8Array(L);
  fillPayload(p, 0, L);
  // Two whole payloads, a short one (300 bytes, then the next starts over), one more whole, in odd chunks.
  const stream = new Uint8Array(3 * L + 300);
  stream.set(p, 0);
  stream.set(p, L);
  stream.set(p.subarray(0, 300), 2 * L);
  stream.set(p, 2 * L + 300);
  stream[2 * L + 300 + 555] ^= 0x04;
  for (let i = 0; i < stream.length; i += 777) v.check(stream.subarray(i), Math.min(777, stream.length - i));
  assert.equal(v.bytes, stream.length);
  assert.equal(v.restarts, 1);
  assert.equal(v.badBytes, 1);
  assert.deepEqual(v.first[0], { offset: 2 * L + 300 + 555, got: stream[2 * L + 855], want: p[555] });
  assert.match(v.line(), /^validate: 0\.0 MB checked, 1 wrong bytes, 1 payloads started early; .+first at stream offset 2855: /);
});
