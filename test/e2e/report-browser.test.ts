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
import { chromiumPath, countOf as count, embeddedJson, pixelsNear as near, render as load, type Rendered } from '../support/browser.js';

/** Run records of a sweep: `reps` alternating pairs per size, with a little deterministic noise. */
function sweepRuns(sizes: number[], reps: number): RunRecord[] {
  const out: RunRecord[] = [];
  let index = 0;
  for (const size of sizes) {
    for (let rep = 1; rep <= reps; rep++) {
      for (const mode of ['copy', 'zerocopy'] as const) {
        const noise = 1 + 0.02 * Math.sin(index * 1.7);
        const gbps = (size / 65435) ** 0.7 * 10 * (mode === 'zerocopy' ? 1.1 : 1) * noise;
        const spg = (0.1 / (size / 65435) ** 0.7) * (mode === 'zerocopy' ? (size < 8000 ? 1.3 : 0.85) : 1) * noise;
        out.push({
          index: ++index, size, mode, rep, ok: true, reasons: [], measured: true, expect: mode === 'zerocopy' ? 1 : null,
          expectationMet: mode === 'zerocopy' ? true : null, packets: 1e5, bytes: 1e5 * size, durationMs: 1200,
          throughputBps: gbps * 1e9, throughputGBps: gbps, secPerGB: spg, cpuUserUs: 1000, cpuSysUs: 9000,
          completions: mode === 'zerocopy' ? 1e5 : 0, copiedCompletions: 0, zerocopiedCompletions: mode === 'zerocopy' ? 1e5 : 0,
          senderExit: 0, receiverExit: null, rxPackets: null, rxBytes: null, senderArgv: [], receiverArgv: null, wallMs: 1300,
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
  assert.equal(count(r.dom, /<svg class="chart bars"/g), 1);
  assert.equal(count(r.dom, /<rect class="bar /g), plan.length);
  assert.equal(count(r.dom, /<rect class="bar fail"/g), 1);
  assert.equal(count(r.dom, /<tr>/g), plan.length + 1, 'a table row per case and the header');
  assert.match(r.dom, /FAIL: 5 passed, 1 failed, 0 skipped of 6 cases/);
  assert.match(r.dom, /ipv4_udp_zerocopy_tx-rx/);
  assert.ok(near(r.colours, SERIES_COLORS[0]) > 1000, 'the bars are drawn');
  assert.ok(near(r.colours, SERIES_COLORS[1]) > 100, 'the failed case is drawn in its own colour');
});

test('the browser is really there: Chromium reports its version', () => {
  const v = execFileSync(chromiumPath(), ['--version'], { encoding: 'utf8' });
  assert.match(v, /Chromium \d+/);
});
