// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { defaultControlPort, senderArgv } from '../../src/pair/command.js';
import { summarizePair, summaryLines } from '../../src/pair/pair.js';
import { checkRunRequest, LineReader, parseMessage, receiveMode, receiverArgv, type RunRequest } from '../../src/pair/protocol.js';
import { hostPort } from '../../src/pair/serve.js';

const serve = { family: 4 as const, controlPort: 8001, maxPayload: 65435 };
const good: RunRequest = { type: 'run', version: 1, family: 4, test: 'udp', port: 8000, size: 65435, secs: 5 };

test('run requests: a good one passes unchanged, extra fields dropped', () => {
  const r = checkRunRequest({ ...good, evil: '; rm -rf /' }, serve);
  assert.deepEqual(r, { ok: true, req: good });
});

test('run requests: every bad field is refused with a reason', () => {
  const bad = (m: unknown): string => {
    const r = checkRunRequest(m, serve);
    assert.equal(r.ok, false);
    return (r as { reason: string }).reason;
  };
  assert.match(bad(null), /not a JSON object/);
  assert.match(bad([1]), /not a JSON object/);
  assert.match(bad({ ...good, type: 'ready' }), /expected a run request/);
  assert.match(bad({ ...good, version: 2 }), /same msg-zerocopy release on both hosts/);
  assert.match(bad({ ...good, family: 6 }), /family mismatch: this serve runs -4; run pair with -4 \(or serve with -6\)/);
  assert.match(bad({ ...good, family: 5 }), /family must be 4 or 6/);
  assert.match(bad({ ...good, test: 'packet' }), /one of tcp, udp, raw/);
  assert.match(bad({ ...good, test: '--json' }), /one of tcp, udp, raw/);
  assert.match(bad({ ...good, port: 0 }), /port/);
  assert.match(bad({ ...good, port: '8000' }), /port/);
  assert.match(bad({ ...good, test: 'tcp', port: 8001 }), /control port: pick another -p/);
  assert.match(bad({ ...good, size: 65436 }), /size .* 1 to 65435/);
  assert.match(bad({ ...good, size: 1.5 }), /size/);
  assert.match(bad({ ...good, secs: -1 }), /secs/);
  assert.match(bad({ ...good, secs: 3601 }), /secs/);
  // udp on the control port number is a different protocol: allowed
  assert.equal(checkRunRequest({ ...good, port: 8001 }, serve).ok, true);
});

test('receiver argv and receive mode', () => {
  assert.deepEqual(receiverArgv({ ...good, test: 'tcp', secs: 2 }, '192.168.1.2'),
    ['-4', '-D', '192.168.1.2', '-p', '8000', '-s', '65435', '-t', '2', '--json', '-r', 'tcp']);
  assert.equal(receiveMode('packet'), 'raw');
  assert.equal(receiveMode('packet_dgram'), 'raw');
  assert.equal(receiveMode('raw_hdrincl'), 'raw');
  assert.equal(receiveMode('raw'), 'raw');
  assert.equal(receiveMode('udp'), 'udp');
  assert.equal(receiveMode('tcp'), 'tcp');
});

test('sender argv keeps the classic flags as typed', () => {
  assert.deepEqual(senderArgv('udp', { '4': 1, D: '10.0.0.2', t: '0x2', s: '1000', c: '4', m: true, z: true, Z: '1', v: 2, l: '64' }),
    ['-4', '-c', '4', '-D', '10.0.0.2', '-l', '64', '-s', '1000', '-t', '0x2', '-Z', '1', '-m', '-z', '-v', '-v', '--json', 'udp']);
  assert.deepEqual(senderArgv('tcp', { '6': 1, D: 'fd::2', p: '9000', json: true }), ['-6', '-D', 'fd::2', '-p', '9000', '--json', 'tcp']);
  assert.equal(defaultControlPort(8000), 8001);
  assert.throws(() => defaultControlPort(65535), (e: Error & { line?: string }) => /give --control-port/.test(e.line ?? ''));
  assert.equal(hostPort('fd::2', 8001), '[fd::2]:8001');
  assert.equal(hostPort('192.168.1.2', 8001), '192.168.1.2:8001');
});

test('pair summary: tcp byte match, udp loss counted in datagrams (cork)', () => {
  const tcp = summarizePair('tcp', 0, { packets: 10, bytes: 654350 }, { packets: 3, bytes: 654350 });
  assert.equal(tcp.bytesMatch, true);
  assert.equal(tcp.loss, null);
  assert.deepEqual(summaryLines(tcp), ['pair: tx 10 sends (0 MB), rx 3 reads (0 MB)', 'pair: tcp: all 654350 bytes arrived']);
  const short = summarizePair('tcp', 0, { packets: 10, bytes: 654350 }, { packets: 3, bytes: 600000 });
  assert.equal(short.bytesMatch, false);
  assert.match(summaryLines(short)[1], /sent 654350 bytes, received 600000 \(54350 missing\)/);

  const udp = summarizePair('udp', 4, { packets: 400, bytes: 400000 }, { packets: 90, bytes: 90000 });
  assert.equal(udp.datagramsSent, 100);
  assert.equal(udp.loss, 0.1);
  assert.equal(summaryLines(udp)[1], 'pair: udp: 100 datagrams sent, 90 received, loss 10.00%');
  const none = summarizePair('udp', 0, null, null);
  assert.equal(none.loss, null);
  assert.equal(none.txPackets, null);
});

test('line reader: messages in order, split anywhere; garbage ends the stream', async () => {
  const s = new PassThrough();
  const r = new LineReader(s as unknown as Socket);
  s.write('{"type":"ready","argv":[],"pid":1}\n{"type":');
  s.write('"sent","ok":true}\n\n');
  assert.deepEqual(await r.next(1000), { type: 'ready', argv: [], pid: 1 });
  assert.deepEqual(await r.next(1000), { type: 'sent', ok: true });
  await assert.rejects(r.next(20), /timeout/);
  s.write('not json\n');
  assert.equal(await r.next(1000), null);
  assert.equal(await r.next(1000), null, 'stays ended');
  assert.equal(parseMessage('{"no":"type"}'), null);
  assert.equal(parseMessage('"x"'), null);
});

test('line reader: end of stream is null', async () => {
  const s = new PassThrough();
  const r = new LineReader(s as unknown as Socket);
  const p = r.next(1000);
  s.end();
  assert.equal(await p, null);
});
