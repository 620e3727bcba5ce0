// SPDX-License-Identifier: GPL-2.0-only
// Compatibility with the kernel's UDP GSO benchmark from linux 6.12
// (udpgso_bench_tx.c, udpgso_bench_rx.c and their driver udpgso_bench.sh):
//
// - the driver, unmodified and with no arguments (IPv4 and IPv6: tcp, tcp
//   zerocopy, udp, udp gso, gso zerocopy, gso timestamp and the three audit
//   cases; 18 runs, each in a namespace of its own made by in_netns.sh), passes
//   with ours as both its programs (./udpgso_bench_tx and ./udpgso_bench_rx
//   start `msg-zerocopy udpgso` and `udpgso-rx`);
// - ours into the C receiver and the C sender into ours, both ways, with the
//   audit's arithmetic checked.
// The driver's run with the C programs took 77 s on a 2-vCPU project machine;
// ours is the one run in CI (the interop cases run the C programs).
import assert from 'node:assert/strict';
import { chmod, copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { nsExecArgv, run as labRun } from '../../src/lab/exec.js';
import { ensureUdpgsoReference, referenceUnavailableReason, type Reference } from '../../src/reference/reference.js';
import { parseTxLine } from '../../src/udpgso/report.js';
import { runKernelDriver, withHostLock } from './harness.js';
import { BIN, describe as show, ourUnavailableReason, rootUnavailableReason, sleep, start, type ProcResult } from '../support/proc.js';

let ref: Reference;
let ns: string | null = null;

before(async () => {
  const why = rootUnavailableReason() ?? ourUnavailableReason() ?? (await referenceUnavailableReason());
  if (why) throw new Error(`udpgso compat tests cannot run: ${why}`);
  ref = await ensureUdpgsoReference();
  // A namespace of our own with lo up, as in_netns.sh makes, for the interop runs.
  ns = `mzc-udpgso-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await labRun(['ip', 'netns', 'add', ns]);
  await labRun(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
});

after(async () => {
  if (ns) await labRun(['ip', 'netns', 'del', ns]).catch(() => '');
});

const wrapper = (sub: string): string => `#!/bin/sh\nexec '${process.execPath}' '${BIN}' ${sub} "$@"\n`;

/** The namespaces in_netns.sh makes: ns- and six characters. */
const IN_NETNS = /^ns-[A-Za-z0-9]{6}$/;

test('kernel udpgso_bench.sh passes unmodified with ours as udpgso_bench_tx and udpgso_bench_rx', { timeout: 400_000 }, async () => {
  const r: ProcResult = await withHostLock(() => runKernelDriver(ref.udpgsoScript, 'udpgso_bench.sh', 'mzc-udpgso-driver-', 360_000,
    async (dir) => {
      await copyFile(join(ref.udpgsoDir, 'in_netns.sh'), join(dir, 'in_netns.sh'));
      for (const [name, sub] of [['udpgso_bench_tx', 'udpgso'], ['udpgso_bench_rx', 'udpgso-rx']]) {
        await writeFile(join(dir, name), wrapper(sub));
      }
      for (const f of ['in_netns.sh', 'udpgso_bench_tx', 'udpgso_bench_rx']) await chmod(join(dir, f), 0o755);
    }, IN_NETNS));
  const all = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.code, 0, `udpgso_bench.sh failed\n${show(r)}`);
  assert.match(r.stdout, /udpgso_bench\.sh: PASS=18 SKIP=0 FAIL=0/, `expected 18 passes\n${show(r)}`);
  // Three audit runs per family: three summaries each; zerocopy acks in two of them, timestamps in two.
  assert.equal(all.match(/^Summary over \d+\.\d{3} seconds\.\.\.$/gm)?.length, 6, `summaries\n${show(r)}`);
  const acks = [...all.matchAll(/^Zerocopy acks: +(\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(acks.length, 4, `zerocopy ack lines\n${show(r)}`);
  for (const a of acks) assert.ok(a > 0, 'acks counted');
  const ts = [...all.matchAll(/^Tx Timestamps: +(\d+) received +(\d+) errors$/gm)];
  assert.equal(ts.length, 4, `timestamp lines\n${show(r)}`);
  for (const m of ts) {
    assert.ok(Number(m[1]) > 0);
    assert.equal(Number(m[2]), 0);
  }
  // Every run reports once a second: at least one tx line per run of -l 3.
  const tx = all.split('\n').map(parseTxLine).filter((l) => l !== null);
  assert.ok(tx.length >= 18 * 2, `tx lines: ${tx.length}\n${show(r)}`);
  assert.doesNotMatch(r.stderr, /^\s+at .+\(.+:\d+:\d+\)$/m, `stack trace in output\n${show(r)}`);
  assert.doesNotMatch(all, /internal error/);
});

/** ss says a socket of this kind is bound to the port in our namespace. */
async function bound(kind: '-u' | '-t', port: number): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    const out = await labRun(nsExecArgv(ns!, ['ss', '-Hnl', kind, 'sport', '=', `:${port}`])).catch(() => '');
    if (out.trim()) return true;
    await sleep(20);
  }
  return false;
}

/** A receiver (C or ours) and a sender (C or ours) on loopback in our namespace; the receiver stopped with SIGINT. */
async function interop(tx: string[], rx: string[], txFlags: string[], tcp: boolean, port: number): Promise<{ tx: ProcResult; rx: ProcResult }> {
  const rxp = start(nsExecArgv(ns!, [...rx, '-p', String(port), ...(tcp ? ['-t'] : [])]), { timeoutMs: 30_000 });
  try {
    assert.ok(await bound(tcp ? '-t' : '-u', port), 'receiver bound');
    const txr = await start(nsExecArgv(ns!, [...tx, '-p', String(port), ...txFlags, ...(tcp ? ['-t'] : [])]), { timeoutMs: 30_000 }).done;
    if (!tcp) {
      await sleep(300);
      rxp.kill('SIGINT');
    }
    return { tx: txr, rx: await rxp.done };
  } finally {
    rxp.kill('SIGKILL');
  }
}

/** The audit's figures: calls and msgs from the sum line, the acks. */
function audit(r: ProcResult): { calls: number; msgs: number; acks: number | null } {
  const m = /^sum (?:udp|tcp) tx: +\d+ MB\/s +(\d+) calls \(\d+\/s\) +(\d+) msgs \(\d+\/s\)$/m.exec(r.stderr);
  assert.ok(m, `no audit summary\n${show(r)}`);
  const a = /^Zerocopy acks: +(\d+)$/m.exec(r.stderr);
  return { calls: Number(m[1]), msgs: Number(m[2]), acks: a ? Number(a[1]) : null };
}

const ours = (sub: string): string[] => [process.execPath, BIN, sub];

for (const [name, txOurs, rxOurs] of [['ours into the C receiver', true, false], ['the C sender into ours', false, true]] as const) {
  test(`interop: ${name} (udp gso zerocopy audit, tcp zerocopy audit)`, { timeout: 120_000 }, async () => {
    const tx = txOurs ? ours('udpgso') : [ref.udpgsoTx];
    const rx = rxOurs ? ours('udpgso-rx') : [ref.udpgsoRx];
    await withHostLock(async () => {
      const u = await interop(tx, rx, ['-4', '-D', '127.0.0.1', '-l', '1', '-S', '0', '-z', '-a', '-T'], false, 8101);
      assert.equal(u.tx.code, 0, show(u.tx));
      const a = audit(u.tx);
      assert.ok(a.msgs > 0);
      assert.equal(a.calls, a.msgs, 'one GSO sendmsg per buffer');
      assert.equal(a.acks, a.calls, 'one zerocopy ack per call');
      assert.match(u.tx.stderr, new RegExp(`^Tx Timestamps: +${a.calls} received +0 errors$`, 'm'));
      assert.equal(u.rx.code, 0, show(u.rx));
      // The receiver's lines: udp rx with 42 datagrams (61824 / 1472) per buffer, once the run has a whole second.
      assert.match(u.rx.stderr, /^udp rx: +\d+ MB\/s +\d+ calls\/s$/m, show(u.rx));

      const t = await interop(tx, rx, ['-6', '-D', '::1', '-l', '1', '-z', '-a'], true, 8102);
      assert.equal(t.tx.code, 0, show(t.tx));
      const b = audit(t.tx);
      assert.equal(b.acks, b.calls);
      assert.equal(t.rx.code, 0, `the tcp receiver ends at the sender's close with 0\n${show(t.rx)}`);
    });
  });
}
