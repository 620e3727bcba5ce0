// SPDX-License-Identifier: GPL-2.0-only
// pair: the summary of both sides, the control port default, the next hop for packet tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultControlPort } from '../../src/cli/pair.js';
import { parseNeigh, parseRoute } from '../../src/pair/neigh.js';
import { summarizePair, summaryLines } from '../../src/pair/summary.js';
import { hostPort } from '../../src/pair/text.js';
import type { ClassicReport } from '../../src/report/report.js';

function report(role: 'sender' | 'receiver', packets: number, bytes: number, durationMs = 1000, cpuUs = 500000): ClassicReport {
  return {
    tool: 'msg-zerocopy', role, packets, bytes, durationMs: durationMs + 300, dataMs: durationMs, exitStatus: 0,
    throughputBps: bytes / (durationMs / 1000),
    throughputGbps: (bytes * 8) / (durationMs / 1000) / 1e9, packetsPerSec: packets / (durationMs / 1000),
    cpu: { userUs: cpuUs / 2, sysUs: cpuUs / 2, secPerGB: bytes > 0 ? cpuUs / 1e6 / (bytes / 1e9) : null, utilization: 0.5 },
    ...(role === 'sender' ? {
      expectedCompletions: 0, completions: 0, copiedCompletions: 0, zerocopiedCompletions: 0, gaps: 0, sendCalls: packets,
    } : {}),
  } as unknown as ClassicReport;
}

test('pair summary: both sides with throughput and CPU per GB; tcp byte match', () => {
  const tcp = summarizePair('tcp', 0, report('sender', 10, 2e9), report('receiver', 3, 2e9, 2000));
  assert.equal(tcp.bytesMatch, true);
  assert.equal(tcp.loss, null);
  assert.deepEqual(summaryLines(tcp), [
    'pair: sender: 10 sends, 2.000 GB in 1.00 s, 16.00 Gbit/s, CPU 0.250 s/GB',
    'pair: receiver: 3 reads, 2.000 GB in 2.00 s, 8.00 Gbit/s, CPU 0.250 s/GB',
    'pair: tcp: all 2000000000 bytes arrived',
  ]);
  const short = summarizePair('tcp', 0, report('sender', 10, 654350), report('receiver', 3, 600000));
  assert.equal(short.bytesMatch, false);
  assert.equal(summaryLines(short)[2], 'pair: tcp: sent 654350 bytes, received 600000 (54350 missing)');
  assert.match(summaryLines(short)[0], /0\.001 GB in 1\.00 s/);
});

test('pair summary: udp loss counted in datagrams (cork); a missing or failed side says so', () => {
  const udp = summarizePair('udp', 4, report('sender', 400, 400000), report('receiver', 90, 90000));
  assert.equal(udp.datagramsSent, 100);
  assert.equal(udp.loss, 0.1);
  assert.equal(summaryLines(udp)[2], 'pair: udp: 100 datagrams sent, 90 received, loss 10.00%');
  const none = summarizePair('udp', 0, null, null);
  assert.equal(none.loss, null);
  assert.equal(none.sender, null);
  assert.deepEqual(summaryLines(none), ['pair: sender: no report', 'pair: receiver: no report']);
  const failed = { tool: 'msg-zerocopy', role: 'receiver', error: 'bind: Address in use', exitStatus: 1 } as unknown as ClassicReport;
  assert.equal(summarizePair('udp', 0, report('sender', 5, 5000), failed).receiver, null);
  const old = { ...report('receiver', 3, 2e9, 2000) } as Record<string, unknown>;
  delete old.dataMs;
  assert.equal(summarizePair('tcp', 0, null, old as unknown as ClassicReport).receiver?.durationMs, 2300, 'no dataMs: durationMs');
  const empty = summarizePair('udp', 0, report('sender', 0, 0), report('receiver', 0, 0));
  assert.equal(empty.loss, null, 'no datagrams sent: no loss figure');
  assert.match(summaryLines(empty)[0], /CPU -$/);
});

test('control port default and host:port', () => {
  assert.equal(defaultControlPort(8000), 7999, 'just below the data port: the flows of -P go upwards from it');
  assert.equal(defaultControlPort(65535), 65534);
  assert.equal(defaultControlPort(2), 1);
  assert.throws(() => defaultControlPort(1), (e: Error & { line?: string }) => /give --control-port/.test(e.line ?? ''));
  assert.equal(hostPort('fd::2', 8001), '[fd::2]:8001');
  assert.equal(hostPort('192.168.1.2', 8001), '192.168.1.2:8001');
});

test('packet tests: the route and the neighbour entry, read from ip -j', () => {
  assert.deepEqual(parseRoute([{ dst: '192.168.1.2', dev: 'veth0', prefsrc: '192.168.1.1', type: 'unicast' }], '192.168.1.2'),
    { dev: 'veth0', hop: '192.168.1.2', src: '192.168.1.1', type: 'unicast' });
  assert.deepEqual(parseRoute([{ dst: '8.8.8.8', gateway: '10.0.0.1', dev: 'eth0' }], '8.8.8.8'),
    { dev: 'eth0', hop: '10.0.0.1', src: null, type: 'unicast' });
  assert.equal(parseRoute([], 'x'), null);
  assert.equal(parseRoute('garbage', 'x'), null);
  assert.equal(parseRoute([{ type: 'unreachable' }], 'x'), null);

  const table = [
    { dst: '192.168.1.9', dev: 'veth0', lladdr: '02:00:00:00:00:09', state: ['REACHABLE'] },
    { dst: '192.168.1.2', dev: 'veth0', state: ['FAILED'] },
    { dst: '192.168.1.2', dev: 'veth0', lladdr: '06:06:06:06:06:06', state: ['STALE'] },
  ];
  assert.deepEqual(parseNeigh(table, '192.168.1.2'), { mac: '06:06:06:06:06:06', state: 'STALE' });
  assert.equal(parseNeigh([{ dst: '192.168.1.2', lladdr: '06:06:06:06:06:06', state: ['INCOMPLETE'] }], '192.168.1.2'), null);
  assert.equal(parseNeigh([{ dst: '192.168.1.2', lladdr: 'not a mac', state: ['REACHABLE'] }], '192.168.1.2'), null);
  assert.deepEqual(parseNeigh([{ dst: 'fd::2', lladdr: 'AA:BB:CC:DD:EE:FF', state: ['PERMANENT'] }], 'fd::2'),
    { mac: 'aa:bb:cc:dd:ee:ff', state: 'PERMANENT' });
  assert.equal(parseNeigh(null, 'x'), null);
});
