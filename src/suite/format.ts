// SPDX-License-Identifier: GPL-2.0-only
// Suite output: a table people read at a glance, KTAP v1 for kselftest
// runners, and JSON with every case.

import { release } from 'node:os';
import { commandHead } from '../report/envelope.js';
import { environmentOf } from '../environment/environment.js';
import type { LabInfo } from '../run/session.js';
import { droppedNote, fitTable, outputWidth, wrapText, type Column } from '../render/table.js';
import { formatByteRate, formatBytes } from '../core/units.js';
import type { SuiteCase } from './cases.js';
import { MIN_MAPPED, type CaseResult } from './runner.js';
import { PAGE_PAYLOAD, pageMtu } from '../lab/mtu.js';
import type { RxMode } from '../core/vocabulary.js';
import type { SuiteOptions } from './types.js';

export { formatBytes };

export interface SuiteSummary {
  total: number;
  pass: number;
  fail: number;
  skip: number;
  /** Planned cases that never ran (interrupted suite). */
  notRun: number;
}

export function summarize(plan: SuiteCase[], results: CaseResult[]): SuiteSummary {
  const s: SuiteSummary = { total: plan.length, pass: 0, fail: 0, skip: 0, notRun: 0 };
  for (const r of results) s[r.verdict]++;
  s.notRun = plan.length - results.length;
  return s;
}

// ---------------------------------------------------------------------------
// Numbers

export function formatCount(n: number | null): string {
  if (n === null) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** Bytes per second in SI units (GB/s = 1e9 bytes/s). */
export const formatRate = (bytesPerSecond: number | null): string => formatByteRate(bytesPerSecond);

function share(r: CaseResult): string {
  if (r.case.mode === 'copy') return '-';
  if (r.copiedShare === null) return r.completions === 0 || r.completions === null ? '-' : '?';
  const pct = r.copiedShare * 100;
  return `${pct === 0 || pct === 100 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** --rx mmap cases: ", 99.9989 % mapped" after the received bytes. */
function mapped(r: CaseResult): string {
  return r.mappedPercent === undefined || r.mappedPercent === null ? '' : `, ${Number(r.mappedPercent.toPrecision(6))} % mapped`;
}

function expectation(c: SuiteCase): string {
  if (c.mode === 'copy') return '-';
  return c.expect === 0 ? 'copied' : 'not copied';
}

// ---------------------------------------------------------------------------
// Table

// Narrower terminals wrap cells at spaces, then leave out the column whose
// content is said elsewhere first: expect (follows from the case's path), txc,
// rx, tx, copied.
const COLUMNS: Column[] = [
  { title: '#', align: 'right' },
  { title: 'case' },
  { title: 'mode' },
  { title: 'tx', align: 'right', drop: 4 },
  { title: 'rx', align: 'right', drop: 3 },
  { title: 'throughput', align: 'right' },
  { title: 'txc', align: 'right', drop: 2 },
  { title: 'copied', align: 'right', drop: 5 },
  { title: 'expect', drop: 1 },
  { title: 'verdict' },
];

export interface TableContext {
  header?: string;
  interrupted?: string | null;
  /** Columns to fit (default: the terminal's, no limit off a terminal). */
  width?: number;
}

/** A line of prose wrapped to the width, continuation lines indented. */
function wrapLine(s: string, width: number, indent = 2): string[] {
  if (!Number.isFinite(width) || [...s].length <= width) return [s];
  const [first, ...rest] = wrapText(s, width, false);
  return [first, ...wrapText(rest.join(' '), width - indent, false).map((l) => ' '.repeat(indent) + l)];
}

/** The human table, one row per case, reasons listed under it. */
export function formatTable(plan: SuiteCase[], results: CaseResult[], ctx: TableContext = {}): string {
  const width = ctx.width ?? outputWidth();
  const rows: string[][] = [];
  for (const r of results) {
    const c = r.case;
    rows.push([
      String(c.index),
      c.label,
      c.mode,
      r.tx.packets === null ? '-' : `${formatCount(r.tx.packets)} (${formatBytes(r.tx.bytes)})`,
      c.path === 'tx-only' ? '(none)' : r.rx?.packets == null || r.verdict === 'skip' ? '-'
        : `${formatCount(r.rx.packets)} (${formatBytes(r.rx.bytes)}${mapped(r)})`,
      formatRate(r.throughputBps),
      c.mode === 'copy' ? '-' : formatCount(r.completions),
      share(r),
      expectation(c),
      r.verdict.toUpperCase(),
    ]);
  }
  for (const c of plan.slice(results.length)) {
    rows.push([String(c.index), c.label, c.mode, '', '', '', '', '', expectation(c), 'NOT RUN']);
  }
  const lines: string[] = [];
  if (ctx.header) lines.push(...wrapLine(ctx.header, width));
  const table = fitTable(COLUMNS, rows, { width });
  lines.push(...table.lines);
  const dropped = droppedNote(table.dropped, width);
  if (dropped) lines.push(...dropped.split('\n'));
  const notes = results.filter((r) => r.reasons.length);
  if (notes.length) {
    lines.push('');
    for (const r of notes) {
      lines.push(...wrapLine(`${r.case.index} ${r.case.name}: ${r.verdict.toUpperCase()}: ${r.reasons.join('; ')}`, width));
    }
  }
  const s = summarize(plan, results);
  lines.push('');
  const parts = [`${s.pass} passed`, `${s.fail} failed`, `${s.skip} skipped`];
  if (s.notRun) parts.push(`${s.notRun} not run`);
  let verdict = suiteOk(plan, results) ? 'OK' : 'FAIL';
  if (ctx.interrupted) verdict = `INTERRUPTED (${ctx.interrupted})`;
  lines.push(`${verdict}: ${parts.join(', ')} of ${s.total} cases`);
  return `${lines.join('\n')}\n`;
}

/** Every planned case ran and none failed (skips are fine, as in kselftest). */
export function suiteOk(plan: SuiteCase[], results: CaseResult[]): boolean {
  return results.length === plan.length && results.every((r) => r.verdict !== 'fail') &&
    results.some((r) => r.verdict === 'pass');
}

// ---------------------------------------------------------------------------
// KTAP v1 (Documentation/dev-tools/ktap.rst)

function ktapText(s: string): string {
  // A test name or directive reason must stay on one line and must not
  // contain '#' (it starts the directive).
  return s.replace(/[\r\n]+/g, ' ').replace(/#/g, '').trim();
}

export function formatKtapHeader(total: number): string {
  return `KTAP version 1\n1..${total}\n`;
}

/** Result line(s) for one case: diagnostics first, then the test line. */
export function formatKtapResult(r: CaseResult): string {
  const c = r.case;
  const lines: string[] = [];
  const d = (s: string): void => { lines.push(`# ${ktapText(s)}`); };
  const tx = r.tx.packets === null ? '' : `tx=${r.tx.packets} bytes=${r.tx.bytes ?? '?'}`;
  const rx = r.rx && r.rx.packets !== null ? ` rx=${r.rx.packets} bytes=${r.rx.bytes ?? '?'}` : '';
  const comp = c.mode === 'zerocopy' && r.completions !== null
    ? ` txc=${r.completions} copied=${r.copiedCompletions ?? '?'}` : '';
  if ((tx || rx) && r.verdict !== 'skip') d(`${c.name}: ${tx}${rx}${comp}`.trim());
  if (r.verdict === 'fail') for (const why of r.reasons) d(`${c.name}: ${why}`);
  if (r.verdict === 'skip') {
    lines.push(`ok ${c.index} ${ktapText(c.name)} # SKIP ${ktapText(r.reasons.join('; ') || 'skipped')}`);
  } else {
    lines.push(`${r.verdict === 'pass' ? 'ok' : 'not ok'} ${c.index} ${ktapText(c.name)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Lines for cases that never ran because the suite was interrupted. */
export function formatKtapNotRun(c: SuiteCase, why: string): string {
  return `# ${ktapText(`${c.name}: not run: ${why}`)}\nnot ok ${c.index} ${ktapText(c.name)}\n`;
}

export function formatKtapTotals(plan: SuiteCase[], results: CaseResult[]): string {
  const s = summarize(plan, results);
  return `# Totals: pass:${s.pass} fail:${s.fail + s.notRun} xfail:0 xpass:0 skip:${s.skip} error:0\n`;
}

/** The whole KTAP document (used when everything is printed at the end). */
export function formatKtap(plan: SuiteCase[], results: CaseResult[], interrupted: string | null = null): string {
  let out = formatKtapHeader(plan.length);
  for (const r of results) out += formatKtapResult(r);
  for (const c of plan.slice(results.length)) out += formatKtapNotRun(c, interrupted ? `interrupted by ${interrupted}` : 'aborted');
  return out + formatKtapTotals(plan, results);
}

// ---------------------------------------------------------------------------
// JSON

function childJson(ch: CaseResult['sender']) {
  if (!ch) return null;
  return {
    argv: ch.argv,
    exitCode: ch.exitCode,
    signal: ch.signal,
    timedOut: ch.timedOut,
    killed: ch.killed,
    wallMs: ch.wallMs,
    packets: ch.packets,
    bytes: ch.bytes,
    bytesExact: ch.bytesExact,
    completions: ch.completions,
    expectedCompletions: ch.expectedCompletions,
    copiedCompletions: ch.copiedCompletions,
    zerocopiedCompletions: ch.zerocopiedCompletions,
    gaps: ch.gaps,
    zc: ch.zc,
    durationMs: ch.durationMs,
    throughputBps: ch.throughputBps,
    cpu: ch.cpu,
    error: ch.exitCode === 0 ? null : ch.errorLine,
    stderr: ch.stderr,
    report: ch.json,
  };
}

export function caseJson(r: CaseResult) {
  const c = r.case;
  return {
    index: c.index,
    name: c.name,
    family: c.family,
    test: c.test,
    mode: c.mode,
    path: c.path,
    expect: c.mode === 'zerocopy' ? (c.expect === 0 ? 'copied' : 'not-copied') : null,
    verdict: r.verdict,
    reasons: r.reasons,
    tx: r.tx,
    rx: r.rx,
    /** Sender throughput, bytes per second (throughputBps: the old name, kept for one release). */
    bytesPerSecond: r.throughputBps,
    /** Sender throughput, bits per second. */
    bitsPerSecond: r.throughputBps === null ? null : r.throughputBps * 8,
    throughputBps: r.throughputBps,
    completions: r.completions,
    copiedCompletions: r.copiedCompletions,
    zerocopiedCompletions: r.zerocopiedCompletions,
    copiedShare: r.copiedShare,
    /** --rx of the receiver (trunc: the selftest's), and with mmap the share of bytes it mapped (0 to 100). */
    rxMode: c.rx ?? 'trunc',
    mappedPercent: r.mappedPercent ?? null,
    wallMs: r.wallMs,
    sender: childJson(r.sender),
    receiver: childJson(r.receiver),
  };
}

// ---------------------------------------------------------------------------
// The whole run

/** What a finished suite run hands to its formatters. */
export interface SuiteRun {
  options: Pick<SuiteOptions, 'apis' | 'families' | 'tests' | 'duration' | 'size' | 'port' | 'extra' | 'bin' | 'flows' | 'rx'>;
  plan: SuiteCase[];
  results: CaseResult[];
  startedAt: number;
  durationMs: number;
  ok: boolean;
  exitCode: number;
  interrupted: string | null;
  error: string | null;
  lab: LabInfo | null;
}

/** The first line of the table. */
export function suiteHeader(lab: LabInfo, duration: number, flows = 1, rx: RxMode = 'trunc'): string {
  return `msg-zerocopy suite: kernel ${release()}, namespaces ${lab.txNs} / ${lab.rxNs}, egress ${lab.egressKind}, -t ${duration}` +
    (flows > 1 ? `, -P ${flows} (sums of the flows)` : '') + rxHeader(rx);
}

/** What --rx changes, said in the header (issue 19). */
export function rxHeader(rx: RxMode): string {
  if (rx === 'trunc') return '';
  if (rx === 'copy') return ', tcp received with --rx copy';
  return `, tcp received with --rx mmap: veth MTU ${pageMtu(6)} (IPv6) / ${pageMtu(4)} (IPv4) so the MSS is 15 pages, ` +
    `senders write ${PAGE_PAYLOAD} B unless --size, a zerocopy sender must be >= ${MIN_MAPPED} % mapped`;
}

/** The --json document of a suite run. */
export function suiteJson(r: SuiteRun) {
  const o = r.options;
  return {
    ...commandHead('suite' as const, release(), r.startedAt, r.durationMs),
    ok: r.ok,
    exitCode: r.exitCode,
    interrupted: r.interrupted,
    error: r.error,
    lab: r.lab,
    options: {
      apis: o.apis ?? ['msg'], families: o.families, tests: o.tests, duration: o.duration, size: o.size, port: o.port, extra: o.extra, bin: o.bin.path,
      flows: o.flows ?? 1, rx: o.rx ?? 'trunc',
    },
    /** The first case's sender environment (each case ran in the same lab). */
    environment: r.results.map((c) => environmentOf(c.sender?.json)).find((e) => e !== null) ?? null,
    summary: summarize(r.plan, r.results),
    cases: r.results.map(caseJson),
    notRun: r.plan.slice(r.results.length).map((c) => c.name),
  };
}

export type SuiteJson = ReturnType<typeof suiteJson>;
