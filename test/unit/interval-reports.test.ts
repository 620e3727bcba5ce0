// SPDX-License-Identifier: GPL-2.0-only
// Interval reports (-I / --interval) and the rates: the accounting sums to
// the totals exactly, boundaries fall on the first slice end past them, the
// rates are over the time data moved, and the flag reaches every argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntervalMeter, windowMs, type CpuSample, type IntervalRecord, type Totals } from '../../src/core/intervals.js';
import { parseClassicArgs, parseIntervalMs } from '../../src/flags/classic.js';
import { classicArgv, senderSpecOf, type ReceiverSpec } from '../../src/run/classic.js';
import {
  errorReport, rates, receiverIntervalLine, receiverReport, senderInterval, senderIntervalLine, senderReport,
} from '../../src/report/report.js';
import { checkReport } from '../../src/report/read.js';
import { CompletionTracker, COPIED } from '../../src/notify/tracker.js';
import { TOOL_VERSION } from '../../src/core/version.js';
import { UsageError } from '../../src/core/errors.js';
import { rng } from '../support/random.js';

/** A fake CPU clock that advances when told. */
function fakeCpu(): { read: () => CpuSample; add: (u: number, s: number) => void } {
  const c = { userUs: 0, sysUs: 0 };
  return { read: () => ({ ...c }), add: (u, s) => { c.userUs += u; c.sysUs += s; } };
}

const sum = (rs: IntervalRecord[], k: keyof IntervalRecord): number => rs.reduce((a, r) => a + r[k], 0);

/**
 * Drive a meter as runSender does: slices of about 50 ms (jittered, some
 * overrun), counters that grow, tick at every slice end but the last, then
 * a final wait in which only completions grow, then finish.
 */
function simulate(seed: number, intervalMs: number, runMs: number) {
  const rand = rng(seed);
  const cpu = fakeCpu();
  const start = 1_700_000_000_000;
  const emitted: IntervalRecord[] = [];
  const meter = new IntervalMeter(intervalMs, start, cpu.read, (r) => emitted.push(r));
  const tot: Totals = { bytes: 0, packets: 0, completions: 0, copied: 0 };
  const sliceEnds: number[] = [];
  let now = start;
  const tstop = start + runMs;
  while (now < tstop) {
    const len = rand() < 0.05 ? 50 + Math.floor(rand() * 900) : 50 + Math.floor(rand() * 4);
    now = Math.min(tstop + Math.floor(rand() * 3), now + len);
    const sends = Math.floor(rand() * 8000);
    tot.packets += sends;
    tot.bytes += sends * 65435 - Math.floor(rand() * 100); // a few short sends
    const done = Math.floor(rand() * (tot.packets - tot.completions + 1));
    tot.completions += done;
    tot.copied += Math.floor(rand() * (done + 1));
    cpu.add(Math.floor(rand() * 5000), Math.floor(rand() * 45000));
    sliceEnds.push(now - start);
    if (now < tstop) meter.tick(now, tot.bytes, tot.packets, tot.completions, tot.copied);
  }
  // The final wait for notifications: completions only.
  const rest = tot.packets - tot.completions;
  tot.completions += rest;
  tot.copied += rest;
  const end = now + 37;
  const records = meter.finish(end, tot);
  return { records, emitted, tot, sliceEnds, endMs: end - start, cpu: cpu.read() };
}

test('intervals sum to the totals exactly, tile the run, and each is emitted once', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const intervalMs = [100, 250, 500, 1000, 1100, 3000][seed % 6];
    const runMs = 200 + (seed % 7) * 1000;
    const { records, emitted, tot, endMs, cpu } = simulate(seed, intervalMs, runMs);
    assert.deepEqual(emitted, records, 'every interval emitted, in order');
    assert.ok(records.length >= 1);
    assert.equal(sum(records, 'bytes'), tot.bytes, `seed ${seed}: bytes`);
    assert.equal(sum(records, 'packets'), tot.packets, `seed ${seed}: packets`);
    assert.equal(sum(records, 'completions'), tot.completions, `seed ${seed}: completions`);
    assert.equal(sum(records, 'copied'), tot.copied, `seed ${seed}: copied`);
    assert.equal(sum(records, 'userUs'), cpu.userUs);
    assert.equal(sum(records, 'sysUs'), cpu.sysUs);
    assert.equal(records[0].startMs, 0);
    for (let i = 1; i < records.length; i++) assert.equal(records[i].startMs, records[i - 1].endMs, 'contiguous');
    assert.equal(records.at(-1)!.endMs, endMs, 'the last one ends at the end of the run');
    for (const r of records) {
      assert.ok(r.endMs >= r.startMs);
      assert.ok(r.bytes >= 0 && r.packets >= 0 && r.completions >= 0 && r.copied >= 0 && r.copied <= r.completions);
    }
  }
});

test('a boundary falls on the first slice end past it; late slices do not push later boundaries back', () => {
  const { records, sliceEnds } = simulate(7, 500, 4200);
  for (const r of records.slice(0, -1)) {
    // The end is a slice end, at or past a multiple of 500 ms, and no earlier slice end lies between that multiple and it.
    assert.ok(sliceEnds.includes(r.endMs), `${r.endMs} is a slice end`);
    const boundary = Math.floor(r.endMs / 500) * 500;
    assert.ok(boundary > r.startMs, `interval ${r.startMs}-${r.endMs} crosses a boundary`);
    assert.ok(!sliceEnds.some((e) => e >= boundary && e < r.endMs), `no earlier slice end past ${boundary}`);
  }

  // Exact: 50 ms slices from 0 with -I 0.5 end at 500, 1000, 1500, 2000; the 2.2 s run leaves 2000-2200.
  const cpu = fakeCpu();
  const m = new IntervalMeter(500, 0, cpu.read);
  let bytes = 0;
  for (let t = 50; t <= 2200; t += 50) {
    bytes += 10;
    if (t < 2200) m.tick(t, bytes, bytes / 10, 0, 0);
  }
  const rs = m.finish(2200, { bytes, packets: bytes / 10, completions: 0, copied: 0 });
  assert.deepEqual(rs.map((r) => [r.startMs, r.endMs, r.bytes]), [[0, 500, 100], [500, 1000, 100], [1000, 1500, 100], [1500, 2000, 100], [2000, 2200, 40]]);

  // A slice end 20 ms late: that interval is longer, the next boundary is still at 1000.
  const late = new IntervalMeter(500, 0, cpu.read);
  for (const t of [450, 520, 570, 1000, 1050]) late.tick(t, t, 0, 0, 0);
  assert.deepEqual(late.finish(1100, { bytes: 1100, packets: 0, completions: 0, copied: 0 }).map((r) => [r.startMs, r.endMs, r.bytes]),
    [[0, 520, 520], [520, 1000, 480], [1000, 1100, 100]]);

  // A slice that overran several boundaries (a 1.3 s wait): one long interval, then the next boundary after it.
  const over = new IntervalMeter(500, 0, cpu.read);
  for (const t of [50, 1350, 1400, 1500, 1550]) over.tick(t, t, 0, 0, 0);
  assert.deepEqual(over.finish(1600, { bytes: 1600, packets: 0, completions: 0, copied: 0 }).map((r) => [r.startMs, r.endMs]),
    [[0, 1350], [1350, 1500], [1500, 1600]]);
});

test('a run that ends on a boundary adds no empty interval; an empty run has one', () => {
  const cpu = fakeCpu();
  const m = new IntervalMeter(100, 0, cpu.read);
  m.tick(100, 5, 1, 0, 0);
  assert.equal(m.finish(100, { bytes: 5, packets: 1, completions: 0, copied: 0 }).length, 1);
  // ...but completions that arrive in the final wait make one, however short.
  const z = new IntervalMeter(100, 0, cpu.read);
  z.tick(100, 5, 1, 0, 0);
  const rs = z.finish(100, { bytes: 5, packets: 1, completions: 1, copied: 1 });
  assert.deepEqual(rs.map((r) => [r.startMs, r.endMs, r.bytes, r.completions]), [[0, 100, 5, 0], [100, 100, 0, 1]]);
  const e = new IntervalMeter(100, 0, cpu.read);
  assert.deepEqual(e.finish(0, { bytes: 0, packets: 0, completions: 0, copied: 0 }).map((r) => [r.startMs, r.endMs, r.bytes]), [[0, 0, 0]]);
  assert.throws(() => new IntervalMeter(0, 0, cpu.read), RangeError);
});

test('rates are over the time data moved, with the unit in the name; the old names are aliases', () => {
  // 3 GB moved in 1.5 s of a 2.6 s run: 2 GB/s, not 3/2.6.
  const r = rates(3e9, 45_000, 1500, 2600, { userUs: 1_000_000, sysUs: 1_600_000 });
  assert.equal(r.dataMs, 1500);
  assert.equal(r.bytesPerSecond, 2e9);
  assert.equal(r.bitsPerSecond, 16e9);
  assert.equal(r.packetsPerSecond, 30_000);
  assert.equal(r.throughputBps, r.bytesPerSecond);
  assert.equal(r.throughputGbps, 16);
  assert.equal(r.packetsPerSec, r.packetsPerSecond);
  // CPU: per GB over the bytes, utilisation over the whole run.
  assert.equal(r.cpu.secPerGB, 2.6 / 3);
  assert.equal(r.cpu.utilization, 1);
  const none = rates(0, 0, 0, 2600, { userUs: 0, sysUs: 0 });
  assert.deepEqual([none.bytesPerSecond, none.bitsPerSecond, none.packetsPerSecond, none.cpu.secPerGB], [0, 0, 0, null]);
});

test('the data window: from the read before the first bytes to the read after the last, at least the clock\'s 1 ms', () => {
  assert.equal(windowMs({ firstAt: 1000, lastAt: 3200 }, 5), 2200);
  assert.equal(windowMs({ firstAt: 1000, lastAt: 1000 }, 5), 1);
  assert.equal(windowMs({ firstAt: -1, lastAt: -1 }, 0), 0);
  assert.equal(windowMs({ firstAt: 1000, lastAt: 1200 }, 0), 0);
});

const cfgOf = (...argv: string[]) => parseClassicArgs(argv, { ifindex: () => 1 });

test('reports: toolVersion, dataMs, intervals that sum to the totals, in both roles and in error reports', () => {
  const cfg = cfgOf('-4', '-D', '10.0.0.1', '-z', '--interval', '0.5', 'tcp');
  const tracker = new CompletionTracker();
  tracker.record(0, 5, COPIED);
  tracker.record(6, 9, 0);
  const intervals: IntervalRecord[] = [
    { startMs: 0, endMs: 500, bytes: 6000, packets: 6, completions: 6, copied: 6, userUs: 100_000, sysUs: 300_000 },
    { startMs: 500, endMs: 700, bytes: 4000, packets: 4, completions: 4, copied: 0, userUs: 0, sysUs: 0 },
  ];
  const s = senderReport(cfg, {
    packets: 10, bytes: 10_000, calls: 10, eagain: 0, enobufs: 0, expectedCompletions: 10, tracker, startedAt: 0,
    durationMs: 700, dataMs: 500, intervals, interrupted: null, zc: 'n', missingNotifications: false,
  }, { userUs: 0, sysUs: 0 }, 0, 'private');
  assert.equal(s.toolVersion, TOOL_VERSION);
  assert.equal(s.intervalSecs, 0.5);
  assert.equal(s.durationMs, 700);
  assert.equal(s.dataMs, 500);
  assert.equal(s.bytesPerSecond, 20_000);
  assert.equal(s.intervals!.length, 2);
  assert.deepEqual(s.intervals![0], {
    startSec: 0, endSec: 0.5, bytes: 6000, packets: 6, bytesPerSecond: 12_000, bitsPerSecond: 96_000, packetsPerSecond: 12,
    cpu: { userUs: 100_000, sysUs: 300_000, utilization: 0.8 }, completions: 6, copiedCompletions: 6, zerocopiedCompletions: 0,
  });
  assert.equal(s.intervals!.reduce((a, r) => a + r.bytes, 0), s.bytes);
  assert.equal(s.intervals!.reduce((a, r) => a + r.completions, 0), s.completions);
  assert.equal(s.intervals!.reduce((a, r) => a + r.copiedCompletions, 0), s.copiedCompletions);
  assert.equal(s.intervals!.reduce((a, r) => a + r.zerocopiedCompletions, 0), s.zerocopiedCompletions);
  assert.ok(checkReport(JSON.parse(JSON.stringify(s))).ok);

  const rcfg = cfgOf('-4', '-D', '10.0.0.1', '-r', 'tcp');
  const r = receiverReport(rcfg, {
    packets: 3, bytes: 3e9, startedAt: 0, durationMs: 2600, dataMs: 1500, intervals: null, interrupted: null, peerClosed: true,
  }, { userUs: 0, sysUs: 0 }, 0, 'private');
  assert.equal(r.toolVersion, TOOL_VERSION);
  assert.equal(r.intervalSecs, null);
  assert.equal(r.intervals, null);
  assert.equal(r.bytesPerSecond, 2e9);
  assert.ok(checkReport(JSON.parse(JSON.stringify(r))).ok);

  const e = errorReport(rcfg, 'bind: Address already in use', null, 2);
  assert.equal(e.toolVersion, TOOL_VERSION);
  assert.equal(senderInterval(intervals[1]).zerocopiedCompletions, 4);
});

test('interval lines: bounds in s, SI bytes, the rate in bit/s, counts, the copied share with -z, CPU', () => {
  const r: IntervalRecord = { startMs: 500, endMs: 1000, bytes: 1_634_000_000, packets: 24_972, completions: 24_900, copied: 24_900, userUs: 50_000, sysUs: 440_000 };
  assert.equal(senderIntervalLine(r, true), 'interval 0.50-1.00 s: 1.63 GB at 26.1 Gbit/s, 24972 sends, 24900 completions (100% copied), CPU 98%');
  assert.equal(senderIntervalLine(r, false), 'interval 0.50-1.00 s: 1.63 GB at 26.1 Gbit/s, 24972 sends, CPU 98%');
  assert.equal(senderIntervalLine({ ...r, completions: 0, copied: 0 }, true), 'interval 0.50-1.00 s: 1.63 GB at 26.1 Gbit/s, 24972 sends, 0 completions, CPU 98%');
  assert.equal(receiverIntervalLine({ ...r, startMs: 2000, endMs: 2150, bytes: 12_000_000, packets: 812, sysUs: 10_000 }),
    'interval 2.00-2.15 s: 12.0 MB at 640 Mbit/s, 812 reads, CPU 40%');
});

test('-I / --interval: decimals, attached values, 0 = off, bad values refused in one line', () => {
  assert.equal(cfgOf('-4', '-D', '10.0.0.1', 'tcp').intervalMs, 0);
  assert.equal(cfgOf('-4', '-D', '10.0.0.1', '--interval', '0.5', 'tcp').intervalMs, 500);
  assert.equal(cfgOf('-4', '-D', '10.0.0.1', '-I0.25', 'tcp').intervalMs, 250);
  assert.equal(cfgOf('-4', '-I', '2', '-D', '10.0.0.1', '-r', 'tcp').intervalMs, 2000);
  assert.equal(cfgOf('-4', '-D', '10.0.0.1', '--interval=.5', 'udp').intervalMs, 500);
  assert.equal(parseIntervalMs('0'), 0);
  assert.equal(parseIntervalMs('1.25'), 1250);
  // -i stays the selftest's interface.
  assert.equal(parseClassicArgs(['-4', '-D', '10.0.0.1', '-i', 'veth0', 'tcp'], { ifindex: (n) => (n === 'veth0' ? 7 : 0) }).ifindex, 7);
  for (const bad of ['abc', '-1', '0.05', '1e3', '86401', '']) {
    assert.throws(() => parseIntervalMs(bad), (e: unknown) => e instanceof UsageError && /^--interval: /.test(e.message) && !e.line.includes('\n'), bad);
  }
});

test('every command passes --interval on: classicArgv, and pair through senderSpecOf', () => {
  const rx: ReceiverSpec = { role: 'receiver', family: 4, test: 'tcp', dst: '10.0.0.1', port: 9000, secs: 2, json: true, interval: 0.5 };
  const argv = classicArgv(rx);
  assert.deepEqual(argv.slice(argv.indexOf('--interval'), argv.indexOf('--interval') + 2), ['--interval', '0.5']);
  assert.equal(cfgOf(...argv).intervalMs, 500);
  assert.ok(!classicArgv({ ...rx, interval: undefined }).includes('--interval'));
  assert.ok(!classicArgv({ ...rx, interval: 0 }).includes('--interval'));

  const cfg = cfgOf('-4', '-D', '10.0.0.1', '-I', '0.3', '-z', 'tcp');
  const spec = senderSpecOf(cfg);
  assert.equal(spec.interval, 0.3);
  assert.equal(cfgOf(...classicArgv(spec)).intervalMs, 300);
  assert.equal(senderSpecOf(cfgOf('-4', '-D', '10.0.0.1', 'tcp')).interval, undefined);
});
