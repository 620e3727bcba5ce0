// SPDX-License-Identifier: GPL-2.0-only
// End to end: `compare`, `sweep` and `suite` with --report FILE.html (and
// --csv FILE.csv for compare and sweep) in their own labs: the files are
// written, the HTML embeds the same JSON the run prints, the browser draws
// its charts, the CSV has a row per size and mode; sizes follow iperf3
// (K = 1024); tables fit the width given.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERIES_COLORS } from '../../src/render/html.js';
import { countOf, embeddedJson, pixelsNear, render } from '../support/browser.js';
import { BIN, describe, ours, requireRoot, type ProcResult } from '../support/proc.js';

const PREFIX = 'mzrc-';
let dir = '';

function netns(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}
const ourNamespaces = (): string[] => netns().filter((n) => n.startsWith(PREFIX));

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcResult> {
  return ours(null, [...args, '--prefix', PREFIX], { timeoutMs: 180000, env }).done;
}

before(() => {
  requireRoot();
  assert.deepEqual(ourNamespaces(), [], `namespaces named ${PREFIX}* exist before the test`);
  dir = mkdtempSync(join(tmpdir(), 'mzc-report-cli-'));
});
after(() => {
  for (const ns of ourNamespaces()) execFileSync('ip', ['netns', 'del', ns]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Interval { low: number; high: number; level: number; method: string; n: number; estimate: number }
interface ModeSummary {
  runs: number; ok: number; bytesPerSecond: { median: number }; bitsPerSecond: { median: number }; throughputGBps: { median: number };
  secPerGB: { median: number };
}
interface SizeSummary {
  size: number; copy: ModeSummary; zerocopy: ModeSummary;
  ratio: { throughput: number; secPerGB: number; secPerGBInterval: Interval; throughputInterval: Interval };
  verdict: string; paysOff: boolean | null;
}
interface Doc {
  command: string; verdict?: string; paysOff?: boolean | null;
  runs: Array<{ mode: string; throughputBps: number; bytesPerSecond: number; bitsPerSecond: number; secPerGB: number }>;
  summaries: SizeSummary[];
}

const csvRows = (text: string): Array<Record<string, string>> => {
  // The first line is the header comment with the environment (`# msg-zerocopy compare: kernel …`).
  const [head, ...rows] = text.trimEnd().split('\r\n').filter((l) => !l.startsWith('#')).map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
};

test('compare --json --report --csv: JSON fields, the same JSON in the HTML, the charts drawn, CSV rows', async (t: TestContext) => {
  const html = join(dir, 'compare.html');
  const csv = join(dir, 'compare.csv');
  const o = await run(['compare', '--reps', '2', '-t', '0', '-s', '16000', '--json', '--report', html, '--csv', csv]);
  assert.equal(o.code, 0, describe(o));
  const j = JSON.parse(o.stdout) as Doc;
  assert.equal(j.summaries.length, 1);
  const s = j.summaries[0];
  for (const iv of [s.ratio.secPerGBInterval, s.ratio.throughputInterval]) {
    assert.equal(iv.method, 'wilcoxon-signed-rank');
    assert.equal(iv.n, 2);
    assert.equal(iv.level, 0.5, 'two pairs: a 50% interval');
    assert.ok(iv.low <= iv.estimate && iv.estimate <= iv.high);
  }
  assert.equal(s.verdict, 'no significant difference', 'two pairs never give a verdict');
  assert.equal(j.verdict, s.verdict);
  assert.equal(j.paysOff, false);
  for (const r of j.runs) {
    assert.equal(r.bytesPerSecond, r.throughputBps);
    assert.equal(r.bitsPerSecond, r.throughputBps * 8);
  }
  assert.ok(Math.abs(s.copy.bytesPerSecond.median / 1e9 - s.copy.throughputGBps.median) < 1e-6, 'GB/s alias');
  assert.equal(s.copy.bitsPerSecond.median, s.copy.bytesPerSecond.median * 8);
  assert.ok(o.stderr.includes(`msg-zerocopy compare: wrote ${html}\n`) && o.stderr.includes(`msg-zerocopy compare: wrote ${csv}\n`), o.stderr);

  const r = render('cli-compare', { file: html });
  t.diagnostic(`screenshot: ${r.png}`);
  assert.deepEqual(embeddedJson(r.dom), j, 'the HTML embeds the JSON the run printed');
  assert.equal(countOf(r.dom, /<svg class="chart"/g), 3);
  assert.equal(countOf(r.dom, /class="point"/g), 3 * 2);
  assert.match(r.dom, /verdict: no significant difference in CPU per GB at 16000 B/);
  for (const c of SERIES_COLORS.slice(0, 2)) assert.ok(pixelsNear(r.colours, c) > 100, `${c} drawn`);

  // The environment (issue 18): in the JSON, the HTML header and the CSV's header comment.
  const env = (j as unknown as { environment: { runId: string; kernel: { release: string }; egress: { name: string } } }).environment;
  assert.equal(typeof env.runId, 'string');
  assert.equal(env.egress.name, 'veth0');
  assert.ok(r.dom.includes(`environment: kernel ${env.kernel.release}`), 'the HTML header names the environment');
  const csvText = readFileSync(csv, 'utf8');
  assert.ok(csvText.startsWith(`# msg-zerocopy compare: kernel ${env.kernel.release} `), csvText.slice(0, 200));
  assert.ok(csvText.split('\r\n')[0].includes(`run ${env.runId}`));
  const rows = csvRows(csvText);
  assert.deepEqual(rows.map((x) => `${x.command} ${x.size_bytes} ${x.mode}`), ['compare 16000 copy', 'compare 16000 zerocopy']);
  assert.equal(Number(rows[0].bytes_per_second_median), s.copy.bytesPerSecond.median);
  assert.equal(Number(rows[1].cpu_seconds_per_gb_median), s.zerocopy.secPerGB.median);
  assert.equal(Number(rows[1].zc_copy_cpu_per_gb_low), s.ratio.secPerGBInterval.low);
  assert.equal(rows[1].verdict, 'no significant difference');
});

test('sweep --report --csv with the table: files beside the table, two sizes in each', async (t: TestContext) => {
  const html = join(dir, 'sweep.html');
  const csv = join(dir, 'sweep.csv');
  const o = await run(['sweep', '--sizes', '1000,4000', '--reps', '2', '-t', '0', '--report', html, '--csv', csv]);
  assert.equal(o.code, 0, describe(o));
  assert.match(o.stdout, /^size B\s+mode/m);
  assert.ok(existsSync(html) && existsSync(csv));
  const r = render('cli-sweep', { file: html });
  t.diagnostic(`screenshot: ${r.png}`);
  const doc = embeddedJson(r.dom) as Doc;
  assert.equal(doc.command, 'sweep');
  assert.equal(doc.runs.length, 8);
  assert.deepEqual(doc.summaries.map((x) => x.size), [1000, 4000]);
  assert.equal(countOf(r.dom, /<svg class="chart"/g), 3);
  assert.equal(countOf(r.dom, /class="point"/g), 3 * 2 * 2);
  assert.equal(countOf(r.dom, /class="errorbar"/g), 3 * 2 * 2);
  const rows = csvRows(readFileSync(csv, 'utf8'));
  assert.deepEqual(rows.map((x) => `${x.size_bytes} ${x.mode}`), ['1000 copy', '1000 zerocopy', '4000 copy', '4000 zerocopy']);
  assert.deepEqual(ourNamespaces(), []);
});

test('suite --report: the cases as a table and throughput bars', async (t: TestContext) => {
  const html = join(dir, 'suite.html');
  const o = await run(['suite', '--family', '4', '--tests', 'udp', '-t', '0', '--report', html]);
  assert.equal(o.code, 0, describe(o));
  const r = render('cli-suite', { file: html });
  t.diagnostic(`screenshot: ${r.png}`);
  const doc = embeddedJson(r.dom) as { command: string; cases: unknown[] };
  assert.equal(doc.command, 'suite');
  assert.equal(doc.cases.length, 4);
  assert.equal(countOf(r.dom, /<rect class="bar pass"/g), 4);
  assert.match(r.dom, /OK: 4 passed, 0 failed, 0 skipped of 4 cases/);
  assert.ok(pixelsNear(r.colours, SERIES_COLORS[0]) > 1000, 'bars drawn');
});

test('a report path whose folder does not exist fails at once, before any lab', async () => {
  const o = await run(['compare', '--report', join(dir, 'missing', 'x.html')]);
  assert.equal(o.code, 1);
  assert.match(o.stderr, /--report: folder .*missing does not exist/);
  assert.deepEqual(ourNamespaces(), []);
});

test('sizes follow iperf3: 1K = 1024, 2k = 2048; 64K (65536) is out of range and said so', async () => {
  const bad = await run(['sweep', '--sizes', '1000,64K']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--sizes: '64K' \(65536 bytes\) is out of range 1\.\.65435/);
  const o = await run(['sweep', '--sizes', '1K,2k', '--reps', '1', '-t', '0', '--json']);
  assert.equal(o.code, 0, describe(o));
  assert.deepEqual((JSON.parse(o.stdout) as { options: { sizes: number[] } }).options.sizes, [1024, 2048]);
});

test('tables and text fit the width: COLUMNS=60 for compare, 80 for sweep', async () => {
  const c = await run(['compare', '--reps', '2', '-t', '0', '-s', '8000'], { COLUMNS: '60' });
  assert.equal(c.code, 0, describe(c));
  const long = c.stdout.split('\n').filter((l) => [...l].length > 60);
  assert.deepEqual(long, [], c.stdout);
  assert.match(c.stdout, /^CPU s\/GB\s/m);
  const s = await run(['sweep', '--sizes', '1000,8000,65435', '--reps', '2', '-t', '0'], { COLUMNS: '80' });
  assert.equal(s.code, 0, describe(s));
  assert.deepEqual(s.stdout.split('\n').filter((l) => [...l].length > 80), [], s.stdout);
  assert.match(s.stdout, /^ *65435 +copy/m);
  assert.match(s.stdout, /1 kB.*10 kB/);
});

test('colour only on a terminal, and not with NO_COLOR', () => {
  // script(1) gives the sweep a terminal for stdout and stderr
  const onTty = (env: string): string => {
    const cmd = `${env} '${process.execPath}' '${BIN}' sweep --sizes 1000,4000 --reps 1 -t 0 --no-progress --prefix ${PREFIX}`;
    return execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 120000 });
  };
  const coloured = onTty('env');
  assert.ok(coloured.includes('\x1b[36m●'), 'copy in cyan on a terminal');
  assert.ok(coloured.includes('\x1b[35m■'), 'zerocopy in magenta on a terminal');
  const plain = onTty('env NO_COLOR=1');
  assert.ok(!plain.includes('\x1b[3'), 'no colour with NO_COLOR');
  assert.match(plain, /●·· copy {3}■\+\+ zerocopy/);
  assert.deepEqual(ourNamespaces(), []);
});
