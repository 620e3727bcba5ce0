// SPDX-License-Identifier: GPL-2.0-only
// The sweep and compare reports beyond the terminal: the JSON document (its
// type), the HTML report made from that same document, and the CSV rows.

import { environmentLine } from '../environment/environment.js';
import { toCsv, type CsvValue } from '../render/csv.js';
import { htmlPage, htmlTable, svgChart, type SvgSeries } from '../render/html.js';
import { formatSize, sig } from '../core/units.js';
import type { ReportFile } from '../render/files.js';
import { ratioCell } from './cells.js';
import { compareVerdict, crossoverLine, expectationLine } from './format.js';
import type { SweepJson } from './json.js';
import { conclusive, type Interval, type RatioInterval } from './stats.js';
import { runJson, type ModeSummary, type RunJson, type SizeSummary } from './summary.js';

export { runJson, type RunJson };

/** The --json document of sweep and compare; the HTML report and the CSV are made from it. */
export type SweepDocument = SweepJson;

/** "12.3 [11.9–12.6]": a median and its interval (the level named when below the nominal). */
function medianCell(median: number | null, i: Interval, scale = 1): string {
  if (median === null) return '-';
  if (i.low === null || i.high === null) return sig(median * scale);
  const lv = conclusive(i) ? '' : `, ${Number((i.level * 100).toFixed(1))}%`;
  return `${sig(median * scale)} [${sig(i.low * scale)}–${sig(i.high * scale)}${lv}]`;
}

function modeSeries(summaries: SizeSummary[], mode: 'copy' | 'zerocopy', what: 'secPerGB' | 'bytesPerSecond'): SvgSeries {
  const scale = what === 'bytesPerSecond' ? 1e-9 : 1;
  const unit = what === 'bytesPerSecond' ? 'GB/s' : 'CPU s/GB';
  return {
    name: mode,
    points: summaries.map((s) => {
      const m: ModeSummary = s[mode];
      const sum = what === 'bytesPerSecond' ? m.bytesPerSecond : m.secPerGB;
      const i = m.medianInterval[what];
      const y = sum.median === null ? null : sum.median * scale;
      return {
        x: s.size, y, low: i.low === null ? null : i.low * scale, high: i.high === null ? null : i.high * scale,
        label: `${mode} at ${s.size} B: median ${y === null ? '-' : sig(y)} ${unit}` +
          (i.low !== null && i.high !== null ? `, ${Number((i.level * 100).toFixed(1))}% interval ${sig(i.low * scale)}–${sig(i.high * scale)}` : ''),
      };
    }),
  };
}

function ratioSeries(summaries: SizeSummary[], name: string, pick: (s: SizeSummary) => RatioInterval): SvgSeries {
  return {
    name,
    points: summaries.map((s) => {
      const i = pick(s);
      return { x: s.size, y: i.estimate, low: i.low, high: i.high, label: `${name} at ${s.size} B: ${ratioCell(i)}` };
    }),
  };
}

/** Charts and summary table of one interface's summaries. */
function apiSections(s: SizeSummary[], title: string): Array<{ heading: string; html: string }> {
  const levels = s.flatMap((x) => [x.copy, x.zerocopy]).flatMap((m) => [m.medianInterval.secPerGB.level, m.medianInterval.bytesPerSecond.level])
    .filter((l) => l > 0);
  const medianLevel = levels.length ? `${Number((Math.min(...levels) * 100).toFixed(1))}%` : '-';
  const charts = [
    svgChart([modeSeries(s, 'copy', 'secPerGB'), modeSeries(s, 'zerocopy', 'secPerGB')], {
      title: 'Sender CPU per GB sent, by payload size', yLabel: 'CPU seconds per GB (1e9 bytes)', logY: true,
      caption: `Median of the runs; error bars: distribution-free confidence interval of the median (order statistics, at least ${medianLevel}).`,
    }),
    svgChart([modeSeries(s, 'copy', 'bytesPerSecond'), modeSeries(s, 'zerocopy', 'bytesPerSecond')], {
      title: 'Sender throughput, by payload size', yLabel: 'GB/s (1e9 bytes per second)',
      caption: `Median of the runs; error bars: distribution-free confidence interval of the median (order statistics, at least ${medianLevel}).`,
    }),
    svgChart([ratioSeries(s, 'CPU per GB', (x) => x.ratio.secPerGBInterval), ratioSeries(s, 'throughput', (x) => x.ratio.throughputInterval)], {
      title: 'zerocopy / copy, by payload size', yLabel: 'ratio zerocopy / copy', reference: { y: 1, label: 'no difference' },
      caption: 'Hodges–Lehmann estimate of the ratio and its 95% Wilcoxon signed-rank interval over runs paired by repetition ' +
        '(copy run k and zerocopy run k ran back to back). CPU per GB below 1 is a saving.',
    }),
  ];
  const summaryRows: string[][] = [];
  for (const x of s) {
    for (const mode of ['copy', 'zerocopy'] as const) {
      const m = x[mode];
      const zc = mode === 'zerocopy';
      summaryRows.push([String(x.size), mode, `${m.ok}/${m.runs}`,
        medianCell(m.bytesPerSecond.median, m.medianInterval.bytesPerSecond, 1e-9),
        m.bitsPerSecond.median === null ? '-' : sig(m.bitsPerSecond.median / 1e9),
        medianCell(m.secPerGB.median, m.medianInterval.secPerGB),
        m.packetsPerSec.median === null ? '-' : sig(m.packetsPerSec.median),
        zc && m.copiedShare !== null ? `${Number((m.copiedShare * 100).toFixed(1))}%` : '-',
        zc ? ratioCell(x.ratio.throughputInterval) : '', zc ? ratioCell(x.ratio.secPerGBInterval) : '', zc ? x.verdict : '']);
    }
  }
  const summary = htmlTable([
    { title: 'size B', align: 'right' }, { title: 'mode' }, { title: 'runs ok', align: 'right' },
    { title: 'GB/s median [CI]', align: 'right' }, { title: 'Gbit/s', align: 'right' },
    { title: 'CPU s/GB median [CI]', align: 'right' }, { title: 'sends/s', align: 'right' }, { title: 'completions copied', align: 'right' },
    { title: 'zerocopy/copy GB/s (95% CI)', align: 'right' }, { title: 'zerocopy/copy CPU s/GB (95% CI)', align: 'right' },
    { title: 'verdict' },
  ], summaryRows, 'summary');
  return [
    { heading: `Charts${title}`, html: charts.join('\n') },
    { heading: `Summary by size and mode${title}`, html: summary },
  ];
}

const API_NAMES: Record<string, string> = { msg: 'MSG_ZEROCOPY (sendmsg)', uring: 'io_uring (SEND / SEND_ZC)' };

/** The HTML report of a sweep or a compare (with --api, a part per interface and their comparison). */
export function sweepHtml(doc: SweepDocument): string {
  const o = doc.options;
  const s = doc.summaries;
  const what = doc.command === 'compare' ? `compare at ${s[0]?.size ?? '?'} B` : `sweep over ${o.sizes.length} payload sizes`;
  const verdictText = doc.command === 'compare'
    ? (s[0] ? compareVerdict(s[0]) : 'no data')
    : crossoverLine(s, doc.crossover ?? null);
  const apis = doc.apis && doc.apis.length > 1 ? doc.apis : null;
  const sections = apis
    ? apis.flatMap((a) => apiSections(a.summaries, `: ${API_NAMES[a.api] ?? a.api}`))
    : apiSections(s, '');
  if (apis && doc.apiComparison?.length) {
    sections.push({
      heading: 'io_uring SEND_ZC against MSG_ZEROCOPY (zerocopy runs paired by repetition)',
      html: htmlTable([
        { title: 'size B', align: 'right' }, { title: 'io_uring / MSG_ZEROCOPY GB/s (95% CI)', align: 'right' },
        { title: 'io_uring / MSG_ZEROCOPY CPU s/GB (95% CI)', align: 'right' }, { title: 'verdict (io_uring CPU)' },
      ], doc.apiComparison.map((c) => [String(c.size), ratioCell(c.throughputInterval), ratioCell(c.secPerGBInterval), c.verdict]), 'apis'),
    });
  }
  const runs = htmlTable([
    { title: '#', align: 'right' }, { title: 'size B', align: 'right' }, ...(apis ? [{ title: 'api' }] : []), { title: 'mode' },
    { title: 'rep', align: 'right' }, { title: 'ok' }, { title: 'GB/s', align: 'right' }, { title: 'CPU s/GB', align: 'right' },
    { title: 'sends', align: 'right' }, { title: 'completions copied', align: 'right' }, { title: 'why not ok' },
  ], doc.runs.map((r) => [String(r.index), String(r.size), ...(apis ? [r.api ?? 'msg'] : []), r.mode, String(r.rep), r.ok ? 'yes' : 'no',
    r.measured && r.bytesPerSecond !== null ? sig(r.bytesPerSecond / 1e9) : '-', r.measured && r.secPerGB !== null ? sig(r.secPerGB) : '-',
    r.packets === null ? '-' : String(r.packets),
    r.mode === 'zerocopy' && r.completions !== null ? `${r.copiedCompletions ?? '?'} of ${r.completions}` : '-',
    r.reasons.join('; ')]), 'runs');
  sections.push({ heading: 'Every run', html: runs });
  const meta = [
    `ipv${o.family} ${o.test} ${o.path} to ${o.dst}; ${o.reps} repetition${o.reps === 1 ? '' : 's'} of -t ${o.duration} per ` +
      `${doc.command === 'sweep' ? 'size and ' : ''}mode, copy and zerocopy alternating; sizes ${o.sizes.map(formatSize).join(', ')}` +
      `${o.flows > 1 ? `; -P ${o.flows} flows per run (the figures are their sums)` : ''}` +
      `${o.apis.length > 1 ? `; interfaces ${o.apis.join(', ')} alternating within each repetition` : ''}`,
    `kernel ${doc.kernel}; started ${doc.startedAt}; ${(doc.durationMs / 1000).toFixed(1)} s; ` +
      `${doc.runs.length} of ${doc.plannedRuns} runs${doc.lab ? `; namespaces ${doc.lab.txNs} / ${doc.lab.rxNs}, egress ${doc.lab.egressKind}` : ''}` +
      `${doc.toolVersion ? `; msg-zerocopy ${doc.toolVersion}` : ''}`,
    ...(doc.environment ? [`environment: ${environmentLine(doc.environment)}`] : []),
    ...(doc.warnings ?? []).map((w) => `warning: ${w}`),
  ];
  const notes = [
    'Units: GB = 1e9 bytes, GB/s = 1e9 bytes per second, Gbit/s = 1e9 bits per second; CPU = the sender\'s user + system time ' +
      '(getrusage) per GB sent.',
    expectationLine(s, o.expectZerocopy),
  ];
  if (doc.interrupted) notes.unshift(`Interrupted by ${doc.interrupted}: ${doc.runs.length} of ${doc.plannedRuns} runs done.`);
  if (doc.error) notes.unshift(`Error: ${doc.error}`);
  return htmlPage({
    title: `msg-zerocopy ${what}`,
    meta,
    verdict: { text: verdictText, bad: !doc.ok },
    sections,
    notes,
    data: doc,
  });
}

export const CSV_HEADER = [
  'command', 'api', 'size_bytes', 'mode', 'runs', 'runs_ok', 'runs_measured',
  'bytes_per_second_median', 'bytes_per_second_min', 'bytes_per_second_max', 'bits_per_second_median',
  'cpu_seconds_per_gb_median', 'cpu_seconds_per_gb_min', 'cpu_seconds_per_gb_max', 'sends_per_second_median', 'completions_copied_share',
  'zc_copy_throughput_estimate', 'zc_copy_throughput_low', 'zc_copy_throughput_high',
  'zc_copy_cpu_per_gb_estimate', 'zc_copy_cpu_per_gb_low', 'zc_copy_cpu_per_gb_high',
  'interval_level', 'interval_method', 'pairs', 'verdict',
];

/**
 * One CSV row per interface, size and mode; the zerocopy/copy columns and the
 * verdict belong to the size, on both its rows.
 */
export function sweepCsv(doc: Pick<SweepDocument, 'command' | 'summaries'> & Partial<Pick<SweepDocument, 'apis' | 'environment'>>): string {
  const rows: CsvValue[][] = [];
  const apis = doc.apis?.length ? doc.apis : [{ api: 'msg', summaries: doc.summaries }];
  for (const { api, summaries } of apis) {
    for (const s of summaries) {
      for (const mode of ['copy', 'zerocopy'] as const) {
        const m = s[mode];
        const t = s.ratio.throughputInterval;
        const c = s.ratio.secPerGBInterval;
        rows.push([doc.command, api, s.size, mode, m.runs, m.ok, m.measured,
          m.bytesPerSecond.median, m.bytesPerSecond.min, m.bytesPerSecond.max, m.bitsPerSecond.median,
          m.secPerGB.median, m.secPerGB.min, m.secPerGB.max, m.packetsPerSec.median, mode === 'zerocopy' ? m.copiedShare : null,
          t.estimate, t.low, t.high, c.estimate, c.low, c.high, c.level, c.method, c.n, s.verdict]);
      }
    }
  }
  // The header comment: the environment of the runs in one line (readers that skip '#' lines, as R and pandas can, read on).
  const comment = doc.environment ? `# msg-zerocopy ${doc.command}: ${environmentLine(doc.environment).replace(/[\r\n]/g, ' ')}\r\n` : '';
  return comment + toCsv(CSV_HEADER, rows);
}

/** The files --report and --csv ask for, made from the run's JSON document. */
export function sweepReportFiles(doc: SweepDocument, paths: { report?: string; csv?: string }): ReportFile[] {
  const files: ReportFile[] = [];
  if (paths.report) files.push({ flag: '--report', path: paths.report, make: () => sweepHtml(doc) });
  if (paths.csv) files.push({ flag: '--csv', path: paths.csv, make: () => sweepCsv(doc) });
  return files;
}
