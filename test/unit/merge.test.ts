// SPDX-License-Identifier: GPL-2.0-only
// merge: which files it refuses (one line each), how reports are grouped by
// their options and versions (never mixed), how pair runs are paired and
// summarised by compare's statistics, the host environment where a report
// carries one, and the CSV and text made from the fleet document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectEnvironment } from '../../src/environment/environment.js';
import { buildFleet, hostEnvironment, pairNeighbours, type FleetRun } from '../../src/merge/fleet.js';
import { checkDocument, compatibleVersion, documentsIn, readDocuments, RefusedFile } from '../../src/merge/read.js';
import { FLEET_CSV_HEADER, fleetCsv, fleetDocument, fleetText, verdictCell } from '../../src/merge/render.js';
import { rng } from '../support/random.js';

const OURS = '0.1.0';

/** A pair --json document as pair prints it (the fields merge reads, and the rest as a real one has them). */
function pairDoc(o: {
  src?: string; dst?: string; zerocopy?: boolean; size?: number; test?: string; startedAt?: string; gbps?: number; spg?: number;
  version?: string; runtimeMs?: number; cork?: number; flows?: number; copied?: number; environment?: unknown; exitCode?: number;
} = {}): Record<string, unknown> {
  const sender = {
    role: 'sender', tool: 'msg-zerocopy', toolVersion: o.version ?? OURS, test: o.test ?? 'udp', family: 4, zerocopy: o.zerocopy ?? false,
    payloadLen: o.size ?? 65435, payloadOffset: 416, port: 8000, dst: o.dst ?? '192.0.2.2', src: o.src ?? '192.0.2.1', ifname: null,
    pinCpu: null, verbose: 0, runtimeMs: o.runtimeMs ?? 2200, cork: o.cork ?? 0, corkMixed: false, notificationLimit: 32,
    startedAt: o.startedAt ?? '2026-01-01T00:00:00.000Z', packets: 1000, bytes: 65435000, completions: o.zerocopy ? 1000 : 0,
    copiedCompletions: o.zerocopy ? (o.copied ?? 0) : 0, exitStatus: 0,
  };
  const receiver = { role: 'receiver', tool: 'msg-zerocopy', toolVersion: o.version ?? OURS, packets: 1000, bytes: 65435000 };
  return {
    tool: 'msg-zerocopy', command: 'pair', control: `${o.dst ?? '192.0.2.2'}:7999`, exitCode: o.exitCode ?? 0, sender, receiver,
    summary: {
      test: o.test ?? 'udp', flows: o.flows ?? 1,
      sender: { packets: 1000, bytes: 65435000, durationMs: 2000, throughputGbps: o.gbps ?? 10, cpuSecPerGB: o.spg ?? 0.2 },
      receiver: { packets: 1000, bytes: 65435000, durationMs: 2000, throughputGbps: o.gbps ?? 10, cpuSecPerGB: 0.1 }, loss: 0,
    },
    ...(o.environment ? { environment: o.environment } : {}),
  };
}

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof RefusedFile, `a RefusedFile, not ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return e.message;
  }
  assert.fail('not refused');
};

test('versions: the same 0.minor (or major from 1.0) reads; anything else is refused by name', () => {
  assert.ok(compatibleVersion('0.1.7', '0.1.0'));
  assert.ok(!compatibleVersion('0.2.0', '0.1.0'));
  assert.ok(compatibleVersion('1.4.0', '1.0.2'));
  assert.ok(!compatibleVersion('2.0.0', '1.9.9'));
  assert.ok(!compatibleVersion('x', '0.1.0'));
  assert.match(refusal(() => checkDocument(pairDoc({ version: '0.2.0' }), 'a.json', 1, 'a.json', OURS)),
    /^a\.json: written by msg-zerocopy 0\.2\.0; this merge \(0\.1\.0\) reads reports of 0\.1\.x: merge it with msg-zerocopy 0\.2\.x$/);
  const noVersion = pairDoc();
  delete (noVersion.sender as Record<string, unknown>).toolVersion;
  assert.match(refusal(() => checkDocument(noVersion, 'b.json', 1, 'b.json', OURS)), /without its toolVersion/);
  const mixed = pairDoc();
  (mixed.receiver as Record<string, unknown>).toolVersion = '0.3.1';
  assert.match(refusal(() => checkDocument(mixed, 'c.json', 1, 'c.json', OURS)), /its receiver ran msg-zerocopy 0\.3\.1/);
});

test('what is not a report of ours is refused with one line naming the file and why', () => {
  assert.match(refusal(() => documentsIn('', 'e.json', OURS)), /^e\.json: empty/);
  assert.match(refusal(() => documentsIn('root:x:0:0::/root:/bin/sh\n', 'passwd', OURS)), /^passwd: not a msg-zerocopy report \(no JSON object in it\)$/);
  assert.match(refusal(() => documentsIn('{"start": {}, "end": {}}', 'iperf.json', OURS)), /^iperf\.json: not a msg-zerocopy report \(it has no "tool" field\)$/);
  assert.match(refusal(() => documentsIn('{"tool": "iperf3\\u001b[31m"}', 'x.json', OURS)), /its tool is "iperf3\?\[31m"/, 'control characters are not echoed');
  assert.match(refusal(() => documentsIn('[1, 2]', 'a.json', OURS)), /a JSON array, not an object/);
  assert.match(refusal(() => documentsIn('{"tool":"msg-zerocopy","command":"suite","toolVersion":"0.1.0"}', 's.json', OURS)),
    /a msg-zerocopy suite report; merge reads the --json reports of pair, compare, sweep/);
  assert.match(refusal(() => documentsIn('{"tool":"msg-zerocopy","role":"sender","toolVersion":"0.1.0"}', 'c.json', OURS)),
    /a classic sender report/);
  assert.match(refusal(() => documentsIn('{"tool":"msg-zerocopy","command":"pair"}', 'p.json', OURS)), /without its sender, receiver and summary/);
  // a log: one bad JSON line refuses the file, naming the line
  const log = `pair: sender: ...\n${JSON.stringify(pairDoc())}\n{"tool": "msg-zero`;
  assert.match(refusal(() => documentsIn(log, 'pod.log', OURS)), /^pod\.log line 3: starts like JSON but is not/);
});

test('a pod log: every JSON line is a report, the text between them is skipped', () => {
  const log = ['tx=1 (0 MB) txc=0 zc=n', JSON.stringify(pairDoc()), 'pair: udp: 1000 datagrams sent', JSON.stringify(pairDoc({ zerocopy: true })),
    'msg-zerocopy-pod: 2 runs, 0 failed', ''].join('\n');
  const docs = documentsIn(log, 'pod.log', OURS);
  assert.deepEqual(docs.map((d) => d.line), [2, 4]);
  // a pretty-printed document is one report
  assert.equal(documentsIn(JSON.stringify(pairDoc(), null, 2), 'one.json', OURS).length, 1);
});

test('readDocuments: a missing file is one line; a refused file stops the merge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mzc-merge-'));
  try {
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(pairDoc()));
    writeFileSync(join(dir, 'bad.json'), '{"tool":"other"}');
    assert.match(refusal(() => readDocuments([join(dir, 'ok.json'), join(dir, 'nope.json')], OURS)), /nope\.json: no such file$/);
    assert.match(refusal(() => readDocuments([join(dir, 'ok.json'), join(dir, 'bad.json')], OURS)), /bad\.json: not a msg-zerocopy report/);
    assert.match(refusal(() => readDocuments([dir], OURS)), /not a regular file/);
    assert.equal(readDocuments([join(dir, 'ok.json')], OURS).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const docs = (list: Array<Record<string, unknown>>) => list.map((doc, i) => checkDocument(doc, `f${i}.json`, 1, `f${i}.json`, OURS));

test('reports whose options or versions differ are in separate groups, never in one cell', () => {
  const fleet = buildFleet(docs([
    pairDoc({ startedAt: at(0) }), pairDoc({ zerocopy: true, startedAt: at(3) }),
    pairDoc({ runtimeMs: 5200, startedAt: at(6) }), // -t 5
    pairDoc({ cork: 4, startedAt: at(9) }), // -c 4
    pairDoc({ version: '0.1.3', startedAt: at(12) }),
    pairDoc({ flows: 2, startedAt: at(15) }),
  ]));
  assert.equal(fleet.groups.length, 5);
  assert.deepEqual(fleet.groups.map((g) => g.sources.length), [2, 1, 1, 1, 1]);
  assert.equal(fleet.groups[0].options.durationSecs, 2, 'runtimeMs less the selftest\'s 200 ms');
  assert.equal(fleet.groups[1].options.durationSecs, 5);
  assert.equal(fleet.cells.length, 5, 'a cell per group (same hosts, test and size)');
  for (const c of fleet.cells) assert.equal(new Set(c.runs.map((r) => r.groupKey)).size, 1);
  const text = fleetText(fleetDocument(fleet, ['f0.json'], 6), 250);
  assert.match(text, /5 groups of options/);
  assert.match(text, /reports whose options differ are in separate groups, never summarised together/);
  assert.match(text, /group 2: pair \(two hosts\), msg-zerocopy 0\.1\.0, IPv4, -t 5 s, -P 1, -l 32, -O 416/);
  assert.match(text, /group 4: pair \(two hosts\), msg-zerocopy 0\.1\.3/);
});

test('pairs: neighbours in time of different modes; a lone run counts in the medians only', () => {
  const run = (mode: 'copy' | 'zerocopy', s: number): FleetRun => ({
    file: 'f', line: 1, groupKey: 'g', test: 'udp', size: 1, mode, source: 'a', destination: 'b', startedAt: s * 1000, ok: true, measured: true,
    bytesPerSecond: 1, secPerGB: 1, completions: null, copiedCompletions: null, rep: 0, receiverBytesPerSecond: null, loss: null,
    sourceEnvironment: null, destinationEnvironment: null,
  });
  const runs = [run('copy', 0), run('zerocopy', 1), run('copy', 2), run('copy', 3), run('zerocopy', 4), run('zerocopy', 9)];
  pairNeighbours(runs);
  assert.deepEqual(runs.map((r) => r.rep), [1, 1, 2, 3, 3, 4]);
});

test('a host pair with enough back-to-back runs gets compare\'s verdict and interval; hosts in a matrix', () => {
  const r = rng(22);
  const list: Array<Record<string, unknown>> = [];
  let s = 0;
  for (const [src, dst, factor] of [['10.0.0.1', '10.0.0.2', 0.8], ['10.0.0.3', '10.0.0.2', 1.25], ['10.0.0.1', '10.0.0.4', 1]] as const) {
    for (let k = 0; k < 8; k++) {
      const noise = 1 + 0.01 * (r() - 0.5);
      list.push(pairDoc({ src, dst, startedAt: at(s++), spg: 0.2 * noise, gbps: 10 }));
      list.push(pairDoc({ src, dst, zerocopy: true, startedAt: at(s++), spg: 0.2 * factor * (1 + 0.01 * (r() - 0.5)), gbps: 11, copied: 250 }));
    }
  }
  const fleet = buildFleet(docs(list));
  assert.equal(fleet.groups.length, 1);
  assert.equal(fleet.cells.length, 3);
  const cell = (src: string, dst: string) => fleet.cells.find((c) => c.source === src && c.destination === dst)!;
  assert.equal(cell('10.0.0.1', '10.0.0.2').summary.verdict, 'saves');
  assert.equal(cell('10.0.0.3', '10.0.0.2').summary.verdict, 'costs');
  const one = cell('10.0.0.1', '10.0.0.2').summary;
  assert.equal(one.ratio.secPerGBInterval.n, 8);
  assert.ok(one.ratio.secPerGBInterval.low! < 0.8 && one.ratio.secPerGBInterval.high! > 0.8, 'the interval holds the true ratio');
  assert.equal(one.zerocopy.copiedShare, 0.25);
  assert.match(verdictCell(one), /^saves 0\.\d+× \(0\.\d+–0\.\d+\)$/);
  const doc = fleetDocument(fleet, ['a'], list.length);
  const text = fleetText(doc, 250);
  assert.match(text, /source \\ destination\s+10\.0\.0\.2\s+10\.0\.0\.4/);
  assert.match(text, /10\.0\.0\.3\s+costs 1\.2\d+× \(1\.2\d+–1\.2\d+\)\s+·/, 'a pair never run shows as ·');
  // CSV: a row per cell and mode, the header as documented
  const rows = fleetCsv(doc).trimEnd().split('\r\n').map((l) => l.split(','));
  assert.deepEqual(rows[0], FLEET_CSV_HEADER);
  assert.equal(rows.length, 1 + 3 * 2);
  const col = (n: string): number => FLEET_CSV_HEADER.indexOf(n);
  const saves = rows.find((x) => x[col('source')] === '10.0.0.1' && x[col('destination')] === '10.0.0.2' && x[col('mode')] === 'zerocopy')!;
  assert.equal(saves[col('verdict')], 'saves');
  assert.equal(saves[col('completions_copied_share')], '0.25');
  assert.equal(Number(saves[col('bytes_per_second_median')]), 11e9 / 8);
  assert.equal(saves[col('pairs')], '8');
});

test('fewer than 6 pairs: no verdict, said so; a failed run is counted but not measured', () => {
  const fleet = buildFleet(docs([pairDoc({ startedAt: at(0) }), pairDoc({ zerocopy: true, startedAt: at(1) }),
    pairDoc({ zerocopy: true, startedAt: at(2), exitCode: 1 })]));
  const s = fleet.cells[0].summary;
  assert.equal(s.zerocopy.runs, 2);
  assert.equal(s.zerocopy.measured, 1);
  assert.match(verdictCell(s), /^no verdict \(1 pair, 6 needed\)/);
  assert.equal(fleetCsv(fleetDocument(fleet, [], 3)).split('\r\n')[1].split(',')[FLEET_CSV_HEADER.indexOf('verdict')], '');
});

test('the same report given twice (a log and the JSON taken from it) is read once', () => {
  const d = pairDoc();
  const fleet = buildFleet([...docs([d]), ...docs([d]).map((x) => ({ ...x, file: 'pod.log', line: 7 }))]);
  assert.deepEqual(fleet.duplicates, ['pod.log:7']);
  assert.equal(fleet.runs.length, 1);
});

test('environment: hosts named by their hostname and shown with kernel and NIC where a report carries it', () => {
  const env = (host: string) => ({ hostname: host, kernel: { release: '6.18.0' }, egress: { name: 'eth0', kind: 'physical', driver: 'mlx5_core', version: '6.18', firmware: '22.1' } });
  const e = hostEnvironment(env('node-a'));
  assert.deepEqual(e, { hostname: 'node-a', kernel: '6.18.0', device: 'eth0 (physical)', driver: 'mlx5_core 6.18 22.1' });
  assert.equal(hostEnvironment('nope'), null);
  const fleet = buildFleet(docs([pairDoc({ environment: { sender: env('node-a'), receiver: env('node-b') } })]));
  assert.equal(fleet.cells[0].source, 'node-a');
  assert.equal(fleet.cells[0].destination, 'node-b');
  const text = fleetText(fleetDocument(fleet, [], 1), 300);
  assert.match(text, /kernel 6\.18\.0, eth0 \(physical\) mlx5_core 6\.18 22\.1; kernel 6\.18\.0/);
  // without one: the -S address, and a source without any name stays apart per file
  const noSrc = pairDoc();
  (noSrc.sender as Record<string, unknown>).src = null;
  const f2 = buildFleet(docs([noSrc, noSrc]).map((d, i) => ({ ...d, doc: { ...d.doc, exitCode: i } })));
  assert.deepEqual(f2.cells.map((c) => c.source), ['source of f0.json', 'source of f1.json']);
});

test('compare reports: one host, each report\'s pairs kept as compare made them', () => {
  const runs = [];
  for (let rep = 1; rep <= 6; rep++) {
    for (const mode of ['copy', 'zerocopy'] as const) {
      runs.push({ size: 65435, mode, rep, ok: true, measured: true, secPerGB: mode === 'zerocopy' ? 0.17 + rep * 0.001 : 0.2, throughputBps: 1e9,
        bytesPerSecond: 1e9, completions: 10, copiedCompletions: 0 });
    }
  }
  const compare = {
    tool: 'msg-zerocopy', toolVersion: OURS, command: 'compare', options: { test: 'udp', family: 4, path: 'tx-only', duration: 1, flows: 1 },
    summaries: [], runs, environment: { hostname: 'lab-host' },
  };
  const fleet = buildFleet(docs([compare, { ...compare, options: { ...compare.options, path: 'tx-rx' } }]));
  assert.equal(fleet.groups.length, 2, 'tx-only and tx-rx apart');
  const c = fleet.cells[0];
  assert.equal(c.source, 'lab-host');
  assert.equal(c.destination, 'lab-host');
  assert.equal(c.summary.ratio.secPerGBInterval.n, 6);
  assert.equal(c.summary.verdict, 'saves');
});

test('environment: the block every report carries now (src/environment) is read: hostname and kernel', () => {
  const e = hostEnvironment(JSON.parse(JSON.stringify(collectEnvironment(null))));
  assert.equal(e?.hostname, hostname());
  assert.equal(e?.kernel, release());
});
