// SPDX-License-Identifier: GPL-2.0-only
// Receive-side zero copy without a socket (issue 19): tcp_mmap's %g
// numbers, its lenient flags, --rx / --expect-mapped checks, the
// --expect-mapped verdict and the kernel-refusal line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ENODEV, ENOPROTOOPT, ECONNREFUSED } from '../../src/libc/constants.js';
import { formatG, mappedShortfall, rxMmapLine } from '../../src/report/rx.js';
import { atoi, FILE_SZ, parseMmapArgs } from '../../src/flags/mmap.js';
import { connectionLines } from '../../src/mmap/report.js';
import { parseClassicArgs } from '../../src/flags/classic.js';
import { zerocopyRxRefusal } from '../../src/receiver/tcp-readers.js';
import { UsageError } from '../../src/core/errors.js';
import { parseRxModes } from '../../src/core/vocabulary.js';

test("formatG prints what printf's %g prints", () => {
  const values = [32768, 99.99389, 6.737921, 40.79561, 0.045, 1234567, 0.0000123, 1907.3486, 100, 0.5, 99.99999999, 155.2];
  const c = execFileSync('printf', [values.map(() => '%g\\n').join(''), ...values.map(String)], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(values.map((v) => formatG(v)), c);
  assert.equal(formatG(0), '0');
});

test("tcp_mmap's lines, from a connection's counters", () => {
  const [a, b] = connectionLines({
    bytes: 32768 * 1048576, bytesMapped: 32768 * 1048576 - 2 * 1048576, bytesCopied: 2 * 1048576, elapsedUs: 6737920,
    userUs: 45000, sysUs: 2827000, voluntarySwitches: 65532, rcvMss: 61440, sha256Correct: null, error: null,
  });
  const gbit = execFileSync('printf', ['%g', String((32768 * 1048576 * 8) / 6737920 / 1000)], { encoding: 'utf8' });
  assert.equal(a, `received 32768 MB (99.9939 % mmap'ed) in 6.73792 s, ${gbit} Gbit`);
  assert.equal(b, '  cpu usage user:0.045 sys:2.827, 87.6465 usec per MB, 65532 c-switches, rcv_mss 61440');
  assert.deepEqual(connectionLines({ bytes: 1048576, bytesMapped: 0, bytesCopied: 0, elapsedUs: 1, userUs: 0, sysUs: 0,
    voluntarySwitches: 0, rcvMss: 0, sha256Correct: null, error: null }), [], 'nothing printed up to 1 MiB, as tcp_mmap');
});

test("mmap's flags: tcp_mmap's defaults, getopt grouping, atoi's leniency, the last of -4/-6", () => {
  const d = parseMmapArgs([]);
  assert.equal(d.family, 6);
  assert.equal(d.port, 8787);
  assert.equal(d.chunk, 512 * 1024);
  assert.equal(d.fileSize, FILE_SZ);
  assert.equal(d.server, false);
  assert.equal(d.connections, null);
  const s = parseMmapArgs(['-sz', '-p8788', '-M', '4108', '-C', '1048576', '-a', '4096', '-r', '8M', '-4']);
  assert.deepEqual([s.server, s.zerocopy, s.port, s.mss, s.chunk, s.align, s.rcvbuf, s.family], [true, true, 8788, 4108, 1048576, 4096, 8, 4]);
  assert.equal(parseMmapArgs(['-4', '-6']).family, 6);
  assert.equal(parseMmapArgs(['-6', '-4']).family, 4);
  assert.equal(atoi('  42xyz'), 42);
  assert.equal(atoi('x'), 0);
  assert.throws(() => parseMmapArgs(['-q']), UsageError);
  assert.throws(() => parseMmapArgs(['-H', '1.2.3.4']), /ipv6 parse error: 1.2.3.4/);
});

const res = { ifindex: () => 1 };
test('--rx and --expect-mapped on the classic command line', () => {
  assert.equal(parseClassicArgs(['-6', '-D', '::1', '-r', 'tcp'], res).rxMode, 'trunc');
  const m = parseClassicArgs(['-6', '-D', '::1', '-r', '--rx', 'mmap', '--expect-mapped', '99.5', 'tcp'], res);
  assert.deepEqual([m.rxMode, m.expectMapped], ['mmap', 99.5]);
  assert.equal(parseClassicArgs(['-6', '-D', '::1', '-r', '--rx', 'copy', 'tcp'], res).rxMode, 'copy');
  assert.throws(() => parseClassicArgs(['-6', '-D', '::1', '-r', '--rx', 'mmap', 'udp'], res), /--rx mmap: TCP_ZEROCOPY_RECEIVE maps tcp streams only, not udp/);
  assert.throws(() => parseClassicArgs(['-6', '-D', '::1', '-r', '--expect-mapped', '9', 'tcp'], res), /only a zero-copy receiver maps pages/);
  assert.throws(() => parseClassicArgs(['-6', '-D', '::1', '--rx', 'copy', 'tcp'], res), /for the receiver/);
  assert.deepEqual(parseRxModes('trunc, MMAP,trunc'), ['trunc', 'mmap']);
  assert.throws(() => parseRxModes('zc'), /unknown receive mode 'zc'/);
});

test('--expect-mapped verdicts: met, not page-sized (the MTU per family), page-sized but short, nothing received', () => {
  const rx = (mapped: number, copied: number, mss: number) => ({ mode: 'mmap' as const, bytesMapped: mapped, bytesCopied: copied, rcvMss: mss });
  assert.equal(mappedShortfall(99, rx(995, 5, 61440), 1000, 6), null);
  assert.equal(mappedShortfall(null, rx(0, 1000, 65483), 1000, 6), null);
  const mss = mappedShortfall(99, rx(0, 1000, 65483), 1000, 6)!;
  assert.equal(mss.exitCode, 1);
  assert.match(mss.line, /^mapped 0 % < expected 99 %: rcv_mss 65483 is not a multiple of 4096.*MTU 61512 on the path for IPv6.*TCP_MAXSEG 4108/);
  assert.match(mappedShortfall(99, rx(0, 1000, 65463), 1000, 4)!.line, /MTU 61492 on the path for IPv4/);
  assert.match(mappedShortfall(99, rx(500, 500, 61440), 1000, 6)!.line, /^mapped 50 % < expected 99 % with a page-sized MSS \(61440\).*-z/);
  assert.match(mappedShortfall(99, rx(0, 0, 0), 0, 6)!.line, /nothing was received/);
  assert.equal(rxMmapLine(rx(995, 5, 61440), 1000, { userUs: 1, sysUs: 2, voluntarySwitches: 3 }),
    'rx mmap: 99.5 % mapped (995 B mapped, 5 B copied), rcv_mss 61440, 3145.73 usec per MB, 3 c-switches');
});

test('a kernel without TCP_ZEROCOPY_RECEIVE: one line that says what to do; other errors keep their own text', () => {
  for (const [call, e] of [['mmap', ENODEV], ['getsockopt', ENOPROTOOPT]] as const) {
    const err = zerocopyRxRefusal(call, e);
    assert.equal(err.exitCode, 2);
    assert.match(err.line, /^(mmap of the tcp socket|getsockopt TCP_ZEROCOPY_RECEIVE): .+ \(this kernel has no TCP_ZEROCOPY_RECEIVE .*--rx copy or trunc\)$/);
  }
  assert.equal(zerocopyRxRefusal('getsockopt', ECONNREFUSED).hint, undefined);
});

test('--rx and --expect-mapped carried to the children a run starts (-P flows, and every ReceiverSpec)', async () => {
  const { classicArgv } = await import('../../src/run/classic.js');
  const { receiverSpecOf } = await import('../../src/flows/plan.js');
  const cfg = parseClassicArgs(['-6', '-D', '::1', '-r', '--rx', 'mmap', '--expect-mapped', '99', '-P', '2', 'tcp'], res);
  const again = parseClassicArgs(classicArgv(receiverSpecOf(cfg)), res);
  assert.deepEqual([again.rxMode, again.expectMapped, again.rx], ['mmap', 99, true]);
  const trunc = classicArgv({ role: 'receiver', family: 4, test: 'tcp', dst: '10.0.0.1', port: 1, secs: 1, json: false });
  assert.ok(!trunc.includes('--rx'), 'the selftest default adds no flag');
});

test('suite --rx: the tcp tx-rx cases of the msg plan read with it; a zerocopy sender into --rx mmap must be >= 99 % mapped', async () => {
  const { planSuite, withRx } = await import('../../src/suite/cases.js');
  const { judge, receiverSpec, senderSpec } = await import('../../src/suite/runner.js');
  const { rxHeader } = await import('../../src/suite/format.js');
  const { pageMtu } = await import('../../src/lab/mtu.js');
  const plan = withRx(planSuite(['msg', 'uring'], [6], ['tcp', 'udp']), 'mmap');
  const mm = plan.filter((c) => c.rx === 'mmap');
  assert.deepEqual(mm.map((c) => c.name), ['ipv6_tcp_copy_tx-rx_rx-mmap', 'ipv6_tcp_zerocopy_tx-rx_rx-mmap']);
  assert.deepEqual(withRx(plan, 'trunc'), plan);
  assert.deepEqual([pageMtu(6), pageMtu(4)], [61512, 61492]);
  assert.match(rxHeader('mmap'), /MTU 61512 \(IPv6\) \/ 61492 \(IPv4\).*61440 B.*>= 99 % mapped/);
  const lab = { addr: { 4: { src: '192.168.1.1', dst: '192.168.1.2', txOnly: '192.168.2.2' }, 6: { src: 'fd::1', dst: 'fd::2', txOnly: 'fc::2' } }, dev: 'veth0' } as const;
  const o = { bin: { path: 'x', node: true, expectFlag: true }, duration: 1, size: null, port: 8000, extra: [], slackMs: 0 };
  const zc = mm[1];
  const rs = receiverSpec(zc, lab, o as never);
  assert.deepEqual([rs.rxMode, rs.size, (senderSpec(zc, lab, o as never) as { size: number }).size], ['mmap', 61440, 61440]);
  const base = {
    argv: [], exitCode: 0, signal: null, timedOut: false, killed: false, wallMs: 1000, stdout: '', stderr: '', json: null,
    packets: 100, bytes: 6144000, bytesExact: true, expectedCompletions: 100, gaps: 0, zc: 'n' as const, durationMs: 1200,
    throughputBps: 1, cpu: null, errorLine: null,
  };
  const sender = { ...base, role: 'sender' as const, completions: 100, copiedCompletions: 100, zerocopiedCompletions: 0 };
  const recv = (pct: number) => ({ ...base, role: 'receiver' as const, completions: null, copiedCompletions: null,
    zerocopiedCompletions: null, mappedPercent: pct });
  assert.equal(judge(zc, sender, recv(99.999), { duration: 1 }, false).verdict, 'pass');
  const low = judge(zc, sender, recv(83.4), { duration: 1 }, false);
  assert.equal(low.verdict, 'fail');
  assert.match(low.reasons.join(';'), /receiver mapped 83\.4000 % of the bytes \(expected at least 99 %\)/);
  const copySender = { ...sender, completions: null, copiedCompletions: null, expectedCompletions: null };
  assert.equal(judge(mm[0], copySender, recv(0), { duration: 1 }, false).verdict, 'pass', 'a copying sender shows what it shows');
});

test('pair --rx: serve checks the request\'s rx and expectMapped and hands them to its receiver', async () => {
  const { checkRunRequest } = await import('../../src/pair/policy.js');
  const limits = {
    family: 4 as const, controlPort: 7999, maxPayload: 65435,
    policy: { portLo: 1024, portHi: 65535, allowRaw: false, maxSecs: 60 },
  };
  const good = { type: 'run', family: 4, test: 'tcp', senderTest: 'tcp', port: 8000, flows: 1, size: 61440, secs: 2, client: 'a',
    source: { address: '192.168.1.1', port: 40000 }, seed: null };
  const ok = (m: object) => checkRunRequest(m, limits as never);
  const a = ok({ ...good, rx: 'mmap', expectMapped: 99 });
  assert.ok(a.ok && a.req.rx === 'mmap' && a.req.expectMapped === 99);
  const b = ok(good);
  assert.ok(b.ok && b.req.rx === 'trunc' && b.req.expectMapped === null, 'absent: the selftest\'s reader');
  for (const [bad, re] of [
    [{ ...good, rx: 'splice' }, /rx must be one of trunc, copy, mmap/],
    [{ ...good, test: 'udp', senderTest: 'udp', seed: 'ab'.repeat(16), rx: 'mmap' }, /reads tcp streams only, not udp/],
    [{ ...good, rx: 'copy', expectMapped: 99 }, /with rx mmap/],
    [{ ...good, rx: 'mmap', expectMapped: 'x' }, /percentage/],
    [{ ...good, rx: 'mmap', expectMapped: 1e9 }, /percentage/],
  ] as const) {
    const r = ok(bad);
    assert.ok(!r.ok && re.test(r.reason), JSON.stringify(r));
  }
});
