// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy suite` end to end, through our own executable: the default
// suite passes with the expected copy/zerocopy split, failures and signals
// leave nothing behind, two suites run side by side, KTAP parses.
// Needs root; fails (does not skip) without it.
import { test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, describe, REPO_ROOT as ROOT, requireRoot, start, type ProcResult } from '../support/proc.js';
import { assertHostUnchanged, snapshot } from './lab-helpers.js';
import { parseKtap } from '../unit/ktap-parser.js';

const DROP_IN = join(ROOT, 'scripts', 'msg_zerocopy.sh');
let seq = 0;
/** A namespace prefix unique to this test process and run, so leftovers are attributable. */
const newPrefix = (): string => `mzt${process.pid}x${seq++}-`;

/** A program started from the repository root, with the suite's generous deadline unless told. */
const startAtRoot = (argv: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) =>
  start(argv, { cwd: ROOT, env: opts.env, timeoutMs: opts.timeoutMs ?? 180000 });

/** `msg-zerocopy suite <args>` through bin/msg-zerocopy. */
const suite = (args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }) =>
  startAtRoot([process.execPath, BIN, 'suite', ...args], opts);

function json(r: ProcResult): SuiteJson {
  try {
    return JSON.parse(r.stdout) as SuiteJson;
  } catch {
    throw new Error(`suite printed no JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

interface CaseJson {
  index: number; name: string; family: number; test: string; mode: string; path: string; verdict: string;
  reasons: string[]; tx: { packets: number; bytes: number }; rx: { packets: number; bytes: number } | null;
  completions: number | null; copiedCompletions: number | null; zerocopiedCompletions: number | null;
  copiedShare: number | null; throughputBps: number;
  sender: { exitCode: number; argv: string[]; report: Record<string, unknown> | null } | null;
}
interface SuiteJson {
  ok: boolean; exitCode: number; interrupted: string | null; error: string | null;
  lab: { txNs: string; rxNs: string; egressKind: string };
  summary: { total: number; pass: number; fail: number; skip: number; notRun: number };
  cases: CaseJson[]; notRun: string[];
}

before(() => {
  requireRoot();
  // The suite runs the compiled CLI; make the failure obvious when it is missing.
  assert.ok(BIN.endsWith('bin/msg-zerocopy'));
});

test('default suite passes: tx-rx completions all copied, tx-only none copied', async (t: TestContext) => {
  const host = await snapshot();
  const prefix = newPrefix();
  const r = await suite(['--json', '--prefix', prefix]).done;
  const doc = json(r);
  assert.equal(r.code, 0, `${r.stderr}\n${doc.cases.filter((c) => c.verdict !== 'pass').map((c) => `${c.name}: ${c.reasons}`).join('\n')}`);
  assert.equal(doc.ok, true);
  assert.equal(doc.exitCode, 0);
  assert.equal(doc.interrupted, null);
  assert.equal(doc.error, null);
  assert.ok(doc.lab.txNs.startsWith(prefix));
  assert.deepEqual(doc.summary, { total: 12, pass: 12, fail: 0, skip: 0, notRun: 0 });
  assert.deepEqual(doc.cases.map((c) => c.name), [
    'ipv4_tcp_copy_tx-rx', 'ipv4_tcp_zerocopy_tx-rx', 'ipv6_tcp_copy_tx-rx', 'ipv6_tcp_zerocopy_tx-rx',
    'ipv4_udp_copy_tx-rx', 'ipv4_udp_copy_tx-only', 'ipv4_udp_zerocopy_tx-rx', 'ipv4_udp_zerocopy_tx-only',
    'ipv6_udp_copy_tx-rx', 'ipv6_udp_copy_tx-only', 'ipv6_udp_zerocopy_tx-rx', 'ipv6_udp_zerocopy_tx-only',
  ]);
  for (const c of doc.cases) {
    assert.ok(c.tx.packets > 0, `${c.name}: sent`);
    assert.ok(c.throughputBps > 0, `${c.name}: throughput`);
    assert.ok(c.sender?.report, `${c.name}: our CLI printed a JSON report`);
    if (c.path === 'tx-rx') assert.ok((c.rx?.packets ?? 0) > 0, `${c.name}: received`);
    else assert.equal(c.rx, null);
    if (c.test === 'tcp') assert.equal(c.rx?.bytes, c.tx.bytes, `${c.name}: every tcp byte arrived`);
    if (c.mode === 'copy') {
      assert.equal(c.completions, 0, `${c.name}: no completions without -z`);
      continue;
    }
    assert.ok((c.completions ?? 0) > 0, `${c.name}: completions`);
    assert.equal(c.completions, c.tx.packets, `${c.name}: one completion per send`);
    if (c.path === 'tx-rx') {
      assert.equal(c.copiedCompletions, c.completions, `${c.name}: local delivery is always copied`);
      assert.equal(c.zerocopiedCompletions, 0);
      assert.equal(c.copiedShare, 1);
    } else {
      assert.equal(c.copiedCompletions, 0, `${c.name}: traffic leaving through a device is not copied`);
      assert.equal(c.zerocopiedCompletions, c.completions);
      assert.equal(c.copiedShare, 0);
    }
    assert.ok(c.sender?.argv.includes('-Z'), 'expectation passed to the sender');
  }
  await assertHostUnchanged(host, (n) => n.startsWith(prefix), (s) => t.diagnostic(s));
});

test('a failing case (impossible expectation forced through --extra) exits non-zero and leaves nothing', async (t: TestContext) => {
  const host = await snapshot();
  const prefix = newPrefix();
  // -Z 1 after the suite's own -Z 0: local delivery can never be "not copied".
  const r = await suite(['--json', '--prefix', prefix, '--family', '4', '--tests', 'udp', '--extra', '-Z 1']).done;
  const doc = json(r);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.summary, { total: 4, pass: 3, fail: 1, skip: 0, notRun: 0 });
  const failed = doc.cases.filter((c) => c.verdict === 'fail');
  assert.deepEqual(failed.map((c) => c.name), ['ipv4_udp_zerocopy_tx-rx']);
  assert.deepEqual(failed[0].reasons, ['sender exited 1: serr: ee_code: 0 != expected 1']);
  await assertHostUnchanged(host, (n) => n.startsWith(prefix), (s) => t.diagnostic(s));
});

test('on a terminal: a progress line per case, erased before the table; --no-progress and pipes get none', async (t: TestContext) => {
  const host = await snapshot();
  // script(1) runs the suite on a pseudo-terminal (stdout and stderr both) and copies what it wrote.
  const onTty = async (extra: string[]) => {
    const prefix = newPrefix();
    const cmd = [process.execPath, BIN, 'suite', '--prefix', prefix, '--family', '4', '--tests', 'udp', '-t', '0', ...extra]
      .map((a) => `'${a}'`).join(' ');
    const r = await startAtRoot(['script', '-qec', cmd, '/dev/null']).done;
    assert.equal(r.code, 0, describe(r));
    return r.stdout.replace(/\r\n/g, '\n');
  };
  const ERASE = '\r\x1b[K';
  const shown = await onTty([]);
  const updates = shown.split(ERASE).slice(1);
  assert.equal(updates[0], 'setting up namespaces…');
  const cases = [...new Set(updates.map((u) => /^\[(\d)\/4\] (ipv4 udp \S+ \S+) … \d+\.\d s$/.exec(u)).filter(Boolean).map((m) => `${m![1]} ${m![2]}`))];
  assert.deepEqual(cases, ['1 ipv4 udp tx-rx copy', '2 ipv4 udp tx-only copy', '3 ipv4 udp tx-rx zerocopy', '4 ipv4 udp tx-only zerocopy']);
  // The last erase leaves a clean line: the table starts right after it.
  assert.match(updates[updates.length - 1], /^msg-zerocopy suite: kernel /);
  assert.match(shown, /\nOK: 4 passed, 0 failed, 0 skipped of 4 cases\n/);

  const quiet = await onTty(['--no-progress']);
  assert.ok(!quiet.includes('\x1b['), `escape sequences with --no-progress: ${JSON.stringify(quiet.slice(0, 200))}`);
  assert.match(quiet, /^msg-zerocopy suite: kernel /);
  assert.match(quiet, /\nOK: 4 passed, 0 failed, 0 skipped of 4 cases\n/);

  const piped = await suite(['--prefix', newPrefix(), '--family', '4', '--tests', 'udp', '-t', '0']).done;
  assert.equal(piped.code, 0, describe(piped));
  assert.ok(!piped.stdout.includes('\x1b[') && !piped.stderr.includes('\x1b['), 'no escape sequences into a pipe');
  await assertHostUnchanged(host, (n) => n.startsWith(`mzt${process.pid}x`), (s) => t.diagnostic(s));
});

test('SIGINT one second in: partial results printed, exit 130, nothing left behind', async (t: TestContext) => {
  const host = await snapshot();
  const prefix = newPrefix();
  const run = suite(['--prefix', prefix]);
  await new Promise((r) => setTimeout(r, 1000));
  run.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0], new RegExp(`^msg-zerocopy suite: .*namespaces ${prefix}[0-9a-f]{6}-tx`));
  assert.match(lines[1], /^\s*#\s+case\s+mode\s+tx\s+rx\s+throughput\s+txc\s+copied\s+expect\s+verdict$/);
  assert.equal(lines.filter((l) => /^\s*\d+\s+ipv[46] /.test(l)).length, 12, 'a row for every planned case');
  assert.ok(lines.some((l) => /NOT RUN$/.test(l)));
  assert.match(lines[lines.length - 1], /^INTERRUPTED \(SIGINT\): \d+ passed, 0 failed, 0 skipped, \d+ not run of 12 cases$/);
  await assertHostUnchanged(host, (n) => n.startsWith(prefix), (s) => t.diagnostic(s));
});

test('SIGTERM during a --ktap run: the KTAP document is still complete, exit 143', async (t: TestContext) => {
  const host = await snapshot();
  const prefix = newPrefix();
  const run = suite(['--ktap', '--prefix', prefix, '--tests', 'udp']);
  // Signal once the first case has reported, however long the lab took to build.
  await run.waitFor(/^ok 1 /m, 'stdout');
  run.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143, r.stderr);
  const doc = parseKtap(r.stdout);
  assert.equal(doc.plan, 8);
  assert.ok(doc.results.some((x) => x.ok), 'at least one case finished before the signal');
  assert.ok(doc.results.some((x) => !x.ok && x.diagnostics.some((d) => /interrupted by SIGTERM/.test(d))));
  assert.equal(doc.totals?.pass, doc.results.filter((x) => x.ok).length);
  await assertHostUnchanged(host, (n) => n.startsWith(prefix), (s) => t.diagnostic(s));
});

test('two suites at once both pass: the drop-in script (table) and --ktap', async (t: TestContext) => {
  const host = await snapshot();
  const p1 = newPrefix();
  const p2 = newPrefix();
  const a = startAtRoot(['bash', DROP_IN], { env: { MSG_ZEROCOPY_SUITE_OPTS: `--prefix ${p1}` } });
  const b = suite(['--ktap', '--prefix', p2]);
  const [ra, rb] = await Promise.all([a.done, b.done]);

  assert.equal(ra.code, 0, `drop-in: ${ra.stdout}\n${ra.stderr}`);
  const linesA = ra.stdout.trimEnd().split('\n');
  assert.equal(linesA[linesA.length - 1], 'OK. All tests passed');
  assert.equal(linesA[linesA.length - 2], 'OK: 12 passed, 0 failed, 0 skipped of 12 cases');
  const rows = linesA.filter((l) => /^\s*\d+\s+ipv[46] /.test(l));
  assert.equal(rows.length, 12);
  for (const row of rows) {
    assert.match(row, /PASS$/);
    if (/tx-rx\s+zerocopy/.test(row)) assert.match(row, /\s100%\s+copied\s+PASS$/);
    if (/tx-only\s+zerocopy/.test(row)) assert.match(row, /\s0%\s+not copied\s+PASS$/);
  }

  assert.equal(rb.code, 0, `ktap: ${rb.stdout}\n${rb.stderr}`);
  const doc = parseKtap(rb.stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.plan, 12);
  assert.ok(doc.results.every((x) => x.ok && x.directive === null), rb.stdout);
  assert.equal(doc.results[7].name, 'ipv4_udp_zerocopy_tx-only');
  assert.match(doc.results[7].diagnostics.join('\n'), /txc=\d+ copied=0/);
  assert.match(doc.results[6].diagnostics.join('\n'), /tx=(\d+) .*txc=\1 copied=\1/);
  assert.deepEqual(doc.totals, { pass: 12, fail: 0, xfail: 0, xpass: 0, skip: 0, error: 0 });
  await assertHostUnchanged(host, (n) => n.startsWith(p1) || n.startsWith(p2), (s) => t.diagnostic(s));
});

test('raw and packet tests: zerocopy either passes or is skipped with the kernel\'s reason', async (t: TestContext) => {
  const host = await snapshot();
  const prefix = newPrefix();
  const r = await suite(['--ktap', '--prefix', prefix, '--family', '4', '--tests', 'raw,packet']).done;
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const doc = parseKtap(r.stdout);
  assert.equal(doc.plan, 8);
  for (const x of doc.results) {
    assert.ok(x.ok, `${x.name}: ${x.diagnostics.join(' | ')}`);
    if (x.name.includes('_copy_')) assert.equal(x.directive, null, `${x.name}: copy mode always runs`);
    if (x.directive === 'SKIP') {
      assert.match(x.name, /_zerocopy_/);
      assert.match(x.reason ?? '', /^SO_ZEROCOPY not supported on (raw|packet) sockets by this kernel \(.*Operation not supported.*\)$/);
    }
  }
  await assertHostUnchanged(host, (n) => n.startsWith(prefix), (s) => t.diagnostic(s));
});

test('a child that hangs is killed at its deadline; the case fails, nothing is left', async (t: TestContext) => {
  const host = await snapshot();
  const prefix = newPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'mzc-suite-'));
  try {
    // A "binary" that ignores SIGTERM and never ends (it also leaves a grandchild behind).
    const hang = join(dir, 'hang.sh');
    writeFileSync(hang, '#!/bin/bash\ntrap "" TERM\nsleep 600 &\nwhile :; do sleep 1; done\n');
    chmodSync(hang, 0o755);
    chmodSync(dir, 0o755);
    const started = Date.now();
    const r = await suite(['--json', '--prefix', prefix, '--bin', hang, '--family', '4', '--tests', 'udp', '-t', '0',
      '--slack', '300']).done;
    const doc = json(r);
    assert.equal(r.code, 1);
    assert.deepEqual(doc.summary, { total: 4, pass: 0, fail: 4, skip: 0, notRun: 0 });
    for (const c of doc.cases) assert.match(c.reasons.join('; '), /passed its deadline and was killed/, c.name);
    assert.ok(Date.now() - started < 30000, 'deadlines kept the run short');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await assertHostUnchanged(host, (n) => n.startsWith(prefix), (s) => t.diagnostic(s));
});

test('bad options fail fast with one line and create nothing', async (t: TestContext) => {
  const host = await snapshot();
  for (const args of [['--family', '5'], ['--tests', 'rds'], ['--json', '--ktap'], ['-t', 'x']]) {
    const r = await suite(args).done;
    assert.notEqual(r.code, 0, args.join(' '));
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.trim().length > 0);
  }
  // The classic command's ranges and rules, checked before any namespace exists.
  const big = await suite(['-s', '65500']).done;
  assert.equal(big.code, 1);
  assert.equal(big.stdout, '');
  assert.match(big.stderr, /^msg-zerocopy: .*--size: '65500' is out of range 0\.\.65435.*\n$/);
  const kib = await suite(['-s', '64K', '-t', 'x']).done;
  assert.match(kib.stderr, /--size: '64K' \(65536 bytes\) is out of range 0\.\.65435/, 'K is 1024, as iperf3');
  const cork = await suite(['--extra', '-c 4']).done;
  assert.equal(cork.code, 1);
  // Issue 21: an error in --extra names --extra and what was given there.
  assert.equal(cork.stderr, "msg-zerocopy: --extra '-c 4': can only cork udp sockets (-c works with the udp test only)\n");
  const zero = await suite(['-t', 'x', '-s', '0']).done;
  assert.doesNotMatch(zero.stderr, /--size/, '-s 0 is accepted, as by the classic command');
  await assertHostUnchanged(host, () => false, (s) => t.diagnostic(s));
});

test('drop-in: usage and argument checks as the kernel driver', async () => {
  const usage = await startAtRoot(['bash', DROP_IN, '4']).done;
  assert.equal(usage.code, 1);
  assert.match(usage.stdout, /^Usage: .*msg_zerocopy\.sh \[4\|6\] \[tcp\|udp\|raw\|raw_hdrincl\|packet\|packet_dgram\] <args>$/m);
  const badIp = await startAtRoot(['bash', DROP_IN, '5', 'udp']).done;
  assert.equal(badIp.code, 1);
  assert.equal(badIp.stdout.trim(), 'Invalid IP version 5');
});
