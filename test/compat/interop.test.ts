// SPDX-License-Identifier: GPL-2.0-only
// Interop with the kernel's C selftest between two namespaces, both ways:
// our sender into the C receiver and the C sender into our receiver. The
// receivers check every datagram's length and payload pattern (tcp: count
// bytes), both programs must exit 0, and the byte counts of the two sides
// must agree.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { createLab, type Lab } from '../../src/lab/lab.js';
import { ensureReference, referenceUnavailableReason } from '../../src/reference/reference.js';
import type { Family, TestName } from '../../src/core/vocabulary.js';
import { runPair, runTxOnly, withHostLock, type PairResult } from './harness.js';
import { describe as show, ourArgv, ourUnavailableReason, rootUnavailableReason } from '../support/proc.js';

let lab: Lab | undefined;
let cBin: string[];

before(async () => {
  const why = rootUnavailableReason() ?? (await referenceUnavailableReason()) ?? ourUnavailableReason();
  if (why) throw new Error(`interop tests cannot run: ${why}`);
  cBin = [(await ensureReference()).bin];
  lab = await createLab();
});

after(async () => {
  await lab?.destroy();
});

const PAYLOAD = 65435; // the default -s of both programs

/** Bytes a sender's sendmsg returns beyond the payload: the headers it builds itself. */
function builtHeaders(test: TestName, family: Family): number {
  const ip = family === 4 ? 20 : 40;
  if (test === 'packet') return 14 + ip;
  if (test === 'packet_dgram' || test === 'raw_hdrincl') return ip;
  return 0;
}

function check(r: PairResult, test: TestName, family: Family, zerocopy: boolean): void {
  const ctx = `\n--- receiver\n${show(r.rx)}\n--- sender\n${show(r.tx)}`;
  assert.equal(r.tx.code, 0, `sender failed${ctx}`);
  assert.equal(r.rx.code, 0, `receiver failed${ctx}`);
  assert.ok(r.txLine, `no tx= line${ctx}`);
  assert.ok(r.rxLine, `no rx= line${ctx}`);
  const { txLine: t, rxLine: x } = r;
  assert.ok(t.tx > 0 && x.rx > 0, `nothing went through${ctx}`);
  if (test === 'tcp') {
    // A stream delivers every byte: the MB counts must be identical.
    assert.equal(x.mb, t.mb, `rx MB != tx MB${ctx}`);
  } else {
    // Datagrams may be dropped when the receive buffer is full, never invented;
    // each one the receiver counted had the right length and pattern.
    assert.ok(x.rx <= t.tx, `receiver counted more datagrams than were sent${ctx}`);
    assert.ok(x.mb <= t.mb, `rx MB > tx MB${ctx}`);
    const sent = PAYLOAD + builtHeaders(test, family);
    assert.equal(t.mb, Math.floor((t.tx * sent) / 2 ** 20), `sender byte count is not packets x ${sent}${ctx}`);
    assert.equal(x.mb, Math.floor((x.rx * PAYLOAD) / 2 ** 20), `receiver byte count is not packets x payload${ctx}`);
    assert.ok(x.rx >= t.tx * 0.1, `receiver lost more than 90% of the datagrams${ctx}`);
  }
  if (zerocopy) {
    assert.equal(t.txc, t.tx, `-z: completions != sends${ctx}`);
    assert.equal(t.zc, false, `-z between namespaces is always copied${ctx}`);
  } else {
    assert.equal(t.txc, 0, `copy mode reported completions${ctx}`);
  }
}

const directions = [
  { name: 'ours -> C', sender: () => ourArgv(), receiver: () => cBin },
  { name: 'C -> ours', sender: () => cBin, receiver: () => ourArgv() },
];

describe('interop tcp/udp', () => {
  for (const d of directions)
    for (const test of ['tcp', 'udp'] as const)
      for (const family of [4, 6] as Family[])
        for (const zerocopy of [false, true]) {
          const name = `${d.name}: ipv${family} ${test} ${zerocopy ? 'zerocopy' : 'copy'}`;
          it(name, async () => {
            const r = await withHostLock(() =>
              runPair(lab!, {
                family,
                test,
                sender: d.sender(),
                receiver: d.receiver(),
                flags: zerocopy ? ['-z'] : [],
                rxSecs: 1,
                txSecs: 0,
              }),
            );
            check(r, test, family, zerocopy);
          });
        }
});

describe('interop raw and packet senders into a raw receiver (copy mode)', () => {
  for (const d of directions)
    for (const test of ['raw', 'raw_hdrincl', 'packet', 'packet_dgram'] as const)
      for (const family of [4, 6] as Family[]) {
        it(`${d.name}: ipv${family} ${test}`, async () => {
          const r = await withHostLock(() =>
            runPair(lab!, { family, test, sender: d.sender(), receiver: d.receiver(), rxSecs: 1, txSecs: 0 }),
          );
          check(r, test, family, false);
        });
      }
});

describe('empty sends (-s 0) are accepted as by the C tool', () => {
  // The C tool takes -s 0: every sendmsg carries no payload, nothing is
  // counted as sent, the receiver validates zero-length datagrams, and both
  // exit 0. With -z, udp still takes a notification id per empty send.
  for (const d of directions)
    for (const test of ['tcp', 'udp'] as const) {
      it(`${d.name}: ipv4 ${test} -z -s 0`, async () => {
        const r = await withHostLock(() =>
          runPair(lab!, { family: 4, test, sender: d.sender(), receiver: d.receiver(), flags: ['-z', '-s', '0'], rxSecs: 1, txSecs: 0 }),
        );
        const ctx = `\n--- receiver\n${show(r.rx)}\n--- sender\n${show(r.tx)}`;
        assert.equal(r.tx.code, 0, `sender failed${ctx}`);
        assert.equal(r.rx.code, 0, `receiver failed${ctx}`);
        assert.deepEqual([r.txLine?.tx, r.txLine?.mb, r.rxLine?.mb], [0, 0, 0], `empty sends counted as data${ctx}`);
        if (test === 'udp') {
          assert.ok(r.txLine!.txc > 0, `udp -z: no notification for empty sends${ctx}`);
          assert.ok(r.rxLine!.rx > 0, `receiver saw no empty datagram${ctx}`);
        } else {
          assert.equal(r.txLine!.txc, 0, `tcp: empty sends completed${ctx}`);
          assert.equal(r.rxLine!.rx, 0, `tcp: bytes out of nothing${ctx}`);
        }
      });
    }
});

describe('zerocopy on raw and packet sockets is refused like the C tool', () => {
  for (const test of ['raw', 'raw_hdrincl', 'packet', 'packet_dgram'] as const) {
    it(`ipv4 ${test} -z`, async () => {
      const [c, ours] = await withHostLock(async () => [
        await runTxOnly(lab!, { family: 4, test, sender: cBin, flags: ['-z'], txSecs: 0 }),
        await runTxOnly(lab!, { family: 4, test, sender: ourArgv(), flags: ['-z'], txSecs: 0 }),
      ]);
      // This kernel answers SO_ZEROCOPY on raw/packet sockets with EOPNOTSUPP.
      // Where it does not (an older kernel), both must simply succeed.
      if (c.tx.code === 0) {
        assert.equal(ours.tx.code, 0, `C accepted -z, ours did not\n${show(c.tx)}\n${show(ours.tx)}`);
        return;
      }
      assert.match(c.tx.stderr, /Operation not supported/, show(c.tx));
      assert.notEqual(ours.tx.code, 0, `ours must fail where C fails\n${show(ours.tx)}`);
      assert.match(ours.tx.stderr, /Operation not supported|EOPNOTSUPP/, `no clear message\n${show(ours.tx)}`);
      assert.doesNotMatch(ours.tx.stderr, /^\s+at .+:\d+:\d+\)?$/m, `stack trace instead of a message\n${show(ours.tx)}`);
    });
  }
});

// node:test's `it` is `test`; kept as a name for readability above.
function it(name: string, fn: () => Promise<void>): void {
  test(name, { timeout: 60_000 }, fn);
}
