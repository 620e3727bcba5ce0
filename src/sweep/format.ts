// SPDX-License-Identifier: GPL-2.0-only
// What sweep and compare print: a table people read, a Markdown table, the
// charts, and the compare view (copy and zerocopy side by side).

import { lineChart, sig } from './chart.js';
import type { RunRecord } from './runner.js';
import type { ModeSummary, SizeSummary } from './summary.js';
import type { Summary } from './stats.js';

export const num = (v: number | null): string => (v === null ? '-' : sig(v));
export const times = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}×`);
const range = (s: Summary): string => (s.min === null || s.max === null ? '-' : `${sig(s.min)}–${sig(s.max)}`);
/** Spread relative to the median: (max − min) / median, in percent. */
const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`);
const yesNo = (v: boolean | null): string => (v === null ? '?' : v ? 'yes' : 'no');

/** Right-align numbers, left-align text; columns separated by two spaces. */
export function align(rows: string[][], left: ReadonlySet<number>): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, [...c].length); });
  return rows.map((r) => r.map((c, i) => {
    const pad = ' '.repeat(widths[i] - [...c].length);
    return left.has(i) ? c + pad : pad + c;
  }).join('  ').replace(/\s+$/, '')).join('\n');
}

function modeRow(size: string, mode: string, m: ModeSummary): string[] {
  return [size, mode, `${m.ok}/${m.runs}`,
    num(m.throughputGBps.median), range(m.throughputGBps), pct(m.throughputGBps.relSpread),
    num(m.secPerGB.median), range(m.secPerGB), pct(m.secPerGB.relSpread)];
}

/** The sweep table: two rows per size (copy, zerocopy), ratios on the zerocopy row. */
export function sweepTable(summaries: SizeSummary[]): string {
  const rows: string[][] = [[
    'size B', 'mode', 'ok', 'GB/s', 'min–max', 'spread', 'CPU s/GB', 'min–max', 'spread',
    'zc/copy GB/s', 'zc/copy CPU', 'pays off',
  ]];
  for (const s of summaries) {
    rows.push([...modeRow(String(s.size), 'copy', s.copy), '', '', '']);
    rows.push([...modeRow('', 'zerocopy', s.zerocopy), times(s.ratio.throughput), times(s.ratio.secPerGB), yesNo(s.paysOff)]);
  }
  return align(rows, new Set([1, 11]));
}

export function sweepMarkdown(summaries: SizeSummary[]): string {
  const head = ['size (B)', 'mode', 'runs ok', 'GB/s median', 'GB/s min–max', 'CPU s/GB median', 'CPU s/GB min–max',
    'zerocopy/copy GB/s', 'zerocopy/copy CPU s/GB', 'pays off'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 1 || i === 9 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const s of summaries) {
    for (const mode of ['copy', 'zerocopy'] as const) {
      const m = s[mode];
      const zc = mode === 'zerocopy';
      lines.push(`| ${[zc ? '' : String(s.size), mode, `${m.ok}/${m.runs}`, num(m.throughputGBps.median), range(m.throughputGBps),
        num(m.secPerGB.median), range(m.secPerGB), zc ? times(s.ratio.throughput) : '', zc ? times(s.ratio.secPerGB) : '',
        zc ? yesNo(s.paysOff) : ''].join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** One sentence on where zerocopy pays off. */
export function crossoverLine(summaries: SizeSummary[], cross: number | null): string {
  if (!summaries.length) return 'no sizes measured';
  const largest = summaries[summaries.length - 1];
  if (cross !== null) {
    const r = summaries.find((s) => s.size === cross)?.ratio.secPerGB ?? null;
    const lr = largest.ratio.secPerGB;
    const from = cross === summaries[0].size ? `at every size measured (${cross} B and up)` : `from ${cross} B up`;
    return `zerocopy pays off ${from}: less CPU per GB than copy` +
      `${r !== null ? ` (${times(r)} of copy's at ${cross} B` : ''}${lr !== null && largest.size !== cross ? `, ${times(lr)} at ${largest.size} B` : ''}${r !== null ? ')' : ''}`;
  }
  if (largest.paysOff === null) return `crossover unknown: no CPU figures for both modes at ${largest.size} B`;
  const some = summaries.filter((s) => s.paysOff).map((s) => s.size);
  return `zerocopy does not pay off up to ${largest.size} B: its CPU per GB is not below copy's at the largest size` +
    (some.length ? ` (below only at ${some.join(', ')} B)` : '');
}

/** Lines about zerocopy completions versus the -Z expectation. */
export function expectationLine(summaries: SizeSummary[], expect: 0 | 1): string {
  let met = 0;
  let known = 0;
  for (const s of summaries) {
    met += s.zerocopy.expectationMet;
    known += s.zerocopy.expectationKnown;
  }
  const what = expect === 1 ? 'not copied (tx-only: the packets leave through a device)' : 'copied (tx-rx: local delivery is always copied)';
  return `zerocopy completions expected ${what}, -Z ${expect}: held in ${met} of ${known} runs`;
}

/** Failed runs, one line each. */
export function failureLines(records: RunRecord[], limit = 12): string[] {
  const bad = records.filter((r) => !r.ok);
  if (!bad.length) return [];
  const out = [`${bad.length} of ${records.length} runs did not end as expected:`];
  for (const r of bad.slice(0, limit)) out.push(`  #${r.index} ${r.size} B ${r.mode} rep ${r.rep}: ${r.reasons.join('; ')}`);
  if (bad.length > limit) out.push(`  … and ${bad.length - limit} more (see --json)`);
  return out;
}

export function sweepCharts(summaries: SizeSummary[], color: boolean): string {
  const xLabels = summaries.map((s) => String(s.size));
  const series = (pick: (m: ModeSummary) => number | null) => [
    { name: 'copy', values: summaries.map((s) => pick(s.copy)) },
    { name: 'zerocopy', values: summaries.map((s) => pick(s.zerocopy)) },
  ];
  const cpu = lineChart(series((m) => m.secPerGB.median), {
    title: 'sender CPU seconds per GB (median) by payload size, B', xLabels, log: true, color, height: 12,
  });
  const tput = lineChart(series((m) => m.throughputGBps.median), {
    title: 'throughput GB/s (median) by payload size, B', xLabels, color, height: 10,
  });
  return [cpu, tput].filter(Boolean).join('\n\n');
}

// ---------------------------------------------------------------------------
// compare: one size, copy and zerocopy side by side

function perRun(records: RunRecord[], pick: (r: RunRecord) => number | null): string {
  return records.map((r) => (r.measured ? num(pick(r)) : 'x')).join(' ');
}

function cell(s: Summary): string {
  return s.median === null ? '-' : `${sig(s.median)}  (${range(s)}, ${pct(s.relSpread)})`;
}

/** A bar of `v` against `max`, `width` characters at most. */
function bar(v: number | null, maxV: number, width = 30): string {
  if (v === null || !(maxV > 0)) return '';
  return '█'.repeat(Math.max(1, Math.round((v / maxV) * width)));
}

export function compareTable(s: SizeSummary, records: RunRecord[], expect: 0 | 1): string {
  const copyRuns = records.filter((r) => r.mode === 'copy');
  const zcRuns = records.filter((r) => r.mode === 'zerocopy');
  const exp = expect === 1 ? 'not copied' : 'copied';
  const share = s.zerocopy.copiedShare;
  const rows: string[][] = [
    ['', 'copy', 'zerocopy', 'zerocopy/copy'],
    ['runs ok', `${s.copy.ok}/${s.copy.runs}`, `${s.zerocopy.ok}/${s.zerocopy.runs}`, ''],
    ['throughput GB/s', cell(s.copy.throughputGBps), cell(s.zerocopy.throughputGBps), times(s.ratio.throughput)],
    ['CPU s/GB', cell(s.copy.secPerGB), cell(s.zerocopy.secPerGB), times(s.ratio.secPerGB)],
    ['sends/s', num(s.copy.packetsPerSec.median), num(s.zerocopy.packetsPerSec.median),
      times(s.copy.packetsPerSec.median && s.zerocopy.packetsPerSec.median !== null
        ? s.zerocopy.packetsPerSec.median / s.copy.packetsPerSec.median : null)],
    ['completions copied', '-', share === null ? '-' : `${(share * 100).toFixed(share === 0 || share === 1 ? 0 : 1)}%`, ''],
    [`expected ${exp} (-Z ${expect})`, '-', `held ${s.zerocopy.expectationMet}/${s.zerocopy.expectationKnown}`, ''],
    ['GB/s per run', perRun(copyRuns, (r) => r.throughputGBps), perRun(zcRuns, (r) => r.throughputGBps), ''],
    ['CPU s/GB per run', perRun(copyRuns, (r) => r.secPerGB), perRun(zcRuns, (r) => r.secPerGB), ''],
  ];
  const table = align(rows, new Set([0, 1, 2]));
  const maxT = Math.max(s.copy.throughputGBps.median ?? 0, s.zerocopy.throughputGBps.median ?? 0);
  const maxC = Math.max(s.copy.secPerGB.median ?? 0, s.zerocopy.secPerGB.median ?? 0);
  const bars = [
    'throughput GB/s (median)',
    `  copy      ${bar(s.copy.throughputGBps.median, maxT)} ${num(s.copy.throughputGBps.median)}`,
    `  zerocopy  ${bar(s.zerocopy.throughputGBps.median, maxT)} ${num(s.zerocopy.throughputGBps.median)}`,
    'CPU s/GB (median, lower is better)',
    `  copy      ${bar(s.copy.secPerGB.median, maxC)} ${num(s.copy.secPerGB.median)}`,
    `  zerocopy  ${bar(s.zerocopy.secPerGB.median, maxC)} ${num(s.zerocopy.secPerGB.median)}`,
  ];
  return `${table}\n\n${bars.join('\n')}`;
}

export function compareVerdict(s: SizeSummary): string {
  const r = s.ratio.secPerGB;
  if (r === null || s.paysOff === null) return `verdict: not enough data at ${s.size} B to compare CPU per GB`;
  const diff = Math.abs(1 - r) * 100;
  return s.paysOff
    ? `verdict: zerocopy pays off at ${s.size} B: ${diff.toFixed(0)}% less CPU per GB than copy`
    : `verdict: zerocopy does not pay off at ${s.size} B: ${diff.toFixed(0)}% more CPU per GB than copy`;
}

export function compareMarkdown(s: SizeSummary): string {
  const row = (name: string, a: string, b: string, c: string) => `| ${name} | ${a} | ${b} | ${c} |`;
  return [
    `| ${s.size} B | copy | zerocopy | zerocopy/copy |`,
    '| --- | ---: | ---: | ---: |',
    row('runs ok', `${s.copy.ok}/${s.copy.runs}`, `${s.zerocopy.ok}/${s.zerocopy.runs}`, ''),
    row('GB/s median', num(s.copy.throughputGBps.median), num(s.zerocopy.throughputGBps.median), times(s.ratio.throughput)),
    row('GB/s min–max', range(s.copy.throughputGBps), range(s.zerocopy.throughputGBps), ''),
    row('CPU s/GB median', num(s.copy.secPerGB.median), num(s.zerocopy.secPerGB.median), times(s.ratio.secPerGB)),
    row('CPU s/GB min–max', range(s.copy.secPerGB), range(s.zerocopy.secPerGB), ''),
  ].join('\n');
}
