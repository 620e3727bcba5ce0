// SPDX-License-Identifier: GPL-2.0-only
// What sweep and compare print: a table people read (fitted to the
// terminal's width), a Markdown table, the charts, the compare view (copy and
// zerocopy side by side) and the verdicts with the confidence interval they
// stand on. Units: GB = 1e9 bytes, GB/s = 1e9 bytes/s, Gbit/s = 1e9 bits/s.

import { release } from 'node:os';
import { commandHead } from '../report/envelope.js';
import type { LabInfo } from '../run/session.js';
import { droppedNote, fitTable, fitText, outputWidth, type Column } from '../render/table.js';
import { formatSize, sig } from '../core/units.js';
import { lineChart } from '../render/chart.js';
import { URING_MODE, uringBatch, type RunRecord } from './runner.js';
import type { Api } from '../core/vocabulary.js';
import type { SweepOptions } from './sweep.js';
import { runJson, type ApiComparison, type ModeSummary, type SizeSummary } from './summary.js';
import { conclusive, type RatioInterval, type Summary } from './stats.js';

export const num = (v: number | null): string => (v === null ? '-' : sig(v));
export const times = (v: number | null): string => (v === null ? '-' : `${v.toFixed(2)}×`);
const gb = (bytesPerSecond: number | null): number | null => (bytesPerSecond === null ? null : bytesPerSecond / 1e9);
const range = (s: Summary, scale = 1): string =>
  (s.min === null || s.max === null ? '-' : `${sig(s.min * scale)}–${sig(s.max * scale)}`);
/** Spread relative to the median: (max − min) / median, in percent. */
const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`);
const percent = (level: number): string => `${Number((level * 100).toFixed(1))}%`;

/** Right-align numbers, left-align text; columns separated by two spaces (no width limit). */
export function align(rows: string[][], left: ReadonlySet<number>): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, [...c].length); });
  return rows.map((r) => r.map((c, i) => {
    const pad = ' '.repeat(widths[i] - [...c].length);
    return left.has(i) ? c + pad : pad + c;
  }).join('  ').replace(/\s+$/, '')).join('\n');
}

/** "0.87× (0.86–0.88)": the paired estimate and its interval; the level is named when it is not the nominal one. */
export function ratioCell(i: RatioInterval): string {
  if (i.estimate === null || i.low === null || i.high === null) return '-';
  const lv = conclusive(i) ? '' : `, ${percent(i.level)}`;
  // a narrow interval gets a third decimal, so its bounds do not print as one number
  const d = i.high - i.low < 0.02 ? 3 : 2;
  return `${i.estimate.toFixed(d)}× (${i.low.toFixed(d)}–${i.high.toFixed(d)}${lv})`;
}

/** How the interval was made, for a footnote or a verdict. */
export function intervalMethod(i: RatioInterval): string {
  const over = `over ${i.n} pair${i.n === 1 ? '' : 's'} of back-to-back copy/zerocopy runs`;
  return conclusive(i) ? `${percent(i.nominal)} CI: Wilcoxon signed-rank ${over}` : `Wilcoxon signed-rank interval ${over}`;
}

/** Why an interval gives no verdict although its bounds exclude 1 (too few pairs). */
function tooFew(i: RatioInterval): string | null {
  if (conclusive(i) || i.low === null) return null;
  const has = i.n === 1 ? '1 pair gives no interval' : `${i.n} pairs give only a ${percent(i.level)} interval`;
  return `${has}; ${percent(i.nominal)} needs at least 6 pairs`;
}

const TABLE_NOTE = 'medians of the runs; min–max their range; spread = (max − min) / median; GB = 1e9 bytes; ' +
  'CPU = sender user + system time per GB sent; zc/copy = zerocopy/copy, paired estimate (95% CI)';

function modeCells(m: ModeSummary): string[] {
  return [`${m.ok}/${m.runs}`,
    num(gb(m.bytesPerSecond.median)), range(m.bytesPerSecond, 1e-9), pct(m.bytesPerSecond.relSpread),
    num(m.secPerGB.median), range(m.secPerGB), pct(m.secPerGB.relSpread)];
}

const SWEEP_COLUMNS: Column[] = [
  { title: 'size B', align: 'right' },
  { title: 'mode' },
  { title: 'ok', align: 'right', drop: 5 },
  { title: 'GB/s', align: 'right', drop: 7 },
  { title: 'min–max', align: 'right', drop: 1 },
  { title: 'spread', align: 'right', drop: 3 },
  { title: 'CPU s/GB', align: 'right', drop: 8 },
  { title: 'min–max', align: 'right', drop: 2 },
  { title: 'spread', align: 'right', drop: 4 },
  { title: 'zc/copy GB/s', align: 'right', drop: 6 },
  { title: 'zc/copy CPU s/GB', align: 'right' },
  { title: 'verdict' },
];

/** The sweep table: two rows per size (copy, zerocopy), ratios and verdict on the zerocopy row. */
export function sweepTable(summaries: SizeSummary[], width = outputWidth()): string {
  const rows: string[][] = [];
  for (const s of summaries) {
    rows.push([String(s.size), 'copy', ...modeCells(s.copy), '', '', '']);
    rows.push(['', 'zerocopy', ...modeCells(s.zerocopy), ratioCell(s.ratio.throughputInterval), ratioCell(s.ratio.secPerGBInterval),
      s.verdict]);
  }
  const t = fitTable(SWEEP_COLUMNS, rows, { width });
  const note = droppedNote(t.dropped, width);
  return [...t.lines, ...(note ? [note] : [])].join('\n');
}

export function sweepMarkdown(summaries: SizeSummary[]): string {
  const head = ['size (B)', 'mode', 'runs ok', 'GB/s median', 'GB/s min–max', 'CPU s/GB median', 'CPU s/GB min–max',
    'zerocopy/copy GB/s (95% CI)', 'zerocopy/copy CPU s/GB (95% CI)', 'verdict'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 1 || i === 9 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const s of summaries) {
    for (const mode of ['copy', 'zerocopy'] as const) {
      const m = s[mode];
      const zc = mode === 'zerocopy';
      lines.push(`| ${[zc ? '' : String(s.size), mode, `${m.ok}/${m.runs}`, num(gb(m.bytesPerSecond.median)), range(m.bytesPerSecond, 1e-9),
        num(m.secPerGB.median), range(m.secPerGB), zc ? ratioCell(s.ratio.throughputInterval) : '',
        zc ? ratioCell(s.ratio.secPerGBInterval) : '', zc ? s.verdict : ''].join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** One sentence on where zerocopy saves CPU per GB, by the intervals. */
export function crossoverLine(summaries: SizeSummary[], cross: number | null): string {
  if (!summaries.length) return 'no sizes measured';
  const largest = summaries[summaries.length - 1];
  const at = (s: SizeSummary): string => `${ratioCell(s.ratio.secPerGBInterval)} at ${s.size} B`;
  if (cross !== null) {
    const first = summaries.find((s) => s.size === cross)!;
    const from = cross === summaries[0].size ? `at every size measured (${cross} B and up)` : `from ${cross} B up`;
    return `zerocopy saves CPU per GB ${from}: the 95% interval of zerocopy/copy is below 1 at each of them ` +
      `(${at(first)}${largest.size !== cross ? `, ${at(largest)}` : ''})`;
  }
  if (largest.ratio.secPerGBInterval.n === 0) return `crossover unknown: no CPU figures for both modes at ${largest.size} B`;
  const some = summaries.filter((s) => s.verdict === 'saves').map((s) => s.size);
  const few = tooFew(largest.ratio.secPerGBInterval);
  return `zerocopy does not save CPU per GB up to ${largest.size} B: ${largest.verdict} at the largest size ` +
    `(${at(largest)}${few ? `; ${few}` : ''})` + (some.length ? `; saves only at ${some.join(', ')} B` : '');
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

/**
 * The verdict's evidence by size: on a log scale around 1, each size's 95%
 * interval of zerocopy/copy CPU per GB as a bar, its estimate as ●, 1 as │.
 */
export function ratioStrip(summaries: SizeSummary[], width = 80, color = false): string {
  const rows = summaries.filter((s) => s.ratio.secPerGBInterval.low !== null);
  if (!rows.length) return '';
  const cells = rows.map((s) => ratioCell(s.ratio.secPerGBInterval));
  const cellW = Math.max(...cells.map((c) => [...c].length));
  const verdictW = Math.max(...rows.map((s) => s.verdict.length));
  const labelW = Math.max(...rows.map((s) => String(s.size).length)) + 2;
  // the verdict is also in the table: left out when the terminal is narrow
  const showVerdict = width - labelW - cellW - verdictW - 4 >= 16;
  const plotW = Math.max(8, width - labelW - cellW - 3 - (showVerdict ? verdictW + 1 : 0));
  const lo = Math.log(Math.min(1, ...rows.map((s) => s.ratio.secPerGBInterval.low!)));
  const hi = Math.log(Math.max(1, ...rows.map((s) => s.ratio.secPerGBInterval.high!)));
  const span = hi - lo || 0.1;
  const at = (v: number): number => Math.round(((Math.log(v) - lo + span * 0.05) / (span * 1.1)) * (plotW - 1));
  const paint = (t: string, code: string): string => (color ? `${code}${t}\x1b[0m` : t);
  const out = [fitText(`zerocopy/copy CPU per GB by payload size: ● estimate, ━ ${percent(rows[0].ratio.secPerGBInterval.nominal)} ` +
    'interval, │ = 1 (left: saves, right: costs)', width)];
  rows.forEach((s, k) => {
    const i = s.ratio.secPerGBInterval;
    const line = new Array<string>(plotW).fill(' ');
    const one = at(1);
    for (let c = at(i.low!); c <= at(i.high!); c++) line[c] = '━';
    line[one] = line[one] === '━' ? '┿' : '│';
    line[at(i.estimate!)] = '●';
    const code = s.verdict === 'saves' ? '\x1b[32m' : s.verdict === 'costs' ? '\x1b[31m' : '';
    out.push(`${`${s.size} B`.padStart(labelW)} ${paint(line.join(''), code)} ${cells[k].padStart(cellW)}${showVerdict ? `  ${s.verdict}` : ''}`);
  });
  return out.join('\n');
}

/** The sweep charts, each as wide as the terminal allows (at most 100 columns). */
export function sweepCharts(summaries: SizeSummary[], color: boolean, width = outputWidth()): string {
  const x = summaries.map((s) => s.size);
  const w = Math.max(40, Math.min(100, Number.isFinite(width) ? width : 80));
  const series = (pick: (m: ModeSummary) => number | null) => [
    { name: 'copy', values: summaries.map((s) => pick(s.copy)) },
    { name: 'zerocopy', values: summaries.map((s) => pick(s.zerocopy)) },
  ];
  const cpu = lineChart(series((m) => m.secPerGB.median), {
    title: 'sender CPU seconds per GB (median; GB = 1e9 bytes) by payload size', x, log: true, color, height: 12, width: w,
  });
  const tput = lineChart(series((m) => gb(m.bytesPerSecond.median)), {
    title: 'throughput GB/s (median; 1e9 bytes/s) by payload size', x, color, height: 10, width: w,
  });
  return [ratioStrip(summaries, w, color), cpu, tput].filter(Boolean).join('\n\n');
}

// ---------------------------------------------------------------------------
// compare: one size, copy and zerocopy side by side

function perRun(records: RunRecord[], pick: (r: RunRecord) => number | null): string {
  return records.map((r) => (r.measured ? num(pick(r)) : 'x')).join(' ');
}

function cell(s: Summary, scale = 1): string {
  return s.median === null ? '-' : `${sig(s.median * scale)} (${range(s, scale)}, ${pct(s.relSpread)})`;
}

/** A bar of `v` against `max`, `width` characters at most. */
function bar(v: number | null, maxV: number, width = 30): string {
  if (v === null || !(maxV > 0)) return '';
  return '█'.repeat(Math.max(1, Math.round((v / maxV) * width)));
}

const COMPARE_COLUMNS: Column[] = [
  { title: '' }, { title: 'copy' }, { title: 'zerocopy' }, { title: 'zerocopy/copy (95% CI)' },
];

export function compareTable(s: SizeSummary, records: RunRecord[], expect: 0 | 1, width = outputWidth()): string {
  const copyRuns = records.filter((r) => r.mode === 'copy');
  const zcRuns = records.filter((r) => r.mode === 'zerocopy');
  const exp = expect === 1 ? 'not copied' : 'copied';
  const share = s.zerocopy.copiedShare;
  const gbit = (m: ModeSummary): string => num(m.bitsPerSecond.median === null ? null : m.bitsPerSecond.median / 1e9);
  const rows: string[][] = [
    ['runs ok', `${s.copy.ok}/${s.copy.runs}`, `${s.zerocopy.ok}/${s.zerocopy.runs}`, ''],
    ['throughput GB/s', cell(s.copy.bytesPerSecond, 1e-9), cell(s.zerocopy.bytesPerSecond, 1e-9), ratioCell(s.ratio.throughputInterval)],
    ['throughput Gbit/s', gbit(s.copy), gbit(s.zerocopy), ''],
    ['CPU s/GB', cell(s.copy.secPerGB), cell(s.zerocopy.secPerGB), ratioCell(s.ratio.secPerGBInterval)],
    ['sends/s', num(s.copy.packetsPerSec.median), num(s.zerocopy.packetsPerSec.median),
      times(s.copy.packetsPerSec.median && s.zerocopy.packetsPerSec.median !== null
        ? s.zerocopy.packetsPerSec.median / s.copy.packetsPerSec.median : null)],
    ['completions copied', '-', share === null ? '-' : `${(share * 100).toFixed(share === 0 || share === 1 ? 0 : 1)}%`, ''],
    [`expected ${exp} (-Z ${expect})`, '-', `held ${s.zerocopy.expectationMet}/${s.zerocopy.expectationKnown}`, ''],
    ['GB/s per run', perRun(copyRuns, (r) => gb(r.throughputBps)), perRun(zcRuns, (r) => gb(r.throughputBps)), ''],
    ['CPU s/GB per run', perRun(copyRuns, (r) => r.secPerGB), perRun(zcRuns, (r) => r.secPerGB), ''],
  ];
  const table = fitTable(COMPARE_COLUMNS, rows, { width }).lines.join('\n');
  const maxT = Math.max(s.copy.bytesPerSecond.median ?? 0, s.zerocopy.bytesPerSecond.median ?? 0);
  const maxC = Math.max(s.copy.secPerGB.median ?? 0, s.zerocopy.secPerGB.median ?? 0);
  const barWidth = Math.max(8, Math.min(30, (Number.isFinite(width) ? width : 80) - 20));
  const bars = [
    'throughput GB/s (median)',
    `  copy      ${bar(s.copy.bytesPerSecond.median, maxT, barWidth)} ${num(gb(s.copy.bytesPerSecond.median))}`,
    `  zerocopy  ${bar(s.zerocopy.bytesPerSecond.median, maxT, barWidth)} ${num(gb(s.zerocopy.bytesPerSecond.median))}`,
    'CPU s/GB (median, lower is better)',
    `  copy      ${bar(s.copy.secPerGB.median, maxC, barWidth)} ${num(s.copy.secPerGB.median)}`,
    `  zerocopy  ${bar(s.zerocopy.secPerGB.median, maxC, barWidth)} ${num(s.zerocopy.secPerGB.median)}`,
  ];
  return `${table}\n\n${bars.join('\n')}`;
}

/** The verdict at one size, with the interval it stands on and how that was made. */
export function compareVerdict(s: SizeSummary): string {
  const cpu = s.ratio.secPerGBInterval;
  if (cpu.n === 0) return `verdict: not enough data at ${s.size} B to compare CPU per GB`;
  const tput = s.ratio.throughputInterval;
  const head = s.verdict === 'saves' ? `zerocopy saves CPU at ${s.size} B`
    : s.verdict === 'costs' ? `zerocopy costs CPU at ${s.size} B`
      : `no significant difference in CPU per GB at ${s.size} B`;
  const few = tooFew(cpu);
  return `verdict: ${head}: zerocopy/copy CPU per GB ${ratioCell(cpu)}, throughput ${ratioCell(tput)}` +
    ` (${intervalMethod(cpu)}${few ? `; ${few}` : ''})`;
}

export function compareMarkdown(s: SizeSummary): string {
  const row = (name: string, a: string, b: string, c: string) => `| ${name} | ${a} | ${b} | ${c} |`;
  return [
    `| ${s.size} B | copy | zerocopy | zerocopy/copy (95% CI) |`,
    '| --- | ---: | ---: | ---: |',
    row('runs ok', `${s.copy.ok}/${s.copy.runs}`, `${s.zerocopy.ok}/${s.zerocopy.runs}`, ''),
    row('GB/s median', num(gb(s.copy.bytesPerSecond.median)), num(gb(s.zerocopy.bytesPerSecond.median)), ratioCell(s.ratio.throughputInterval)),
    row('GB/s min–max', range(s.copy.bytesPerSecond, 1e-9), range(s.zerocopy.bytesPerSecond, 1e-9), ''),
    row('CPU s/GB median', num(s.copy.secPerGB.median), num(s.zerocopy.secPerGB.median), ratioCell(s.ratio.secPerGBInterval)),
    row('CPU s/GB min–max', range(s.copy.secPerGB), range(s.zerocopy.secPerGB), ''),
    row('verdict', '', '', s.verdict),
  ].join('\n');
}

/** The payload size as the tables say it (bytes) and as a person reads it (SI). */
export const sizeText = (bytes: number): string => `${bytes} B (${formatSize(bytes)})`;

// ---------------------------------------------------------------------------
// The whole run

/** What a finished sweep or compare hands to its formatters. */
export interface SweepRun {
  options: SweepOptions;
  /** Payload sizes, ascending. */
  sizes: number[];
  plannedRuns: number;
  runs: RunRecord[];
  /** The first interface's summaries and crossover (the only ones without --api). */
  summaries: SizeSummary[];
  crossover: number | null;
  /** Every interface's, in the order asked for. */
  byApi?: ApiSummaries[];
  /** io_uring against MSG_ZEROCOPY (zerocopy runs), when both ran. */
  apiComparison?: ApiComparison[] | null;
  startedAt: number;
  durationMs: number;
  exitCode: number;
  interrupted: string | null;
  error: string | null;
  lab: LabInfo | null;
  /** -Z of the zerocopy runs on this path. */
  expect: 0 | 1;
  /** Where the senders sent. */
  dst: string;
}

export interface ApiSummaries {
  api: Api;
  summaries: SizeSummary[];
  crossover: number | null;
}

/** What each interface's copy and zerocopy runs are. */
export function apiTitle(api: Api, test: string): string {
  return api === 'msg' ? 'MSG_ZEROCOPY: sendmsg copy vs sendmsg MSG_ZEROCOPY'
    : `io_uring: IORING_OP_SEND (-m ${URING_MODE.copy}) vs SEND_ZC from a registered buffer (-m ${URING_MODE.zerocopy}), ` +
      `-n ${uringBatch(test === 'tcp' ? 'tcp' : 'udp')}`;
}

/** One line per size: io_uring's zerocopy against MSG_ZEROCOPY's, with the interval and the verdict. */
export function apiComparisonLines(c: readonly ApiComparison[]): string[] {
  return c.map((x) => {
    const i = x.secPerGBInterval;
    const t = x.throughputInterval;
    const range = (v: RatioInterval): string => (v.low === null || v.high === null ? 'n/a'
      : `×${sig(v.estimate ?? NaN)} [${sig(v.low)}, ${sig(v.high)}] (${Math.round(v.level * 100)}%, n=${v.n})`);
    const says = x.verdict === 'saves' ? 'io_uring costs less CPU per GB' : x.verdict === 'costs' ? 'io_uring costs more CPU per GB'
      : 'no significant difference in CPU per GB';
    return `${x.size} B: io_uring SEND_ZC / MSG_ZEROCOPY: CPU per GB ${range(i)}, throughput ${range(t)}: ${says}`;
  });
}

/** The interfaces of a run (without --api: MSG_ZEROCOPY alone). */
const apisOf = (r: SweepRun): ApiSummaries[] => r.byApi ?? [{ api: 'msg', summaries: r.summaries, crossover: r.crossover }];

/** The --json document of a sweep or compare. */
export function sweepJson(r: SweepRun) {
  const o = r.options;
  const byApi = apisOf(r);
  return {
    ...commandHead(o.command, release(), r.startedAt, r.durationMs),
    ok: r.exitCode === 0,
    exitCode: r.exitCode,
    interrupted: r.interrupted,
    error: r.error,
    lab: r.lab,
    options: {
      test: o.test, family: o.family, path: o.path, dst: r.dst, sizes: r.sizes, reps: o.reps, duration: o.duration,
      port: o.port, expectZerocopy: r.expect, flows: o.flows ?? 1, apis: byApi.map((a) => a.api),
    },
    plannedRuns: r.plannedRuns,
    runs: r.runs.map(runJson),
    summaries: r.summaries,
    crossover: o.command === 'sweep' ? r.crossover : undefined,
    /** Each interface's summaries (--api; the first is `summaries`). */
    apis: byApi.map((a) => ({ api: a.api, summaries: a.summaries, crossover: o.command === 'sweep' ? a.crossover : undefined })),
    /** io_uring SEND_ZC against MSG_ZEROCOPY per size, when both ran. */
    apiComparison: r.apiComparison ?? null,
    verdict: o.command === 'compare' ? (r.summaries[0]?.verdict ?? 'no significant difference') : undefined,
    paysOff: o.command === 'compare' ? (r.summaries[0]?.paysOff ?? null) : undefined,
  };
}

export type SweepJson = ReturnType<typeof sweepJson>;

/** The table (or Markdown) of a sweep or compare, with its notes and, for a sweep on a terminal, charts. */
export function sweepText(r: SweepRun, color: boolean, width = outputWidth()): string {
  const o = r.options;
  const head = `msg-zerocopy ${o.command}: ipv${o.family} ${o.test} ${o.path} to ${r.dst}, ` +
    `${o.reps} rep${o.reps === 1 ? '' : 's'} × -t ${o.duration} per ${o.command === 'sweep' ? 'size and ' : ''}mode, ` +
    `${(o.flows ?? 1) > 1 ? `-P ${o.flows} (sums of the flows), ` : ''}` +
    `kernel ${release()}${r.lab ? `, namespaces ${r.lab.txNs} / ${r.lab.rxNs}, egress ${r.lab.egressKind}` : ''}`;
  const lines: string[] = [];
  const byApi = apisOf(r);
  const several = byApi.length > 1;
  lines.push(o.output === 'markdown' ? `**${head}**` : head);
  for (const a of byApi) {
    const runs = r.runs.filter((x) => (x.api ?? 'msg') === a.api);
    if (several) lines.push('', o.output === 'markdown' ? `*${apiTitle(a.api, o.test)}*` : apiTitle(a.api, o.test));
    if (o.output === 'markdown') {
      lines.push('');
      if (o.command === 'sweep') {
        lines.push(sweepMarkdown(a.summaries), '', crossoverLine(a.summaries, a.crossover));
      } else if (a.summaries[0]) {
        lines.push(compareMarkdown(a.summaries[0]), '', compareVerdict(a.summaries[0]));
      }
    } else {
      if (o.command === 'sweep') {
        lines.push(sweepTable(a.summaries, width));
      } else if (a.summaries[0]) {
        lines.push(`payload ${a.summaries[0].size} B`, compareTable(a.summaries[0], runs, r.expect, width));
      }
      if (!several) lines.push('', TABLE_NOTE);
      lines.push(o.command === 'sweep' ? crossoverLine(a.summaries, a.crossover) : a.summaries[0] ? compareVerdict(a.summaries[0]) : '');
    }
    if (runs.some((x) => x.mode === 'zerocopy')) lines.push(expectationLine(a.summaries, r.expect));
  }
  if (several && o.output !== 'markdown') lines.push('', TABLE_NOTE);
  if (r.apiComparison) lines.push('', ...apiComparisonLines(r.apiComparison));
  lines.push(...failureLines(r.runs));
  if (r.interrupted) lines.push(`interrupted by ${r.interrupted} after ${r.runs.length} of ${r.plannedRuns} runs`);
  if (o.output === 'table' && o.chart && o.command === 'sweep' && r.runs.length) {
    lines.push('', sweepCharts(r.summaries, color, width));
  }
  // the tables and charts already fit; prose lines are wrapped (never Markdown, whose rows must stay whole)
  const text = lines.join('\n');
  return `${o.output === 'table' ? fitText(text, width) : text}\n`;
}
