// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorLine, lastJsonObject, type ChildResult } from '../../src/lab/child.js';
import { LAB_ADDR } from '../../src/lab/lab.js';
import { fillGaps, lineChart, sig, stretch } from '../../src/sweep/chart.js';
import { parseFamily, parseSizes, resolvePath } from '../../src/sweep/command.js';
import { crossoverLine, sweepMarkdown, sweepTable } from '../../src/sweep/format.js';
import { receiverArgs, record, senderArgs, type RunRecord, type RunSettings } from '../../src/sweep/runner.js';
import { planRuns } from '../../src/sweep/sweep.js';
import { summarizeSizes, sweepCrossover } from '../../src/sweep/summary.js';

const lab = { addr: LAB_ADDR };
const udp: RunSettings = { test: 'udp', family: 4, path: 'tx-only', duration: 1, port: 8000, slackMs: 0 };
const tcp: RunSettings = { ...udp, test: 'tcp', path: 'tx-rx' };

test('plan: per size, each repetition runs copy then zerocopy', () => {
  const p = planRuns([1000, 2000], 2);
  assert.equal(p.length, 8);
  assert.deepEqual(p.slice(0, 4).map((r) => `${r.size} ${r.mode} ${r.rep}`),
    ['1000 copy 1', '1000 zerocopy 1', '1000 copy 2', '1000 zerocopy 2']);
  assert.deepEqual(p.map((r) => r.index), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('sender and receiver command lines', () => {
  assert.deepEqual(senderArgs(lab, udp, { size: 4000, mode: 'zerocopy' }),
    ['-4', '-p', '8000', '-D', '192.168.2.2', '-s', '4000', '-t', '1', '-z', '-Z', '1', '--json', 'udp']);
  assert.deepEqual(senderArgs(lab, { ...tcp, family: 6 }, { size: 65435, mode: 'zerocopy' }),
    ['-6', '-p', '8000', '-D', 'fd::2', '-s', '65435', '-t', '1', '-z', '-Z', '0', '--json', 'tcp']);
  assert.deepEqual(senderArgs(lab, udp, { size: 1000, mode: 'copy' }),
    ['-4', '-p', '8000', '-D', '192.168.2.2', '-s', '1000', '-t', '1', '--json', 'udp']);
  assert.deepEqual(receiverArgs(lab, tcp, { size: 1000 }),
    ['-4', '-p', '8000', '-D', '192.168.1.2', '-s', '1000', '-t', '2', '--json', '-r', 'tcp']);
});

test('options: sizes, family, path defaults', () => {
  assert.deepEqual(parseSizes('4000,1000, 2k,1000'), [1000, 2000, 4000]);
  assert.deepEqual(parseSizes('0x10'), [16]);
  assert.throws(() => parseSizes('0'), /out of range|not a whole number/);
  assert.throws(() => parseSizes('70000'), /65435/);
  assert.throws(() => parseSizes('abc'), /not a number/);
  assert.equal(parseFamily('6'), 6);
  assert.throws(() => parseFamily('5'), /not 4 or 6/);
  assert.equal(resolvePath('udp', undefined), 'tx-only');
  assert.equal(resolvePath('tcp', undefined), 'tx-rx');
  assert.equal(resolvePath('udp', 'tx-rx'), 'tx-rx');
  assert.throws(() => resolvePath('tcp', 'tx-only'), /tcp needs a receiver/);
});

function child(report: Record<string, unknown> | null, exitCode = 0, over: Partial<ChildResult> = {}): ChildResult {
  return {
    argv: [], exitCode, signal: null, timedOut: false, killed: false, stdout: report ? JSON.stringify(report) : '',
    stderr: '', report, wallMs: 300, ...over,
  };
}

const senderReport = (o: Record<string, unknown> = {}) => ({
  tool: 'msg-zerocopy', role: 'sender', packets: 1000, bytes: 65435000, durationMs: 200, throughputBps: 327175000,
  packetsPerSec: 5000, sendCalls: 1000, expectedCompletions: 1000, gaps: 0, completions: 1000, copiedCompletions: 0,
  zerocopiedCompletions: 1000, expectationMet: true, interrupted: null,
  cpu: { userUs: 10000, sysUs: 40000, secPerGB: 0.76, utilization: 0.25 }, exitStatus: 0, ...o,
});

test('run record: a good zerocopy run', () => {
  const r = record({ index: 2, size: 65435, mode: 'zerocopy', rep: 1 }, udp, child(senderReport()), null, false, 400, [], null);
  assert.equal(r.ok, true);
  assert.deepEqual(r.reasons, []);
  assert.equal(r.measured, true);
  assert.equal(r.expect, 1);
  assert.equal(r.expectationMet, true);
  assert.equal(r.throughputGBps, 0.327175);
  assert.equal(r.secPerGB, 0.76);
  assert.equal(r.zerocopiedCompletions, 1000);
});

test('run record: a failed -Z expectation is not ok but still measured', () => {
  const rep = senderReport({ expectationMet: false, copiedCompletions: 1000, zerocopiedCompletions: 0, exitStatus: 1 });
  const r = record({ index: 2, size: 1000, mode: 'zerocopy', rep: 1 }, udp, child(rep, 1), null, false, 400, [], null);
  assert.equal(r.ok, false);
  assert.equal(r.measured, true);
  assert.match(r.reasons.join('; '), /sender exited 1/);
  assert.match(r.reasons.join('; '), /expected not copied, 1000 completions copied/);
});

test('run record: tcp byte counts must match; a crashed sender is not measured', () => {
  const rx = child({ tool: 'msg-zerocopy', role: 'receiver', packets: 10, bytes: 65434000, durationMs: 1600,
    throughputBps: 1, packetsPerSec: 1, exitStatus: 0, cpu: { userUs: 1, sysUs: 1 } });
  const r = record({ index: 1, size: 65435, mode: 'copy', rep: 1 }, tcp, child(senderReport()), rx, false, 400, [], []);
  assert.equal(r.ok, false);
  assert.match(r.reasons[0], /tcp byte count differs: sent 65435000, received 65434000/);
  assert.equal(r.rxBytes, 65434000);

  const dead = record({ index: 1, size: 1000, mode: 'copy', rep: 1 }, udp,
    child(null, null as unknown as number, { signal: 'SIGKILL', stderr: 'boom\n' }), null, false, 400, [], null);
  assert.equal(dead.ok, false);
  assert.equal(dead.measured, false);
  assert.match(dead.reasons.join('; '), /died of SIGKILL/);

  const refused = record({ index: 2, size: 1000, mode: 'zerocopy', rep: 1 }, udp,
    child({ tool: 'msg-zerocopy', role: 'sender', error: 'setsockopt: Operation not supported', exitStatus: 2 }, 2),
    null, false, 100, [], null);
  assert.match(refused.reasons[0], /sender exited 2: setsockopt: Operation not supported/);
  assert.equal(refused.measured, false);
});

function rec(size: number, mode: 'copy' | 'zerocopy', rep: number, gbps: number, spg: number, ok = true): RunRecord {
  return {
    index: 0, size, mode, rep, ok, reasons: ok ? [] : ['x'], measured: true, expect: mode === 'zerocopy' ? 1 : null,
    expectationMet: mode === 'zerocopy' ? ok : null, packets: 1000, bytes: 1e9, durationMs: 1000, throughputBps: gbps * 1e9,
    throughputGBps: gbps, secPerGB: spg, cpuUserUs: 1, cpuSysUs: 1, completions: mode === 'zerocopy' ? 1000 : 0,
    copiedCompletions: 0, zerocopiedCompletions: mode === 'zerocopy' ? 1000 : 0, senderExit: ok ? 0 : 1, receiverExit: null,
    rxPackets: null, rxBytes: null, senderArgv: [], receiverArgv: null, wallMs: 1,
  };
}

test('summaries: medians, ranges, ratios, crossover', () => {
  const runs = [
    rec(1000, 'copy', 1, 1.0, 2.0), rec(1000, 'copy', 2, 1.2, 2.2), rec(1000, 'copy', 3, 0.8, 1.8),
    rec(1000, 'zerocopy', 1, 0.9, 2.5), rec(1000, 'zerocopy', 2, 0.9, 2.4), rec(1000, 'zerocopy', 3, 0.9, 2.6),
    rec(65435, 'copy', 1, 20, 0.05), rec(65435, 'zerocopy', 1, 30, 0.03, false),
  ];
  const s = summarizeSizes([65435, 1000], runs);
  assert.deepEqual(s.map((x) => x.size), [1000, 65435]);
  assert.equal(s[0].copy.throughputGBps.median, 1.0);
  assert.equal(s[0].copy.secPerGB.min, 1.8);
  assert.equal(s[0].copy.secPerGB.max, 2.2);
  assert.equal(s[0].zerocopy.secPerGB.median, 2.5);
  assert.equal(s[0].ratio.secPerGB, 1.25);
  assert.equal(s[0].paysOff, false);
  assert.equal(s[1].paysOff, true);
  assert.equal(s[1].zerocopy.ok, 0);
  assert.equal(s[1].zerocopy.runs, 1);
  assert.equal(s[1].zerocopy.expectationKnown, 1);
  assert.equal(s[1].zerocopy.expectationMet, 0);
  assert.equal(s[0].zerocopy.copiedShare, 0);
  assert.equal(sweepCrossover(s), 65435);
  assert.match(crossoverLine(s, 65435), /^zerocopy pays off from 65435 B up: less CPU per GB than copy \(0\.60× of copy's at 65435 B\)$/);

  const table = sweepTable(s).split('\n');
  assert.equal(table.length, 5);
  assert.match(table[0], /^size B\s+mode\s+ok\s+GB\/s/);
  assert.match(table[1], /^\s*1000\s+copy\s+3\/3\s+1\s+0\.8–1\.2\s+40%\s+2\s+1\.8–2\.2\s+20%$/);
  assert.match(table[2], /zerocopy\s+3\/3\s+0\.9\s+0\.9–0\.9\s+0\.0%\s+2\.5\s+2\.4–2\.6\s+8\.0%\s+0\.90×\s+1\.25×\s+no$/);
  assert.match(table[4], /zerocopy\s+0\/1\s+30\s.*1\.50×\s+0\.60×\s+yes$/);

  const md = sweepMarkdown(s).split('\n');
  assert.equal(md.length, 6);
  assert.match(md[1], /^\|( -+:? \|)+$/);
  assert.match(md[3], /^\| {2}\| zerocopy \| 3\/3 \| 0\.9 \| 0\.9–0\.9 \| 2\.5 \| 2\.4–2\.6 \| 0\.90× \| 1\.25× \| no \|$/);
});

test('crossover lines for every case', () => {
  const s = summarizeSizes([1000, 2000], [rec(1000, 'copy', 1, 1, 1), rec(1000, 'zerocopy', 1, 1, 0.5),
    rec(2000, 'copy', 1, 1, 1), rec(2000, 'zerocopy', 1, 1, 1.5)]);
  assert.equal(sweepCrossover(s), null);
  assert.equal(crossoverLine(s, null),
    'zerocopy does not pay off up to 2000 B: its CPU per GB is not below copy\'s at the largest size (below only at 1000 B)');
  const all = summarizeSizes([1000], [rec(1000, 'copy', 1, 1, 1), rec(1000, 'zerocopy', 1, 1, 0.5)]);
  assert.match(crossoverLine(all, 1000), /pays off at every size measured \(1000 B and up\)/);
  const none = summarizeSizes([1000], [rec(1000, 'copy', 1, 1, 1)]);
  assert.match(crossoverLine(none, null), /crossover unknown/);
});

test('chart helpers', () => {
  assert.equal(sig(0.045234), '0.0452');
  assert.equal(sig(23.456), '23.5');
  assert.equal(sig(1234.5), '1235');
  assert.deepEqual(fillGaps([null, 2, null, 4, null]), [2, 2, 3, 4, 4]);
  assert.equal(fillGaps([null, null]), null);
  assert.deepEqual(stretch([0, 4], 4), [0, 1, 2, 3, 4]);
  assert.deepEqual(stretch([5], 4), [5]);
});

test('chart: two line styles, legend, x labels under their points, log scale', () => {
  const out = lineChart([
    { name: 'copy', values: [2, 1, 0.1] },
    { name: 'zerocopy', values: [3, 1, 0.05] },
  ], { title: 'CPU', xLabels: ['1000', '8000', '65435'], log: true, height: 8, step: 10 });
  const lines = out.split('\n');
  assert.equal(lines[0], 'CPU (log scale)');
  assert.match(lines[1], /─── copy {3}═══ zerocopy/);
  const plot = lines.slice(2, -1);
  assert.equal(plot.length, 9, 'height + 1 rows');
  assert.ok(plot.some((l) => /[─╭╮╰╯│]/.test(l.slice(11))), 'copy drawn with single lines');
  assert.ok(plot.some((l) => /[═╔╗╚╝║]/.test(l.slice(11))), 'zerocopy drawn with double lines');
  assert.match(plot[0], /^\s+3 [┤┼]/, 'top label is the largest value');
  assert.match(plot[plot.length - 1], /^\s+0\.05 [┤┼]/, 'bottom label is the smallest value');
  const axis = plot[1].search(/[┤┼]/);
  const xl = lines[lines.length - 1];
  assert.equal(xl.indexOf('8000') + 2, axis + 10, 'centred under the second point');
  assert.equal(xl.indexOf('65435') + 4, axis + 20, 'last label ends under the last point');
  assert.ok(!out.includes('\x1b['), 'no colour unless asked');
  assert.ok(lineChart([{ name: 'a', values: [1, 2] }], { title: 't', xLabels: ['1', '2'], color: true }).includes('\x1b[36m'));
  assert.equal(lineChart([{ name: 'a', values: [null] }], { title: 't', xLabels: ['1'] }), '');
});

test('child output helpers', () => {
  assert.deepEqual(lastJsonObject('noise\n{"a":1}\n{"b":2}\n'), { b: 2 });
  assert.equal(lastJsonObject('[1]\nnot json\n'), null);
  assert.equal(errorLine('tx=1 (0 MB) txc=0 zc=n\nmsg-zerocopy: send: boom\n'), 'msg-zerocopy: send: boom');
  assert.equal(errorLine('rx=1 (0 MB)\n'), null);
});
