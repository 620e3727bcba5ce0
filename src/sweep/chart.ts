// SPDX-License-Identifier: GPL-2.0-only
// Terminal line charts (asciichart) of a few series over payload sizes. Each
// series is drawn in its own line style so the chart reads without colour
// (copy ─╭╯, zerocopy ═╔╝); on a terminal each also gets its own colour.

import * as asciichart from 'asciichart';

export interface ChartSeries {
  name: string;
  /** One value per x label; null where there is no data. */
  values: Array<number | null>;
}

export interface ChartOptions {
  title: string;
  /** Labels under the x axis, one per value. */
  xLabels: string[];
  /** Rows of the plot area. */
  height?: number;
  /** Log scale on y (only used when every value is > 0). */
  log?: boolean;
  /** ANSI colours. */
  color?: boolean;
  /** Columns between two x points (default: fit about 64 columns). */
  step?: number;
}

type Symbols = [string, string, string, string, string, string, string, string, string, string];
// The first symbol marks asciichart's zero row and first value on the axis;
// with a log scale "zero" means nothing, so the axis is plain everywhere.
const STYLES: Symbols[] = [
  ['┤', '┤', '╶', '╴', '─', '╰', '╭', '╮', '╯', '│'],
  ['┤', '┤', '╶', '╴', '═', '╚', '╔', '╗', '╝', '║'],
  ['┤', '┤', '╶', '╴', '┄', '└', '┌', '┐', '┘', '┆'],
];
const MARKS = ['─', '═', '┄'];
const COLORS = [asciichart.cyan, asciichart.magenta, asciichart.yellow];
const RESET = asciichart.reset;

/** Three significant digits, without exponent for ordinary values. */
export function sig(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return v.toFixed(0);
  if (a >= 0.001) return String(Number(v.toPrecision(3)));
  return v.toExponential(1);
}

/** Fill gaps by linear interpolation (edges take the nearest value); null when all are missing. */
export function fillGaps(values: Array<number | null>): number[] | null {
  const known = values.map((v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] !== null);
  if (!known.length) return null;
  return values.map((v, i) => {
    if (v !== null) return v;
    const before = [...known].reverse().find(([j]) => j < i);
    const after = known.find(([j]) => j > i);
    if (!before) return after![1];
    if (!after) return before[1];
    const t = (i - before[0]) / (after[0] - before[0]);
    return before[1] + t * (after[1] - before[1]);
  });
}

/** Stretch points `step` columns apart, linear in between. */
export function stretch(values: number[], step: number): number[] {
  if (values.length < 2 || step <= 1) return values.slice();
  const out: number[] = [];
  for (let i = 0; i < values.length - 1; i++) {
    for (let k = 0; k < step; k++) out.push(values[i] + ((values[i + 1] - values[i]) * k) / step);
  }
  out.push(values[values.length - 1]);
  return out;
}

/** A chart with title, legend, plot and x labels; '' when no series has data. */
export function lineChart(series: ChartSeries[], o: ChartOptions): string {
  const filled = series.map((s) => ({ name: s.name, values: fillGaps(s.values), gaps: s.values.some((v) => v === null) }))
    .filter((s): s is { name: string; values: number[]; gaps: boolean } => s.values !== null);
  if (!filled.length) return '';
  const n = o.xLabels.length;
  const widest = Math.max(...o.xLabels.map((l) => l.length));
  const step = o.step ?? (n > 1 ? Math.max(widest + 1, Math.min(12, Math.floor(64 / (n - 1)))) : 1);
  const all = filled.flatMap((s) => s.values);
  const log = !!o.log && all.every((v) => v > 0);
  const tf = (v: number): number => (log ? Math.log10(v) : v);
  const plotted = filled.map((s) => stretch(s.values.map(tf), step));
  let lo = Math.min(...plotted.flat());
  let hi = Math.max(...plotted.flat());
  if (hi === lo) {
    const pad = log ? 0.05 : Math.abs(hi) * 0.05 || 1;
    lo -= pad;
    hi += pad;
  }
  const labelWidth = 9;
  const format = (y: number): string => sig(log ? 10 ** y : y).padStart(labelWidth);
  const renders = plotted.map((values, k) => Array.from(asciichart.plot(values, {
    min: lo, max: hi, height: o.height ?? 10, offset: 3, format, symbols: STYLES[k % STYLES.length],
  }).split('\n'), (line) => Array.from(line)));
  const axisPos = labelWidth + 1;

  const rows: string[] = [];
  for (let r = 0; r < renders[0].length; r++) {
    let line = '';
    const width = Math.max(...renders.map((g) => g[r].length));
    for (let c = 0; c < width; c++) {
      if (c <= axisPos) {
        line += renders[0][r][c] ?? ' ';
        continue;
      }
      // later series are drawn over earlier ones
      let ch = ' ';
      let who = -1;
      for (let k = 0; k < renders.length; k++) {
        const x = renders[k][r][c] ?? ' ';
        if (x !== ' ') { ch = x; who = k; }
      }
      line += o.color && who >= 0 ? `${COLORS[who % COLORS.length]}${ch}${RESET}` : ch;
    }
    rows.push(line.replace(/\s+$/, ''));
  }

  // x labels, centred under their points, never overlapping
  let xl = ' '.repeat(axisPos);
  for (let i = 0; i < n; i++) {
    const at = axisPos + i * step;
    const label = o.xLabels[i];
    let start = Math.max(at - Math.floor(label.length / 2), 0);
    if (i === n - 1 && n > 1) start = Math.max(at - label.length + 1, xl.length + 1);
    start = Math.max(start, xl.length + (i ? 1 : 0));
    xl = xl.padEnd(start) + label;
  }
  const legend = filled.map((s, k) => {
    const mark = MARKS[k % MARKS.length].repeat(3);
    return `${o.color ? `${COLORS[k % COLORS.length]}${mark}${RESET}` : mark} ${s.name}${s.gaps ? ' (gaps interpolated)' : ''}`;
  }).join('   ');
  const title = `${o.title}${log ? ' (log scale)' : ''}`;
  return [title, `${' '.repeat(axisPos)}${legend}`, ...rows, xl].join('\n');
}
