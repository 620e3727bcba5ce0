// SPDX-License-Identifier: GPL-2.0-only
// The run layer's pure parts: argv from a spec, deadlines, the typed report
// reader, and readiness by the receiver's own socket (checked against this
// process and a child that shares its namespace but not its socket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { createSocket } from 'node:dgram';
import { classicArgv, deadlineFor, receiverDeadlineMs, runtimeMs, senderDeadlineMs, senderSpecOf } from '../../src/run/classic.js';
import { readinessFailure, senderRan } from '../../src/run/run.js';
import { receiverSocketsBound } from '../../src/run/ready.js';

const ownSocketBound = (pid: number, family: 4 | 6, test: 'tcp' | 'udp', port: number): Promise<boolean> =>
  receiverSocketsBound(pid, family, test, port);
import { checkReport, isErrorReport, isSenderReport, readReport } from '../../src/report/read.js';
import { errorReport } from '../../src/report/report.js';
import { parseClassicArgs } from '../../src/flags/classic.js';

test('deadlines come from the selftest constants: 200 ms + t s, then 500 ms (sender) or 400 ms (receiver)', () => {
  assert.equal(runtimeMs(1), 1200);
  assert.equal(senderDeadlineMs(1, 0), 1700);
  assert.equal(receiverDeadlineMs(2, 0), 2600);
  assert.equal(senderDeadlineMs(0, 10000), 10700);
  assert.equal(deadlineFor({ role: 'receiver', family: 4, test: 'tcp', dst: '1.2.3.4', port: 1, secs: 3, json: false }, 7), 3607);
});

test('classic argv: every sender flag, in one order, parsed back to the same configuration', () => {
  const argv = classicArgv({
    role: 'sender', family: 6, test: 'udp', ifname: 'veth0', port: 9000, src: 'fd::1', dst: 'fd::2', size: 1000, secs: 3,
    zerocopy: true, expect: 1, cork: 4, corkMixed: true, cpu: 1, notificationLimit: 64, payloadOffset: 0,
    sharedFdTable: true, verbose: 2, json: true, extra: ['-l', '128'],
  });
  assert.deepEqual(argv, ['-6', '-i', 'veth0', '-p', '9000', '-S', 'fd::1', '-D', 'fd::2', '-s', '1000', '-t', '3', '-z',
    '-Z', '1', '-c', '4', '-m', '-C', '1', '-l', '64', '--payload-offset', '0', '--shared-fd-table', '-v', '-v', '--json',
    '-l', '128', 'udp']);
  const cfg = parseClassicArgs(argv, { ifindex: () => 7 });
  assert.equal(cfg.notificationLimit, 128, 'extra flags come after ours, so they win');
  assert.equal(cfg.cork, 4);
  assert.equal(cfg.corkMixed, true);
  assert.equal(cfg.payloadOffset, 0);
  assert.equal(cfg.sharedFdTable, true);
  assert.equal(cfg.verbose, 2);
  assert.equal(cfg.runtimeMs, 3200);
  // and the spec of a parsed configuration gives the same flags back (pair forwards every one)
  const again = parseClassicArgs(classicArgv(senderSpecOf(cfg)), { ifindex: () => 7 });
  assert.deepEqual({ ...again, dst: [...again.dst], src: [...again.src] }, { ...cfg, json: true, dst: [...cfg.dst], src: [...cfg.src] });
});

test('classic argv: a receiver ends with -r <test>; no sender-only flags', () => {
  assert.deepEqual(classicArgv({ role: 'receiver', family: 4, test: 'raw', port: 8000, dst: '192.168.1.2', secs: 2, json: false }),
    ['-4', '-p', '8000', '-D', '192.168.1.2', '-t', '2', '-r', 'raw']);
  const cfg = parseClassicArgs(classicArgv({ role: 'receiver', family: 4, test: 'tcp', port: 8000, dst: '192.168.1.2', size: 0,
    secs: 2, json: true }), { ifindex: () => 1 });
  assert.equal(cfg.rx, true);
  assert.equal(cfg.payloadLen, 0);
});

const sender = {
  tool: 'msg-zerocopy', role: 'sender', packets: 5, bytes: 5000, durationMs: 1200, exitStatus: 0, throughputBps: 4166,
  packetsPerSec: 4, sendCalls: 5, expectedCompletions: 5, completions: 5, copiedCompletions: 5, zerocopiedCompletions: 0,
  gaps: 0, cpu: { userUs: 1, sysUs: 2, secPerGB: 0.6, utilization: 0 },
};

test('report reader: the last valid report line, typed; torn or foreign objects are not reports', () => {
  const out = `noise\n${JSON.stringify({ ...sender, packets: 1 })}\n${JSON.stringify(sender)}\n{"tool":"msg-zerocopy"\n`;
  const r = readReport(out);
  assert.ok(isSenderReport(r));
  assert.equal(r.packets, 5);
  assert.equal(readReport(JSON.stringify({ ...sender, tool: 'other' })), null);
  const c = checkReport({ ...sender, completions: '5' });
  assert.deepEqual(c, { ok: false, reason: 'completions is missing or not a number' });
  assert.deepEqual(checkReport([1]), { ok: false, reason: 'not a JSON object' });
  assert.deepEqual(checkReport({ ...sender, cpu: null }), { ok: false, reason: 'cpu is missing' });
  const err = readReport(JSON.stringify(errorReport({ rx: true, test: 'tcp', family: 4, zerocopy: false }, 'bind: Address in use', null, 2)));
  assert.ok(isErrorReport(err));
  assert.equal(err.role, 'receiver');
  assert.equal(err.error, 'bind: Address in use');
});

test('a sender ran when it printed counters: a report without error, or the classic line', () => {
  assert.equal(senderRan({ stdout: JSON.stringify(sender), stderr: '' }), true);
  assert.equal(senderRan({ stdout: '', stderr: 'tx=0 (0 MB) txc=0 zc=n\n' }), true);
  assert.equal(senderRan({ stdout: JSON.stringify({ tool: 'msg-zerocopy', role: 'sender', error: 'x', exitStatus: 2 }), stderr: 'msg-zerocopy: x\n' }), false);
  assert.equal(readinessFailure('ready', null), null);
  assert.match(readinessFailure('timeout', null) ?? '', /did not bind its socket within 5 s; no sender started/);
});

test('readiness is the process\'s own socket: a child in the same namespace does not hold it', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const uport = udp.address().port;
  const other = spawn('sleep', ['5'], { stdio: 'ignore' });
  try {
    assert.equal(await ownSocketBound(process.pid, 4, 'tcp', port), true);
    assert.equal(await ownSocketBound(process.pid, 4, 'udp', uport), true);
    assert.equal(await ownSocketBound(other.pid ?? -1, 4, 'tcp', port), false, 'the same port seen from another process is not its socket');
    assert.equal(await ownSocketBound(process.pid, 6, 'tcp', port), false, 'another family');
    assert.equal(await ownSocketBound(process.pid, 4, 'udp', port), false, 'another protocol');
  } finally {
    other.kill('SIGKILL');
    udp.close();
    await new Promise((r) => server.close(r));
  }
});
