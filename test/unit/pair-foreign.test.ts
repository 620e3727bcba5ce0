// SPDX-License-Identifier: GPL-2.0-only
// What pair makes of foreign traffic (src/pair/summary.ts): more received than
// sent is never "0 % loss" but an excess; what the receiver refused shows as
// `foreign` and one line. And the classic receiver's one line for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foreignLine } from '../../src/receiver/receiver.js';
import { summarizePair, summaryLines } from '../../src/pair/summary.js';
import type { ClassicReport } from '../../src/report/report.js';

function report(role: 'sender' | 'receiver', packets: number, bytes: number, foreign?: object): ClassicReport {
  return {
    tool: 'msg-zerocopy', role, packets, bytes, durationMs: 1300, dataMs: 1000, exitStatus: 0,
    throughputBps: bytes, throughputGbps: (bytes * 8) / 1e9, packetsPerSec: packets,
    cpu: { userUs: 1000, sysUs: 1000, secPerGB: null, utilization: 0.5 },
    ...(role === 'sender' ? { expectedCompletions: 0, completions: 0, copiedCompletions: 0, zerocopiedCompletions: 0, gaps: 0 } : {}),
    ...(foreign ? { foreign } : {}),
  } as unknown as ClassicReport;
}

test('udp: 227,674 received against 224,640 sent is an excess of 3,034, not loss 0.00%', () => {
  const s = summarizePair('udp', 0, report('sender', 224640, 224640000), report('receiver', 227674, 227674000));
  assert.equal(s.loss, null);
  assert.equal(s.excess, 3034);
  assert.ok(!summaryLines(s).some((l) => /loss/.test(l)), summaryLines(s).join('\n'));
  const fine = summarizePair('udp', 0, report('sender', 100, 100000), report('receiver', 100, 100000));
  assert.equal(fine.excess, null);
  assert.equal(fine.loss, 0);
});

test('tcp: more bytes received than sent is an excess, said as such', () => {
  const s = summarizePair('tcp', 0, report('sender', 10, 1000), report('receiver', 3, 1500));
  assert.equal(s.excess, 500);
  assert.equal(s.bytesMatch, false);
  assert.equal(summaryLines(s)[2], 'pair: tcp: sent 1000 bytes, received 1500 (500 more than sent)');
});

test('foreign: the receiver\'s refusals in the summary and its line; a malformed peer report counts nothing', () => {
  const f = { connections: 3, datagrams: 0, wrongSize: 0, wrongPayload: 0, first: 'a connection from 192.168.77.3:4000' };
  const s = summarizePair('tcp', 0, report('sender', 10, 1000), report('receiver', 3, 1000, f));
  assert.deepEqual(s.foreign, { connections: 3, datagrams: 0 });
  assert.equal(summaryLines(s).at(-1), 'pair: foreign: the receiver refused 3 connections that did not come from this sender (none of it counted)');
  const none = summarizePair('udp', 0, report('sender', 10, 1000), report('receiver', 10, 1000, { connections: 0, datagrams: 0 }));
  assert.ok(!summaryLines(none).some((l) => /foreign/.test(l)));
  assert.equal(summarizePair('udp', 0, null, report('receiver', 1, 1, { connections: -1, datagrams: 'x' })).foreign, null);
  assert.equal(foreignLine({ connections: 0, datagrams: 2, wrongSize: 1, wrongPayload: 1, first: 'recv: ret=1 != 1000' }),
    'foreign: 2 datagrams (1 of the wrong size, 1 with another payload) not counted; the first: recv: ret=1 != 1000');
  assert.equal(foreignLine({ connections: 0, datagrams: 0, wrongSize: 0, wrongPayload: 0, first: null }), '');
});
