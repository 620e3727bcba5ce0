// SPDX-License-Identifier: GPL-2.0-only
// The ring binding against the running kernel, without a network: set-up
// and mapping, the opcode probe (an opcode the kernel lacks is a real exit-2
// refusal), NOP round trips through the mapped SQ and CQ rings across many
// wraps of their indices with garbage collections in between, a registered
// ring fd, and a bounded wait. Needs io_uring (kernel.io_uring_disabled = 0):
// fails, never skips, without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  ETIME, IORING_ENTER_GETEVENTS, IORING_OP_NOP, IORING_OP_SEND, IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC,
} from '../../src/libc/constants.js';
import { CQE, SQE } from '../../src/libc/layout.js';
import { errno } from '../../src/libc/libc.js';
import { KernelError } from '../../src/core/errors.js';
import { Ring } from '../../src/uring/ring.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Submit `n` NOPs tagged base.., wait for them, return the user_data low words in CQ order. */
function nops(ring: Ring, state: { tail: number; head: number }, n: number, base: number): number[] {
  const w = SQE.size >> 2;
  for (let i = 0; i < n; i++) {
    const at = (state.tail & ring.sqMask) * w;
    ring.sqes.fill(0, at, at + w);
    ring.sqes[at + (SQE.opcode >> 2)] = IORING_OP_NOP;
    ring.sqes[at + (SQE.user_data >> 2)] = base + i;
    ring.sqes[at + (SQE.user_data >> 2) + 1] = 0xabcd;
    state.tail = (state.tail + 1) >>> 0;
  }
  ring.sq[ring.sqTail] = state.tail;
  assert.equal(ring.enter(n, n, IORING_ENTER_GETEVENTS), n);
  const got: number[] = [];
  const tail = ring.readCqTail();
  while (state.head !== tail) {
    const c = ring.cqes + (state.head & ring.cqMask) * (CQE.size >> 2);
    assert.equal(ring.cq[c + (CQE.user_data >> 2) + 1], 0xabcd);
    assert.equal(ring.cqSigned[c + (CQE.res >> 2)], 0);
    got.push(ring.cq[c + (CQE.user_data >> 2)]);
    state.head = (state.head + 1) >>> 0;
  }
  ring.publishCqHead(state.head);
  return got;
}

test('ring: set-up, mapping and the sizes the kernel chose', () => {
  const ring = new Ring({ entries: 512, deferTaskrun: false });
  try {
    assert.deepEqual([ring.sqEntries, ring.cqEntries, ring.sqMask, ring.cqMask], [512, 1024, 511, 1023]);
    assert.equal(ring.sq[ring.sqTail], 0);
    assert.equal(ring.cq[ring.cqHead], 0);
  } finally {
    ring.close();
  }
});

test('ring: the probe finds the send opcodes and refuses one the kernel lacks (exit 2)', () => {
  const ring = new Ring({ entries: 8, deferTaskrun: false });
  try {
    ring.requireOps([IORING_OP_SEND, IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC]);
    assert.throws(() => ring.requireOps([250]),
      (e: unknown) => e instanceof KernelError && e.exitCode === 2 && /^io_uring: this kernel has no opcode 250$/.test(e.message));
  } finally {
    ring.close();
  }
});

for (const deferTaskrun of [false, true]) {
  test(`ring: 40k NOPs through the mapped rings, indices wrapping, GC between batches${deferTaskrun ? ' (DEFER_TASKRUN)' : ''}`, () => {
    const ring = new Ring({ entries: 64, deferTaskrun });
    try {
      const state = { tail: 0, head: 0 };
      let next = 0;
      for (let b = 0; b < 1250; b++) {
        const got = nops(ring, state, 32, next);
        assert.deepEqual(got, Array.from({ length: 32 }, (_, i) => next + i));
        next += 32;
        if (b % 50 === 0) gc();
      }
      assert.equal(state.tail, 40000);
      assert.equal(ring.sq[ring.sqTail], 40000);
      assert.equal(ring.cq[ring.cqHead], 40000);
    } finally {
      ring.close();
    }
  });
}

test('ring: entering through a registered ring fd', () => {
  const ring = new Ring({ entries: 8, deferTaskrun: false });
  try {
    ring.registerRingFd();
    assert.notEqual(ring.enterFlags, 0);
    assert.ok(ring.enterFd >= 0 && ring.enterFd !== ring.fd);
    assert.deepEqual(nops(ring, { tail: 0, head: 0 }, 4, 7), [7, 8, 9, 10]);
  } finally {
    ring.close();
  }
});

test('ring: a wait with nothing in flight ends at its timeout with ETIME', () => {
  const ring = new Ring({ entries: 8, deferTaskrun: false });
  try {
    const t0 = Date.now();
    assert.equal(ring.wait(1, 50), -1);
    assert.equal(errno(), ETIME);
    const ms = Date.now() - t0;
    assert.ok(ms >= 40 && ms < 2000, `waited ${ms} ms`);
  } finally {
    ring.close();
  }
});
