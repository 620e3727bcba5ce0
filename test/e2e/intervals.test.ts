// SPDX-License-Identifier: GPL-2.0-only
// End to end: interval reports (-I / --interval) and the rates over the time
// data moved, with our sender and receiver between the two namespaces of a
// lab this test creates and always deletes (all traffic stays inside it;
// every process has a deadline).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { TOOL_VERSION } from '../../src/core/version.js';
import { describe as show, ours, report, sleep, type ProcResult } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

let nextPort = 9300;
const DEADLINE_MS = 20_000;

interface Interval {
  startSec: number;
  endSec: number;
  bytes: number;
  packets: number;
  bytesPerSecond: number;
  completions?: number;
  copiedCompletions?: number;
  zerocopiedCompletions?: number;
  cpu: { userUs: number; sysUs: number; utilization: number };
}
type Report = ReturnType<typeof report> & {
  toolVersion: string;
  durationMs: number;
  dataMs: number;
  bytesPerSecond: number;
  throughputBps: number;
  intervalSecs: number | null;
  intervals: Interval[] | null;
  completions?: number;
  copiedCompletions?: number;
  zerocopiedCompletions?: number;
};

/** Receiver (-t rxSecs) in the rx namespace, 0.2 s later the sender (-t txSecs), as the kernel driver starts them. */
async function run(test: 'tcp' | 'udp', rxArgs: string[], txArgs: string[], rxSecs = '2', txSecs = '2') {
  const port = String(nextPort++);
  const common = ['-4', '-p', port, '-D', lab().addr[4].dst];
  const rx = ours(lab().rxNs, [...common, '-t', rxSecs, ...rxArgs, '-r', test], { timeoutMs: DEADLINE_MS });
  await sleep(200);
  const tx = ours(lab().txNs, [...common, '-t', txSecs, ...txArgs, test], { timeoutMs: DEADLINE_MS });
  const [r, t] = await Promise.all([rx.done, tx.done]);
  assert.equal(r.code, 0, show(r));
  assert.equal(t.code, 0, show(t));
  return { rx: r, tx: t };
}

const SENDER_INTERVAL = /^interval (\d+\.\d\d)-(\d+\.\d\d) s: \d+(?:\.\d+)? [kMGT]?B at \d+(?:\.\d+)? [kMG]?bit\/s, (\d+) sends(?:, (\d+) completions(?: \((\d+)% copied\))?)?, CPU \d+%$/;
const RECEIVER_INTERVAL = /^interval (\d+\.\d\d)-(\d+\.\d\d) s: \d+(?:\.\d+)? [kMGT]?B at \d+(?:\.\d+)? [kMG]?bit\/s, (\d+) reads, CPU \d+%$/;
const lines = (r: ProcResult): string[] => r.stderr.split('\n').filter((l) => l !== '');
const sum = (xs: Interval[], f: (x: Interval) => number): number => xs.reduce((a, x) => a + f(x), 0);

/** The intervals of a report: present, contiguous from 0, summing exactly to the totals. */
function checkIntervals(rep: Report, secs: number): Interval[] {
  assert.equal(rep.intervalSecs, secs);
  const iv = rep.intervals;
  assert.ok(Array.isArray(iv) && iv.length > 0, `intervals: ${JSON.stringify(iv)}`);
  assert.equal(sum(iv, (x) => x.bytes), rep.bytes, 'interval bytes sum to the total');
  assert.equal(sum(iv, (x) => x.packets), rep.packets, 'interval packets sum to the total');
  assert.equal(iv[0].startSec, 0);
  for (let i = 1; i < iv.length; i++) assert.equal(iv[i].startSec, iv[i - 1].endSec, 'contiguous');
  // Every interval but the last ends at the first 50 ms slice end past its boundary.
  for (const [i, x] of iv.slice(0, -1).entries()) {
    const late = x.endSec - (i + 1) * secs;
    assert.ok(late >= 0 && late < 0.2, `interval ${i} ends ${x.endSec} s, boundary ${(i + 1) * secs} s`);
  }
  return iv;
}

/**
 * The stderr: one line per interval (matching the JSON), then exactly the classic line, and after it
 * only the outcome line a zerocopy run prints when its completions were copied (issue 18: after the
 * selftest's lines, so their parsers are not disturbed).
 */
function checkLines(r: ProcResult, iv: Interval[], re: RegExp, classic: string): void {
  const ls = lines(r);
  if (ls.length && ls.at(-1)!.startsWith('zerocopy: ')) {
    assert.match(ls.at(-1)!, /^zerocopy: \d+ of \d+ completions not copied; copied because .+/, 'the outcome line');
    ls.pop();
  }
  assert.equal(ls.length, iv.length + 1, `one line per interval and the classic line:\n${r.stderr}`);
  assert.equal(ls.at(-1), classic, 'the classic line, unchanged');
  for (const [i, l] of ls.slice(0, -1).entries()) {
    const m = re.exec(l);
    assert.ok(m, `interval line: ${l}`);
    assert.equal(Number(m[1]), Number(iv[i].startSec.toFixed(2)));
    assert.equal(Number(m[2]), Number(iv[i].endSec.toFixed(2)));
    assert.equal(Number(m[3]), iv[i].packets, l);
    if (m[4] !== undefined) assert.equal(Number(m[4]), iv[i].completions, l);
  }
}

const txClassic = (t: Report, zc: 'y' | 'n'): string => `tx=${t.packets} (${Math.floor(t.bytes / 2 ** 20)} MB) txc=${t.completions} zc=${zc}`;
const rxClassic = (r: Report): string => `rx=${r.packets} (${Math.floor(r.bytes / 2 ** 20)} MB)`;

/** The receiver's rate over the sender's, as reported now and as the whole-run windows (the old rule) would give it. */
function ratios(t: TestContext, what: string, r: Report, tx: Report): { now: number; old: number } {
  const now = r.bytesPerSecond / tx.bytesPerSecond;
  const old = (r.bytes / r.durationMs) / (tx.bytes / tx.durationMs);
  t.diagnostic(`${what}: receiver/sender throughput ${now.toFixed(4)} over the data windows ` +
    `(rx ${r.dataMs} ms, tx ${tx.dataMs} ms); ${old.toFixed(4)} over the run windows (rx ${r.durationMs} ms, tx ${tx.durationMs} ms); ` +
    `sender ${(tx.bytesPerSecond / 1e9).toFixed(2)} GB/s`);
  return { now, old };
}

test('tcp -I 0.5 -t 2 --json: intervals sum to the totals, one line each, classic line unchanged, rx rate = tx rate', async (t) => {
  const { rx, tx } = await run('tcp', ['-I', '0.5', '--json'], ['--interval', '0.5', '--json']);
  const tr = report(tx) as Report;
  const rr = report(rx) as Report;
  assert.equal(tr.toolVersion, TOOL_VERSION);
  assert.equal(rr.toolVersion, TOOL_VERSION);
  assert.equal(rr.bytes, tr.bytes, 'every byte arrived');

  const tiv = checkIntervals(tr, 0.5);
  assert.ok(tiv.length >= 4 && tiv.length <= 6, `${tiv.length} sender intervals in 2.2 s`);
  assert.equal(sum(tiv, (x) => x.completions ?? NaN), 0);
  checkLines(tx, tiv, SENDER_INTERVAL, txClassic(tr, 'n'));
  assert.ok(lines(tx).slice(0, -1).every((l) => !l.includes('completions')), 'no completions without -z');

  const riv = checkIntervals(rr, 0.5);
  checkLines(rx, riv, RECEIVER_INTERVAL, rxClassic(rr));

  // Each side's rate is over its own data window: the same bytes, so the same rate within a few %.
  assert.ok(tr.dataMs > 1500 && tr.dataMs <= tr.durationMs, `sender dataMs ${tr.dataMs}, durationMs ${tr.durationMs}`);
  assert.ok(rr.dataMs > 1500 && rr.dataMs <= rr.durationMs, `receiver dataMs ${rr.dataMs}, durationMs ${rr.durationMs}`);
  assert.equal(tr.bytesPerSecond, tr.bytes / (tr.dataMs / 1000));
  assert.equal(tr.throughputBps, tr.bytesPerSecond, 'the old name is an alias');
  const { now } = ratios(t, 'tcp copy', rr, tr);
  assert.ok(Math.abs(now - 1) < 0.05, `receiver/sender ${now}`);
});

test('tcp zerocopy -I 0.5: completions and their copied share sum to the totals, including the final wait', async (t) => {
  const { rx, tx } = await run('tcp', ['--json'], ['-z', '-Z', '0', '-I', '0.5', '--json']);
  const tr = report(tx) as Report;
  const rr = report(rx) as Report;
  const tiv = checkIntervals(tr, 0.5);
  assert.equal(tr.completions, tr.packets);
  assert.equal(sum(tiv, (x) => x.completions!), tr.completions);
  assert.equal(sum(tiv, (x) => x.copiedCompletions!), tr.copiedCompletions);
  assert.equal(sum(tiv, (x) => x.zerocopiedCompletions!), tr.zerocopiedCompletions);
  checkLines(tx, tiv, SENDER_INTERVAL, txClassic(tr, 'n'));
  // The interval lines (checkLines counted them: one per interval, before the classic line).
  assert.ok(lines(tx).filter((l) => l.startsWith('interval ')).every((l) => / completions( \(100% copied\))?, /.test(l)), tx.stderr);
  // Without -I the receiver prints exactly its classic line.
  assert.equal(rx.stderr, `${rxClassic(rr)}\n`);
  assert.equal(rr.intervals, null);
  const { now } = ratios(t, 'tcp zerocopy', rr, tr);
  assert.ok(Math.abs(now - 1) < 0.08, `receiver/sender ${now}`);
});

test('without -I: stderr is exactly the classic lines, no intervals in the report', async () => {
  const { rx, tx } = await run('tcp', ['--json'], ['--json'], '1', '1');
  const tr = report(tx) as Report;
  const rr = report(rx) as Report;
  assert.equal(tx.stderr, `${txClassic(tr, 'n')}\n`);
  assert.equal(rx.stderr, `${rxClassic(rr)}\n`);
  assert.equal(tr.intervals, null);
  assert.equal(tr.intervalSecs, null);
  assert.equal(rr.intervals, null);
  // And without --json, nothing on stdout.
  const plain = await run('udp', [], [], '1', '0');
  assert.equal(plain.tx.stdout, '');
  assert.match(plain.tx.stderr, /^tx=\d+ \(\d+ MB\) txc=0 zc=n\n$/);
  assert.match(plain.rx.stderr, /^rx=\d+ \(\d+ MB\)\n$/);
});

test('udp as the kernel driver runs it (receiver -t 2, sender -t 1): the receiver\'s rate is over the time data arrived', async (t) => {
  const { rx, tx } = await run('udp', ['-I', '0.5', '--json'], ['--json'], '2', '1');
  const tr = report(tx) as Report;
  const rr = report(rx) as Report;
  const riv = checkIntervals(rr, 0.5);
  checkLines(rx, riv, RECEIVER_INTERVAL, rxClassic(rr));
  assert.ok(rr.bytes > 0 && rr.bytes <= tr.bytes);
  // The receiver ran 2.6 s, the data came in the sender's 1.2 s: its window is the sender's, within 10 %.
  assert.ok(rr.durationMs > 2400, `receiver ran ${rr.durationMs} ms`);
  assert.ok(Math.abs(rr.dataMs - tr.dataMs) < 0.1 * tr.dataMs, `rx data ${rr.dataMs} ms, tx data ${tr.dataMs} ms`);
  // Datagrams the receiver dropped are missing from its bytes: compare rates of what arrived.
  const { old } = ratios(t, 'udp (driver timings)', rr, tr);
  const arrived = rr.bytesPerSecond / (rr.bytes / (tr.dataMs / 1000));
  assert.ok(Math.abs(arrived - 1) < 0.1, `receiver rate / (received bytes over the sending interval) = ${arrived}`);
  assert.ok(old < 0.7, `the whole-run window understated it: ${old}`);
});
