// SPDX-License-Identifier: GPL-2.0-only
// -P n, the pure parts: the options and their checks, CPU lists, the plan
// (port and CPU of each flow, its command line), the sums, Jain's index and
// the --json report of the whole run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flowOptions, parseClassicArgs, type RawOptions } from '../../src/flags/classic.js';
import { parseCpuList } from '../../src/core/flows.js';
import { UsageError } from '../../src/core/errors.js';
import { classicArgv } from '../../src/run/classic.js';
import { allowedCpus, flowCpus, formatCpuList, pinnedArgv, planFlows } from '../../src/flows/plan.js';
import { flowLine, flowsReport, jainIndex, sumLine, type FlowEnd } from '../../src/flows/report.js';
import { flowEnd } from '../../src/cli/flows.js';
import { isErrorReport, isReceiverReport, isSenderReport, readReport } from '../../src/report/read.js';
import type { ChildResult } from '../../src/run/child.js';
import type { ReceiverReport, SenderReport } from '../../src/report/report.js';

const res = { ifindex: () => 1 };
const parse = (...argv: string[]) => parseClassicArgs(argv, res);
const usage = (fn: () => unknown, pattern: RegExp) => assert.throws(fn, (e: unknown) => {
  assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
  assert.equal(e.exitCode, 1);
  assert.match(e.line, pattern);
  return true;
});
const opts = (argv: string[]): { o: RawOptions; cfg: ReturnType<typeof parse> } => {
  const cfg = parse(...argv);
  const o: RawOptions = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-P') o.flows = argv[++i];
    if (argv[i] === '--cpus') o.cpus = argv[++i];
  }
  return { o, cfg };
};

test('--cpus lists: single CPUs and ranges, in the order given; anything else is refused with the flag', () => {
  assert.deepEqual(parseCpuList('0-3,6'), [0, 1, 2, 3, 6]);
  assert.deepEqual(parseCpuList('1,0'), [1, 0]);
  assert.deepEqual(parseCpuList(' 2 , 2 '), [2, 2]);
  usage(() => parseCpuList(''), /--cpus: not a CPU or range: ''/);
  usage(() => parseCpuList('a'), /--cpus: not a CPU or range: 'a'/);
  usage(() => parseCpuList('3-1'), /--cpus: range 3-1 runs backwards/);
  usage(() => parseCpuList('-1'), /--cpus: not a CPU or range/);
  usage(() => parseCpuList('0-2000'), /--cpus: 2000 is out of range/);
});

test('-P and --cpus: one flow (no -P, -P 1) is the classic run; the checks name the flag', () => {
  const d = ['-4', '-D', '192.168.1.2'];
  assert.equal(flowOptions({}, parse(...d, 'udp')), null);
  assert.equal(flowOptions({ flows: '1' }, parse(...d, '-P', '1', 'udp')), null);
  const { o, cfg } = opts([...d, '-P', '4', '--cpus', '0-1', 'udp']);
  assert.deepEqual(flowOptions(o, cfg), { flows: 4, cpus: [0, 1] });
  assert.deepEqual(flowOptions({ flows: '0x2' }, cfg), { flows: 2, cpus: null });
  usage(() => parse(...d, '-P', '1', '--cpus', '0', 'udp'), /--cpus: places the flows of -P <n> \(pin a single flow with -C <cpu>\)/);
  usage(() => parse(...d, '-P', '2', '-C', '0', 'udp'), /-C pins a single flow, not the 2 of -P/);
  usage(() => parse(...d, '-P', '2', 'raw'), /-P: raw has no ports to tell the flows apart/);
  usage(() => parse(...d, '-P', '2', '-p', '65535', 'tcp'), /-P 2: flow 1 would need port 65536 \(give a -p up to 65534\)/);
  usage(() => parse(...d, '-P', '0', 'tcp'), /-P: 0 is out of range/);
  usage(() => parse(...d, '-P', '65', 'tcp'), /-P: 65 is out of range/);
  usage(() => parse(...d, '--flows', 'x', 'tcp'), /-P: not a number/);
  // grouped and attached, as getopt: -zP2
  assert.equal(parse(...d, '-zP2', 'udp').zerocopy, true);
});

test('allowed CPUs from /proc/self/status; the kernel list format back', () => {
  assert.deepEqual(allowedCpus('Name:\tnode\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1,4\n'), [0, 1, 4]);
  assert.equal(allowedCpus('Name:\tnode\n'), null);
  assert.equal(formatCpuList([4, 0, 1, 2, 1, 7]), '0-2,4,7');
  assert.equal(formatCpuList([3]), '3');
});

test('flow CPUs: --cpus in order, else the allowed ones, round robin; none known: unpinned', () => {
  assert.deepEqual(flowCpus(4, null, [0, 1]), [0, 1, 0, 1]);
  assert.deepEqual(flowCpus(3, [1, 0], [0, 1]), [1, 0, 1]);
  assert.deepEqual(flowCpus(2, [5], null), [5, 5]);
  assert.deepEqual(flowCpus(2, null, null), [null, null]);
  usage(() => flowCpus(2, [0, 3], [0, 1]), /--cpus: CPU 3 is not one this process may run on \(allowed: 0-1\)/);
});

test('the plan: flow k on port -p + k and its CPU, with the run\'s own flags and --json', () => {
  const cfg = parse('-6', '-D', 'fd::2', '-S', 'fd::1', '-i', 'veth0', '-p', '9000', '-t', '2', '-s', '1000', '-z', '-Z', '0',
    '-l', '64', '-v', '-P', '3', 'tcp');
  const plan = planFlows(cfg, [1, 0, 1]);
  assert.deepEqual(plan.map((f) => [f.index, f.port, f.cpu]), [[0, 9000, 1], [1, 9001, 0], [2, 9002, 1]]);
  for (const f of plan) {
    const argv = classicArgv(f.spec);
    assert.ok(!argv.includes('-P'), 'a flow is one flow');
    const c = parseClassicArgs(argv, res);
    assert.equal(c.port, f.port);
    assert.equal(c.cpu, f.cpu);
    assert.equal(c.json, true);
    assert.equal(c.zerocopy, true);
    assert.equal(c.expectZerocopy, 0);
    assert.equal(c.payloadLen, 1000);
    assert.equal(c.runtimeMs, 2200);
    assert.equal(c.notificationLimit, 64);
    assert.equal(c.verbose, 1);
    assert.equal(c.dstText, 'fd::2');
    assert.equal(c.rx, false);
  }
  const rx = planFlows(parse('-4', '-D', '192.168.1.2', '-t', '3', '-P', '2', '--shared-fd-table', '-r', 'udp'), [0, 1]);
  const argv = classicArgv(rx[1].spec);
  assert.deepEqual(argv, ['-4', '-p', '8001', '-D', '192.168.1.2', '-s', '65435', '-t', '3', '-C', '1', '--json',
    '--shared-fd-table', '-r', 'udp']);
  assert.equal(parseClassicArgs(argv, res).sharedFdTable, true);
});

test('a flow starts on its CPU (taskset execs it: the pid stays the flow\'s); without a CPU or taskset, as it is', () => {
  const argv = ['/usr/bin/node', '/x/bin/msg-zerocopy', '-4', 'udp'];
  assert.deepEqual(pinnedArgv(argv, 1, '/usr/bin/taskset'), ['/usr/bin/taskset', '--cpu-list', '1', ...argv]);
  assert.deepEqual(pinnedArgv(argv, null, '/usr/bin/taskset'), argv);
  assert.deepEqual(pinnedArgv(argv, 0, null), argv);
});

test('a spec with flows passes -P to our executable (suite, sweep, compare)', () => {
  const argv = classicArgv({ role: 'receiver', family: 4, test: 'tcp', port: 8000, dst: '192.168.1.2', secs: 2, json: true, flows: 4 });
  assert.deepEqual(argv, ['-4', '-p', '8000', '-D', '192.168.1.2', '-t', '2', '-P', '4', '--json', '-r', 'tcp']);
  assert.ok(!classicArgv({ role: 'sender', family: 4, test: 'udp', port: 1, dst: '1.2.3.4', secs: 1, json: false, flows: 1 }).includes('-P'));
});

test('Jain\'s index: 1 for equal flows, 1/n when one has everything, null without data', () => {
  assert.equal(jainIndex([5, 5, 5]), 1);
  assert.equal(jainIndex([1, 0]), 0.5);
  assert.equal(jainIndex([4, 0, 0, 0]), 0.25);
  assert.equal(jainIndex([3, 1]), 0.8);
  assert.equal(jainIndex([]), null);
  assert.equal(jainIndex([0, 0]), null);
});

// ---------------------------------------------------------------------------
// Reports

const T0 = Date.parse('2026-11-25T12:00:00.000Z');

function sender(port: number, packets: number, o: Partial<SenderReport> & { startOffsetMs?: number } = {}): SenderReport {
  const bytes = packets * 1000;
  const { startOffsetMs = 0, ...rest } = o;
  return {
    role: 'sender', tool: 'msg-zerocopy', test: 'udp', family: 4, zerocopy: true, payloadLen: 1000, payloadOffset: 416, port,
    dst: '192.168.2.2', runtimeMs: 1200, fdTable: 'private', cork: 0, corkMixed: false, notificationLimit: 32, expectZerocopy: 1,
    startedAt: new Date(T0 + startOffsetMs).toISOString(), durationMs: 1200, packets, bytes, sendCalls: packets, eagain: 1, enobufs: 0,
    expectedCompletions: packets, completions: packets, uniqueCompletions: packets, notifications: 10, copiedCompletions: 0,
    zerocopiedCompletions: packets, copiedShare: 0, gaps: 0, outOfOrder: 0, duplicates: 0, missingNotifications: false,
    expectationMet: true, zc: 'y', throughputBps: bytes / 1.2, throughputGbps: (bytes * 8) / 1.2 / 1e9, packetsPerSec: packets / 1.2,
    cpu: { userUs: 1000, sysUs: 9000, secPerGB: 0, utilization: 0 }, interrupted: null, exitStatus: 0, ...rest,
  } as SenderReport;
}

const end = (index: number, report: FlowEnd['report'], failure: string | null = null): FlowEnd => ({
  index, port: 8000 + index, cpu: index % 2, report, line: null, failure, exitStatus: failure ? 2 : 0,
});

const cfgTx = parse('-4', '-D', '192.168.2.2', '-z', '-Z', '1', '-t', '1', '-s', '1000', '-P', '2', 'udp');

test('the sum line and the flow lines: totals of the flows, zc=y only when every flow says so', () => {
  const flows = [end(0, sender(8000, 3000)), end(1, sender(8001, 2000))];
  assert.equal(flowLine(flows[0]), '[0] tx=3000 (2 MB) txc=3000 zc=y');
  assert.equal(flowLine({ ...flows[1], line: 'tx=2000 (1 MB) txc=2000 zc=y' }), '[1] tx=2000 (1 MB) txc=2000 zc=y');
  assert.equal(sumLine('sender', flows), '[SUM] tx=5000 (4 MB) txc=5000 zc=y');
  assert.equal(sumLine('sender', [flows[0], end(1, sender(8001, 2000, { zc: 'n' }))]), '[SUM] tx=5000 (4 MB) txc=5000 zc=n');
  assert.equal(sumLine('sender', [flows[0], end(1, null, 'flow 1 exited 2: connect: Connection refused')]),
    '[SUM] tx=3000 (2 MB) txc=3000 zc=n', 'a flow that did not run spoils zc=y');
  assert.equal(flowLine(end(1, null, 'x')), null);
});

test('--json: the sums as a sender report every reader takes, each flow\'s report, CPU of the tree, fairness', () => {
  const flows = [end(0, sender(8000, 3000)), end(1, sender(8001, 1000, { startOffsetMs: 30, durationMs: 1190, eagain: 4 }))];
  const r = flowsReport({ cfg: cfgTx, flows, ownCpu: { userUs: 500, sysUs: 500 }, exitStatus: 0, interrupted: null });
  const back = readReport(`${JSON.stringify(r)}\n`);
  assert.ok(isSenderReport(back), 'suite, sweep and compare read the aggregate as a sender report');
  assert.equal(back.packets, 4000);
  assert.equal(back.bytes, 4_000_000);
  assert.equal(back.completions, 4000);
  assert.equal(back.eagain, 5);
  assert.equal(back.zc, 'y');
  assert.equal(back.expectationMet, true);
  assert.equal(back.startedAt, new Date(T0).toISOString());
  assert.equal(back.durationMs, 1220, 'from the first start to the last end');
  // iperf3's [SUM]: the flows' own rates added up (each over the 1.2 s its data moved), not the bytes over the
  // 1.22 s span from the first start to the last end
  assert.ok(Math.abs(back.bytesPerSecond - 4_000_000 / 1.2) < 1e-6, 'the sum of the flows\' rates');
  assert.equal(back.throughputBps, back.bytesPerSecond, 'the old name is an alias');
  assert.equal(back.bitsPerSecond, back.bytesPerSecond * 8);
  assert.ok(Math.abs(back.dataMs - 1200) < 1e-6);
  assert.equal(back.intervals, null);
  assert.equal(back.cpu.userUs, 2500);
  assert.equal(back.cpu.sysUs, 18500);
  assert.equal(back.cpu.secPerGB, 0.021 / 0.004);
  assert.equal(back.port, 8000);
  const x = r as typeof r & Record<string, unknown>;
  assert.equal(x.flowCount, 2);
  assert.deepEqual(x.ports, [8000, 8001]);
  assert.deepEqual(x.cpus, [0, 1]);
  assert.equal(x.startSkewMs, 30);
  assert.deepEqual(x.failedFlows, []);
  assert.match(String((x.cpu as Record<string, unknown>).scope), /process tree/);
  const fair = x.fairness as { jainIndex: number; throughputsBps: number[] };
  assert.deepEqual(fair.throughputsBps, [3_000_000 / 1.2, 1_000_000 / 1.2]);
  assert.equal(fair.jainIndex, 0.8);
  const each = x.flows as Array<{ flow: number; packets: number; port: number }>;
  assert.deepEqual(each.map((f) => [f.flow, f.port, f.packets]), [[0, 8000, 3000], [1, 8001, 1000]]);
});

test('--json: a failed flow is named, counts 0 for fairness and spoils the expectation; none counted: an error report', () => {
  const why = 'flow 1 exited 2: connect: Connection refused';
  const flows = [end(0, sender(8000, 3000)), end(1, null, why)];
  const r = flowsReport({ cfg: cfgTx, flows, ownCpu: { userUs: 0, sysUs: 0 }, exitStatus: 2, interrupted: null });
  const back = readReport(JSON.stringify(r));
  assert.ok(isSenderReport(back));
  assert.equal(back.packets, 3000);
  assert.equal(back.expectationMet, false);
  assert.equal(back.zc, 'n');
  assert.equal(back.exitStatus, 2);
  const x = r as typeof r & Record<string, unknown>;
  assert.deepEqual(x.failedFlows, [1]);
  assert.deepEqual(x.failures, [why]);
  assert.equal((x.fairness as { jainIndex: number }).jainIndex, 0.5);
  const second = (x.flows as Array<Record<string, unknown>>)[1];
  assert.equal(second.flow, 1);
  assert.equal(second.error, why);

  const none = flowsReport({ cfg: cfgTx, flows: [end(0, null, 'flow 0 died of SIGKILL'), end(1, null, why)], ownCpu: { userUs: 0, sysUs: 0 },
    exitStatus: 1, interrupted: null });
  const e = readReport(JSON.stringify(none));
  assert.ok(isErrorReport(e));
  assert.equal(e.error, 'flow 0 died of SIGKILL');
});

test('--json of receivers: the sums as a receiver report', () => {
  const cfg = parse('-4', '-D', '192.168.1.2', '-P', '2', '-r', 'tcp');
  const rx = (port: number, packets: number, bytes: number): ReceiverReport => ({
    ...sender(port, 0), role: 'receiver', packets, bytes, throughputBps: bytes / 1.6,
  }) as unknown as ReceiverReport;
  const flows = [end(0, rx(8000, 10, 5000)), end(1, rx(8001, 20, 7000))];
  assert.equal(sumLine('receiver', flows), '[SUM] rx=30 (0 MB)');
  assert.equal(flowLine(flows[1]), '[1] rx=20 (0 MB)');
  const back = readReport(JSON.stringify(flowsReport({ cfg, flows, ownCpu: { userUs: 0, sysUs: 0 }, exitStatus: 0, interrupted: null })));
  assert.ok(isReceiverReport(back));
  assert.equal(back.bytes, 12000);
  assert.equal(back.packets, 30);
});

test('a flow that ended at the signal we passed on did not fail; any other ending is named with its number', () => {
  const f = planFlows(cfgTx, [0, 1])[1];
  const child = (o: Partial<ChildResult>): ChildResult => ({
    argv: [], exitCode: 0, signal: null, timedOut: false, killed: false, stdout: '', stderr: '', report: null, wallMs: 1, ...o,
  });
  assert.equal(flowEnd(f, child({ exitCode: 130, killed: true }), null, 130).failure, null);
  assert.equal(flowEnd(f, child({}), null, null).failure, null);
  assert.equal(flowEnd(f, child({ exitCode: 2, stderr: 'msg-zerocopy: connect: Connection refused\n' }), null, null).failure,
    'flow 1 exited 2: msg-zerocopy: connect: Connection refused');
  assert.equal(flowEnd(f, child({ exitCode: null, signal: 'SIGKILL' }), null, 130).failure, 'flow 1 died of SIGKILL');
  assert.equal(flowEnd(f, child({ exitCode: null, timedOut: true }), null, null).failure, 'flow 1 passed its deadline and was killed');
  const out = JSON.stringify(sender(8001, 5));
  const read = flowEnd(f, child({ stdout: `${out}\n` }), 'tx=5 (0 MB) txc=5 zc=y', null).report;
  assert.ok(isSenderReport(read));
  assert.equal(read.packets, 5);
});
