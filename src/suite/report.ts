// SPDX-License-Identifier: GPL-2.0-only
// The suite's --json document (its type) and the HTML report made from it:
// the verdict line, throughput per case as bars, the cases as a table.

import { environmentLine } from '../environment/environment.js';
import { htmlPage, htmlTable, svgBars } from '../render/html.js';
import { formatBitRate, formatByteRate, formatBytes, sig } from '../core/units.js';
import type { ReportFile } from '../render/files.js';
import { formatCount, type caseJson, type SuiteJson } from './format.js';

export type CaseJson = ReturnType<typeof caseJson>;

/** The suite's --json document; the HTML report is made from it. */
export type SuiteDocument = SuiteJson;

/** io_uring cases by their -m (SEND_ZC, from a registered buffer, a mix), from the case name ipv4_udp_uring-m2_tx-rx. */
const URING_MODES: Record<string, string> = { 1: 'SEND_ZC', 2: 'SEND_ZC fixed buffer', 3: 'SEND_ZC mixed' };
export function caseInterface(c: Pick<CaseJson, 'name' | 'mode'>): string {
  const m = /_uring-m(\d)_/.exec(c.name);
  const gso = /_gso(\d+)_/.exec(c.name);
  if (m) return `io_uring -m ${m[1]} ${URING_MODES[m[1]] ?? ''}`.trimEnd();
  return `sendmsg ${c.mode === 'zerocopy' ? 'MSG_ZEROCOPY' : 'copy'}${gso ? ` GSO ${gso[1]}` : ''}`;
}
const label = (c: CaseJson): string => `${c.index} ipv${c.family} ${c.test} ${c.path} ${caseInterface(c)}`;

/** Sender CPU (user + system) seconds per GB (1e9 bytes) sent, from the sender's counters; null without them. */
export function caseSecPerGB(c: Pick<CaseJson, 'sender'>): number | null {
  const ch = c.sender;
  if (!ch?.cpu || ch.bytes === null || ch.bytes === undefined || ch.bytes <= 0) return null;
  return (ch.cpu.userUs + ch.cpu.sysUs) / 1e6 / (ch.bytes / 1e9);
}
const rate = (bps: number | null): string => (bps === null ? '-' : `${formatBitRate(bps * 8)} (${formatByteRate(bps)})`);
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
    text: c.verdict === 'skip' ? 'skipped' : `${rate(c.throughputBps)} ${c.verdict.toUpperCase()}`,
  })), { title: 'Sender throughput per case (Gbit/s = 1e9 bits per second; GB/s = 1e9 bytes per second)' });
  const cpu = svgBars(doc.cases.map((c) => {
    const v = c.verdict === 'skip' ? null : caseSecPerGB(c);
    return { label: label(c), value: v, kind: c.verdict, text: v === null ? '-' : `${sig(v)} CPU s/GB` };
  }), { title: 'Sender CPU per GB sent, per case (user + system seconds per 1e9 bytes; lower is better)' });
  const share = (c: CaseJson): string => (c.mode === 'copy' || c.copiedShare === null ? '-' : `${Number((c.copiedShare * 100).toFixed(1))}%`);
  const rows = doc.cases.map((c) => [String(c.index), c.name, caseInterface(c), sent(c.tx), c.path === 'tx-only' ? '(none)' : sent(c.rx),
    rate(c.throughputBps), caseSecPerGB(c) === null ? '-' : sig(caseSecPerGB(c)!), c.mode === 'copy' ? '-' : formatCount(c.completions), share(c),
    c.expect ?? '-', c.verdict.toUpperCase(), c.reasons.join('; ')]);
  for (const name of doc.notRun) rows.push(['', name, '', '', '', '', '', '', '', '', 'NOT RUN', '']);
  const table = htmlTable([
    { title: '#', align: 'right' }, { title: 'case' }, { title: 'interface, mode' }, { title: 'tx sends (bytes)', align: 'right' },
    { title: 'rx (bytes)', align: 'right' }, { title: 'throughput Gbit/s (GB/s)', align: 'right' },
    { title: 'CPU s/GB', align: 'right' }, { title: 'completions', align: 'right' },
    { title: 'copied', align: 'right' }, { title: 'expected' }, { title: 'verdict' }, { title: 'why' },
  ], rows, 'cases');
  const lab = doc.lab ? `; namespaces ${doc.lab.txNs} / ${doc.lab.rxNs}, egress ${doc.lab.egressKind}` : '';
  return htmlPage({
    title: 'msg-zerocopy suite',
    meta: [
      `--api ${(doc.options.apis ?? ['msg']).join(',')}; ` +
      `families ${doc.options.families.map((f) => `ipv${f}`).join(', ')}; tests ${doc.options.tests.join(', ')}; -t ${doc.options.duration}` +
        `${doc.options.size !== null ? `; -s ${doc.options.size}` : ''}${doc.options.extra.length ? `; extra flags ${doc.options.extra.join(' ')}` : ''}`,
      `kernel ${doc.kernel}; started ${doc.startedAt}; ${(doc.durationMs / 1000).toFixed(1)} s${lab}` +
        `${doc.toolVersion ? `; msg-zerocopy ${doc.toolVersion}` : ''}`,
      ...(doc.environment ? [`environment: ${environmentLine(doc.environment)}`] : []),
    ],
    verdict: { text: `${word}: ${parts.join(', ')} of ${s.total} cases`, bad: !doc.ok },
    sections: [
      { heading: 'Throughput', html: bars },
      { heading: 'CPU per GB', html: cpu },
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
