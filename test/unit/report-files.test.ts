// SPDX-License-Identifier: GPL-2.0-only
// The report files without a browser: CSV quoting and rows, HTML escaping,
// JSON that cannot end its script element, a self-contained page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvField, toCsv } from '../../src/render/csv.js';
import { esc, htmlPage, scriptJson, svgChart } from '../../src/render/html.js';
import { CSV_HEADER, runJson, sweepCsv } from '../../src/sweep/report.js';
import type { RunRecord } from '../../src/sweep/runner.js';
import { summarizeSizes } from '../../src/sweep/summary.js';

test('CSV: RFC 4180 quoting, empty for null, CRLF', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvField(null), '');
  assert.equal(csvField(NaN), '');
  assert.equal(csvField(0.1 + 0.2), '0.30000000000000004', 'full precision');
  assert.equal(toCsv(['a', 'b'], [[1, 'x,y'], [null, true]]), 'a,b\r\n1,"x,y"\r\n,true\r\n');
});

function rec(size: number, mode: 'copy' | 'zerocopy', rep: number, bps: number, spg: number): RunRecord {
  return {
    index: 0, size, mode, rep, ok: true, reasons: [], measured: true, expect: mode === 'zerocopy' ? 1 : null,
    expectationMet: mode === 'zerocopy' ? true : null, packets: 1000, bytes: 1e9, durationMs: 1000, throughputBps: bps,
    throughputGBps: bps / 1e9, secPerGB: spg, cpuUserUs: 1, cpuSysUs: 1, completions: mode === 'zerocopy' ? 1000 : 0,
    copiedCompletions: 0, zerocopiedCompletions: mode === 'zerocopy' ? 1000 : 0, senderExit: 0, receiverExit: null,
    rxPackets: null, rxBytes: null, senderArgv: [], receiverArgv: null, wallMs: 1,
  };
}

test('sweep CSV: a row per size and mode, units in the column names, the interval and verdict of the size', () => {
  const runs = [1, 2, 3, 4, 5, 6].flatMap((k) => [rec(16000, 'copy', k, 1e10, 0.1 + k * 0.001), rec(16000, 'zerocopy', k, 1.1e10, (0.1 + k * 0.001) * 0.8)]);
  const csv = sweepCsv({ command: 'compare', summaries: summarizeSizes([16000], runs) });
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[0], CSV_HEADER.join(','));
  assert.ok(CSV_HEADER.includes('bytes_per_second_median') && CSV_HEADER.includes('bits_per_second_median') &&
    CSV_HEADER.includes('cpu_seconds_per_gb_median'));
  const row = (i: number) => Object.fromEntries(CSV_HEADER.map((h, j) => [h, lines[i].split(',')[j]]));
  const copy = row(1);
  const zc = row(2);
  assert.equal(copy.mode, 'copy');
  assert.equal(copy.size_bytes, '16000');
  assert.equal(copy.bytes_per_second_median, '10000000000');
  assert.equal(copy.bits_per_second_median, '80000000000');
  assert.equal(zc.bytes_per_second_median, '11000000000');
  assert.equal(zc.verdict, 'saves');
  assert.equal(copy.verdict, 'saves', 'the verdict belongs to the size');
  assert.equal(Number(zc.zc_copy_cpu_per_gb_estimate).toFixed(6), '0.800000');
  assert.equal(zc.interval_method, 'wilcoxon-signed-rank');
  assert.equal(zc.pairs, '6');
  assert.equal(copy.completions_copied_share, '');
  assert.equal(zc.completions_copied_share, '0');
});

test('run JSON: throughput under names with their unit, the old name kept', () => {
  const r = runJson(rec(1000, 'copy', 1, 2.5e9, 0.2));
  assert.equal(r.bytesPerSecond, 2.5e9);
  assert.equal(r.bitsPerSecond, 2e10);
  assert.equal(r.throughputBps, 2.5e9);
  assert.equal(r.throughputGBps, 2.5);
});

test('HTML: text escaped, embedded JSON cannot close its element, no external resource', () => {
  assert.equal(esc('<a href="x">&\'</a>'), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  const tricky = { text: '</script><script>alert(1)</script> <!-- & \u2028' };
  const s = scriptJson(tricky);
  assert.ok(!s.includes('</script') && !s.includes('<!--'));
  assert.deepEqual(JSON.parse(s), tricky);
  const page = htmlPage({ title: 'T <1>', meta: ['m'], sections: [{ heading: 'H', html: svgChart([], { title: 'c', yLabel: 'y' }) }], data: tricky });
  assert.match(page, /^<!DOCTYPE html>/);
  assert.match(page, /<title>T &lt;1&gt;<\/title>/);
  assert.match(page, /Content-Security-Policy" content="default-src 'none'/);
  assert.equal((page.match(/<\/script>/g) ?? []).length, 1);
  assert.doesNotMatch(page, /\s(src|href)=/);
  assert.match(page, />no data</);
});

test('SVG chart: a marker and an error bar per point, series side by side, ratio reference line', () => {
  const svg = svgChart([
    { name: 'copy', points: [{ x: 1000, y: 1, low: 0.9, high: 1.1 }, { x: 65435, y: 0.1, low: 0.09, high: 0.11 }] },
    { name: 'zerocopy', points: [{ x: 1000, y: 1, low: 0.95, high: 1.05 }, { x: 65435, y: null }] },
  ], { title: 'CPU', yLabel: 'CPU s/GB', logY: true, reference: { y: 1, label: 'no difference' } });
  assert.equal((svg.match(/class="point"/g) ?? []).length, 3, 'no marker where there is no value');
  assert.equal((svg.match(/class="errorbar"/g) ?? []).length, 3);
  assert.equal((svg.match(/class="reference"/g) ?? []).length, 1);
  assert.match(svg, />1 kB</);
  assert.match(svg, /\(log scale\)/);
  // the two series at 1000 B (same value) are drawn at different x
  const circle = [...svg.matchAll(/<circle class="point" cx="([\d.]+)"/g)].map((m) => Number(m[1]));
  const square = [...svg.matchAll(/<rect class="point" x="([\d.]+)" y="[\d.]+" width="(\d+)"/g)].map((m) => Number(m[1]) + Number(m[2]) / 2);
  assert.equal(circle.length, 2);
  assert.equal(square.length, 1);
  assert.ok(Math.abs(square[0] - circle[0] - 7) < 0.11, `copy at ${circle[0]}, zerocopy at ${square[0]}: 7 px apart`);
});

test('report files: the path is checked up front, the file written whole', async () => {
  const { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { outputPath, writeReportFiles } = await import('../../src/render/files.js');
  const dir = mkdtempSync(join(tmpdir(), 'mzc-files-'));
  try {
    assert.equal(outputPath('--report', join(dir, 'r.html')), join(dir, 'r.html'));
    assert.throws(() => outputPath('--report', join(dir, 'no', 'r.html')), /^Error: --report: folder .*\/no does not exist$/);
    assert.throws(() => outputPath('--csv', dir), /is a folder/);
    writeFileSync(join(dir, 'file'), 'x');
    assert.throws(() => outputPath('--csv', join(dir, 'file', 'x.csv')), /is not a folder/);
    assert.throws(() => outputPath('--csv', ' '), /give a file name/);
    const out = writeReportFiles([
      { flag: '--report', path: join(dir, 'r.html'), make: () => '<html></html>' },
      { flag: '--csv', path: join(dir, 'gone', 'x.csv'), make: () => 'a\r\n' },
    ]);
    assert.deepEqual(out.written, [join(dir, 'r.html')]);
    assert.equal(out.errors.length, 1);
    assert.match(out.errors[0], /^--csv: cannot write .*gone\/x\.csv \(no such file or folder\)$/);
    assert.doesNotMatch(out.errors[0], /\.tmp/, 'no temporary name in the error');
    // root passes access(W_OK) in /proc; creating the file there fails, and says so before any run
    assert.throws(() => outputPath('--report', '/proc/x.html'), /^Error: --report: cannot create a file in \/proc \(/);
    assert.equal(readFileSync(join(dir, 'r.html'), 'utf8'), '<html></html>');
    assert.deepEqual(readdirSync(dir).sort(), ['file', 'r.html'], 'no temporary file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with --api msg,uring: a CSV row per interface, size and mode; the HTML a part per interface and their comparison', async () => {
  const { sweepHtml } = await import('../../src/sweep/report.js');
  const { compareApis } = await import('../../src/sweep/summary.js');
  const { sweepJson } = await import('../../src/sweep/json.js');
  const runs: RunRecord[] = [];
  for (const api of ['msg', 'uring'] as const) {
    for (let k = 1; k <= 6; k++) {
      runs.push({ ...rec(8000, 'copy', k, 1e10, 0.2), api }, { ...rec(8000, 'zerocopy', k, 1.1e10, api === 'uring' ? 0.15 : 0.18 + k * 0.001), api });
    }
  }
  const by = (api: 'msg' | 'uring') => summarizeSizes([8000], runs.filter((r) => r.api === api));
  const doc = sweepJson({
    options: { command: 'compare', test: 'udp', family: 4, path: 'tx-only', sizes: [8000], reps: 6, duration: 1, port: 8000, output: 'json',
      progress: false, chart: false, slackMs: 0 },
    sizes: [8000], plannedRuns: runs.length, runs, summaries: by('msg'), crossover: null,
    byApi: [{ api: 'msg', summaries: by('msg'), crossover: null }, { api: 'uring', summaries: by('uring'), crossover: null }],
    apiComparison: compareApis([8000], runs), startedAt: 0, durationMs: 1, exitCode: 0, interrupted: null, error: null, lab: null,
    expect: 1, dst: '192.168.2.2',
  });
  const lines = sweepCsv(doc).trimEnd().split('\r\n');
  assert.deepEqual(lines.slice(1).map((l) => l.split(',').slice(0, 4).join(' ')),
    ['compare msg 8000 copy', 'compare msg 8000 zerocopy', 'compare uring 8000 copy', 'compare uring 8000 zerocopy']);
  const html = sweepHtml(doc);
  assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 6, 'three charts per interface');
  assert.match(html, /<h2>Charts: io_uring \(SEND \/ SEND_ZC\)<\/h2>/);
  assert.match(html, /<h2>io_uring SEND_ZC against MSG_ZEROCOPY/);
  assert.match(html, /<tr><td class="num">8000<\/td><td class="num">1\.000× \(1\.000–1\.000\)<\/td><td class="num">0\.82× \(0\.81–0\.83\)<\/td><td>saves<\/td><\/tr>/,
    'io_uring zerocopy saves against MSG_ZEROCOPY');
});
