// SPDX-License-Identifier: GPL-2.0-only
// The measured loop: io_uring_zerocopy_tx's do_tx body. Per batch: write -n
// SQEs, publish the SQ tail, one io_uring_enter that submits them, then reap
// CQEs until every request of the batch has completed (notifications are
// counted as they come). Nothing is allocated per request: the SQEs were
// filled once with everything that does not change, and a request writes
// three 32-bit words of its slot (opcode/flags/ioprio and the two halves of
// user_data). The sequence counters live in locals while a slice runs; each CQE
// goes to the pure accounting object (UringCompletions), whose method V8
// inlines here.
//
// The deliberate differences from the C loop, each explained where it
// happens: waits are bounded (the C tool can wait forever for a send or a
// notification), a batch that is still waiting when its slice ends is resumed
// by the next slice (so signals are seen), and what is in flight is bounded
// by the CQ size (so the CQ never overflows and the ordering argument in
// ring.ts holds).
import { EINTR, ETIME, IORING_ENTER_GETEVENTS, IPPROTO_UDP, UDP_CORK } from '../libc/constants.js';
import { CQE, SQE } from '../libc/layout.js';
import { errno } from '../libc/libc.js';
import { setIntOption } from '../net/socket.js';
import { WAIT_MS } from '../core/config.js';
import { KernelError } from '../core/errors.js';
import { MODE_MIXED, type UringConfig } from './config.js';
import type { UringCompletions } from './completions.js';
import { GlibcRandom } from './random.js';
import { ringFail, type Ring } from './ring.js';

/** 32-bit word indices inside one SQE and one CQE. */
const SQE_WORDS = SQE.size >> 2;
const SQE_HEAD = SQE.opcode >> 2; // opcode | flags << 8 | ioprio << 16
const SQE_UD_LO = SQE.user_data >> 2;
const SQE_UD_HI = SQE_UD_LO + 1;
const CQE_WORDS = CQE.size >> 2;
const CQE_UD_LO = CQE.user_data >> 2;
const CQE_UD_HI = CQE_UD_LO + 1;
const CQE_RES = CQE.res >> 2;
const CQE_FLAGS = CQE.flags >> 2;

/** What one kind of request writes per send: its first SQE word and its user_data tag. */
export interface RequestKind {
  head: number;
  tag: number;
  /** Whether it is a zerocopy request (takes a notification id). */
  zc: boolean;
}

export class UringLoop {
  /** Batches submitted, requests submitted, io_uring_enter calls (submits and waits), waits that timed out. */
  batches = 0;
  requests = 0;
  enters = 0;
  timeouts = 0;
  /** Request CQEs still to come for the batch in flight. */
  outstanding = 0;

  private readonly sqShift: number;
  private sqTailLocal = 0;
  private cqHeadLocal = 0;
  private zcId = 0;
  private readonly random: GlibcRandom | null;
  private readonly mixed: boolean;
  /** Notifications that may be pending before a new batch is submitted. */
  private readonly pendingLimit: number;

  constructor(
    private readonly cfg: UringConfig,
    private readonly ring: Ring,
    private readonly acc: UringCompletions,
    /** Kinds by -m: one, or the three the mixed mode picks from. */
    private readonly kinds: readonly RequestKind[],
    private readonly sockFd: number,
  ) {
    this.sqShift = Math.log2(SQE_WORDS);
    this.mixed = cfg.mode === MODE_MIXED;
    this.random = this.mixed ? new GlibcRandom() : null;
    // Each zerocopy request may post two CQEs. Keeping notifications pending
    // plus two per new request within the CQ means the kernel never has to
    // post more than cq_entries CQEs beyond our head (ring.ts, memory ordering).
    this.pendingLimit = ring.cqEntries - 2 * cfg.batch;
    this.sqTailLocal = ring.sq[ring.sqTail];
    this.cqHeadLocal = ring.cq[ring.cqHead];
  }

  /** Run batches until `sliceEnd` (ms since the epoch); returns the time last read. */
  run(sliceEnd: number): number {
    const { ring, cfg, kinds, random } = this;
    const n = cfg.batch;
    const sqes = ring.sqes;
    const sqMask = ring.sqMask;
    const shift = this.sqShift;
    const one = kinds[0];
    let batches = this.batches;
    let requests = this.requests;
    let zcId = this.zcId;
    let tail = this.sqTailLocal;
    let now = Date.now();
    try {
      do {
        if (this.outstanding === 0) {
          if (this.acc.pending > this.pendingLimit && !this.waitNotifications()) return Date.now();
          if (cfg.cork) setIntOption(this.sockFd, IPPROTO_UDP, UDP_CORK, 1);
          if (random) {
            // -m 3: each request's kind from rand() % 3, as the C tool.
            for (let i = 0; i < n; i++) {
              const k = kinds[random.next() % 3];
              const w = (tail & sqMask) << shift;
              sqes[w + SQE_HEAD] = k.head;
              if (k.zc) {
                sqes[w + SQE_UD_LO] = zcId;
                zcId = (zcId + 1) >>> 0;
              } else {
                sqes[w + SQE_UD_LO] = 0;
              }
              sqes[w + SQE_UD_HI] = k.tag;
              tail = (tail + 1) >>> 0;
            }
          } else if (one.zc) {
            // One kind: every slot already holds it (fillSlots); only the id changes.
            for (let i = 0; i < n; i++) {
              sqes[((tail & sqMask) << shift) + SQE_UD_LO] = zcId;
              zcId = (zcId + 1) >>> 0;
              tail = (tail + 1) >>> 0;
            }
          } else {
            tail = (tail + n) >>> 0;
          }
          // Publish the tail: a plain store is enough, the kernel reads it in
          // the io_uring_enter below, on this thread (ring.ts).
          ring.sq[ring.sqTail] = tail;
          this.submit(n);
          batches++;
          requests += n;
          if (cfg.cork) setIntOption(this.sockFd, IPPROTO_UDP, UDP_CORK, 0);
          this.outstanding = n;
        }
        this.outstanding -= this.reap();
        while (this.outstanding > 0) {
          // The C tool waits without a limit; a wait here ends after WAIT_MS,
          // and a batch still open when its slice is over is finished by the
          // next slice, after signals have had a look in.
          const r = ring.wait(this.outstanding, WAIT_MS);
          this.enters++;
          this.outstanding -= this.reap();
          if (r < 0 && this.waitFailed() && this.outstanding > 0 && Date.now() >= sliceEnd) return Date.now();
        }
        now = Date.now();
      } while (now < sliceEnd);
    } finally {
      this.batches = batches;
      this.requests = requests;
      this.zcId = zcId;
      this.sqTailLocal = tail;
    }
    return now;
  }

  /** Submit the `n` SQEs just published; anything but all of them ends the run, as in the C tool. */
  private submit(n: number): void {
    let ret: number;
    do {
      // min_complete 0, as io_uring_submit() in the C tool: sends that
      // complete inline have their CQEs posted before this returns.
      ret = this.ring.enter(n, 0, IORING_ENTER_GETEVENTS);
      this.enters++;
    } while (ret < 0 && errno() === EINTR); // a signal before anything was submitted: submit again
    if (ret !== n) {
      if (ret < 0) ringFail('enter');
      // The kernel stopped at a request it could not take: its CQE says why
      // (the accounting throws for it); otherwise say what happened.
      this.reap();
      throw new KernelError(`io_uring: submit: ${ret} of ${n} requests submitted`, 0,
        'the kernel stopped submitting; see the error above, or lower -n');
    }
  }

  /** Read every CQE up to the tail and hand it to the accounting; returns how many completed a request. */
  private reap(): number {
    const ring = this.ring;
    const cq = ring.cq;
    const cqSigned = ring.cqSigned;
    const mask = ring.cqMask;
    const base = ring.cqes;
    const acc = this.acc;
    let head = this.cqHeadLocal;
    const tail = ring.readCqTail();
    if (head === tail) return 0;
    let done = 0;
    do {
      const w = base + (head & mask) * CQE_WORDS;
      done += acc.cqe(cqSigned[w + CQE_RES], cq[w + CQE_FLAGS], cq[w + CQE_UD_HI], cq[w + CQE_UD_LO]);
      head = (head + 1) >>> 0;
    } while (head !== tail);
    acc.flush();
    ring.publishCqHead(head);
    this.cqHeadLocal = head;
    return done;
  }

  /** A wait returned -1: true for a timeout or a signal (go on), else the run ends. */
  private waitFailed(): boolean {
    const e = errno();
    if (e === ETIME) {
      this.timeouts++;
      return true;
    }
    if (e === EINTR) return true;
    ringFail('enter', e);
  }

  /**
   * Too many notifications pending for another batch: wait for some (at most
   * WAIT_MS). False when none came, so the slice ends and signals are seen.
   */
  private waitNotifications(): boolean {
    while (this.acc.pending > this.pendingLimit) {
      const r = this.ring.wait(1, WAIT_MS);
      this.enters++;
      this.reap();
      if (r < 0 && this.waitFailed() && this.acc.pending > this.pendingLimit) return false;
    }
    return true;
  }

  /**
   * After the run: wait up to `ms` for the batch in flight and every
   * announced notification (the C tool waits without a limit). True when
   * nothing is missing.
   */
  finish(ms: number): boolean {
    const stop = Date.now() + ms;
    for (let left = ms; (this.outstanding > 0 || this.acc.pending > 0) && left > 0; left = stop - Date.now()) {
      const r = this.ring.wait(this.outstanding > 0 ? this.outstanding : 1, left);
      this.enters++;
      this.outstanding -= this.reap();
      if (r < 0) this.waitFailed();
    }
    return this.outstanding === 0 && this.acc.pending === 0;
  }
}
