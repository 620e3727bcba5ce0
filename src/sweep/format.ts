// SPDX-License-Identifier: GPL-2.0-only
// What sweep and compare print: a table people read (fitted to the
// terminal's width), a Markdown table, the charts, the compare view (copy and
// zerocopy side by side) and the verdicts with the confidence interval they
// stand on. Units: GB = 1e9 bytes, GB/s = 1e9 bytes/s, Gbit/s = 1e9 bits/s.
// The cells are in cells.ts, Markdown in markdown.ts, the charts in
// charts.ts, the --json document in json.ts.

import { release } from 'node:os';
import { droppedNote, fitTable, fitText, outputWidth, type Column } from '../render/table.js';
import { sig } from '../core/units.js';
import { URING_MODE, uringBatch, type RunRecord } from './runner.js';
import type { Api } from '../core/vocabulary.js';
import type { ApiComparison, ModeSummary, SizeSummary } from './summary.js';
import { NO_VERDICT, type RatioInterval, type Summary } from './stats.js';
import { gb, intervalMethod, num, pct, range, ratioCell, times, tooFew } from './cells.js';
import { sweepCharts } from './charts.js';
import { compareMarkdown, sweepMarkdown } from './markdown.js';
import { apisOf, type SweepRun } from './types.js';

const TABLE_NOTE = 'medians of the runs; min–max their range (Gbit/s, CPU s/GB); spread = (max − min) / median; Gbit/s = 1e9 bits/s; GB = 1e9 bytes; ' +
  'CPU = sender user + system time per GB sent; zc/copy = zerocopy/copy, paired estimate (95% CI)';

function modeCells(m: ModeSummary): string[] {
  return [`${m.ok}/${m.runs}`,
    num(m.bitsPerSecond.median === null ? null : m.bitsPerSecond.median / 1e9), num(gb(m.bytesPerSecond.median)),
    range(m.bitsPerSecond, 1e-9), pct(m.bytesPerSecond.relSpread),
    num(m.secPerGB.median), range(m.secPerGB), pct(m.secPerGB.relSpread)];
}

const SWEEP_COLUMNS: Column[] = [
  { title: 'size B', align: 'right' },
  { title: 'mode' },
  { title: 'ok', align: 'right', drop: 5 },
  { title: 'Gbit/s', align: 'right', drop: 9 },
  { title: 'GB/s', align: 'right', drop: 7 },
  { title: 'min–max', align: 'right', drop: 1 },
  { title: 'spread', align: 'right', drop: 3 },
  { title: 'CPU s/GB', align: 'right', drop: 8 },
  { title: 'min–max', align: 'right', drop: 2 },
  { title: 'spread', align: 'right', drop: 4 },
  { title: 'zc/copy rate', align: 'right', drop: 6 },
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
  if (largest.verdict === NO_VERDICT) {
    return `no verdict on CPU per GB: too few pairs for a 95% interval at the largest size, ${largest.size} B ` +
      `(${at(largest)}${few ? `; ${few}` : ''})` + (some.length ? `; saves at ${some.join(', ')} B` : '');
  }
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
  const gbs = (m: ModeSummary): string => num(gb(m.bytesPerSecond.median));
  const rows: string[][] = [
    ['runs ok', `${s.copy.ok}/${s.copy.runs}`, `${s.zerocopy.ok}/${s.zerocopy.runs}`, ''],
    ['throughput Gbit/s', cell(s.copy.bitsPerSecond, 1e-9), cell(s.zerocopy.bitsPerSecond, 1e-9), ratioCell(s.ratio.throughputInterval)],
    ['throughput GB/s', gbs(s.copy), gbs(s.zerocopy), ''],
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
      : s.verdict === NO_VERDICT ? `no verdict at ${s.size} B (too few pairs for a 95% interval)`
        : `no significant difference in CPU per GB at ${s.size} B`;
  const few = tooFew(cpu);
  return `verdict: ${head}: zerocopy/copy CPU per GB ${ratioCell(cpu)}, throughput ${ratioCell(tput)}` +
    ` (${intervalMethod(cpu)}${few ? `; ${few}` : ''})`;
}

// ---------------------------------------------------------------------------
// The whole run

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
      : x.verdict === NO_VERDICT ? 'no verdict (too few pairs for a 95% interval)' : 'no significant difference in CPU per GB';
    return `${x.size} B: io_uring SEND_ZC / MSG_ZEROCOPY: CPU per GB ${range(i)}, throughput ${range(t)}: ${says}`;
  });
}

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
