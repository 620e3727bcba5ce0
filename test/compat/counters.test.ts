// SPDX-License-Identifier: GPL-2.0-only
// Same flags, same counters: our sender and the kernel's C sender, run one
// after the other on the same namespace pair, must report the same
// completion behaviour. Between the namespaces every zerocopy send is
// completed and copied; through the egress device (192.168.2.2 / fc::2)
// every one is completed and none copied.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createLab, type Lab } from '../../src/lab/lab.js';
import { ensureReference, referenceUnavailableReason } from '../../src/reference/reference.js';
import type { Family } from '../../src/core/vocabulary.js';
import { runPair, runTxOnly, withHostLock } from './harness.js';
import { describe as show, ourArgv, ourUnavailableReason, parseJson, rootUnavailableReason, type ProcResult, type TxLine } from '../support/proc.js';

let lab: Lab | undefined;
let cBin: string[];

before(async () => {
  const why = rootUnavailableReason() ?? (await referenceUnavailableReason()) ?? ourUnavailableReason();
  if (why) throw new Error(`counter compat tests cannot run: ${why}`);
  cBin = [(await ensureReference()).bin];
  lab = await createLab();
});

after(async () => {
  await lab?.destroy();
});

const T = { timeout: 60_000 };

function ok(r: ProcResult, line: TxLine | null, who: string): TxLine {
  assert.equal(r.code, 0, `${who} sender failed\n${show(r)}`);
  assert.ok(line, `${who}: no tx= line\n${show(r)}`);
  assert.ok(line.tx > 0, `${who}: sent nothing\n${show(r)}`);
  return line;
}

/** Our --json report, checked against our own stderr line. */
function report(r: ProcResult, line: TxLine): Record<string, number> {
  const j = parseJson(r.stdout);
  assert.ok(j, `--json printed no JSON object\n${show(r)}`);
  const n = j as Record<string, number>;
  assert.equal(n.packets, line.tx, `json packets != tx=\n${show(r)}`);
  assert.equal(n.completions, line.txc, `json completions != txc=\n${show(r)}`);
  assert.equal(Math.floor(n.bytes / 2 ** 20), line.mb, `json bytes != MB\n${show(r)}`);
  return n;
}

for (const test of ['tcp', 'udp'] as const)
  for (const family of [4, 6] as Family[]) {
    nodeTest(`tx-rx ipv${family} ${test} -z: every send completed, all copied (C and ours)`, async () => {
      const [c, ours] = await withHostLock(async () => [
        await runPair(lab!, { family, test, sender: cBin, receiver: cBin, flags: ['-z'], rxSecs: 1, txSecs: 0 }),
        await runPair(lab!, {
          family,
          test,
          sender: ourArgv(),
          receiver: cBin,
          flags: ['-z'],
          senderFlags: ['-Z', '0', '--json'],
          rxSecs: 1,
          txSecs: 0,
        }),
      ]);
      const cl = ok(c.tx, c.txLine, 'C');
      assert.equal(cl.txc, cl.tx, `C: txc != tx\n${show(c.tx)}`);
      assert.equal(cl.zc, false, `C: zc should be n\n${show(c.tx)}`);

      const ol = ok(ours.tx, ours.txLine, 'ours');
      assert.equal(ol.txc, ol.tx, `ours: txc != tx\n${show(ours.tx)}`);
      assert.equal(ol.zc, false, `ours: zc should be n\n${show(ours.tx)}`);
      assert.doesNotMatch(ours.tx.stderr, /serr: ee_code/, `ours: -Z 0 mismatch\n${show(ours.tx)}`);
      const j = report(ours.tx, ol);
      assert.equal(j.expectedCompletions, ol.tx, `json expectedCompletions\n${show(ours.tx)}`);
      assert.equal(j.copiedCompletions, ol.txc, `json copiedCompletions\n${show(ours.tx)}`);
      assert.equal(j.zerocopiedCompletions, 0, `json zerocopiedCompletions\n${show(ours.tx)}`);
      for (const r of [c, ours]) assert.equal(r.rx.code, 0, `receiver failed\n${show(r.rx)}`);
    });
  }

for (const family of [4, 6] as Family[]) {
  nodeTest(`tx-only ipv${family} udp -z via the egress device: every send completed, none copied (C and ours)`, async () => {
    const [c, ours] = await withHostLock(async () => [
      await runTxOnly(lab!, { family, test: 'udp', sender: cBin, flags: ['-z'], txSecs: 0 }),
      await runTxOnly(lab!, { family, test: 'udp', sender: ourArgv(), flags: ['-z', '-Z', '1', '--json'], txSecs: 0 }),
    ]);
    const cl = ok(c.tx, c.txLine, 'C');
    assert.equal(cl.txc, cl.tx, `C: txc != tx\n${show(c.tx)}`);
    assert.equal(cl.zc, true, `C: zc should be y (is ${lab!.egressKind} dropping the traffic?)\n${show(c.tx)}`);

    const ol = ok(ours.tx, ours.txLine, 'ours');
    assert.equal(ol.txc, ol.tx, `ours: txc != tx\n${show(ours.tx)}`);
    assert.equal(ol.zc, true, `ours: zc should be y with -Z 1\n${show(ours.tx)}`);
    const j = report(ours.tx, ol);
    assert.equal(j.zerocopiedCompletions, ol.txc, `json zerocopiedCompletions\n${show(ours.tx)}`);
    assert.equal(j.copiedCompletions, 0, `json copiedCompletions\n${show(ours.tx)}`);
  });
}

nodeTest('tx-only udp -z with the wrong expectation (-Z 0): one serr line, exit 1', async () => {
  const r = await withHostLock(() =>
    runTxOnly(lab!, { family: 4, test: 'udp', sender: ourArgv(), flags: ['-z', '-Z', '0'], txSecs: 0 }),
  );
  assert.equal(r.tx.code, 1, show(r.tx));
  const lines = r.tx.stderr.split('\n').filter((l) => l.startsWith('serr: ee_code: '));
  assert.deepEqual(lines, ['serr: ee_code: 1 != expected 0'], show(r.tx));
  assert.ok(r.txLine && r.txLine.txc === r.txLine.tx, `summary still printed with all completions\n${show(r.tx)}`);
});

nodeTest('copy mode: no completions, zc=n (C and ours)', async () => {
  const runs = await withHostLock(async () => [
    (await runPair(lab!, { family: 4, test: 'tcp', sender: cBin, receiver: cBin, rxSecs: 1, txSecs: 0 })).tx,
    (await runPair(lab!, { family: 4, test: 'tcp', sender: ourArgv(), receiver: cBin, rxSecs: 1, txSecs: 0 })).tx,
    (await runTxOnly(lab!, { family: 4, test: 'udp', sender: cBin, txSecs: 0 })).tx,
    (await runTxOnly(lab!, { family: 4, test: 'udp', sender: ourArgv(), txSecs: 0 })).tx,
  ]);
  for (const r of runs) {
    assert.equal(r.code, 0, show(r));
    assert.match(r.stderr, /^tx=[1-9]\d* \(\d+ MB\) txc=0 zc=n$/m, show(r));
  }
});

nodeTest('udp cork mixed (-c 4 -m -z): half of the calls are zerocopy (C and ours)', async () => {
  const flags = ['-z', '-c', '4', '-m', '-s', '8000'];
  const [c, ours] = await withHostLock(async () => [
    await runPair(lab!, { family: 4, test: 'udp', sender: cBin, receiver: cBin, flags, rxSecs: 1, txSecs: 0 }),
    await runPair(lab!, { family: 4, test: 'udp', sender: ourArgv(), receiver: cBin, flags, rxSecs: 1, txSecs: 0 }),
  ]);
  for (const [who, r] of [['C', c], ['ours', ours]] as const) {
    const l = ok(r.tx, r.txLine, who);
    // Every 4-call cork is 2 copy + 2 zerocopy calls (an EAGAIN inside a cork may shift one).
    assert.ok(Math.abs(l.txc * 2 - l.tx) <= 4, `${who}: txc should be half of tx\n${show(r.tx)}`);
    assert.equal(r.rx.code, 0, `receiver failed\n${show(r.rx)}`);
  }
});

function nodeTest(name: string, fn: () => Promise<void>): void {
  test(name, T, fn);
}
