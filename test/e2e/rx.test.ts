// SPDX-License-Identifier: GPL-2.0-only
// End to end, the tcp receiver's read modes (--rx, issue 19) between two
// namespaces over veth: with a page-sized MSS (veth MTU 61512 for IPv6,
// 61492 for IPv4: 15 x 4096 + IP header + 32 of TCP header with timestamps)
// a MSG_ZEROCOPY sender of page-multiple writes is at least 99 % mapped, a
// copying sender gets the kernel's low figure, and in every mode the
// receiver counts exactly the sender's bytes. --expect-mapped fails in one
// line when the MSS is not page-sized, and when the sender copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe as show, ours, parseJson, rxLine, sleep, txLine } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

/** The MTU that makes the MSS 15 pages: 61440 of payload, the IP header and 32 bytes of TCP header with timestamps. */
const PAGE_MTU = { 4: 61440 + 20 + 32, 6: 61440 + 40 + 32 } as const;

function setMtu(mtu: number): void {
  for (const ns of [lab().txNs, lab().rxNs]) execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', 'veth0', 'mtu', String(mtu)]);
}

interface RxRun {
  rx: Awaited<ReturnType<typeof ours>['done']>;
  tx: Awaited<ReturnType<typeof ours>['done']>;
  rxJson: Record<string, unknown>;
  txJson: Record<string, unknown>;
}

let port = 9510;

/** Until a tcp socket listens on `p` in the receiver's namespace (readiness awaited, never slept for). */
async function waitForReceiver(ns: string, p: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (execFileSync('ip', ['netns', 'exec', ns, 'ss', '-Hltn', 'sport', '=', `:${p}`], { encoding: 'utf8' }).trim()) return true;
    await sleep(20);
  }
  return false;
}

async function run(family: 4 | 6, rxArgs: string[], txArgs: string[]): Promise<RxRun> {
  const p = port++;
  const dst = lab().addr[family].dst;
  const rx = ours(lab().rxNs, [`-${family}`, '-D', dst, '-p', String(p), '-t', '2', '-r', ...rxArgs, '--json', 'tcp'], { timeoutMs: 30_000 });
  assert.ok(await waitForReceiver(lab().rxNs, p, 10_000), 'the receiver listens');
  const tx = await ours(lab().txNs, [`-${family}`, '-D', dst, '-p', String(p), '-t', '1', ...txArgs, '--json', 'tcp'], { timeoutMs: 30_000 }).done;
  const rxr = await rx.done;
  const rxJson = parseJson(rxr.stdout);
  const txJson = parseJson(tx.stdout);
  assert.ok(rxJson && txJson, `${show(rxr)}\n${show(tx)}`);
  return { rx: rxr, tx, rxJson, txJson };
}

const num = (v: unknown): number => {
  assert.equal(typeof v, 'number');
  return v as number;
};

test('IPv6, page-sized MSS: a MSG_ZEROCOPY sender of -s 61440 is at least 99 % mapped, and the bytes match exactly', async () => {
  setMtu(PAGE_MTU[6]);
  const r = await run(6, ['--rx', 'mmap', '--expect-mapped', '99'], ['-z', '-s', '61440']);
  assert.equal(r.rx.code, 0, show(r.rx));
  assert.equal(r.tx.code, 0, show(r.tx));
  const j = r.rxJson;
  assert.equal(j.rxMode, 'mmap');
  assert.ok(num(j.bytes) > 50 * 1048576, `bytes: ${j.bytes}`);
  assert.equal(j.bytes, r.txJson.bytes, 'receiver counts exactly the sender\'s bytes');
  assert.equal(num(j.bytesMapped) + num(j.bytesCopied), j.bytes);
  assert.ok(num(j.mappedPercent) >= 99, `mapped ${j.mappedPercent} %`);
  assert.equal(j.rcvMss, 61440);
  assert.ok(num(j.cpuUsPerMB) > 0);
  assert.ok(num(j.contextSwitches) >= 0);
  // The classic line keeps its shape; one line follows it.
  const lines = r.rx.stderr.trim().split('\n');
  const at = lines.findIndex((l) => /^rx=\d+ \(\d+ MB\)$/.test(l));
  assert.ok(at >= 0, r.rx.stderr);
  assert.equal(rxLine(r.rx.stderr).mb, Math.floor(num(j.bytes) / 1048576));
  assert.match(lines[at + 1], /^rx mmap: [\d.]+ % mapped \(\d+ B mapped, \d+ B copied\), rcv_mss 61440, [\d.]+ usec per MB, \d+ c-switches$/);
  assert.equal(lines.length, at + 2, r.rx.stderr);
  assert.equal(txLine(r.tx.stderr).txc > 0, true);
});

test('IPv6, page-sized MSS: a copying sender gets the low figure (nothing mapped); --expect-mapped says the sender must use -z', async () => {
  setMtu(PAGE_MTU[6]);
  const r = await run(6, ['--rx', 'mmap', '--expect-mapped', '99'], ['-s', '61440']);
  assert.equal(r.tx.code, 0, show(r.tx));
  assert.equal(r.rx.code, 1, show(r.rx));
  const j = r.rxJson;
  assert.equal(j.bytes, r.txJson.bytes);
  assert.ok(num(j.bytes) > 50 * 1048576);
  assert.ok(num(j.mappedPercent) < 1, `mapped ${j.mappedPercent} %`);
  assert.equal(j.bytesCopied, num(j.bytes) - num(j.bytesMapped));
  assert.equal(j.exitStatus, 1);
  const last = r.rx.stderr.trim().split('\n').pop()!;
  assert.match(last, /mapped [\d.e+-]+ % < expected 99 % with a page-sized MSS \(61440\) \(.*-z.*\)$/);
});

test('IPv4, page-sized MSS (MTU 61492): zerocopy sender at least 99 % mapped, bytes exact', async () => {
  setMtu(PAGE_MTU[4]);
  const r = await run(4, ['--rx', 'mmap'], ['-z', '-s', '61440']);
  assert.equal(r.rx.code, 0, show(r.rx));
  assert.equal(r.rxJson.bytes, r.txJson.bytes);
  assert.ok(num(r.rxJson.mappedPercent) >= 99, `mapped ${r.rxJson.mappedPercent} %`);
  assert.equal(r.rxJson.rcvMss, 61440);
});

for (const mode of ['copy', 'trunc'] as const) {
  test(`--rx ${mode}: the bytes match the sender's exactly; ${mode === 'copy' ? 'every byte copied' : 'nothing copied'}, nothing mapped`, async () => {
    setMtu(PAGE_MTU[6]);
    const r = await run(6, ['--rx', mode], ['-z', '-s', '61440']);
    assert.equal(r.rx.code, 0, show(r.rx));
    const j = r.rxJson;
    assert.equal(j.rxMode, mode);
    assert.equal(j.bytes, r.txJson.bytes);
    assert.ok(num(j.bytes) > 50 * 1048576);
    assert.equal(j.bytesMapped, 0);
    assert.equal(j.bytesCopied, mode === 'copy' ? j.bytes : 0);
    assert.equal(j.mappedPercent, 0);
    // No line after rx= outside mmap mode.
    assert.match(r.rx.stderr.trim(), /rx=\d+ \(\d+ MB\)$/);
  });
}

test('the selftest default (no --rx) is trunc, and its lines are unchanged', async () => {
  setMtu(PAGE_MTU[6]);
  const r = await run(6, [], ['-s', '61440']);
  assert.equal(r.rx.code, 0, show(r.rx));
  assert.equal(r.rxJson.rxMode, 'trunc');
  assert.equal(r.rxJson.bytes, r.txJson.bytes);
  assert.equal(r.rx.stderr.trim(), `rx=${rxLine(r.rx.stderr).rx} (${Math.floor(num(r.rxJson.bytes) / 1048576)} MB)`);
});

test('--expect-mapped with an MSS that is not page-sized (MTU 65535): exit 1, one line naming rcv_mss and the MTU to set', async () => {
  setMtu(65535);
  const r = await run(6, ['--rx', 'mmap', '--expect-mapped', '99'], ['-z']);
  assert.equal(r.rx.code, 1, show(r.rx));
  assert.equal(r.rxJson.bytes, r.txJson.bytes);
  assert.notEqual(num(r.rxJson.rcvMss) % 4096, 0);
  const last = r.rx.stderr.trim().split('\n').pop()!;
  assert.match(last, /^msg-zerocopy: mapped .* % < expected 99 %: rcv_mss \d+ is not a multiple of 4096, .*MTU 61512 .*IPv6.*TCP_MAXSEG 4108/);
});

test('bad settings are one line and exit 1, before any socket', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['-4', '-D', '127.0.0.1', '-r', '--rx', 'mmap', 'udp'], /^msg-zerocopy: --rx mmap: TCP_ZEROCOPY_RECEIVE maps tcp streams only, not udp \(/],
    [['-4', '-D', '127.0.0.1', '-r', '--expect-mapped', '99', 'tcp'], /^msg-zerocopy: --expect-mapped: only a zero-copy receiver maps pages \(add --rx mmap\)$/],
    [['-4', '-D', '127.0.0.1', '-r', '--rx', 'splice', 'tcp'], /^msg-zerocopy: --rx: unknown receive mode 'splice' \(give one of trunc, copy, mmap\)$/],
    [['-4', '-D', '127.0.0.1', '-r', '--rx', 'mmap', '--expect-mapped', '101', 'tcp'], /^msg-zerocopy: --expect-mapped: not a percentage/],
    [['-4', '-D', '127.0.0.1', '--rx', 'mmap', 'tcp'], /^msg-zerocopy: --rx: a receive mode is for the receiver/],
  ];
  for (const [args, re] of cases) {
    const r = await ours(null, args, { timeoutMs: 15_000 }).done;
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
    assert.match(r.stderr.trim(), re);
  }
});
