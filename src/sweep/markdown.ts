// SPDX-License-Identifier: GPL-2.0-only
// sweep and compare as Markdown tables (--markdown).
import { gb, num, range, ratioCell } from './cells.js';
import type { SizeSummary } from './summary.js';

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
