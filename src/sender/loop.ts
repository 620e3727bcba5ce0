// SPDX-License-Identifier: GPL-2.0-only
// The measured loop: the selftest's do_tx body, one sendmsg and one poll per
// iteration (plus error-queue drains with -z), nothing allocated. Counters
// live in locals while a slice runs and are stored back after it.
import { EAGAIN, EINTR, ENOBUFS, MSG_DONTWAIT, MSG_ZEROCOPY, POLLOUT } from '../libc/constants.js';
import { errno, poll, sendmsg } from '../libc/libc.js';
import { PollFd } from '../net/poll.js';
import { fail } from '../net/socket.js';
import { WAIT_MS, type Config } from '../core/config.js';
import type { ErrorQueue } from '../notify/errqueue.js';

/** Sends between two clock reads in the plain loop. */
const CLOCK_EVERY = 16;
/**
 * How long past the run's deadline the socket may stay unwritable before the
 * sender gives up on it: one poll of the selftest's own length. A path that
 * is alive makes room within milliseconds.
 */
export const STALL_AFTER_MS = WAIT_MS;

/** The socket stayed unwritable past the end of the run. */
export interface Stall {
  /** How long it had been unwritable when the sender gave up, ms. */
  notWritableMs: number;
  /** How far past the run's deadline that was, ms. */
  pastDeadlineMs: number;
}

export class SendLoop {
  packets = 0;
  bytes = 0;
  calls = 0;
  eagain = 0;
  enobufs = 0;
  expected = 0;
  sinceNotify = 0;
  /** End of the run (ms since the epoch), set once before the first slice; waits for room end STALL_AFTER_MS past it. */
  deadline = Infinity;
  /** Set when the socket stayed unwritable past the deadline; the slice then ends. */
  stall: Stall | null = null;
  /**
   * The sending interval, from the clock reads the loop makes anyway:
   * `firstSendAt` is the read just before the group of sends in which bytes
   * first moved, `lastSendAt` the read just after the group in which they
   * last moved (-1 until then). run() reads the clock every CLOCK_EVERY
   * sends and after any wait for room, so both are known to one such group
   * (16 sends: tens to hundreds of µs at these rates, below Date.now()'s
   * 1 ms) or to the wait that followed the last send; runSteps() reads it,
   * as run() does, at the slice's start and after every step.
   */
  firstSendAt = -1;
  lastSendAt = -1;

  private readonly pfd: PollFd;
  private readonly pollAddr: number;
  private readonly revents: Int16Array;
  private readonly flags: number;
  private custom: (() => void) | null = null;

  constructor(
    private readonly cfg: Config,
    private readonly fd: number,
    private readonly msgAddr: number,
    private readonly len: number,
    private readonly errq: ErrorQueue,
    private readonly log: (line: string) => void,
  ) {
    this.pfd = new PollFd(fd, POLLOUT);
    this.pollAddr = this.pfd.addr;
    this.revents = this.pfd.revents;
    this.flags = MSG_DONTWAIT | (cfg.zerocopy ? MSG_ZEROCOPY : 0);
  }

  /** Run iterations until `sliceEnd` (ms since the epoch); returns the time last read. */
  run(sliceEnd: number): number {
    const { fd, msgAddr, flags, len, pollAddr, revents } = this;
    const zc = this.cfg.zerocopy;
    const limit = this.cfg.notificationLimit;
    const verbose = this.cfg.verbose;
    let packets = this.packets;
    let bytes = this.bytes;
    let expected = this.expected;
    let since = this.sinceNotify;
    let calls = this.calls;
    let first = this.firstSendAt;
    let last = this.lastSendAt;
    let now = Date.now();
    let tick = 0;
    let bytesAtClock = bytes;
    try {
      do {
        const ret = sendmsg(fd, msgAddr, flags);
        if (ret >= 0) {
          if (verbose && ret !== len) this.log(`send: ret=${ret} != ${len}`);
          since++;
          calls++;
          if (len) {
            packets++;
            bytes += ret;
            if (zc && ret) expected++;
          }
        } else {
          this.sendFailed(errno());
        }
        if (zc && since >= limit) {
          this.errq.drain();
          since = 0;
        }
        const ready = poll(pollAddr, 1, WAIT_MS);
        if (ready <= 0 || (revents[0] & POLLOUT) === 0) {
          if (this.waitWritable(ready)) since = 0;
          tick = CLOCK_EVERY - 1; // waited: read the clock below
        }
        // The selftest reads the clock after every send. Here it is read
        // after every CLOCK_EVERY sends that did not wait (microseconds
        // apart) and after any send that waited: the deadline moves by
        // microseconds, and the loop saves a clock read that costs
        // JavaScript twice what it costs C and allocates a heap number.
        if (++tick >= CLOCK_EVERY) {
          tick = 0;
          const prev = now;
          now = Date.now();
          // The sending interval, at the clock reads only (see firstSendAt).
          if (bytes !== bytesAtClock) {
            if (first < 0) first = prev;
            last = now;
            bytesAtClock = bytes;
          }
        }
      } while (now < sliceEnd);
    } finally {
      this.firstSendAt = first;
      this.lastSendAt = last;
      this.calls = calls;
      this.packets = packets;
      this.bytes = bytes;
      this.expected = expected;
      this.sinceNotify = since;
    }
    return now;
  }

  /** Slow path: EAGAIN is counted, anything else ends the run. */
  private sendFailed(e: number): void {
    if (e === EAGAIN) {
      this.eagain++;
      return;
    }
    if (e === ENOBUFS) this.enobufs++;
    fail('send', this.cfg, e);
  }

  /**
   * The socket was not writable after a send (first: what poll returned):
   * poll again until it is, draining the error queue in between with -z, as
   * the selftest's `while (!do_poll(fd, POLLOUT))`. A signal stops the wait
   * so the slice can end. Unlike the selftest, which waits for ever, the
   * wait ends STALL_AFTER_MS past the run's deadline: then `stall` is set and
   * the clock read that follows ends the slice and the run. Returns true
   * when it drained.
   */
  private waitWritable(first: number): boolean {
    if (first < 0) {
      const e = errno();
      if (e !== EINTR) fail('poll', this.cfg, e);
      return false;
    }
    // first === 0: the poll before this has waited WAIT_MS in vain (in
    // runSteps it may also have seen other events; the figure is for the
    // stall line only).
    const since = Date.now() - (first === 0 ? WAIT_MS : 0);
    const giveUp = this.deadline + STALL_AFTER_MS;
    let drained = false;
    for (;;) {
      if (this.cfg.zerocopy) {
        this.errq.drain();
        drained = true;
      }
      const now = Date.now();
      if (now >= giveUp) {
        this.stall = { notWritableMs: now - since, pastDeadlineMs: now - this.deadline };
        return drained;
      }
      if (this.pfd.wait(Math.min(WAIT_MS, giveUp - now)) !== 0) return drained;
    }
  }

  /** Replace the single plain send by `step` (cork, the forced-GC test hook); slices then run runSteps(). */
  useStep(step: () => void): void {
    this.custom = step;
  }

  /** Run one slice with whichever loop applies. */
  runSlice(sliceEnd: number): number {
    return this.custom ? this.runSteps(this.custom, sliceEnd) : this.run(sliceEnd);
  }

  /** The plain send, for steps that wrap it. */
  sendPlain(): void {
    this.sendOne(this.flags, this.len, this.cfg.zerocopy);
  }

  /** do_sendmsg for one call of `len` bytes. */
  sendOne(flags: number, len: number, zerocopy: boolean): void {
    const ret = sendmsg(this.fd, this.msgAddr, flags);
    if (ret < 0) {
      this.sendFailed(errno());
      return;
    }
    if (this.cfg.verbose && ret !== len) this.log(`send: ret=${ret} != ${len}`);
    this.sinceNotify++;
    this.calls++;
    if (len) {
      this.packets++;
      this.bytes += ret;
      if (zerocopy && ret) this.expected++;
    }
  }

  /** The general loop, same structure as run(), one `step` per iteration and the clock read after each. */
  private runSteps(step: () => void, sliceEnd: number): number {
    const zc = this.cfg.zerocopy;
    let now = Date.now();
    do {
      const prev = now;
      const before = this.bytes;
      step();
      if (zc && this.sinceNotify >= this.cfg.notificationLimit) {
        this.errq.drain();
        this.sinceNotify = 0;
      }
      const ready = this.pfd.wait(WAIT_MS);
      if (ready === 0 && this.waitWritable(0)) this.sinceNotify = 0;
      now = Date.now();
      if (this.bytes !== before) {
        if (this.firstSendAt < 0) this.firstSendAt = prev;
        this.lastSendAt = now;
      }
    } while (now < sliceEnd);
    return now;
  }
}
