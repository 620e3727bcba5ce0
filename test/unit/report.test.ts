// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { megabytes, parseReceiverLine, parseSenderLine, receiverLine, senderLine, senderReport } from '../../src/report/report.js';
import { kernelHint } from '../../src/net/socket.js';
import { EADDRINUSE, ENOBUFS, EOPNOTSUPP, EPERM } from '../../src/libc/constants.js';
import { CompletionTracker, COPIED } from '../../src/notify/tracker.js';
import { parseClassicArgs } from '../../src/flags/classic.js';

test('classic lines are byte for byte the selftest format', () => {
  assert.equal(senderLine({ packets: 130013, bytes: 8507400655, completions: 130013, zc: 'n' }), 'tx=130013 (8113 MB) txc=130013 zc=n');
  assert.equal(senderLine({ packets: 0, bytes: 0, completions: 0, zc: 'y' }), 'tx=0 (0 MB) txc=0 zc=y');
  assert.equal(receiverLine({ packets: 25249, bytes: 5779350070 }), 'rx=25249 (5511 MB)');
});

test('classic lines read back, ours and the C tool\'s, among other stderr lines', () => {
  assert.deepEqual(parseSenderLine('cpu: unable to pin, may increase variance.\ntx=130013 (8113 MB) txc=65006 zc=y\n'),
    { packets: 130013, mb: 8113, completions: 65006, zc: 'y' });
  assert.deepEqual(parseReceiverLine('rx=25249 (5511 MB)\n'), { packets: 25249, mb: 5511 });
  assert.equal(parseSenderLine('rx=1 (0 MB)\n'), null);
  assert.equal(parseReceiverLine('tx=1 (0 MB) txc=0 zc=n\n'), null);
  assert.equal(parseSenderLine('tx=1 (0 MB) txc=0 zc=x\n'), null);
});

test('megabytes is bytes >> 20 beyond 32 bits', () => {
  assert.equal(megabytes(1048575), 0);
  assert.equal(megabytes(1048576), 1);
  assert.equal(megabytes(2 ** 40 + 5), 2 ** 20);
});

test('kernel refusals name the fix', () => {
  assert.match(kernelHint(ENOBUFS, 'send', { test: 'udp', notificationLimit: 64 })!, /net\.core\.optmem_max.*-l \(now 64\)/);
  assert.match(kernelHint(EOPNOTSUPP, { call: 'setsockopt', text: 'setsockopt 1.60: 1', option: [1, 60] }, { test: 'raw', notificationLimit: 32 })!, /only on tcp and udp.*run raw without -z/);
  assert.match(kernelHint(EPERM, { call: 'socket', text: 'socket t' })!, /CAP_NET_RAW/);
  assert.match(kernelHint(EADDRINUSE, 'bind')!, /-p/);
  assert.equal(kernelHint(EOPNOTSUPP, 'send'), undefined);
  // EOPNOTSUPP from another option is not the SO_ZEROCOPY refusal
  assert.equal(kernelHint(EOPNOTSUPP, { call: 'setsockopt', text: 'setsockopt 17.1: 1', option: [17, 1] }), undefined);
});

test('JSON report carries counters, completions split and CPU per GB', () => {
  const cfg = parseClassicArgs(['-4', '-D', '10.0.0.1', '-z', '-Z', '0', 'udp'], { ifindex: () => 1 });
  const tracker = new CompletionTracker(0);
  tracker.record(0, 9, COPIED);
  tracker.record(10, 19, 0);
  const r = senderReport(cfg, {
    packets: 20, bytes: 2e9, calls: 20, eagain: 3, enobufs: 0, expectedCompletions: 20, tracker,
    startedAt: 0, durationMs: 2000, dataMs: 2000, intervals: null, interrupted: null, zc: 'n', missingNotifications: false,
  }, { userUs: 500_000, sysUs: 1_500_000 }, 1, 'private');
  assert.equal(r.role, 'sender');
  assert.equal(r.fdTable, 'private');
  assert.equal(r.completions, 20);
  assert.equal(r.copiedCompletions, 10);
  assert.equal(r.zerocopiedCompletions, 10);
  assert.equal(r.copiedShare, 0.5);
  assert.equal(r.expectationMet, false);
  assert.equal(r.bytesPerSecond, 1e9);
  assert.equal(r.bitsPerSecond, 8e9);
  assert.equal(r.packetsPerSecond, 10);
  assert.equal(r.throughputBps, 1e9);
  assert.equal(r.throughputGbps, 8);
  assert.equal(r.cpu.secPerGB, 1);
  assert.equal(r.cpu.utilization, 1);
  assert.equal(r.eagain, 3);
  assert.equal(r.exitStatus, 1);
});
