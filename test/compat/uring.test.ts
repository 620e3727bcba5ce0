// SPDX-License-Identifier: GPL-2.0-only
// Compatibility with the kernel's io_uring zerocopy selftest from linux
// 6.12 (io_uring_zerocopy_tx.c and its driver io_uring_zerocopy_tx.sh):
//
// - the driver, unmodified and with no arguments (IPv4 and IPv6, modes 1-3,
//   udp -n 32 and tcp -n 1), passes with the C programs (control) and with
//   ours as both its sender (scripts/io_uring_zerocopy_tx) and its receiver;
// - ours into the C receiver and the C io_uring sender into ours;
// - same flags, same counters: the C sender and ours, one after the other,
//   print lines that obey the same arithmetic, and ours accounts every
//   notification.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Family, UringTest } from '../../src/core/vocabulary.js';
import { nsExecArgv } from '../../src/lab/exec.js';
import { createLab, type Lab } from '../../src/lab/lab.js';
import { ensureUringReference, type Reference } from '../../src/reference/reference.js';
import { parseUringLine } from '../../src/uring/report.js';
import { readyReceiver, runKernelDriver, withHostLock } from './harness.js';
import {
  BIN, REPO_ROOT, describe as show, ourArgv, ourUnavailableReason, parseJson, parseRx, rootUnavailableReason, start,
  type ProcResult,
} from '../support/proc.js';

let ref: Reference;
let lab: Lab | undefined;

before(async () => {
  const why = rootUnavailableReason() ?? ourUnavailableReason();
  if (why) throw new Error(`io_uring compat tests cannot run: ${why}`);
  ref = await ensureUringReference();
  lab = await createLab();
});

after(async () => {
  await lab?.destroy();
});

/** `bash ./io_uring_zerocopy_tx.sh` (no arguments) in a folder where ./io_uring_zerocopy_tx and ./msg_zerocopy are the given programs. */
function runDriver(tx: string, rx: string): Promise<ProcResult> {
  return runKernelDriver(ref.uringScript, 'io_uring_zerocopy_tx.sh', 'mzc-uring-driver-', 240_000, async (dir) => {
    await symlink(tx, join(dir, 'io_uring_zerocopy_tx'));
    await symlink(rx, join(dir, 'msg_zerocopy'));
  });
}

function checkDriver(r: ProcResult): void {
  const all = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.code, 0, `io_uring_zerocopy_tx.sh failed\n${show(r)}`);
  assert.match(r.stdout, /^OK\. All tests passed$/m, `no success line\n${show(r)}`);
  // 2 families x 3 modes x (udp, tcp): 12 senders and 12 receivers reported.
  const tx = all.split('\n').map((l) => parseUringLine(l)).filter((l) => l !== null);
  const rx = all.split('\n').map((l) => parseRx(l)).filter((l) => l !== null);
  assert.equal(tx.length, 12, `expected 12 sender lines\n${show(r)}`);
  assert.equal(rx.length, 12, `expected 12 receiver lines\n${show(r)}`);
  for (const t of tx) {
    assert.ok(t.packets > 0, `a sender sent nothing\n${show(r)}`);
    assert.equal(t.packetsPerSec, t.packets, 'with -t 1 the C arithmetic divides by 1 s');
  }
  for (const x of rx) assert.ok(x.rx > 0, `a receiver got nothing\n${show(r)}`);
  assert.doesNotMatch(r.stderr, /^\s+at .+\(.+:\d+:\d+\)$/m, `stack trace in output\n${show(r)}`);
}

test('kernel io_uring_zerocopy_tx.sh passes with the C programs (control)', { timeout: 300_000 }, async () => {
  checkDriver(await withHostLock(() => runDriver(ref.uringBin, ref.bin)));
});

test('kernel io_uring_zerocopy_tx.sh passes with ours as sender (scripts/io_uring_zerocopy_tx) and receiver', { timeout: 300_000 }, async () => {
  if (process.env.MSG_ZEROCOPY_OURS) {
    // A substitute executable (dry runs, another build): a wrapper adds `uring` for it.
    const dir = await mkdtemp(join(tmpdir(), 'mzc-uring-wrap-'));
    try {
      const w = join(dir, 'tx');
      await writeFile(w, `#!/bin/sh\nexec '${process.env.MSG_ZEROCOPY_OURS}' uring "$@"\n`);
      await chmod(w, 0o755);
      checkDriver(await withHostLock(() => runDriver(w, process.env.MSG_ZEROCOPY_OURS!)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return;
  }
  checkDriver(await withHostLock(() => runDriver(join(REPO_ROOT, 'scripts', 'io_uring_zerocopy_tx'), BIN)));
});

/** io_uring sender argv: ours (`uring`) or the C program. */
const senders = {
  ours: (): string[] => [...ourArgv(), 'uring'],
  C: (): string[] => [ref.uringBin],
};
const receivers = {
  ours: (): string[] => ourArgv(),
  C: (): string[] => [ref.bin],
};

let nextPort = 9400;
interface Pair { tx: ProcResult; rx: ProcResult }

/** A receiver in the rx namespace (-t 2), ready, then an io_uring sender (-t 1) with `flags`: the driver's do_test. */
async function pair(fam: Family, test: UringTest, sender: string[], receiver: string[], flags: string[], size?: number): Promise<Pair> {
  const port = nextPort++;
  const a = lab!.addr[fam];
  const sz = size === undefined ? [] : ['-s', String(size)];
  const rx = await readyReceiver(lab!, receiver, { role: 'receiver', family: fam, test, port, secs: 2, size, dst: a.dst, json: false });
  try {
    const tx = await start(nsExecArgv(lab!.txNs, [...sender, `-${fam}`, '-p', String(port), '-t', '1', ...sz, '-D', a.dst, ...flags, test]),
      { timeoutMs: 30_000 }).done;
    return { tx, rx: await rx.done };
  } finally {
    rx.kill();
  }
}

function checkPair(p: Pair, test: UringTest, size: number): void {
  const ctx = `\n--- receiver\n${show(p.rx)}\n--- sender\n${show(p.tx)}`;
  assert.equal(p.tx.code, 0, `sender failed${ctx}`);
  assert.equal(p.rx.code, 0, `receiver failed${ctx}`);
  const t = parseUringLine(p.tx.stderr);
  const x = parseRx(p.rx.stderr);
  assert.ok(t && x, `missing lines${ctx}`);
  assert.ok(t.packets > 0 && x.rx > 0, `nothing went through${ctx}`);
  if (test === 'tcp') {
    assert.equal(x.mb, t.mb, `tcp: receiver MB != sender MB${ctx}`);
  } else {
    assert.ok(x.rx <= t.packets, `more datagrams received than sent${ctx}`);
    assert.equal(t.mb, Math.floor((t.packets * size) / 2 ** 20), `sender MB is not packets x ${size}${ctx}`);
    assert.equal(x.mb, Math.floor((x.rx * size) / 2 ** 20), `receiver MB is not packets x ${size}${ctx}`);
  }
}

describe('interop with the C programs between two namespaces', () => {
  for (const [s, r] of [['ours', 'C'], ['C', 'ours']] as const)
    for (const test of ['tcp', 'udp'] as const)
      for (const fam of [4, 6] as const) {
        const flags = test === 'udp' ? ['-m', '2', '-n', '32'] : ['-m', '2', '-n', '1'];
        it(`${s} io_uring sender -> ${r} receiver: ipv${fam} ${test} ${flags.join(' ')}`, async () => {
          const p = await withHostLock(() => pair(fam, test, senders[s](), receivers[r](), flags, test === 'udp' ? 8000 : undefined));
          checkPair(p, test, test === 'udp' ? 8000 : 65435);
        });
      }
});

describe('same flags, same counters: the C io_uring sender and ours, tx-only udp', () => {
  for (const mode of ['0', '1', '2', '3']) {
    it(`-m ${mode} -n 32 -s 1000 -t 1`, async () => {
      const flags = ['-4', '-D', lab!.addr[4].txOnly, '-t', '1', '-m', mode, '-n', '32', '-s', '1000'];
      const [c, o] = await withHostLock(async () => [
        await start(nsExecArgv(lab!.txNs, [...senders.C(), ...flags, 'udp']), { timeoutMs: 30_000 }).done,
        await start(nsExecArgv(lab!.txNs, [...senders.ours(), ...flags, '--json', 'udp']), { timeoutMs: 30_000 }).done,
      ]);
      for (const r of [c, o]) {
        assert.equal(r.code, 0, show(r));
        const l = parseUringLine(r.stderr);
        assert.ok(l, `no line\n${show(r)}`);
        assert.equal(r.stderr.trim().split('\n').length, 1, `one line only\n${show(r)}`);
        assert.ok(l.packets > 1000, show(r));
        assert.equal(l.mb, Math.floor((l.packets * 1000) / 2 ** 20), show(r));
        assert.deepEqual([l.packetsPerSec, l.mbPerSec], [l.packets, l.mb], `rates over 1 s\n${show(r)}`);
      }
      const j = parseJson(o.stdout) as Record<string, number> | null;
      assert.ok(j, show(o));
      assert.equal(j.packets, parseUringLine(o.stderr)!.packets);
      assert.equal(j.completions, j.expectedCompletions, show(o));
      if (mode === '0') assert.equal(j.completions, 0);
      else assert.equal(j.zerocopiedCompletions, j.completions, `tx-only: none copied\n${show(o)}`);
      if (mode === '1' || mode === '2') assert.equal(j.completions, j.packets);
    });
  }

  it('bad input: both exit 1 (the C tool with its error(3) line)', async () => {
    for (const args of [['-4', '-D', '192.168.2.2', '-s', '70000', 'udp'], ['-4', '-D', '192.168.2.2', 'raw']]) {
      const [c, o] = [await start([...senders.C(), ...args]).done, await start([...senders.ours(), ...args]).done];
      assert.equal(c.code, 1, show(c));
      assert.equal(o.code, 1, show(o));
      const text = c.stderr.replace(/^[^:]*: /, '').trim(); // error(3) prefixes the program name
      assert.ok(o.stderr.includes(text), `ours should say what C says (${text})\n${show(o)}`);
    }
  });
});

function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 60_000 }, fn);
}
