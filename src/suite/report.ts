// SPDX-License-Identifier: GPL-2.0-only
// The suite's --json document (its type) and the HTML report made from it:
// the verdict line, throughput per case as bars, the cases as a table.

import { environmentLine } from '../environment/environment.js';
import { htmlPage, htmlTable, svgBars } from '../render/html.js';
import { formatByteRate, formatBytes } from '../core/units.js';
import type { ReportFile } from '../render/files.js';
import { formatCount, type caseJson, type SuiteJson } from './format.js';

export type CaseJson = ReturnType<typeof caseJson>;

/** The suite's --json document; the HTML report is made from it. */
export type SuiteDocument = SuiteJson;

const label = (c: CaseJson): string => `${c.index} ipv${c.family} ${c.test} ${c.path} ${c.mode}`;
const sent = (x: { packets: number | null; bytes: number | null } | null): string =>
  (x?.packets == null ? '-' : `${formatCount(x.packets)} (${formatBytes(x.bytes)})`);

/** The HTML report of a suite run. */
export function suiteHtml(doc: SuiteDocument): string {
  const s = doc.summary;
  const parts = [`${s.pass} passed`, `${s.fail} failed`, `${s.skip} skipped`];
  if (s.notRun) parts.push(`${s.notRun} not run`);
  const word = doc.interrupted ? `INTERRUPTED (${doc.interrupted})` : doc.ok ? 'OK' : 'FAIL';
  const bars = svgBars(doc.cases.map((c) => ({
    label: label(c), value: c.verdict === 'skip' ? null : c.throughputBps, kind: c.verdict,
    text: c.verdict === 'skip' ? 'skipped' : `${formatByteRate(c.throughputBps)} ${c.verdict.toUpperCase()}`,
  })), { title: 'Sender throughput per case (GB/s = 1e9 bytes per second)' });
  const share = (c: CaseJson): string => (c.mode === 'copy' || c.copiedShare === null ? '-' : `${Number((c.copiedShare * 100).toFixed(1))}%`);
  const rows = doc.cases.map((c) => [String(c.index), c.name, c.mode, sent(c.tx), c.path === 'tx-only' ? '(none)' : sent(c.rx),
    formatByteRate(c.throughputBps), c.mode === 'copy' ? '-' : formatCount(c.completions), share(c),
    c.expect ?? '-', c.verdict.toUpperCase(), c.reasons.join('; ')]);
  for (const name of doc.notRun) rows.push(['', name, '', '', '', '', '', '', '', 'NOT RUN', '']);
  const table = htmlTable([
    { title: '#', align: 'right' }, { title: 'case' }, { title: 'mode' }, { title: 'tx sends (bytes)', align: 'right' },
    { title: 'rx (bytes)', align: 'right' }, { title: 'throughput', align: 'right' }, { title: 'completions', align: 'right' },
    { title: 'copied', align: 'right' }, { title: 'expected' }, { title: 'verdict' }, { title: 'why' },
  ], rows, 'cases');
  const lab = doc.lab ? `; namespaces ${doc.lab.txNs} / ${doc.lab.rxNs}, egress ${doc.lab.egressKind}` : '';
  return htmlPage({
    title: 'msg-zerocopy suite',
    meta: [
      `families ${doc.options.families.map((f) => `ipv${f}`).join(', ')}; tests ${doc.options.tests.join(', ')}; -t ${doc.options.duration}` +
        `${doc.options.size !== null ? `; -s ${doc.options.size}` : ''}${doc.options.extra.length ? `; extra flags ${doc.options.extra.join(' ')}` : ''}`,
      `kernel ${doc.kernel}; started ${doc.startedAt}; ${(doc.durationMs / 1000).toFixed(1)} s${lab}` +
        `${doc.toolVersion ? `; msg-zerocopy ${doc.toolVersion}` : ''}`,
      ...(doc.environment ? [`environment: ${environmentLine(doc.environment)}`] : []),
    ],
    verdict: { text: `${word}: ${parts.join(', ')} of ${s.total} cases`, bad: !doc.ok },
    sections: [
      { heading: 'Throughput', html: bars },
      { heading: 'Cases', html: table },
    ],
    notes: [
      'tx-rx: a sender to our receiver over the veth pair, where zerocopy completions must say copied (-Z 0); tx-only: out of ' +
        'an egress-only device, where they must say not copied (-Z 1). Units: kB, MB, GB = 1e3, 1e6, 1e9 bytes.',
      ...(doc.error ? [`Error: ${doc.error}`] : []),
    ],
    data: doc,
  });
}

/** The file --report asks for, made from the run's JSON document. */
export function suiteReportFiles(doc: SuiteDocument, paths: { report?: string }): ReportFile[] {
  return paths.report ? [{ flag: '--report', path: paths.report, make: () => suiteHtml(doc) }] : [];
}
