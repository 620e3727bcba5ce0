// SPDX-License-Identifier: GPL-2.0-only
// pair -P n: serve's check of a run request of several flows, the control
// port that never meets a flow's data port, the receiver's start-up
// allowance, the ports checked all at once, and the summary flow by flow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowsStartSecs } from '../../src/flows/plan.js';
import { checkRunRequest, DEFAULT_POLICY, type ServeLimits } from '../../src/pair/policy.js';
import { heldPorts } from '../../src/pair/ports.js';
import { DEFAULT_CONTROL_PORT, defaultControlPort, PROTOCOL_VERSION, receiverReadyMs } from '../../src/pair/protocol.js';
import { flowByteCounts, summarizePair, summaryLines } from '../../src/pair/summary.js';
import type { ClassicReport } from '../../src/report/report.js';
import { READY_MAX_MS } from '../../src/run/run.js';

const limits: ServeLimits = { family: 4, controlPort: 7999, maxPayload: 65435, policy: { ...DEFAULT_POLICY } };
const good = { type: 'run', family: 4, test: 'tcp', senderTest: 'tcp', port: 8000, flows: 2, size: 65435, secs: 5, client: 'a',
  source: { address: '192.168.1.1', port: 40000 }, seed: null as string | null };

const refused = (m: unknown, l: ServeLimits = limits): string => {
  const r = checkRunRequest(m, l);
  assert.equal(r.ok, false, JSON.stringify(m));
  return (r as { reason: string }).reason;
};

test('protocol 4: the run request carries flows (3), the sender\'s source and pattern seed, and rx, expectMapped (4)', () => {
  assert.equal(PROTOCOL_VERSION, 4);
  assert.deepEqual(checkRunRequest({ ...good, extra: 1 }, limits), { ok: true, req: { ...good, rx: 'trunc', expectMapped: null } });
  assert.equal(checkRunRequest({ ...good, flows: 64, port: 65472 }, limits).ok, true, '64 flows up to port 65535');
  assert.equal(checkRunRequest({ ...good, test: 'udp', senderTest: 'udp', flows: 1, seed: 'ab'.repeat(16) }, limits).ok, true);
});

test('run requests of several flows: flows bounded and typed', () => {
  for (const flows of [0, 65, 1.5, -1, '2', null, [2], 1e9]) {
    assert.equal(refused({ ...good, flows }), 'flows must be a whole number from 1 to 64', JSON.stringify(flows));
  }
  const without: Record<string, unknown> = { ...good };
  delete without.flows;
  assert.equal(refused(without), 'flows must be a whole number from 1 to 64', 'a request of an older pair');
  assert.equal(refused({ ...good, test: 'raw', senderTest: 'packet' }, { ...limits, policy: { ...DEFAULT_POLICY, allowRaw: true } }),
    '-P 2: packet has no ports to tell the flows apart; run several flows with tcp or udp');
  assert.equal(refused({ ...good, port: 65535 }), '-P 2: flow 1 would need data port 65536: give a -p up to 65534');
});

test('run requests of several flows: every data port inside the policy, none the control port', () => {
  // tcp: the control port inside the flows' ports names the flow
  assert.equal(refused({ ...good, port: 7998 }), 'data port 7999 (flow 1 of -P 2) is this serve\'s control port: pick another -p');
  assert.equal(refused({ ...good, port: 7990, flows: 10 }), 'data port 7999 (flow 9 of -P 10) is this serve\'s control port: pick another -p');
  assert.equal(checkRunRequest({ ...good, port: 8000, flows: 64 }, limits).ok, true, 'the default control port is below them all');
  const range = { ...limits, policy: { ...DEFAULT_POLICY, portLo: 9000, portHi: 9100 } };
  assert.equal(checkRunRequest({ ...good, port: 9099 }, range).ok, true, 'the last two ports of the range');
  assert.equal(refused({ ...good, port: 9100 }, range),
    'data ports 9100-9101 (-P 2) reach outside this serve\'s range 9000-9100: pick -p from 9000 to 9099');
  assert.equal(refused({ ...good, port: 8999 }, range),
    'data ports 8999-9000 (-P 2) reach outside this serve\'s range 9000-9100: pick -p from 9000 to 9099');
  assert.equal(refused({ ...good, port: 9000, flows: 4 }, { ...limits, policy: { ...DEFAULT_POLICY, portLo: 9000, portHi: 9000 } }),
    'data ports 9000-9003 (-P 4) reach outside this serve\'s range 9000-9000: the range holds 1 port: use -P 1 or fewer');
  assert.equal(refused({ ...good, port: 1023 }),
    'data ports 1023-1024 (-P 2) reach outside this serve\'s range 1024-65535: pick -p from 1024 to 65534', 'a privileged first port');
  // one flow: the classic reasons, unchanged
  assert.equal(refused({ ...good, flows: 1, port: 22 }),
    'data port 22 is outside this serve\'s range 1024-65535 (privileged ports are refused unless serve --ports includes them): pick -p in the range');
  assert.equal(refused({ ...good, flows: 1, port: 7999 }), 'data port 7999 is this serve\'s control port: pick another -p');
});

test('run requests of several flows: the receiver\'s start-up allowance counts against --max-time', () => {
  assert.deepEqual([1, 2, 4, 5, 8, 16, 32, 64].map(flowsStartSecs), [0, 0, 0, 1, 1, 3, 7, 15]);
  assert.equal(checkRunRequest({ ...good, flows: 8, secs: 59 }, limits).ok, true, '59 + 1 s');
  assert.equal(refused({ ...good, flows: 8, secs: 60 }),
    'a 61 s receiver run (pair -t 59 + 1, + 1 s to start 8 flows) is over this serve\'s limit of 60 s (serve --max-time): use -t 58 or less');
  assert.equal(refused({ ...good, flows: 64, port: 9000, secs: 1 }, { ...limits, policy: { ...DEFAULT_POLICY, maxSecs: 10 } }),
    'a 16 s receiver run (pair -t 0 + 1, + 15 s to start 64 flows) is over this serve\'s limit of 10 s (serve --max-time): use fewer flows');
  assert.equal(refused({ ...good, flows: 2, secs: 61 }),
    'a 61 s receiver run (pair -t 60 + 1) is over this serve\'s limit of 60 s (serve --max-time): use -t 59 or less', 'no allowance for 2');
  assert.equal(receiverReadyMs(1), READY_MAX_MS);
  assert.equal(receiverReadyMs(2), READY_MAX_MS);
  assert.equal(receiverReadyMs(64), READY_MAX_MS + 15000);
});

test('the default control port is below the data port, so no flow ever meets it', () => {
  assert.equal(DEFAULT_CONTROL_PORT, 7999);
  for (const p of [2, 1024, 8000, 9300, 65472, 65535]) {
    const c = defaultControlPort(p);
    assert.equal(c, p - 1);
    for (let k = 0; k < 64 && p + k <= 65535; k++) assert.notEqual(c, p + k);
  }
});

test('ports of several flows: the tables read once, every held port named in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mzc-net-'));
  try {
    const head = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    // 9301 (0x2455) held by a udp socket, 9303 (0x2457) by a tcp listener; 9302 only in TIME_WAIT (inode 0)
    writeFileSync(join(dir, 'udp'), `${head}   5: 0201A8C0:2455 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 777 2 0 0\n`);
    writeFileSync(join(dir, 'tcp'), `${head}   0: 0201A8C0:2457 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 888 1 0 100 0 0 10 0\n` +
      `   1: 0201A8C0:2456 0101A8C0:9C40 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0\n`);
    const held = await heldPorts(9300, 4, 'tcp', dir);
    assert.deepEqual(held.map((h) => [h.port, h.holders.map((x) => `${x.table} ${x.state} ${x.local} ${x.inode}`)]), [
      [9301, ['udp bound 192.168.1.2:9301 777']],
      [9303, ['tcp LISTEN 192.168.1.2:9303 888']],
    ]);
    assert.deepEqual(await heldPorts(9300, 1, 'udp', dir), [], 'one flow: its own port only');
    assert.deepEqual((await heldPorts(9303, 1, 'udp', dir)).map((h) => h.port), [9303], 'any table, whatever the test');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An aggregate report (src/flows/report.ts) of flows with these byte counts. */
function multi(role: 'sender' | 'receiver', bytes: Array<number | null>): ClassicReport {
  const total = bytes.reduce<number>((a, b) => a + (b ?? 0), 0);
  return {
    tool: 'msg-zerocopy', role, packets: total / 1000, bytes: total, durationMs: 1300, dataMs: 1000, exitStatus: 0,
    throughputBps: total, packetsPerSec: total / 1000, cpu: { userUs: 1e5, sysUs: 1e5 },
    flowCount: bytes.length,
    flows: bytes.map((b, flow) => (b === null ? { flow, tool: 'msg-zerocopy', role, error: 'connect: refused', exitStatus: 1 }
      : { flow, tool: 'msg-zerocopy', role, bytes: b, packets: b / 1000 })),
    ...(role === 'sender' ? { expectedCompletions: 0, completions: 0, copiedCompletions: 0, zerocopiedCompletions: 0, gaps: 0, sendCalls: 1 } : {}),
  } as unknown as ClassicReport;
}

test('pair summary of several flows: the sums, and tcp bytes flow by flow', () => {
  const ok = summarizePair('tcp', 0, multi('sender', [3000, 5000]), multi('receiver', [3000, 5000]), 2);
  assert.equal(ok.flows, 2);
  assert.equal(ok.bytesMatch, true);
  assert.deepEqual(ok.flowBytes, [{ flow: 0, sent: 3000, received: 3000 }, { flow: 1, sent: 5000, received: 5000 }]);
  assert.deepEqual(summaryLines(ok), [
    'pair: sender: 2 flows, 8 sends, 0.000 GB in 1.00 s, 0.00 Gbit/s, CPU 25000.000 s/GB',
    'pair: receiver: 2 flows, 8 reads, 0.000 GB in 1.00 s, 0.00 Gbit/s, CPU 25000.000 s/GB',
    'pair: tcp: all 8000 bytes arrived, on each of the 2 flows',
  ]);
  // equal sums, but not flow by flow: a mismatch, named
  const crossed = summarizePair('tcp', 0, multi('sender', [3000, 5000]), multi('receiver', [5000, 3000]), 2);
  assert.equal(crossed.bytesMatch, false);
  assert.deepEqual(summaryLines(crossed).slice(2), [
    'pair: tcp: flow 0: sent 3000 bytes, received 5000 bytes (-2000 missing)',
    'pair: tcp: flow 1: sent 5000 bytes, received 3000 bytes (2000 missing)',
  ]);
  const short = summarizePair('tcp', 0, multi('sender', [3000, 5000]), multi('receiver', [3000, null]), 2);
  assert.equal(short.bytesMatch, false);
  assert.deepEqual(summaryLines(short).slice(2), [
    'pair: tcp: sent 8000 bytes, received 3000 (5000 missing)',
    'pair: tcp: flow 1: sent 5000 bytes, received no count',
  ]);
  // udp: loss on the sums, no flow-by-flow bytes
  const udp = summarizePair('udp', 0, multi('sender', [3000, 5000]), multi('receiver', [2000, 4000]), 2);
  assert.equal(udp.flowBytes, null);
  assert.equal(udp.datagramsSent, 8);
  assert.equal(udp.loss, 0.25);
});

test('a peer\'s flows array is read defensively', () => {
  const withFlows = (flows: unknown): ClassicReport => ({ ...multi('receiver', [1]), flows } as unknown as ClassicReport);
  assert.equal(flowByteCounts(null), null);
  assert.equal(flowByteCounts(withFlows('x')), null);
  assert.equal(flowByteCounts(withFlows(Array(65).fill({ flow: 0, bytes: 1 }))), null, 'more flows than -P allows');
  assert.deepEqual([...flowByteCounts(withFlows([
    { flow: 0, bytes: 10 }, { flow: 0, bytes: 99 }, { flow: 1, bytes: '5' }, { flow: -1, bytes: 1 }, { flow: 2.5, bytes: 1 },
    { flow: 64, bytes: 1 }, { flow: 3, bytes: Infinity }, null, 7, { flow: 4, bytes: 40 },
  ]))!], [[0, 10], [4, 40]]);
  // a receiver report whose flows cannot be read: the sums decide
  const s = summarizePair('tcp', 0, multi('sender', [3000, 5000]), withFlows({}), 2);
  assert.equal(s.flowBytes, null);
  assert.equal(s.bytesMatch, false, 'sums 8000 against 1');
});

test('pair summary of several flows: the rate is the sum of the flows\' own rates, each over the time its data moved', () => {
  // a udp receiver of two flows: its aggregate rate is over the span of its whole run (3 s), data or not
  const rx = {
    ...multi('receiver', [2e9, 1e9]), throughputBps: 1e9, dataMs: 3000,
    flows: [{ flow: 0, bytes: 2e9, throughputBps: 2e9, dataMs: 1000 }, { flow: 1, bytes: 1e9, throughputBps: 1.25e9, dataMs: 800 }],
  } as unknown as ClassicReport;
  const s = summarizePair('udp', 0, multi('sender', [2e9, 1e9]), rx, 2);
  assert.equal(s.receiver?.throughputGbps, 26);
  assert.equal(s.receiver?.durationMs, 1000);
  // a flow without its rate: the aggregate's figures
  const partial = { ...rx, flows: [{ flow: 0, bytes: 2e9, throughputBps: 2e9, dataMs: 1000 }, { flow: 1, bytes: 1e9 }] } as unknown as ClassicReport;
  assert.equal(summarizePair('udp', 0, null, partial, 2).receiver?.throughputGbps, 8);
});
