// SPDX-License-Identifier: GPL-2.0-only
// sweep and compare as Markdown tables (--markdown).
import { gb, num, range, ratioCell } from './cells.js';
import type { SizeSummary } from './summary.js';

const gbit = (bitsPerSecond: number | null): number | null => (bitsPerSecond === null ? null : bitsPerSecond / 1e9);

export function sweepMarkdown(summaries: SizeSummary[]): string {
  const head = ['size (B)', 'mode', 'runs ok', 'Gbit/s median', 'GB/s median', 'Gbit/s min–max', 'CPU s/GB median', 'CPU s/GB min–max',
    'zerocopy/copy throughput (95% CI)', 'zerocopy/copy CPU s/GB (95% CI)', 'verdict'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 1 || i === 10 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const s of summaries) {
    for (const mode of ['copy', 'zerocopy'] as const) {
      const m = s[mode];
      const zc = mode === 'zerocopy';
      lines.push(`| ${[zc ? '' : String(s.size), mode, `${m.ok}/${m.runs}`, num(gbit(m.bitsPerSecond.median)), num(gb(m.bytesPerSecond.median)),
        range(m.bitsPerSecond, 1e-9),
        num(m.secPerGB.median), range(m.secPerGB), zc ? ratioCell(s.ratio.throughputInterval) : '',
        zc ? ratioCell(s.ratio.secPerGBInterval) : '', zc ? s.verdict : ''].join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

export function compareMarkdown(s: SizeSummary): string {
  const row = (name: string, a: string, b: string, c: string) => `| ${name} | ${a} | ${b} | ${c} |`;
  return [
    `| ${s.size} B | copy | zerocopy | zerocopy/copy (95% CI) |`,
    '| --- | ---: | ---: | ---: |',
    row('runs ok', `${s.copy.ok}/${s.copy.runs}`, `${s.zerocopy.ok}/${s.zerocopy.runs}`, ''),
    row('Gbit/s median', num(gbit(s.copy.bitsPerSecond.median)), num(gbit(s.zerocopy.bitsPerSecond.median)), ratioCell(s.ratio.throughputInterval)),
    row('GB/s median', num(gb(s.copy.bytesPerSecond.median)), num(gb(s.zerocopy.bytesPerSecond.median)), ''),
    row('Gbit/s min–max', range(s.copy.bitsPerSecond, 1e-9), range(s.zerocopy.bitsPerSecond, 1e-9), ''),
    row('CPU s/GB median', num(s.copy.secPerGB.median), num(s.zerocopy.secPerGB.median), ratioCell(s.ratio.secPerGBInterval)),
    row('CPU s/GB min–max', range(s.copy.secPerGB), range(s.zerocopy.secPerGB), ''),
    row('verdict', '', '', s.verdict),
  ].join('\n');
}
