// SPDX-License-Identifier: GPL-2.0-only
// The HTML reports in a real browser: Debian's headless Chromium loads the
// file (inside a network namespace of its own with no interface up, so
// nothing can be fetched or sent), its DOM must hold the SVG charts with a
// mark per point, the embedded JSON must be the run's document, and the
// screenshot must show the charts (the series' own colours, many colours in
// all: not a blank page). Needs `chromium` (.ci/run installs it).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { SERIES_COLORS } from '../../src/render/html.js';
import { planCases } from '../../src/suite/cases.js';
import { suiteJson } from '../../src/suite/format.js';
import { suiteHtml, type SuiteDocument } from '../../src/suite/report.js';
import type { CaseResult } from '../../src/suite/runner.js';
import { sweepJson } from '../../src/sweep/json.js';
import { sweepHtml, type SweepDocument } from '../../src/sweep/report.js';
import type { RunRecord } from '../../src/sweep/runner.js';
import { summarizeSizes, sweepCrossover } from '../../src/sweep/summary.js';
import { compareApis } from '../../src/sweep/summary.js';
import { planSuite } from '../../src/suite/cases.js';
import { rgbAt } from '../support/png.js';
import { chromiumPath, countOf as count, embeddedJson, pixelsNear as near, render as load, type Rendered } from '../support/browser.js';

/** Run records of a sweep: `reps` alternating pairs per size, with a little deterministic noise. */
function sweepRuns(sizes: number[], reps: number, api?: 'msg' | 'uring', speed = 1): RunRecord[] {
  const out: RunRecord[] = [];
  let index = 0;
  for (const size of sizes) {
    for (let rep = 1; rep <= reps; rep++) {
      for (const mode of ['copy', 'zerocopy'] as const) {
        const noise = 1 + 0.02 * Math.sin(index * 1.7);
        const gbps = (size / 65435) ** 0.7 * 10 * (mode === 'zerocopy' ? 1.1 : 1) * noise * speed;
        const spg = (0.1 / (size / 65435) ** 0.7) * (mode === 'zerocopy' ? (size < 8000 ? 1.3 : 0.85) : 1) * noise;
        out.push({
          index: ++index, size, mode, rep, ok: true, reasons: [], measured: true, expect: mode === 'zerocopy' ? 1 : null,
          expectationMet: mode === 'zerocopy' ? true : null, packets: 1e5, bytes: 1e5 * size, durationMs: 1200,
          throughputBps: gbps * 1e9, throughputGBps: gbps, secPerGB: spg, cpuUserUs: 1000, cpuSysUs: 9000,
          completions: mode === 'zerocopy' ? 1e5 : 0, copiedCompletions: 0, zerocopiedCompletions: mode === 'zerocopy' ? 1e5 : 0,
          senderExit: 0, receiverExit: null, rxPackets: null, rxBytes: null, senderArgv: [], receiverArgv: null, wallMs: 1300,
          ...(api ? { api } : {}),
        });
      }
    }
  }
  return out;
}

const LAB = { id: 'abcdef', txNs: 'mzc-abcdef-tx', rxNs: 'mzc-abcdef-rx', egressKind: 'ifb' as const, egressDev: 'ifb0' };

/** The JSON document of a sweep or compare, made by the same function that prints --json. */
function sweepDoc(command: 'sweep' | 'compare', sizes: number[], reps: number): SweepDocument {
  const runs = sweepRuns(sizes, reps);
  const summaries = summarizeSizes(sizes, runs);
  return sweepJson({
    options: {
      command, test: 'udp', family: 4, path: 'tx-only', sizes, reps, duration: 1, port: 8000, output: 'json', progress: false,
      chart: false, slackMs: 0,
    },
    sizes, plannedRuns: runs.length, runs, summaries, crossover: sweepCrossover(summaries), startedAt: Date.parse('2026-01-01T00:00:00Z'),
    durationMs: 123456, exitCode: 0, interrupted: null, error: null, lab: LAB, expect: 1, dst: '192.168.2.2',
  });
}

/** Load `html` in Chromium: the DOM after load, and a screenshot kept under SCREENSHOT_DIR (path printed). */
function render(t: TestContext, name: string, html: string): Rendered {
  const r = load(name, html);
  t.diagnostic(`screenshot: ${r.png} (${r.width}×${r.height})`);
  return r;
}

test('sweep report: three SVG charts with every point and its error bar, the JSON embedded, a picture that is not blank', (t) => {
  const doc = sweepDoc('sweep', [1000, 2000, 4000, 8000, 16000, 32000, 65435], 8);
  assert.ok(doc.runs.every((r) => r.bytesPerSecond === r.throughputBps));
  const html = sweepHtml(doc);
  // self-contained: nothing to fetch
  assert.equal(count(html, /\s(src|href)=/g), 0, 'no src= or href= anywhere');
  assert.doesNotMatch(html, /url\(|@import|<link|<img|<iframe/);
  const r = render(t, 'sweep', html);
  assert.equal(count(r.dom, /<svg class="chart"/g), 3, 'three charts in the DOM');
  // 7 sizes × 2 series per chart, plus 2 legend marks each
  assert.equal(count(r.dom, /class="point"/g), 3 * 7 * 2);
  assert.equal(count(r.dom, /class="legend-mark"/g), 3 * 2);
  assert.equal(count(r.dom, /class="errorbar"/g), 3 * 7 * 2, 'an error bar per point');
  assert.match(r.dom, />1 kB</);
  assert.match(r.dom, />50 kB</);
  assert.doesNotMatch(r.dom, /0\.0777|0\.109/);
  assert.deepEqual(embeddedJson(r.dom), JSON.parse(JSON.stringify(doc)), 'the embedded JSON is the run document');
  assert.match(r.dom, /zerocopy saves CPU per GB from 8000 B up/);
  // the picture: both series' colours are drawn, and plenty of colours in all
  assert.ok(r.width >= 1000 && r.height >= 1000);
  assert.ok(r.colours.size > 50, `${r.colours.size} distinct colours`);
  for (const c of SERIES_COLORS.slice(0, 2)) assert.ok(near(r.colours, c) > 300, `${c}: ${near(r.colours, c)} pixels`);
  const white = r.colours.get('#ffffff') ?? 0;
  assert.ok(white < r.width * r.height * 0.97, 'not a blank page');
});

test('compare report: one size, the verdict and its interval', (t) => {
  const doc = sweepDoc('compare', [65435], 10);
  const r = render(t, 'compare', sweepHtml(doc));
  assert.equal(count(r.dom, /<svg class="chart"/g), 3);
  assert.equal(count(r.dom, /class="point"/g), 3 * 2);
  assert.match(r.dom, /verdict: zerocopy saves CPU at 65435 B: zerocopy\/copy CPU per GB 0\.8\d+× \(0\.8\d+–0\.8\d+\)/);
  assert.equal(doc.verdict, 'saves');
  for (const c of SERIES_COLORS.slice(0, 2)) assert.ok(near(r.colours, c) > 100, `${c}: ${near(r.colours, c)} pixels`);
});

test('suite report: throughput bars and the cases as a table', (t) => {
  const plan = planCases([4], ['tcp', 'udp']);
  const results: CaseResult[] = plan.map((c, i) => ({
    case: c, verdict: i === 3 ? 'fail' : 'pass', reasons: i === 3 ? ['sender exited 1: serr: ee_code: 1 != expected 0'] : [],
    sender: null, receiver: null, tx: { packets: 123456, bytes: 8078343360 },
    rx: c.path === 'tx-rx' ? { packets: 120000, bytes: 7852200000 } : null, throughputBps: (i + 2) * 1e9,
    completions: c.mode === 'zerocopy' ? 123456 : null, copiedCompletions: c.mode === 'zerocopy' ? 0 : null,
    zerocopiedCompletions: null, copiedShare: c.mode === 'zerocopy' ? 0 : null, wallMs: 1,
  }));
  const doc: SuiteDocument = suiteJson({
    options: { families: [4], tests: ['tcp', 'udp'], duration: 1, size: null, port: 8000, extra: [], bin: { path: '/x/bin/msg-zerocopy', node: true, expectFlag: true } },
    plan, results, startedAt: Date.parse('2026-01-01T00:00:00Z'), durationMs: 9000, ok: false, exitCode: 1, interrupted: null, error: null, lab: null,
  });
  const r = render(t, 'suite', suiteHtml(doc));
  assert.equal(count(r.dom, /<svg class="chart bars"/g), 2, 'throughput and CPU per GB');
  assert.equal(count(r.dom, /<rect class="bar /g), 2 * plan.length);
  assert.equal(count(r.dom, /<rect class="bar fail"/g), 2);
  assert.equal(count(r.dom, /<tr>/g), plan.length + 1, 'a table row per case and the header');
  assert.match(r.dom, /FAIL: 5 passed, 1 failed, 0 skipped of 6 cases/);
  assert.match(r.dom, /ipv4_udp_zerocopy_tx-rx/);
  assert.ok(near(r.colours, SERIES_COLORS[0]) > 1000, 'the bars are drawn');
  assert.ok(near(r.colours, SERIES_COLORS[1]) > 100, 'the failed case is drawn in its own colour');
});

/** Each chart's y ticks (the labels left of the plot), lowest first, chart by chart. */
function yTicks(dom: string): number[][] {
  return dom.split('<svg class="chart"').slice(1).filter((c) => !c.startsWith(' bars')).map((c) =>
    [...c.matchAll(/<text class="tick" x="58(?:\.0)?" y="[\d.]+" text-anchor="end">([^<]+)<\/text>/g)].map((m) => Number(m[1])).sort((a, b) => a - b));
}

test('sweep report: y axes from 0, page-wide charts, lines only between consecutive measured sizes, Gbit/s first', (t) => {
  const doc = sweepDoc('sweep', [1000, 8000, 65435], 8);
  // a size with no measured run breaks the line: 8000 B gets no numbers
  const gap = sweepDoc('sweep', [1000, 8000, 65435], 8);
  const r = render(t, 'sweep-axes', sweepHtml(doc));
  const ticks = yTicks(r.dom);
  assert.equal(ticks.length, 3);
  for (const [i, tk] of ticks.entries()) assert.equal(tk[0], 0, `chart ${i}: the y axis starts at 0 (${tk.join(', ')})`);
  assert.doesNotMatch(r.dom, /CPU seconds per GB \(1e9 bytes\) \(log scale\)/, 'no log y axis: every axis from 0');
  assert.equal(count(r.dom, /class="errorbar"/g), 3 * 3 * 2, 'an error bar per point');
  assert.equal(count(r.dom, /<polyline class="line"/g), 3 * 2, 'one line per series: the sizes are consecutive measurements');
  assert.match(r.dom, /Lines join consecutive measured sizes only/);
  // Gbit/s first, GB/s beside it
  assert.match(r.dom, /<th class="num">Gbit\/s median \[CI\]<\/th><th class="num">GB\/s<\/th>/);
  assert.match(r.dom, /<th class="num">Gbit\/s<\/th><th class="num">GB\/s<\/th>/);
  assert.match(r.dom, />Gbit\/s \(1e9 bits per second\)<\/text>/, 'throughput charts in Gbit/s');
  assert.match(r.dom, /td\.num,th\.num\{[^}]*white-space:nowrap/, 'number cells never break');
  // page-wide: the first series' marks spread over most of the 1200 px window
  const xs: number[] = [];
  for (let y = 0; y < Math.min(r.height, 1400); y += 2) {
    for (let x = 0; x < r.width; x++) {
      const [R, G, B] = rgbAt(r.image, x, y);
      if (Math.abs(R - 0x00) + Math.abs(G - 0x72) + Math.abs(B - 0xb2) < 30) xs.push(x);
    }
  }
  const extent = Math.max(...xs) - Math.min(...xs);
  assert.ok(extent > 800, `the charts span ${extent} px of ${r.width}`);

  // a size without data: no line across it
  for (const run of gap.runs) if (run.size === 8000) Object.assign(run, { measured: false });
  const noMid = { ...gap, summaries: summarizeSizes([1000, 8000, 65435], gap.runs) };
  const g = render(t, 'sweep-gap', sweepHtml(noMid as SweepDocument));
  assert.equal(count(g.dom, /<polyline class="line"/g), 0, 'no two consecutive sizes were both measured');
  assert.equal(count(g.dom, /class="point"/g), 3 * 2 * 2, 'the points are still drawn');
});

test('compare report: one size is not plotted on a log size axis', (t) => {
  const r = render(t, 'compare-axis', sweepHtml(sweepDoc('compare', [65435], 10)));
  assert.doesNotMatch(r.dom, /payload size \(log scale\)/);
  assert.equal(count(r.dom, />payload size<\/text>/g), 3);
  assert.equal(count(r.dom, />65\.4 kB<\/text>/g), 3, 'the one size is the one tick');
  for (const tk of yTicks(r.dom)) assert.equal(tk[0], 0);
});

test('sweep --api msg,uring report: both interfaces share each y scale; the headline covers io_uring vs MSG_ZEROCOPY', (t) => {
  const sizes = [1000, 8000, 65435];
  const msg = sweepRuns(sizes, 8, 'msg');
  const uring = sweepRuns(sizes, 8, 'uring', 3).map((x) => ({ ...x, secPerGB: x.secPerGB! / 5 }));
  const runs = [...msg, ...uring].map((x, i) => ({ ...x, index: i + 1 }));
  const byApi = (['msg', 'uring'] as const).map((api) => {
    const s = summarizeSizes(sizes, runs.filter((x) => x.api === api));
    return { api, summaries: s, crossover: sweepCrossover(s) };
  });
  const doc = sweepJson({
    options: { command: 'sweep', test: 'udp', family: 4, path: 'tx-only', sizes, reps: 8, duration: 1, port: 8000, output: 'json',
      progress: false, chart: false, slackMs: 0, apis: ['msg', 'uring'] },
    sizes, plannedRuns: runs.length, runs, summaries: byApi[0].summaries, crossover: byApi[0].crossover, byApi,
    apiComparison: compareApis(sizes, runs), startedAt: 0, durationMs: 1, exitCode: 0, interrupted: null, error: null, lab: LAB,
    expect: 1, dst: '192.168.2.2',
  });
  const r = render(t, 'sweep-apis', sweepHtml(doc));
  const ticks = yTicks(r.dom);
  assert.equal(ticks.length, 6, 'three charts per interface');
  for (let k = 0; k < 3; k++) assert.deepEqual(ticks[k], ticks[k + 3], `chart ${k}: one scale for both interfaces`);
  assert.match(r.dom, /Sender throughput, by payload size: io_uring/);
  const verdict = /<p class="verdict[^"]*">([\s\S]*?)<\/p>/.exec(r.dom)![1];
  assert.match(verdict, /^MSG_ZEROCOPY \(sendmsg\): zerocopy saves CPU per GB/);
  assert.match(verdict, /<br>io_uring \(SEND \/ SEND_ZC\): /);
  assert.match(verdict, /<br>io_uring SEND_ZC against MSG_ZEROCOPY .*0\.2\d*× .* at 65435 B: io_uring costs less CPU per GB$/);
});

test('suite --api msg,uring report: io_uring cases labelled apart, --api in the subtitle, CPU per GB', (t) => {
  const plan = planSuite(['msg', 'uring'], [4], ['udp']);
  const results: CaseResult[] = plan.map((c, i) => ({
    case: c, verdict: 'pass', reasons: [], receiver: null, tx: { packets: 1000, bytes: 65435000 },
    sender: { cpu: { userUs: 10000, sysUs: 30000 }, bytes: 65435000 } as CaseResult['sender'],
    rx: null, throughputBps: (i + 2) * 1e9, completions: null, copiedCompletions: null, zerocopiedCompletions: null, copiedShare: null, wallMs: 1,
  }));
  const doc: SuiteDocument = suiteJson({
    options: { apis: ['msg', 'uring'], families: [4], tests: ['udp'], duration: 1, size: null, port: 8000, extra: [],
      bin: { path: '/x/bin/msg-zerocopy', node: true, expectFlag: true } },
    plan, results, startedAt: 0, durationMs: 9000, ok: true, exitCode: 0, interrupted: null, error: null, lab: null,
  });
  const r = render(t, 'suite-apis', suiteHtml(doc));
  const bars = r.dom.split('<svg class="chart bars"').slice(1);
  assert.equal(bars.length, 2);
  const labels = [...bars[0].matchAll(/<text class="tick" x="[\d.]+" y="[\d.]+" text-anchor="end">([^<]+)<\/text>/g)].map((m) => m[1]);
  assert.equal(labels.length, plan.length);
  assert.equal(new Set(labels.map((l) => l.replace(/^\d+ /, ''))).size, plan.length, `distinct labels: ${labels.join(' | ')}`);
  assert.ok(labels.some((l) => /io_uring -m 2 SEND_ZC fixed buffer/.test(l)));
  assert.ok(labels.some((l) => /sendmsg MSG_ZEROCOPY/.test(l)));
  assert.match(r.dom, /<p class="meta">--api msg,uring; families ipv4/);
  assert.match(r.dom, /Sender CPU per GB sent, per case/);
  assert.match(r.dom, /0\.611 CPU s\/GB/, '0.04 s over 65.4 MB');
  assert.match(r.dom, /Gbit\/s \(\d/, 'Gbit/s first');
});

test('the browser is really there: Chromium reports its version', () => {
  const v = execFileSync(chromiumPath(), ['--version'], { encoding: 'utf8' });
  assert.match(v, /Chromium \d+/);
});
