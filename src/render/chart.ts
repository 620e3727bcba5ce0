// SPDX-License-Identifier: GPL-2.0-only
// Terminal charts of a few series over payload sizes. The size axis is
// logarithmic (1000, 8000 and 65435 sit where they belong) with SI ticks
// (1 kB, 2 kB, 5 kB, …); the value axis has round ticks (1-2-5 on a log
// scale, 1, 2, 2.5 or 5 steps on a linear one). Each series has its own mark
// and line character, so the chart reads without colour; a cell both series
// pass through shows ◆, so neither hides the other. Colour only when asked
// (the caller asks only on a terminal without NO_COLOR).

import { sizeTicks, valueAxis } from './axis.js';
import { formatSize, sig } from '../core/units.js';

export { logTicks, sizeTicks, valueAxis, type Axis } from './axis.js';
export { sig };

export interface ChartSeries {
  name: string;
  /** One value per x; null where there is no data. */
  values: Array<number | null>;
}

export interface ChartOptions {
  title: string;
  /** The x values (payload sizes, > 0), one per value. */
  x: number[];
  /** Rows of the plot area (default 12). */
  height?: number;
  /** Whole width of the chart in columns, labels included (default 72). */
  width?: number;
  /** Log scale on y when every value is > 0 and they span at least 3×. */
  log?: boolean;
  /** ANSI colours. */
  color?: boolean;
  /** x tick labels (default: SI sizes). */
  xFormat?: (v: number) => string;
}

export interface SeriesStyle { line: string; mark: string; color: string }
export const STYLES: SeriesStyle[] = [
  { line: '·', mark: '●', color: '\x1b[36m' },
  { line: '+', mark: '■', color: '\x1b[35m' },
  { line: '-', mark: '▲', color: '\x1b[32m' },
];
export const BOTH = { mark: '◆', color: '\x1b[33m' };
const RESET = '\x1b[0m';

/** A chart: title, legend, plot with value ticks, size axis with its ticks; '' when no series has data. */
export function lineChart(series: ChartSeries[], o: ChartOptions): string {
  const drawn = series.map((s, k) => ({ ...s, k, style: STYLES[k % STYLES.length] }))
    .filter((s) => s.values.some((v) => v !== null && Number.isFinite(v)));
  if (!drawn.length || !o.x.length) return '';
  const height = Math.max(3, o.height ?? 12);
  const width = Math.max(30, o.width ?? 72);
  const xFormat = o.xFormat ?? formatSize;
  const values = drawn.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const log = !!o.log && values.every((v) => v > 0);
  // a linear axis starts at 0, so heights compare honestly
  const axis = valueAxis(log ? Math.min(...values) : Math.min(0, ...values), Math.max(...values), log,
    Math.max(2, Math.floor(height / 2) + 1));
  const ty = (v: number): number => (axis.log ? Math.log10(v) : v);
  const labels = axis.ticks.map((t) => sig(t));
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const plotW = width - labelWidth - 2;

  // x: log of the size; a single size sits in the middle (the caller asks for no chart of one size)
  let xlo = Math.min(...o.x);
  let xhi = Math.max(...o.x);
  const oneSize = xhi === xlo;
  if (oneSize) { xlo /= 2; xhi *= 2; }
  const col = (x: number): number => ((Math.log10(x) - Math.log10(xlo)) / (Math.log10(xhi) - Math.log10(xlo))) * (plotW - 1);
  const row = (v: number): number => ((ty(axis.hi) - ty(v)) / (ty(axis.hi) - ty(axis.lo))) * (height - 1);

  const { lines, marks, gaps } = drawGrid(drawn.map((s) => ({ bit: 1 << s.k, values: s.values })), o.x, col, row, height, plotW);

  const paint = (s: string, color: string): string => (o.color ? `${color}${s}${RESET}` : s);
  const cell = (r: number, c: number): string => {
    // a measured point shows over a line; two series in one cell show as ◆
    const m = marks[r][c];
    const all = m || lines[r][c];
    if (!all) return ' ';
    if (all & (all - 1)) return paint(BOTH.mark, BOTH.color);
    const s = drawn.find((d) => all === 1 << d.k)!;
    return paint(m ? s.style.mark : s.style.line, s.style.color);
  };
  const tickRow = new Map<number, string>();
  axis.ticks.forEach((t, i) => {
    const r = Math.round(row(t));
    if (!tickRow.has(r)) tickRow.set(r, labels[i]);
  });
  const out: string[] = [];
  out.push(`${o.title}${axis.log ? ' (log scale)' : ''}`);
  const legend = drawn.map((s) => `${paint(s.style.mark + s.style.line.repeat(2), s.style.color)} ${s.name}`);
  legend.push(`${paint(BOTH.mark, BOTH.color)} ${drawn.length > 1 ? 'both' : ''}`.trimEnd());
  out.push(`${' '.repeat(labelWidth + 2)}${(drawn.length > 1 ? legend : legend.slice(0, -1)).join('   ')}` +
    `${gaps ? '   (no line across a size without data)' : ''}`);
  for (let r = 0; r < height; r++) {
    const label = tickRow.get(r);
    let line = `${(label ?? '').padStart(labelWidth)} ${label !== undefined ? '┤' : '│'}`;
    for (let c = 0; c < plotW; c++) line += cell(r, c);
    out.push(line.trimEnd());
  }
  const indent = ' '.repeat(labelWidth + 1);
  const axisText = sizeAxis(xlo, xhi, o.x, col, plotW, xFormat);
  out.push(`${indent}└${axisText.axisLine}`);
  out.push(`${indent} ${axisText.labelLine}`);
  out.push(`${indent} ${oneSize ? 'payload size' : 'payload size (log scale)'}`);
  return out.join('\n');
}

type Grid = number[][];

/**
 * Each cell of the plot: which series pass through it (lines) and which have
 * a measured point there (marks), as bits; gaps: some series misses a value.
 */
function drawGrid(series: Array<{ bit: number; values: Array<number | null> }>, x: number[], col: (x: number) => number,
  row: (v: number) => number, height: number, plotW: number): { lines: Grid; marks: Grid; gaps: boolean } {
  const lines: Grid = Array.from({ length: height }, () => new Array<number>(plotW).fill(0));
  const marks: Grid = Array.from({ length: height }, () => new Array<number>(plotW).fill(0));
  const put = (grid: Grid, r: number, c: number, bit: number): void => {
    const rr = Math.round(r);
    const cc = Math.round(c);
    if (rr >= 0 && rr < height && cc >= 0 && cc < plotW) grid[rr][cc] |= bit;
  };
  let gaps = false;
  for (const { bit, values } of series) {
    const pts = values.map((v, i) => (v === null || !Number.isFinite(v) ? null : { c: col(x[i]), r: row(v) }));
    if (pts.some((p) => p === null)) gaps = true;
    const known = pts.filter((p): p is { c: number; r: number } => p !== null);
    // a line joins consecutive sizes only when both were measured: a size without data breaks it
    for (let i = 0; i + 1 < pts.length; i++) {
      const a = pts[i];
      const b = pts[i + 1];
      if (!a || !b) continue;
      // one cell per column; a steep step is joined halfway in each of its two columns
      let prev = Math.round(a.r);
      for (let c = Math.round(a.c); c <= Math.round(b.c); c++) {
        const t = b.c === a.c ? 1 : Math.min(1, Math.max(0, (c - a.c) / (b.c - a.c)));
        const r = Math.round(a.r + t * (b.r - a.r));
        put(lines, r, c, bit);
        if (Math.abs(r - prev) > 1) {
          const mid = (prev + r) / 2;
          for (let y = Math.min(prev, r) + 1; y < Math.max(prev, r); y++) put(lines, y, (y - mid) * (r - prev) > 0 ? c : c - 1, bit);
        }
        prev = r;
      }
    }
    for (const p of known) put(marks, p.r, p.c, bit);
  }
  return { lines, marks, gaps };
}

/** The size axis: ticks where they fall on the log scale, labels centred under them, never overlapping. */
function sizeAxis(xlo: number, xhi: number, measured: number[], col: (x: number) => number, plotW: number,
  xFormat: (x: number) => string): { axisLine: string; labelLine: string } {
  const placed = (ticks: number[]): { axisLine: string; labelLine: string } | null => {
    const axisLine = [...'─'.repeat(plotW)];
    let labelLine = '';
    for (const t of ticks) {
      const c = Math.round(col(t));
      if (c < 0 || c >= plotW) continue;
      axisLine[c] = '┬';
      const text = xFormat(t);
      const start = Math.min(Math.max(0, c - Math.floor(text.length / 2)), plotW - text.length);
      if (labelLine.length && start < labelLine.length + 1) return null;
      labelLine = labelLine.padEnd(start) + text;
    }
    return { axisLine: axisLine.join(''), labelLine };
  };
  const ticks = sizeTicks(xlo, xhi, (t) => placed(t) !== null, measured);
  return placed(ticks) ?? placed(ticks.slice(0, 1))!;
}
