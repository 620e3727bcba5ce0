// SPDX-License-Identifier: GPL-2.0-only
// The suite's pure parts: plan, option parsing, argv per case, output parsing, verdicts, table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTests, planCases, planSuite, splitArgs } from '../../src/suite/cases.js';
import { parseApis, parseFamilies, receiveMode } from '../../src/core/vocabulary.js';
import { parseChildOutput, type ChildOutcome } from '../../src/suite/child.js';
import { formatTable, suiteOk } from '../../src/suite/format.js';
import { judge, receiverArgs, senderArgs, type CaseResult, type RunOptions } from '../../src/suite/runner.js';
import { LAB_ADDR, type Lab } from '../../src/lab/lab.js';

const lab: Lab = {
  id: 'abcdef', txNs: 'mzc-abcdef-tx', rxNs: 'mzc-abcdef-rx', dev: 'veth0', egressKind: 'ifb', egressDev: 'ifb0',
  addr: LAB_ADDR, destroyed: false, destroy: async () => {},
};
const opts: RunOptions = {
  bin: { path: '/x/bin/msg-zerocopy', node: true, expectFlag: true },
  duration: 1, size: null, port: 8000, extra: [], slackMs: 1000,
};

test('plan: default four driver runs give 12 cases in the driver order', () => {
  const plan = planCases([4, 6], ['tcp', 'udp']);
  assert.deepEqual(plan.map((c) => c.name), [
    'ipv4_tcp_copy_tx-rx', 'ipv4_tcp_zerocopy_tx-rx',
    'ipv6_tcp_copy_tx-rx', 'ipv6_tcp_zerocopy_tx-rx',
    'ipv4_udp_copy_tx-rx', 'ipv4_udp_copy_tx-only', 'ipv4_udp_zerocopy_tx-rx', 'ipv4_udp_zerocopy_tx-only',
    'ipv6_udp_copy_tx-rx', 'ipv6_udp_copy_tx-only', 'ipv6_udp_zerocopy_tx-rx', 'ipv6_udp_zerocopy_tx-only',
  ]);
  assert.deepEqual(plan.map((c) => c.index), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.ok(plan.every((c) => c.expect === (c.path === 'tx-rx' ? 0 : 1)));
  assert.ok(plan.every((c) => (c.path === 'tx-only') === (c.rxMode === null)));
});

test('receive mode: raw for packet, packet_dgram and raw_hdrincl', () => {
  assert.deepEqual(['tcp', 'udp', 'raw', 'raw_hdrincl', 'packet', 'packet_dgram'].map((t) => receiveMode(t as never)),
    ['tcp', 'udp', 'raw', 'raw', 'raw', 'raw']);
});

test('option parsing: families, tests, passthrough words', () => {
  assert.deepEqual(parseFamilies('4,6'), [4, 6]);
  assert.deepEqual(parseFamilies('ipv6'), [6]);
  assert.deepEqual(parseFamilies('6, 4,6'), [6, 4]);
  assert.throws(() => parseFamilies('5'), /unknown family '5'/);
  assert.throws(() => parseFamilies(''), /at least one/);
  assert.deepEqual(parseTests('udp,tcp'), ['udp', 'tcp']);
  assert.equal(parseTests('all').length, 6);
  assert.throws(() => parseTests('rds'), /unknown test 'rds'/);
  assert.deepEqual(splitArgs('-c 4  -m'), ['-c', '4', '-m']);
  assert.deepEqual(splitArgs(`-Z 1 'a b' "c\\"d" e\\ f ''`), ['-Z', '1', 'a b', 'c"d', 'e f', '']);
  assert.deepEqual(splitArgs('   '), []);
  assert.throws(() => splitArgs('"open'), /unterminated/);
});

test('argv: sender and receiver flags as the kernel driver, extra flags after the suite\'s own', () => {
  const [c1, , , , u1, u2, u3] = planCases([4, 6], ['tcp', 'udp']);
  assert.deepEqual(receiverArgs(c1, lab, opts),
    ['-4', '-i', 'veth0', '-p', '8000', '-S', '192.168.1.1', '-D', '192.168.1.2', '-t', '2', '--json', '-r', 'tcp']);
  assert.deepEqual(senderArgs(c1, lab, opts),
    ['-4', '-i', 'veth0', '-p', '8000', '-S', '192.168.1.1', '-D', '192.168.1.2', '-t', '1', '-Z', '0', '--json', 'tcp']);
  assert.equal(u1.name, 'ipv4_udp_copy_tx-rx');
  assert.deepEqual(senderArgs(u2, lab, opts).slice(-4), ['-Z', '1', '--json', 'udp']);
  assert.ok(senderArgs(u2, lab, opts).includes('192.168.2.2'));
  const withExtra = { ...opts, size: 1000, extra: ['-Z', '1'], bin: { path: '/ref/msg_zerocopy', node: false, expectFlag: false } };
  assert.deepEqual(senderArgs(u3, lab, withExtra),
    ['-4', '-i', 'veth0', '-p', '8000', '-S', '192.168.1.1', '-D', '192.168.1.2', '-s', '1000', '-t', '1', '-z', '-Z', '1', 'udp']);
  const v6 = planCases([6], ['udp'])[3];
  assert.ok(senderArgs(v6, lab, opts).includes('fc::2'));
  assert.ok(senderArgs(v6, lab, opts).includes('-6'));
});

test('child output: JSON report wins, classic lines as fallback, error line kept', () => {
  const classic = parseChildOutput('', 'cpu: unable to pin, may increase variance.\ntx=1000 (62 MB) txc=1000 zc=y\n');
  assert.equal(classic.packets, 1000);
  assert.equal(classic.bytes, 62 * 1048576);
  assert.equal(classic.bytesExact, false);
  assert.equal(classic.completions, 1000);
  assert.equal(classic.zc, 'y');
  assert.equal(classic.errorLine, null);
  const report = { tool: 'msg-zerocopy', role: 'sender', packets: 5, bytes: 327175, sendCalls: 5, completions: 5,
    expectedCompletions: 5, copiedCompletions: 5, zerocopiedCompletions: 0, gaps: 0, zc: 'n', durationMs: 1200,
    throughputBps: 272645.8, packetsPerSec: 4.2, exitStatus: 0, cpu: { userUs: 10, sysUs: 20 } };
  const json = parseChildOutput(JSON.stringify(report) + '\n', 'tx=5 (0 MB) txc=5 zc=n\n');
  assert.equal(json.bytes, 327175);
  assert.equal(json.bytesExact, true);
  assert.equal(json.copiedCompletions, 5);
  assert.deepEqual(json.cpu, { userUs: 10, sysUs: 20 });
  // a report with a field missing is not taken for one: the classic line is used
  const partial: Record<string, unknown> = { ...report };
  delete partial.bytes;
  const torn = parseChildOutput(JSON.stringify(partial) + '\n', 'tx=5 (0 MB) txc=5 zc=n\n');
  assert.equal(torn.json, null);
  assert.equal(torn.bytes, 0);
  assert.equal(torn.bytesExact, false);
  const rx = parseChildOutput('', 'rx=77 (4 MB)\n');
  assert.equal(rx.packets, 77);
  const err = parseChildOutput('', 'msg-zerocopy: setsockopt 1.60: 1: Operation not supported\n');
  assert.equal(err.packets, null);
  assert.match(err.errorLine ?? '', /Operation not supported/);
});

function outcome(role: 'sender' | 'receiver', over: Partial<ChildOutcome>): ChildOutcome {
  return {
    role, argv: [], exitCode: 0, signal: null, timedOut: false, killed: false, wallMs: 1000,
    stdout: '', stderr: '', json: null, packets: 100, bytes: 6543500, bytesExact: true, completions: null,
    expectedCompletions: null, copiedCompletions: null, zerocopiedCompletions: null, gaps: 0, zc: 'n',
    durationMs: 1200, throughputBps: 1, cpu: null, errorLine: null, ...over,
  };
}

test('verdicts: copied/not copied, skips, failures, deadlines', () => {
  const plan = planCases([4], ['udp', 'raw']);
  const [udpCopyRx, , udpZcRx, udpZcOnly] = plan;
  const rawZcRx = plan[6];
  const zcSender = (copied: number, zc: number) => outcome('sender', {
    completions: copied + zc, expectedCompletions: copied + zc, copiedCompletions: copied, zerocopiedCompletions: zc,
  });
  const recv = outcome('receiver', {});
  assert.equal(judge(udpCopyRx, outcome('sender', {}), recv, opts, false).verdict, 'pass');
  assert.equal(judge(udpZcRx, zcSender(100, 0), recv, opts, false).verdict, 'pass');
  assert.deepEqual(judge(udpZcRx, zcSender(90, 10), recv, opts, false),
    { verdict: 'fail', reasons: ['10 of 100 completions not copied (expected all copied)'] });
  assert.equal(judge(udpZcOnly, zcSender(0, 100), null, opts, false).verdict, 'pass');
  assert.equal(judge(udpZcOnly, zcSender(1, 99), null, opts, false).verdict, 'fail');
  const missing = outcome('sender', { completions: 90, expectedCompletions: 100, copiedCompletions: 90, zerocopiedCompletions: 0 });
  assert.match(judge(udpZcRx, missing, recv, opts, false).reasons.join(), /missing notifications: 90 < 100/);
  const eopnotsupp = outcome('sender', { exitCode: 2, packets: null, errorLine: 'setsockopt 1.60: 1: Operation not supported' });
  const skip = judge(rawZcRx, eopnotsupp, outcome('receiver', { killed: true, packets: 0 }), opts, false);
  assert.equal(skip.verdict, 'skip');
  assert.match(skip.reasons[0], /SO_ZEROCOPY not supported on raw sockets.*Operation not supported/);
  // the same failure in copy mode is a failure, not a skip
  assert.equal(judge(udpCopyRx, eopnotsupp, recv, opts, false).verdict, 'fail');
  const mismatch = outcome('sender', { exitCode: 1, errorLine: 'serr: ee_code: 1 != expected 0' });
  assert.deepEqual(judge(udpZcRx, mismatch, recv, opts, false).reasons, ['sender exited 1: serr: ee_code: 1 != expected 0']);
  assert.match(judge(udpCopyRx, outcome('sender', { timedOut: true, signal: 'SIGTERM', exitCode: null }), recv, opts, false).reasons[0], /deadline/);
  assert.match(judge(udpCopyRx, outcome('sender', {}), outcome('receiver', { packets: 0 }), opts, false).reasons[0], /received nothing/);
  assert.deepEqual(judge(udpCopyRx, null, null, opts, true), { verdict: 'fail', reasons: ['interrupted'] });
  const tcp = planCases([4], ['tcp'])[0];
  assert.match(judge(tcp, outcome('sender', { bytes: 1000 }), outcome('receiver', { bytes: 999 }), opts, false).reasons[0],
    /tcp byte count differs/);
});

test('table: a row per case, reasons below, one verdict line', () => {
  const plan = planCases([4], ['udp']);
  const mk = (i: number, verdict: 'pass' | 'fail', reasons: string[] = []): CaseResult => ({
    case: plan[i], verdict, reasons, sender: null, receiver: null,
    tx: { packets: 123456, bytes: 8078343360 }, rx: plan[i].path === 'tx-rx' ? { packets: 120000, bytes: 7852200000 } : null,
    throughputBps: 6.73e9, completions: plan[i].mode === 'zerocopy' ? 123456 : null,
    copiedCompletions: plan[i].mode === 'zerocopy' ? (plan[i].expect === 0 ? 123456 : 0) : null,
    zerocopiedCompletions: null, copiedShare: plan[i].mode === 'zerocopy' ? (plan[i].expect === 0 ? 1 : 0) : null, wallMs: 1,
  });
  const results = [mk(0, 'pass'), mk(1, 'pass'), mk(2, 'fail', ['sender exited 1: serr: ee_code: 1 != expected 0'])];
  const text = formatTable(plan, results, { header: 'H' });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'H');
  assert.match(lines[1], /^#\s+case\s+mode\s+tx\s+rx\s+throughput\s+txc\s+copied\s+expect\s+verdict$/);
  assert.match(lines[2], /^1\s+ipv4 udp tx-rx\s+copy\s+123\.5k \(8\.08 GB\)\s+120\.0k \(7\.85 GB\)\s+53\.8 Gbit\/s \(6\.73 GB\/s\)\s+-\s+-\s+-\s+PASS$/);
  assert.match(lines[3], /ipv4 udp tx-only\s+copy.*\(none\)/);
  assert.match(lines[4], /zerocopy.*123\.5k\s+100%\s+copied\s+FAIL$/);
  assert.match(lines[5], /^4\s+ipv4 udp tx-only\s+zerocopy.*not copied\s+NOT RUN$/);
  assert.ok(lines.includes('3 ipv4_udp_zerocopy_tx-rx: FAIL: sender exited 1: serr: ee_code: 1 != expected 0'));
  assert.equal(lines[lines.length - 1], 'FAIL: 2 passed, 1 failed, 0 skipped, 1 not run of 4 cases');
  assert.equal(suiteOk(plan, results), false);
  assert.equal(suiteOk(plan.slice(0, 2), results.slice(0, 2)), true);
});

test('io_uring plan: the kernel driver\'s matrix, then tx-only udp; argv of our uring sender', () => {
  const plan = planSuite(['uring'], [4, 6], ['tcp', 'udp']);
  assert.equal(plan.length, 18);
  assert.deepEqual(plan.map((c) => c.index), Array.from({ length: 18 }, (_, i) => i + 1));
  assert.deepEqual(plan.slice(0, 6).map((c) => `${c.family} ${c.test} ${c.uring?.mode} ${c.uring?.batch} ${c.path}`),
    ['4 udp 1 32 tx-rx', '4 tcp 1 1 tx-rx', '4 udp 2 32 tx-rx', '4 tcp 2 1 tx-rx', '4 udp 3 32 tx-rx', '4 tcp 3 1 tx-rx']);
  assert.deepEqual(plan.slice(12).map((c) => `${c.family} ${c.test} ${c.uring?.mode} ${c.path} ${c.expect}`),
    ['4 udp 1 tx-only 1', '4 udp 2 tx-only 1', '4 udp 3 tx-only 1', '6 udp 1 tx-only 1', '6 udp 2 tx-only 1', '6 udp 3 tx-only 1']);
  assert.ok(plan.every((c) => c.api === 'uring' && c.mode === 'zerocopy' && (c.path === 'tx-only' || c.expect === 0)));
  assert.deepEqual(planSuite(['uring'], [4], ['udp']).map((c) => c.name), ['ipv4_udp_uring-m1_tx-rx', 'ipv4_udp_uring-m2_tx-rx',
    'ipv4_udp_uring-m3_tx-rx', 'ipv4_udp_uring-m1_tx-only', 'ipv4_udp_uring-m2_tx-only', 'ipv4_udp_uring-m3_tx-only']);
  assert.deepEqual(senderArgs(plan[1], lab, opts),
    ['uring', '-4', '-D', '192.168.1.2', '-p', '8000', '-t', '1', '-n', '1', '-m', '1', '-Z', '0', '--json', 'tcp']);
  assert.deepEqual(receiverArgs(plan[1], lab, opts),
    ['-4', '-i', 'veth0', '-p', '8000', '-S', '192.168.1.1', '-D', '192.168.1.2', '-t', '2', '--json', '-r', 'tcp']);
  const both = planSuite(['msg', 'uring'], [4], ['udp']);
  assert.equal(both.length, 4 + 6);
  assert.deepEqual(both.map((c) => c.api), [...Array(4).fill('msg'), ...Array(6).fill('uring')]);
  assert.deepEqual(parseApis('uring, msg,uring'), ['uring', 'msg']);
  assert.throws(() => parseApis('rds'), /unknown interface 'rds'/);
});

test('suite --gso: udp zerocopy GSO cases, tx-rx copied and tx-only not copied, --gso on both sides', () => {
  const plan = planSuite(['msg'], [4], ['udp'], 1472);
  const gso = plan.filter((c) => c.gso);
  assert.deepEqual(gso.map((c) => [c.name, c.path, c.expect, c.index]), [
    ['ipv4_udp_gso1472_zerocopy_tx-rx', 'tx-rx', 0, 5],
    ['ipv4_udp_gso1472_zerocopy_tx-only', 'tx-only', 1, 6],
  ]);
  assert.equal(planSuite(['msg'], [4], ['tcp'], 1472).some((c) => c.gso), false, 'no udp, no GSO case');
  assert.equal(planSuite(['msg'], [4], ['udp']).some((c) => c.gso), false, 'no --gso, no GSO case');
  const lab = { addr: LAB_ADDR, dev: 'veth0' as const };
  const o = opts;
  assert.match(senderArgs(gso[1], lab, o).join(' '), / --gso 1472( |$)/);
  assert.match(senderArgs(gso[0], lab, o).join(' '), / --gso 1472( |$)/);
  assert.match(receiverArgs(gso[0], lab, o).join(' '), / --gso 1472( |$)/);
  assert.doesNotMatch(senderArgs(plan[0], lab, o).join(' '), /--gso/);
});
