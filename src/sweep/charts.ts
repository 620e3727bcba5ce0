// SPDX-License-Identifier: GPL-2.0-only
// The sweep's terminal charts: the interval strip of zerocopy/copy CPU per
// GB, and CPU per GB and throughput by payload size (render/chart.ts draws them).
import { lineChart } from '../render/chart.js';
import { fitText, outputWidth } from '../render/table.js';
import { percent, ratioCell } from './cells.js';
import type { ModeSummary, SizeSummary } from './summary.js';

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
  const tput = lineChart(series((m) => (m.bytesPerSecond.median === null ? null : (m.bytesPerSecond.median * 8) / 1e9)), {
    title: 'throughput Gbit/s (median; 1e9 bits/s) by payload size', x, color, height: 10, width: w,
  });
  return [ratioStrip(summaries, w, color), cpu, tput].filter(Boolean).join('\n\n');
}
