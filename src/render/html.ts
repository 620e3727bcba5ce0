// SPDX-License-Identifier: GPL-2.0-only
// Self-contained HTML reports: one file, inline CSS and SVG, no script that
// runs and nothing fetched from the network; the run's JSON embedded in a
// <script type="application/json"> element, so the file is both a picture
// and the data. The pieces here know nothing of sweeps or suites: charts of
// series over payload sizes with error bars, bar charts, tables, the page.

import { sizeTicks, valueAxis } from './axis.js';
import { formatSize, sig } from '../core/units.js';

/** Text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that can sit inside a <script> element: no "</script>", no "<!--". */
export function scriptJson(data: unknown): string {
  return JSON.stringify(data, null, 1)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Colour-blind-safe colours (Okabe–Ito) and a marker shape per series. */
export const SERIES_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7'];
const SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;

export interface SvgPoint {
  x: number;
  y: number | null;
  /** Error bar (an interval); drawn when both are given. */
  low?: number | null;
  high?: number | null;
  /** Hover text. */
  label?: string;
}

export interface SvgSeries {
  name: string;
  points: SvgPoint[];
}

export interface SvgChartOptions {
  title: string;
  /** What y is, with its unit. */
  yLabel: string;
  xLabel?: string;
  logY?: boolean;
  width?: number;
  height?: number;
  /** A horizontal line, e.g. at ratio 1. */
  reference?: { y: number; label: string };
  xFormat?: (v: number) => string;
  /** A line under the chart (what the error bars are). */
  caption?: string;
  /** Values the y axis must cover besides the data (e.g. another chart's range, so two charts share a scale). */
  yCover?: number[];
}

const f1 = (v: number): string => v.toFixed(1);

function marker(shape: (typeof SHAPES)[number], x: number, y: number, color: string, title: string): string {
  const t = `<title>${esc(title)}</title>`;
  const r = 4.5;
  switch (shape) {
    case 'circle': return `<circle class="point" cx="${f1(x)}" cy="${f1(y)}" r="${r}" fill="${color}">${t}</circle>`;
    case 'square': return `<rect class="point" x="${f1(x - r)}" y="${f1(y - r)}" width="${2 * r}" height="${2 * r}" fill="${color}">${t}</rect>`;
    case 'triangle': return `<polygon class="point" points="${f1(x)},${f1(y - r - 1)} ${f1(x - r - 1)},${f1(y + r)} ${f1(x + r + 1)},${f1(y + r)}" fill="${color}">${t}</polygon>`;
    default: return `<polygon class="point" points="${f1(x)},${f1(y - r - 1)} ${f1(x + r + 1)},${f1(y)} ${f1(x)},${f1(y + r + 1)} ${f1(x - r - 1)},${f1(y)}" fill="${color}">${t}</polygon>`;
  }
}

/**
 * An SVG chart of series over payload sizes (log x axis, SI ticks): a line
 * and a marker per point, error bars from low to high, series side by side
 * (shifted a few pixels) so neither hides the other, a legend, round ticks.
 */
export function svgChart(series: SvgSeries[], o: SvgChartOptions): string {
  // the viewBox; the chart itself is as wide as the page (width 100%), text scaled with it
  const W = o.width ?? 1000;
  const H = o.height ?? 400;
  const m = { l: 64, r: 18, t: 52, b: 54 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = series.flatMap((s) => s.points.map((p) => p.x)).filter((x) => x > 0);
  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.y, p.low ?? null, p.high ?? null]))
    .filter((v): v is number => v !== null && Number.isFinite(v));
  if (o.reference) ys.push(o.reference.y);
  const logY = !!o.logY && ys.every((v) => v > 0) && (o.yCover ?? []).every((v) => v > 0);
  // a linear axis starts at 0, so the heights compare honestly; a log one cannot
  if (ys.length && !logY) ys.push(0);
  ys.push(...(o.yCover ?? []).filter((v) => Number.isFinite(v)));
  const head = `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" ` +
    `preserveAspectRatio="xMidYMid meet" role="img" aria-label="${esc(o.title)}">`;
  const title = `<text class="title" x="${m.l}" y="18">${esc(o.title)}</text>`;
  if (!xs.length || !ys.length) {
    return `${head}${title}<text class="empty" x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`;
  }
  const axis = valueAxis(Math.min(...ys), Math.max(...ys), logY, 7);
  const ty = (v: number): number => (axis.log ? Math.log10(v) : v);
  const py = (v: number): number => m.t + ((ty(axis.hi) - ty(v)) / (ty(axis.hi) - ty(axis.lo))) * ph;
  let xlo = Math.min(...xs);
  let xhi = Math.max(...xs);
  // one size is no axis: it sits in the middle, labelled, and the axis says nothing of a scale
  const oneSize = xlo === xhi;
  if (oneSize) { xlo /= 2; xhi *= 2; }
  // a little room at both ends so end points and their bars are not on the frame
  const pad = (Math.log10(xhi) - Math.log10(xlo)) * 0.04;
  const lx0 = Math.log10(xlo) - pad;
  const lx1 = Math.log10(xhi) + pad;
  const px = (x: number): number => m.l + ((Math.log10(x) - lx0) / (lx1 - lx0)) * pw;
  const xFormat = o.xFormat ?? formatSize;

  const parts: string[] = [head, title];
  // grid and y ticks
  for (const t of axis.ticks) {
    const y = py(t);
    parts.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${f1(y)}" y2="${f1(y)}"/>`,
      `<text class="tick" x="${m.l - 6}" y="${f1(y + 4)}" text-anchor="end">${esc(sig(t))}</text>`);
  }
  // x ticks: 1-2-5 SI sizes that do not overlap (about 7 px a character)
  const fits = (ticks: number[]): boolean => ticks.every((t, i) => i === 0 ||
    px(t) - px(ticks[i - 1]) > ((xFormat(t).length + xFormat(ticks[i - 1]).length) / 2) * 7 + 8);
  const xt = oneSize ? [xs[0]] : sizeTicks(10 ** lx0, 10 ** lx1, fits, xs);
  for (const t of xt) {
    const x = px(t);
    parts.push(`<line class="grid" x1="${f1(x)}" x2="${f1(x)}" y1="${m.t}" y2="${m.t + ph}"/>`,
      `<text class="tick" x="${f1(x)}" y="${m.t + ph + 16}" text-anchor="middle">${esc(xFormat(t))}</text>`);
  }
  parts.push(`<rect class="frame" x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/>`);
  parts.push(`<text class="label" x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel ?? (oneSize ? 'payload size' : 'payload size (log scale)'))}</text>`,
    `<text class="label" transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">` +
    `${esc(`${o.yLabel}${axis.log ? ' (log scale)' : ''}`)}</text>`);
  if (o.reference) {
    const y = py(o.reference.y);
    parts.push(`<line class="reference" x1="${m.l}" x2="${W - m.r}" y1="${f1(y)}" y2="${f1(y)}"/>`,
      `<text class="tick" x="${W - m.r - 4}" y="${f1(y - 5)}" text-anchor="end">${esc(o.reference.label)}</text>`);
  }
  // series: line, error bars, markers; shifted sideways so both stay visible
  series.forEach((s, k) => parts.push(svgSeries(s, k, series.length, px, py, xFormat)));
  // legend
  let lx = m.l;
  series.forEach((s, k) => {
    const color = SERIES_COLORS[k % SERIES_COLORS.length];
    parts.push(marker(SHAPES[k % SHAPES.length], lx + 6, 36, color, s.name).replace('class="point"', 'class="legend-mark"'),
      `<text class="legend" x="${lx + 16}" y="40">${esc(s.name)}</text>`);
    lx += 30 + s.name.length * 7.5;
  });
  parts.push('</svg>');
  const chart = parts.join('\n');
  return o.caption ? `<figure>${chart}<figcaption>${esc(o.caption)}</figcaption></figure>` : `<figure>${chart}</figure>`;
}

/** One series of svgChart: its line, error bars and markers, shifted sideways by its place among `count`. */
function svgSeries(s: SvgSeries, k: number, count: number, px: (x: number) => number, py: (y: number) => number,
  xFormat: (x: number) => string): string {
  const color = SERIES_COLORS[k % SERIES_COLORS.length];
  const dx = (k - (count - 1) / 2) * 7;
  const measured = (p: SvgPoint): boolean => p.y !== null && Number.isFinite(p.y) && p.x > 0;
  const known = s.points.filter(measured);
  const g: string[] = [`<g class="series" data-series="${esc(s.name)}">`];
  // lines join a point to the next size only when both were measured: a size without data breaks the line
  for (const run of consecutiveRuns(s.points, measured)) {
    if (run.length > 1) {
      g.push(`<polyline class="line" stroke="${color}" points="${run.map((p) => `${f1(px(p.x) + dx)},${f1(py(p.y!))}`).join(' ')}"/>`);
    }
  }
  for (const p of known) {
    const x = px(p.x) + dx;
    if (p.low != null && p.high != null && Number.isFinite(p.low) && Number.isFinite(p.high)) {
      const y0 = py(p.low);
      const y1 = py(p.high);
      g.push(`<path class="errorbar" stroke="${color}" d="M${f1(x)} ${f1(y0)}V${f1(y1)}M${f1(x - 4)} ${f1(y0)}h8M${f1(x - 4)} ${f1(y1)}h8"/>`);
    }
    g.push(marker(SHAPES[k % SHAPES.length], x, py(p.y!), color, p.label ?? `${s.name}: ${sig(p.y!)} at ${xFormat(p.x)}`));
  }
  g.push('</g>');
  return g.join('');
}

/** The runs of consecutive points (in x order) that pass `keep`: where a line may join them. */
export function consecutiveRuns<P extends { x: number }>(points: readonly P[], keep: (p: P) => boolean): P[][] {
  const runs: P[][] = [];
  let cur: P[] = [];
  for (const p of [...points].sort((a, b) => a.x - b.x)) {
    if (keep(p)) cur.push(p);
    else if (cur.length) { runs.push(cur); cur = []; }
  }
  if (cur.length) runs.push(cur);
  return runs;
}

export interface Bar {
  label: string;
  value: number | null;
  /** CSS class of the bar (e.g. pass, fail, skip). */
  kind?: string;
  /** Text after the bar. */
  text?: string;
}

/** A horizontal bar chart (one bar per item), e.g. throughput per suite case. */
export function svgBars(bars: Bar[], o: { title: string; width?: number }): string {
  const W = o.width ?? 1000;
  const rowH = 22;
  const labelW = Math.min(380, 12 + Math.max(8, ...bars.map((b) => b.label.length)) * 7);
  const H = 34 + bars.length * rowH + 10;
  const maxV = Math.max(0, ...bars.map((b) => b.value ?? 0));
  const barW = W - labelW - 240;
  const parts = [`<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" ` +
    `role="img" aria-label="${esc(o.title)}">`, `<text class="title" x="4" y="18">${esc(o.title)}</text>`];
  bars.forEach((b, i) => {
    const y = 34 + i * rowH;
    const w = b.value !== null && maxV > 0 ? Math.max(1, (b.value / maxV) * barW) : 0;
    parts.push(`<text class="tick" x="${labelW - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect class="bar ${esc(b.kind ?? '')}" x="${labelW}" y="${y + 3}" width="${f1(w)}" height="${rowH - 7}"><title>${esc(`${b.label}: ${b.text ?? ''}`)}</title></rect>`,
      `<text class="tick" x="${f1(labelW + w + 6)}" y="${y + 14}">${esc(b.text ?? '')}</text>`);
  });
  parts.push('</svg>');
  return `<figure>${parts.join('\n')}</figure>`;
}

export interface HtmlColumn {
  title: string;
  align?: 'left' | 'right';
}

/** A table; cells are text (escaped here). */
export function htmlTable(columns: HtmlColumn[], rows: Array<Array<string>>, className = ''): string {
  const cls = (c: HtmlColumn): string => (c.align === 'right' ? ' class="num"' : '');
  const head = `<tr>${columns.map((c) => `<th${cls(c)}>${esc(c.title)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${columns.map((c, i) => `<td${cls(c)}>${esc(r[i] ?? '')}</td>`).join('')}</tr>`).join('\n');
  // wide tables scroll sideways rather than break their numbers
  return `<div class="scroll"><table${className ? ` class="${esc(className)}"` : ''}><thead>${head}</thead><tbody>\n${body}\n</tbody></table></div>`;
}

const CSS = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1b1b1b;background:#fff}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 8px}
.meta{color:#555;margin:0 0 12px}.verdict{font-weight:600;padding:8px 12px;border-left:4px solid #0072b2;background:#f2f7fb}
.verdict.fail{border-color:#d55e00;background:#fdf3ec}
figure{margin:12px 0;display:block;width:100%}figcaption{color:#555;font-size:.85em}
svg.chart{display:block;width:100%;height:auto;background:#fff;font:12px system-ui,sans-serif}
svg .title{font-weight:600;font-size:14px}svg .tick{fill:#333}svg .label{fill:#333}svg .legend{fill:#1b1b1b}
svg .grid{stroke:#e3e3e3}svg .frame{fill:none;stroke:#888}svg .reference{stroke:#444;stroke-dasharray:5 4}
svg .line{fill:none;stroke-width:2}svg .errorbar{fill:none;stroke-width:1.6}
svg .bar{fill:#0072b2}svg .bar.fail{fill:#d55e00}svg .bar.skip{fill:#999}svg .bar.notrun{fill:#ddd}
table{border-collapse:collapse;margin:8px 0;font-size:.92em}th,td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
th{background:#f6f6f6}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto}
.note{color:#555;font-size:.88em}
`;

export interface Page {
  title: string;
  /** Lines under the title (plain text). */
  meta: string[];
  /** A verdict line shown first (plain text) and whether it is bad news. */
  verdict?: { text: string; bad?: boolean };
  /** Sections of HTML made by the functions above (already escaped). */
  sections: Array<{ heading: string; html: string }>;
  /** Notes at the end (plain text). */
  notes?: string[];
  /** The run's JSON report, embedded as application/json. */
  data: unknown;
}

/** The whole document. */
export function htmlPage(p: Page): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // nothing may be fetched: no external resource of any kind
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; img-src data:">',
    `<title>${esc(p.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    `<h1>${esc(p.title)}</h1>`,
    ...p.meta.map((l) => `<p class="meta">${esc(l)}</p>`),
    // a verdict of several lines (one per interface) keeps its lines
    ...(p.verdict ? [`<p class="verdict${p.verdict.bad ? ' fail' : ''}">${p.verdict.text.split('\n').map(esc).join('<br>')}</p>`] : []),
    ...p.sections.flatMap((s) => [`<section><h2>${esc(s.heading)}</h2>`, s.html, '</section>']),
    ...(p.notes ?? []).map((n) => `<p class="note">${esc(n)}</p>`),
    '<p class="note">The run\'s full JSON report is embedded in this file: the script element with id "msg-zerocopy-data".</p>',
    `<script type="application/json" id="msg-zerocopy-data">${scriptJson(p.data)}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
