// SPDX-License-Identifier: GPL-2.0-only
// The fleet report in its four forms: the JSON document (the others are
// made from it), text fitted to the terminal, CSV (one row per cell and
// mode) and a self-contained HTML page, with the rendering kit of the other
// reports (src/report). Units: GB = 1e9 bytes, GB/s = 1e9 bytes per second,
// CPU s/GB = the sender's user + system seconds per 1e9 bytes sent.

import { toolHead } from '../report/envelope.js';
import { toCsv, type CsvValue } from '../render/csv.js';
import { esc, htmlPage, htmlTable, svgChart, type SvgSeries } from '../render/html.js';
import { droppedNote, fitTable, fitText, outputWidth, type Column } from '../render/table.js';
import { formatSize, sig } from '../core/units.js';
import { intervalMethod, ratioCell } from '../sweep/cells.js';
import type { SizeSummary } from '../sweep/summary.js';
import { environmentText, groupLine, type Cell, type Fleet, type FleetRun, type Group, type GroupOptions, type HostEnvironment } from './fleet.js';

export interface FleetCellJson {
  test: string;
  size: number;
  source: string;
  destination: string;
  sourceEnvironment: HostEnvironment | null;
  destinationEnvironment: HostEnvironment | null;
  /** Medians, intervals, the zerocopy/copy ratios with their 95% interval, the verdict: as compare gives them. */
  summary: SizeSummary;
}

/** The --json document of merge; text, CSV and HTML are made from it. */
export interface FleetDocument {
  tool: 'msg-zerocopy';
  toolVersion: string;
  command: 'merge';
  /** The files merged, as given. */
  inputs: string[];
  /** Reports read (a log file may hold several), duplicates included. */
  reports: number;
  /** Reports read twice (equal documents), left out after the first: where they were. */
  duplicates: string[];
  groups: Array<{ number: number; options: GroupOptions; description: string; reports: string[]; cells: FleetCellJson[] }>;
  /** Every run, as read from the reports. */
  runs: Array<Omit<FleetRun, 'groupKey' | 'sourceEnvironment' | 'destinationEnvironment'> & { group: number }>;
}

export function fleetDocument(fleet: Fleet, inputs: string[], reports: number): FleetDocument {
  const number = new Map(fleet.groups.map((g, i) => [g.key, i + 1]));
  return {
    ...toolHead(), command: 'merge', inputs, reports, duplicates: fleet.duplicates,
    groups: fleet.groups.map((g: Group, i) => ({
      number: i + 1, options: g.options, description: groupLine(g.options), reports: g.sources,
      cells: fleet.cells.filter((c) => c.groupKey === g.key).map((c: Cell) => ({
        test: c.test, size: c.size, source: c.source, destination: c.destination,
        sourceEnvironment: c.sourceEnvironment, destinationEnvironment: c.destinationEnvironment, summary: c.summary,
      })),
    })),
    runs: fleet.runs.map(({ groupKey, sourceEnvironment: _s, destinationEnvironment: _d, ...r }) => ({ ...r, group: number.get(groupKey) ?? 0 })),
  };
}

const gbps = (v: number | null): string => (v === null ? '-' : sig(v / 1e9));
const num = (v: number | null): string => (v === null ? '-' : sig(v));
const share = (v: number | null): string => (v === null ? '-' : `${Number((v * 100).toFixed(1))}%`);

/** "saves 0.87× (0.84–0.94)", "no significant difference 0.99× (…)", or why there is no verdict. */
export function verdictCell(s: SizeSummary): string {
  const i = s.ratio.secPerGBInterval;
  if (s.copy.measured === 0 || s.zerocopy.measured === 0) return `no verdict (${s.copy.measured === 0 ? 'no copy run' : 'no zerocopy run'})`;
  if (i.n === 0) return 'no verdict (no copy/zerocopy runs back to back)';
  // below 6 pairs the interval cannot reach 95%: the estimate alone
  if (i.n < 6) return `no verdict (${i.n} pair${i.n === 1 ? '' : 's'}, 6 needed)${i.estimate === null ? '' : ` ${i.estimate.toFixed(2)}×`}`;
  const cell = ratioCell(i);
  return `${s.verdict} ${cell}`;
}

/** Cells of one group by test and size, in order. */
function byTestAndSize(cells: FleetCellJson[]): Array<{ test: string; size: number; cells: FleetCellJson[] }> {
  const out: Array<{ test: string; size: number; cells: FleetCellJson[] }> = [];
  for (const c of cells) {
    const last = out[out.length - 1];
    if (last && last.test === c.test && last.size === c.size) last.cells.push(c);
    else out.push({ test: c.test, size: c.size, cells: [c] });
  }
  return out;
}

const COLUMNS: Column[] = [
  { title: 'source' }, { title: 'destination' },
  { title: 'runs copy/zc', align: 'right', drop: 3 },
  { title: 'GB/s copy', align: 'right' }, { title: 'GB/s zc', align: 'right' },
  { title: 'CPU s/GB copy', align: 'right' }, { title: 'CPU s/GB zc', align: 'right' },
  { title: 'copied', align: 'right', drop: 4 },
  { title: 'zc/copy CPU s/GB: verdict (95% CI)' },
  { title: 'environment (source; destination)', drop: 1 },
];

function cellRow(c: FleetCellJson): string[] {
  const s = c.summary;
  const env = c.source === c.destination
    ? environmentText(c.sourceEnvironment)
    : `${environmentText(c.sourceEnvironment)}; ${environmentText(c.destinationEnvironment)}`;
  return [c.source, c.destination, `${s.copy.measured}/${s.zerocopy.measured}`,
    gbps(s.copy.bytesPerSecond.median), gbps(s.zerocopy.bytesPerSecond.median),
    num(s.copy.secPerGB.median), num(s.zerocopy.secPerGB.median), share(s.zerocopy.copiedShare), verdictCell(s), env];
}

/** Sources × destinations of one test and size, each cell its verdict and ratio. */
function matrix(cells: FleetCellJson[]): { sources: string[]; destinations: string[]; at: (s: string, d: string) => string } {
  const sources = [...new Set(cells.map((c) => c.source))].sort();
  const destinations = [...new Set(cells.map((c) => c.destination))].sort();
  const at = (s: string, d: string): string => {
    const c = cells.find((x) => x.source === s && x.destination === d);
    return c ? verdictCell(c.summary) : '';
  };
  return { sources, destinations, at };
}

const NOTE = 'GB/s and CPU s/GB: medians of the runs (GB = 1e9 bytes; CPU = the sender\'s user + system time per GB sent); ' +
  'copied: share of zerocopy completions the kernel copied; verdict on zerocopy/copy CPU per GB from the 95% Wilcoxon ' +
  'signed-rank interval over copy and zerocopy runs that ran back to back (6 pairs at least), as compare gives it.';

/** The text report. */
export function fleetText(doc: FleetDocument, width = outputWidth()): string {
  const lines: string[] = [`msg-zerocopy merge: ${doc.reports} report${doc.reports === 1 ? '' : 's'} from ${doc.inputs.length} ` +
    `file${doc.inputs.length === 1 ? '' : 's'}, ${doc.groups.length} group${doc.groups.length === 1 ? '' : 's'} of options`];
  if (doc.duplicates.length) lines.push(`${doc.duplicates.length} report(s) given twice, read once: ${doc.duplicates.join(', ')}`);
  if (doc.groups.length > 1) lines.push('reports whose options differ are in separate groups, never summarised together');
  for (const g of doc.groups) {
    lines.push('', `group ${g.number}: ${g.description} (${g.reports.length} report${g.reports.length === 1 ? '' : 's'})`);
    for (const t of byTestAndSize(g.cells)) {
      lines.push('', `${t.test}, payload ${t.size} B`);
      const fitted = fitTable(COLUMNS, t.cells.map(cellRow), { width });
      lines.push(...fitted.lines);
      const note = droppedNote(fitted.dropped, width);
      if (note) lines.push(note);
      const m = matrix(t.cells);
      if (m.sources.length > 1 || m.destinations.length > 1) {
        const cols: Column[] = [{ title: 'source \\ destination' }, ...m.destinations.map((d) => ({ title: d }))];
        lines.push('', ...fitTable(cols, m.sources.map((s) => [s, ...m.destinations.map((d) => m.at(s, d) || '·')]), { width }).lines);
      }
    }
  }
  lines.push('', NOTE);
  return `${fitText(lines.join('\n'), width)}\n`;
}

export const FLEET_CSV_HEADER = [
  'group', 'kind', 'tool_version', 'family', 'duration_seconds', 'flows', 'path', 'test', 'size_bytes', 'source', 'destination', 'mode',
  'runs', 'runs_measured', 'bytes_per_second_median', 'bytes_per_second_min', 'bytes_per_second_max',
  'cpu_seconds_per_gb_median', 'cpu_seconds_per_gb_min', 'cpu_seconds_per_gb_max', 'completions_copied_share',
  'zc_copy_throughput_estimate', 'zc_copy_throughput_low', 'zc_copy_throughput_high',
  'zc_copy_cpu_per_gb_estimate', 'zc_copy_cpu_per_gb_low', 'zc_copy_cpu_per_gb_high', 'interval_level', 'pairs', 'verdict',
  'source_environment', 'destination_environment',
];

/** One row per group, cell and mode; the ratio columns and the verdict belong to the cell, on both its rows. */
export function fleetCsv(doc: FleetDocument): string {
  const rows: CsvValue[][] = [];
  for (const g of doc.groups) {
    const o = g.options;
    for (const c of g.cells) {
      const s = c.summary;
      const t = s.ratio.throughputInterval;
      const i = s.ratio.secPerGBInterval;
      for (const mode of ['copy', 'zerocopy'] as const) {
        const m = s[mode];
        rows.push([g.number, o.kind, o.toolVersion, o.family, o.durationSecs, o.flows, o.path, c.test, c.size, c.source, c.destination, mode,
          m.runs, m.measured, m.bytesPerSecond.median, m.bytesPerSecond.min, m.bytesPerSecond.max,
          m.secPerGB.median, m.secPerGB.min, m.secPerGB.max, mode === 'zerocopy' ? m.copiedShare : null,
          t.estimate, t.low, t.high, i.estimate, i.low, i.high, i.n ? i.level : null, i.n, i.n >= 6 ? s.verdict : null,
          environmentText(c.sourceEnvironment), environmentText(c.destinationEnvironment)]);
      }
    }
  }
  return toCsv(FLEET_CSV_HEADER, rows);
}

const HTML_COLUMNS = [
  { title: 'source' }, { title: 'destination' }, { title: 'runs copy/zc', align: 'right' as const },
  { title: 'GB/s copy', align: 'right' as const }, { title: 'GB/s zc', align: 'right' as const },
  { title: 'CPU s/GB copy', align: 'right' as const }, { title: 'CPU s/GB zc', align: 'right' as const },
  { title: 'completions copied', align: 'right' as const }, { title: 'zerocopy/copy CPU s/GB: verdict (95% CI)' },
  { title: 'environment (source; destination)' },
];

/** "pod-a.log (12), pod-b.log (12)": how many reports of a group each file gave ("FILE:LINE" counts for FILE). */
function byFile(reports: string[]): string {
  const n = new Map<string, number>();
  for (const r of reports) {
    const file = r.replace(/:\d+$/, '');
    n.set(file, (n.get(file) ?? 0) + 1);
  }
  return [...n].map(([f, k]) => `${f} (${k})`).join(', ');
}

/** The HTML report: per group, per test and size a matrix of verdicts and a table of every host pair; a chart per test. */
export function fleetHtml(doc: FleetDocument): string {
  const sections: Array<{ heading: string; html: string }> = [];
  for (const g of doc.groups) {
    const parts: string[] = [`<p class="meta">${esc(`${g.reports.length} report(s) from ${byFile(g.reports)}`)}</p>`];
    const groups = byTestAndSize(g.cells);
    for (const test of [...new Set(groups.map((x) => x.test))]) {
      const cells = g.cells.filter((c) => c.test === test);
      const pairs = [...new Set(cells.map((c) => `${c.source} → ${c.destination}`))];
      const series: SvgSeries[] = pairs.map((p) => ({
        name: p,
        points: cells.filter((c) => `${c.source} → ${c.destination}` === p).map((c) => {
          const i = c.summary.ratio.secPerGBInterval;
          return { x: c.size, y: i.estimate, low: i.low, high: i.high, label: `${p} at ${c.size} B: ${verdictCell(c.summary)}` };
        }),
      }));
      parts.push(svgChart(series, {
        title: `${test}: zerocopy / copy CPU per GB, by payload size and host pair`, yLabel: 'ratio zerocopy / copy',
        reference: { y: 1, label: 'no difference' },
        caption: 'Hodges–Lehmann estimate and 95% Wilcoxon signed-rank interval over copy and zerocopy runs that ran back to back. ' +
          'Below 1 zerocopy saves CPU.',
      }));
    }
    for (const t of groups) {
      const m = matrix(t.cells);
      parts.push(`<h3>${esc(`${t.test}, payload ${formatSize(t.size)} (${t.size} B)`)}</h3>`);
      parts.push(htmlTable([{ title: 'source \\ destination' }, ...m.destinations.map((d) => ({ title: d }))],
        m.sources.map((s) => [s, ...m.destinations.map((d) => m.at(s, d) || '·')]), 'matrix'));
      parts.push(htmlTable(HTML_COLUMNS, t.cells.map(cellRow), 'cells'));
      const first = t.cells.find((c) => c.summary.ratio.secPerGBInterval.n > 0);
      if (first) parts.push(`<p class="note">${esc(intervalMethod(first.summary.ratio.secPerGBInterval))} (first host pair)</p>`);
    }
    sections.push({ heading: `Group ${g.number}: ${g.description}`, html: parts.join('\n') });
  }
  sections.push({
    heading: 'Every run',
    html: htmlTable([
      { title: 'group', align: 'right' }, { title: 'report' }, { title: 'source' }, { title: 'destination' }, { title: 'test' },
      { title: 'size B', align: 'right' }, { title: 'mode' }, { title: 'ok' }, { title: 'GB/s', align: 'right' },
      { title: 'CPU s/GB', align: 'right' }, { title: 'completions copied', align: 'right' },
    ], doc.runs.map((r) => [String(r.group), r.line > 1 ? `${r.file}:${r.line}` : r.file, r.source, r.destination, r.test, String(r.size),
      r.mode, r.ok ? 'yes' : 'no', r.measured ? gbps(r.bytesPerSecond) : '-', r.measured ? num(r.secPerGB) : '-',
      r.mode === 'zerocopy' && r.completions !== null ? `${r.copiedCompletions ?? '?'} of ${r.completions}` : '-']), 'runs'),
  });
  const cells = doc.groups.flatMap((g) => g.cells);
  const count = (v: string): number => cells.filter((c) => c.summary.ratio.secPerGBInterval.n >= 6 && c.summary.verdict === v).length;
  const judged = count('saves') + count('costs') + count('no significant difference');
  return htmlPage({
    title: 'msg-zerocopy fleet report',
    meta: [
      `${doc.reports} report(s) from ${doc.inputs.length} file(s); ${doc.groups.length} group(s) of options ` +
        '(reports whose options differ are never summarised together); ' +
        `${cells.length} host pair × test × size cell(s); merged by msg-zerocopy ${doc.toolVersion}`,
      ...(doc.duplicates.length ? [`${doc.duplicates.length} report(s) given twice, read once: ${doc.duplicates.join(', ')}`] : []),
    ],
    verdict: {
      text: `zerocopy saves CPU per GB in ${count('saves')}, costs in ${count('costs')}, no significant difference in ` +
        `${count('no significant difference')} of ${cells.length} cells` +
        (judged < cells.length ? ` (${cells.length - judged} without a verdict: fewer than 6 back-to-back pairs)` : ''),
    },
    sections,
    notes: [NOTE],
    data: doc,
  });
}
