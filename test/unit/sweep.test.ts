// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorLine, type ChildResult } from '../../src/run/child.js';
import { readReport } from '../../src/report/read.js';
import { LAB_ADDR } from '../../src/lab/lab.js';
import { lineChart, logTicks, sig, sizeTicks, valueAxis } from '../../src/render/chart.js';
import { parseSizes, resolvePath } from '../../src/cli/sweep.js';
import { parseFamily } from '../../src/core/vocabulary.js';
import { compareTable, compareVerdict, crossoverLine, sweepTable } from '../../src/sweep/format.js';
import { compareMarkdown, sweepMarkdown } from '../../src/sweep/markdown.js';
import { ratioStrip, sweepCharts } from '../../src/sweep/charts.js';
import { receiverArgs, record, senderArgs, type RunRecord, type RunSettings } from '../../src/sweep/runner.js';
import { planRuns } from '../../src/sweep/sweep.js';
import { compareApis, summarizeSizes, sweepCrossover } from '../../src/sweep/summary.js';

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
  // iperf3's suffixes: k and K are 1024 (before: 2k was read as 2000)
  assert.deepEqual(parseSizes('4000,1000, 2k,1000'), [1000, 2048, 4000]);
  assert.deepEqual(parseSizes('1K,16K, 63K'), [1024, 16384, 64512]);
  assert.throws(() => parseSizes('64K'), /'64K' \(65536 bytes\) is out of range 1\.\.65435/);
  assert.deepEqual(parseSizes('0x10'), [16]);
  assert.throws(() => parseSizes('0'), /out of range|not a whole number/);
  assert.throws(() => parseSizes('70000'), /65435/);
  // before: "not a number"; now the message says what a size may be
  assert.throws(() => parseSizes('abc'), /'abc' is not a size \(a whole number of bytes, or with K, M, G/);
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
    stderr: '', report: report ? readReport(JSON.stringify(report)) : null, wallMs: 300, ...over,
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

test('summaries: medians, ranges, ratios of medians; too few pairs for a verdict', () => {
  const runs = [
    rec(1000, 'copy', 1, 1.0, 2.0), rec(1000, 'copy', 2, 1.2, 2.2), rec(1000, 'copy', 3, 0.8, 1.8),
    rec(1000, 'zerocopy', 1, 0.9, 2.5), rec(1000, 'zerocopy', 2, 0.9, 2.4), rec(1000, 'zerocopy', 3, 0.9, 2.6),
    rec(65435, 'copy', 1, 20, 0.05), rec(65435, 'zerocopy', 1, 30, 0.03, false),
  ];
  const s = summarizeSizes([65435, 1000], runs);
  assert.deepEqual(s.map((x) => x.size), [1000, 65435]);
  assert.equal(s[0].copy.throughputGBps.median, 1.0);
  assert.equal(s[0].copy.bytesPerSecond.median, 1e9);
  assert.equal(s[0].copy.bitsPerSecond.median, 8e9);
  assert.equal(s[0].copy.secPerGB.min, 1.8);
  assert.equal(s[0].copy.secPerGB.max, 2.2);
  assert.equal(s[0].zerocopy.secPerGB.median, 2.5);
  assert.equal(s[0].ratio.secPerGB, 1.25);
  // changed with the interval verdicts: 3 pairs give only a 75 % interval, 1 pair none, so no verdict either way
  // (before: paysOff false at 1000 B and true at 65435 B, from the medians alone, and a crossover at 65435)
  assert.equal(s[0].verdict, 'no verdict (too few pairs)');
  assert.equal(s[0].paysOff, false);
  assert.equal(s[0].ratio.secPerGBInterval.n, 3);
  assert.equal(s[0].ratio.secPerGBInterval.level, 0.75);
  assert.ok(Math.abs(s[0].ratio.secPerGBInterval.low! - 2.4 / 2.2) < 1e-12, 'lowest paired ratio');
  assert.ok(Math.abs(s[0].ratio.secPerGBInterval.high! - 2.6 / 1.8) < 1e-12, 'highest paired ratio');
  assert.equal(s[1].verdict, 'no verdict (too few pairs)');
  assert.equal(s[1].paysOff, false);
  assert.equal(s[1].zerocopy.ok, 0);
  assert.equal(s[1].zerocopy.runs, 1);
  assert.equal(s[1].zerocopy.expectationKnown, 1);
  assert.equal(s[1].zerocopy.expectationMet, 0);
  assert.equal(s[0].zerocopy.copiedShare, 0);
  assert.equal(sweepCrossover(s), null);
  assert.equal(crossoverLine(s, null), 'no verdict on CPU per GB: too few pairs for a 95% interval at the largest size, 65435 B ' +
    '(0.600× (0.600–0.600, 0%) at 65435 B; 1 pair gives no interval; 95% needs at least 6 pairs)');

  const table = sweepTable(s, Infinity).split('\n');
  assert.equal(table.length, 5);
  assert.match(table[0], /^size B\s+mode\s+ok\s+Gbit\/s\s+GB\/s\s+min–max\s+spread\s+CPU s\/GB\s+min–max\s+spread\s+zc\/copy rate\s+zc\/copy CPU s\/GB\s+verdict$/);
  assert.match(table[1], /^\s*1000\s+copy\s+3\/3\s+8\s+1\s+6\.4–9\.6\s+40%\s+2\s+1\.8–2\.2\s+20%$/);
  assert.match(table[2], /zerocopy\s+3\/3\s+7\.2\s+0\.9\s+7\.2–7\.2\s+0\.0%\s+2\.5\s+2\.4–2\.6\s+8\.0%\s+0\.91× \(0\.75–1\.13, 75%\)\s+1\.25× \(1\.09–1\.44, 75%\)\s+no verdict \(too few pairs\)$/);
  assert.match(table[4], /zerocopy\s+0\/1\s+240\s+30\s.*1\.500× \(1\.500–1\.500, 0%\)\s+0\.600× \(0\.600–0\.600, 0%\)\s+no verdict \(too few pairs\)$/);

  const md = sweepMarkdown(s).split('\n');
  assert.equal(md.length, 6);
  assert.match(md[1], /^\|( -+:? \|)+$/);
  assert.match(md[3], /^\| {2}\| zerocopy \| 3\/3 \| 7\.2 \| 0\.9 \| 7\.2–7\.2 \| 2\.5 \| 2\.4–2\.6 \| 0\.91× \(0\.75–1\.13, 75%\) \| 1\.25× \(1\.09–1\.44, 75%\) \| no verdict \(too few pairs\) \|$/);
});

/** `reps` back-to-back pairs at one size: zerocopy's CPU per GB is copy's × ratio, with a little alternating noise. */
function pairs(size: number, reps: number, ratio: number): RunRecord[] {
  const out: RunRecord[] = [];
  for (let k = 1; k <= reps; k++) {
    const copy = 1 + 0.01 * ((k * 7) % 5);
    out.push(rec(size, 'copy', k, 10, copy), rec(size, 'zerocopy', k, 10, copy * ratio * (1 + 0.005 * ((k % 3) - 1))));
  }
  return out;
}

test('verdicts from the intervals: saves, costs, no significant difference; crossover and its line', () => {
  const s = summarizeSizes([1000, 8000, 65435], [...pairs(1000, 8, 1.2), ...pairs(8000, 8, 0.8), ...pairs(65435, 8, 0.7)]);
  assert.deepEqual(s.map((x) => x.verdict), ['costs', 'saves', 'saves']);
  assert.deepEqual(s.map((x) => x.paysOff), [false, true, true]);
  for (const x of s) {
    const i = x.ratio.secPerGBInterval;
    assert.equal(i.n, 8);
    assert.equal(i.method, 'wilcoxon-signed-rank');
    assert.ok(i.level >= 0.95);
    assert.ok(i.low! <= i.estimate! && i.estimate! <= i.high!);
  }
  assert.ok(s[0].ratio.secPerGBInterval.low! > 1 && s[2].ratio.secPerGBInterval.high! < 1);
  assert.equal(s[0].ratio.throughputInterval.estimate, 1, 'same throughput in every pair');
  assert.equal(sweepCrossover(s), 8000);
  assert.match(crossoverLine(s, 8000), /^zerocopy saves CPU per GB from 8000 B up: the 95% interval of zerocopy\/copy is below 1 at each of them \(0\.800× \(0\.798–0\.804\) at 8000 B, 0\.700× \(0\.698–0\.703\) at 65435 B\)$/);
  const mixed = summarizeSizes([1000, 2000], [...pairs(1000, 8, 0.8), ...pairs(2000, 8, 1)]);
  assert.deepEqual(mixed.map((x) => x.verdict), ['saves', 'no significant difference']);
  assert.equal(sweepCrossover(mixed), null);
  assert.match(crossoverLine(mixed, null), /^zerocopy does not save CPU per GB up to 2000 B: no significant difference at the largest size \(1\.000× \(0\.997–1\.005\) at 2000 B\); saves only at 1000 B$/);
  const all = summarizeSizes([1000], pairs(1000, 6, 0.5));
  assert.match(crossoverLine(all, sweepCrossover(all)), /saves CPU per GB at every size measured \(1000 B and up\)/);
  const none = summarizeSizes([1000], [rec(1000, 'copy', 1, 1, 1)]);
  assert.equal(none[0].paysOff, null);
  assert.match(crossoverLine(none, null), /crossover unknown/);
});

test('pairs: copy run k with zerocopy run k; a run that was not measured takes its pair out', () => {
  const runs = pairs(1000, 7, 0.8);
  runs[3] = { ...runs[3], measured: false }; // zerocopy of rep 2
  const s = summarizeSizes([1000], runs)[0];
  assert.equal(s.ratio.secPerGBInterval.n, 6);
  assert.equal(s.zerocopy.measured, 6);
  assert.equal(s.verdict, 'saves');
});

test('sweep table fits 80 and 60 columns: no line longer, every size still there', () => {
  const s = summarizeSizes([1000, 8000, 65435], [...pairs(1000, 8, 1.2), ...pairs(8000, 8, 1.0), ...pairs(65435, 8, 0.7)]);
  const wide = sweepTable(s, Infinity).split('\n');
  assert.ok(Math.max(...wide.map((l) => [...l].length)) > 80, 'the full table is wider than 80');
  for (const width of [80, 60]) {
    const t = sweepTable(s, width).split('\n');
    assert.ok(t.every((l) => [...l].length <= width), `${width}:\n${t.join('\n')}`);
    for (const size of ['1000', '8000', '65435']) assert.ok(t.some((l) => l.trimStart().startsWith(size)), `${size} at ${width}`);
    assert.ok(t.some((l) => /costs/.test(l)) && t.some((l) => /saves/.test(l)), 'verdicts kept');
    assert.ok(t.some((l) => l.startsWith(`(left out to fit ${width} columns: min–max`)), t.join('\n'));
  }
});

test('compare table and verdict fit 80 and 60 columns and state the interval', () => {
  const runs = pairs(65435, 10, 0.87);
  const s = summarizeSizes([65435], runs)[0];
  for (const width of [80, 60]) {
    const t = compareTable(s, runs, 1, width).split('\n');
    assert.ok(t.every((l) => [...l].length <= width), `${width}:\n${t.join('\n')}`);
    assert.ok(t.some((l) => /^CPU s\/GB\s/.test(l)));
  }
  assert.equal(compareVerdict(s), 'verdict: zerocopy saves CPU at 65435 B: zerocopy/copy CPU per GB 0.870× (0.868–0.872), ' +
    'throughput 1.000× (1.000–1.000) (95% CI: Wilcoxon signed-rank over 10 pairs of back-to-back copy/zerocopy runs)');
  const few = summarizeSizes([16000], pairs(16000, 2, 0.87))[0];
  assert.match(compareVerdict(few), /^verdict: no verdict at 16000 B \(too few pairs for a 95% interval\): zerocopy\/copy CPU per GB 0\.872× \(0\.870–0\.874, 50%\), throughput 1\.000× \(1\.000–1\.000, 50%\) \(Wilcoxon signed-rank interval over 2 pairs of back-to-back copy\/zerocopy runs; 2 pairs give only a 50% interval; 95% needs at least 6 pairs\)$/);
  const dear = summarizeSizes([1000], pairs(1000, 6, 1.3))[0];
  assert.match(compareVerdict(dear), /^verdict: zerocopy costs CPU at 1000 B: zerocopy\/copy CPU per GB 1\.300× \(1\.294–1\.306\), /);
  assert.match(compareMarkdown(dear), /^\| verdict \| {2}\| {2}\| costs \|$/m);
});

test('chart: size axis on a log scale with SI ticks, round value ticks, both series distinct, legend', () => {
  const out = lineChart([
    { name: 'copy', values: [2, 1, 0.1] },
    { name: 'zerocopy', values: [3, 1, 0.05] },
  ], { title: 'CPU', x: [1000, 8000, 65435], log: true, height: 9, width: 70 });
  const lines = out.split('\n');
  assert.equal(lines[0], 'CPU (log scale)');
  assert.match(lines[1], /^\s+●·· copy {3}■\+\+ zerocopy {3}◆ both$/);
  const plot = lines.slice(2, 11);
  const labels = plot.map((l) => /^\s*(\S*) [┤│]/.exec(l)![1]).filter(Boolean);
  // round ticks (1-3 per decade: at most height/2 + 1 of them) covering 0.05..3, never values like 0.0777
  assert.deepEqual(labels, ['3', '1', '0.3', '0.1', '0.03']);
  // at 8000 both are 1: that point is shared (◆); the others show each series' own mark
  assert.equal(out.split('●').length - 1, 2 + 1, 'two copy points of their own (and the legend)');
  assert.equal(out.split('■').length - 1, 2 + 1, 'two zerocopy points of their own (and the legend)');
  assert.ok(out.includes('◆'), 'the shared point shows as ◆');
  const axis = lines[11];
  const ticks = lines[12];
  assert.match(axis, /^\s+└[─┬]+$/);
  assert.match(ticks, /^\s+1 kB\s+2 kB\s+5 kB\s+10 kB\s+20 kB\s+50 kB$/);
  assert.equal(lines[13].trim(), 'payload size (log scale)');
  // log spacing: 1 kB → 10 kB spans as many columns as 10 kB → 65435 would at log10(6.5435)/1 of that
  const at = (label: string) => axis.indexOf('┬', ticks.indexOf(label) - 2);
  const c1 = axis.indexOf('└') + 1;
  const c10 = at('10 kB');
  const cEnd = axis.length - 1;
  assert.ok(Math.abs((cEnd - c10) / (c10 - c1) - Math.log10(6.5435)) < 0.05, `${c1} ${c10} ${cEnd}`);
  assert.ok(!out.includes('\x1b['), 'no colour unless asked');
  const colored = lineChart([{ name: 'a', values: [1, 2] }, { name: 'b', values: [2, 1] }], { title: 't', x: [1, 2], color: true });
  assert.ok(colored.includes('\x1b[36m') && colored.includes('\x1b[35m'), 'each series its own colour');
  assert.equal(lineChart([{ name: 'a', values: [null] }], { title: 't', x: [1] }), '');
});

test('chart: narrow values give a linear axis with round steps; ticks thin out on a narrow chart', () => {
  const out = lineChart([{ name: 'copy', values: [0.101, 0.097] }, { name: 'zerocopy', values: [0.088, 0.086] }],
    { title: 'CPU', x: [16000, 65435], log: true, height: 6, width: 40 });
  const labels = out.split('\n').slice(2, 8).map((l) => /^\s*(\S*) [┤│]/.exec(l)![1]).filter(Boolean);
  assert.deepEqual(labels, ['0.11', '0.1', '0.09', '0.08']);
  assert.ok(!out.startsWith('CPU (log scale)'), 'values within 3× of each other: linear');
  assert.deepEqual(logTicks(1000, 65435), [1000, 2000, 5000, 10000, 20000, 50000]);
  assert.deepEqual(logTicks(1000, 65435, [1]), [1000, 10000]);
  assert.deepEqual(valueAxis(0.05, 3, true, 8), { lo: 0.05, hi: 3, log: true, ticks: [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 3] });
  assert.deepEqual(valueAxis(0.05, 3, true, 7), { lo: 0.05, hi: 5, log: true, ticks: [0.05, 0.1, 0.2, 0.5, 1, 2, 5] });
  assert.deepEqual(valueAxis(0.8, 11.8, false, 6).ticks, [0, 2.5, 5, 7.5, 10, 12.5]);
  const narrow = lineChart([{ name: 'copy', values: [1, 2, 3] }], { title: 't', x: [1000, 8000, 65435], width: 30 });
  const tickLine = narrow.split('\n').slice(-2)[0];
  assert.ok(tickLine.length <= 30, tickLine);
  // too narrow for three 1-2-5 ticks: the sizes measured, where they fit
  assert.match(tickLine, /^\s+1 kB\s+8 kB\s+65\.4 kB$/);
  const short = lineChart([{ name: 'copy', values: [1, 2] }], { title: 't', x: [1000, 4000], width: 50 }).split('\n').slice(-2)[0];
  assert.match(short, /^\s+1 kB\s+4 kB$/, 'a range too short for three round ticks: its sizes');
  const one = lineChart([{ name: 'copy', values: [1] }], { title: 't', x: [65435], width: 50 }).split('\n').slice(-2)[0];
  assert.equal(one.trim(), '65.4 kB', 'a single size: its own tick');
  assert.deepEqual(sizeTicks(1000, 65435, () => true, [1000, 8000, 65435]), [1000, 2000, 5000, 10000, 20000, 50000]);
});

test('ratio strip: each size\'s interval against 1, saves left of it, costs right; within the width', () => {
  const s = summarizeSizes([1000, 8000, 65435], [...pairs(1000, 8, 1.2), ...pairs(8000, 8, 1.0), ...pairs(65435, 8, 0.7)]);
  for (const width of [100, 60]) {
    const lines = ratioStrip(s, width).split('\n');
    assert.ok(lines.every((l) => [...l].length <= width), lines.join('\n'));
    const rows = lines.filter((l) => /^\s*\d+ B /.test(l));
    assert.equal(rows.length, 3);
    const one = (l: string) => l.search(/[│┿]/);
    const dot = (l: string) => l.indexOf('●');
    assert.ok(dot(rows[0]) > one(rows[0]), 'costs: right of 1');
    assert.ok(dot(rows[2]) < one(rows[2]), 'saves: left of 1');
    assert.equal(rows[2].endsWith('saves'), width === 100, 'the verdict only where there is room');
  }
  const charts = sweepCharts(s, false, 80);
  assert.match(charts, /^zerocopy\/copy CPU per GB by payload size: ● estimate/);
  assert.ok(charts.split('\n').every((l) => [...l].length <= 80));
  assert.ok(ratioStrip(s, 80, true).includes('\x1b[32m') && !ratioStrip(s, 80).includes('\x1b['), 'colour only when asked');
});

test('three significant digits', () => {
  assert.equal(sig(0.045234), '0.0452');
  assert.equal(sig(23.456), '23.5');
  assert.equal(sig(1234.5), '1235');
});

test('child output helpers', () => {
  assert.equal(errorLine('tx=1 (0 MB) txc=0 zc=n\nmsg-zerocopy: send: boom\n'), 'msg-zerocopy: send: boom');
  assert.equal(errorLine('rx=1 (0 MB)\n'), null);
});

test('plan with --api msg,uring: interfaces alternate inside each repetition; io_uring runs as its driver', () => {
  const p = planRuns([1000], 2, ['msg', 'uring']);
  assert.deepEqual(p.map((r) => `${r.index} ${r.api} ${r.mode} ${r.rep}`), ['1 msg copy 1', '2 msg zerocopy 1', '3 uring copy 1',
    '4 uring zerocopy 1', '5 msg copy 2', '6 msg zerocopy 2', '7 uring copy 2', '8 uring zerocopy 2']);
  assert.deepEqual(senderArgs(lab, udp, { size: 1000, mode: 'zerocopy', api: 'uring' }),
    ['uring', '-4', '-D', '192.168.2.2', '-p', '8000', '-s', '1000', '-t', '1', '-n', '32', '-m', '2', '-Z', '1', '--json', 'udp']);
  assert.deepEqual(senderArgs(lab, tcp, { size: 1000, mode: 'copy', api: 'uring' }),
    ['uring', '-4', '-D', '192.168.1.2', '-p', '8000', '-s', '1000', '-t', '1', '-n', '1', '-m', '0', '--json', 'tcp']);
});

test('io_uring against MSG_ZEROCOPY: zerocopy runs paired by repetition, the verdict from the CPU interval', () => {
  const zc = (api: 'msg' | 'uring', rep: number, secPerGB: number): RunRecord => record({ index: 1, size: 1000, mode: 'zerocopy',
    rep, api }, udp, child(senderReport({ cpu: { userUs: 1, sysUs: 1, secPerGB, utilization: 0 } })), null, false, 1, [], null);
  const runs: RunRecord[] = [];
  for (let rep = 1; rep <= 8; rep++) runs.push(zc('msg', rep, 1 + rep / 100), zc('uring', rep, 0.6 + rep / 100));
  const [c] = compareApis([1000], runs);
  assert.equal(c.size, 1000);
  assert.equal(c.secPerGBInterval.n, 8);
  assert.ok(c.secPerGBInterval.high! < 1 && c.secPerGBInterval.low! > 0.5);
  assert.equal(c.verdict, 'saves', 'io_uring costs less CPU per GB in every pair');
  const even = compareApis([1000], runs.map((r) => ({
    ...r, secPerGB: 1 + r.rep / 100 + (r.api === 'uring' ? 0 : r.rep % 2 ? 0.01 : -0.01),
  })));
  assert.equal(even[0].verdict, 'no significant difference');
});
