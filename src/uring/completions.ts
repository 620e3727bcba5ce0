// SPDX-License-Identifier: GPL-2.0-only
// Accounting of io_uring send completions and zerocopy notifications.
//
// Pure logic, like src/notify/tracker.ts: the loop hands over each CQE's
// res, flags and user_data (split in two 32-bit halves, so nothing is a
// BigInt) and this decides what it was. The rules are io_uring_zerocopy_tx's:
//
// - A request's CQE counts one packet and res bytes when res >= 0; -EAGAIN
//   is counted and skipped; any other error ends the run.
// - IORING_CQE_F_MORE on a SEND_ZC / SENDMSG_ZC completion announces one
//   notification CQE (IORING_CQE_F_NOTIF) to come, with the same user_data.
//   F_MORE on a plain send, a notification with F_MORE, or one that nothing
//   announced, are errors.
//
// Beyond the selftest, each zerocopy request carries a 32-bit id (user_data
// low half, wrapping), and the notifications go to a CompletionTracker as
// ranges of ids, copied when the kernel set IORING_NOTIF_USAGE_ZC_COPIED in
// res (IORING_SEND_ZC_REPORT_USAGE): the same copied / zerocopied / gap / -Z
// accounting as the classic sender's error-queue notifications. Like the
// kernel's MSG_ZEROCOPY notifications, consecutive ids with the same outcome
// are coalesced into one range until flush() (the loop flushes after each
// reap), which spares the tracker 31 of 32 calls in a batch; `notifications`
// here counts the CQEs themselves.
import { EAGAIN, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF } from '../libc/constants.js';
import { RunError } from '../core/errors.js';
import { COPIED, CompletionTracker } from '../notify/tracker.js';

/** user_data high half: what the request was. */
export const TAG_SEND = 0;
export const TAG_SEND_ZC = 1;
export const TAG_SEND_ZC_FIXED = 2;
export const TAG_SENDMSG_ZC = 3;
export const TAG_COUNT = 4;

/** A CQE that the selftest treats as fatal (exit 1): the kernel broke the protocol. */
export class CqeError extends RunError {}

export class UringCompletions {
  /** Requests that completed with res >= 0 (the selftest's packets). */
  packets = 0;
  bytes = 0;
  /** Request CQEs seen (any res). */
  requestCqes = 0;
  /** res >= 0 but less than the payload. */
  shortSends = 0;
  eagain = 0;
  /** F_MORE seen: notifications announced. */
  expectedNotifications = 0;
  /** Announced and not yet arrived. */
  pending = 0;
  /** Notification CQEs. */
  notifications = 0;
  /** Completed requests by tag (TAG_*). */
  readonly byTag = [0, 0, 0, 0];

  /** The range of notified ids not yet given to the tracker: [lo, hi], outcome code, or none. */
  private runLo = 0;
  private runHi = 0;
  private runCode = 0;
  private runOpen = false;

  /**
   * `len`: bytes each request sends. `sendFailed` is called (and must throw)
   * for a request that failed with another error than EAGAIN.
   */
  constructor(
    readonly tracker: CompletionTracker,
    private readonly len: number,
    private readonly sendFailed: (errno: number, tag: number) => never,
  ) {}

  /**
   * One CQE. Returns 1 when it completed a request, 0 for a notification.
   * `tag` and `id` are the high and low halves of its user_data.
   */
  cqe(res: number, flags: number, tag: number, id: number): 0 | 1 {
    if (flags & IORING_CQE_F_NOTIF) {
      if (flags & IORING_CQE_F_MORE) throw new CqeError('invalid notif flags');
      if (this.pending <= 0) throw new CqeError('notification mismatch', 'a notification that no F_MORE completion announced');
      this.pending--;
      this.notifications++;
      // Bit 31 of res: IORING_NOTIF_USAGE_ZC_COPIED (res is a signed 32-bit value).
      const code = res < 0 ? COPIED : 0;
      if (this.runOpen && id === ((this.runHi + 1) >>> 0) && code === this.runCode) {
        this.runHi = id;
      } else {
        this.flush();
        this.runLo = this.runHi = id;
        this.runCode = code;
        this.runOpen = true;
      }
      return 0;
    }
    if (tag >= TAG_COUNT || tag < 0) throw new CqeError('invalid cqe->user_data');
    this.requestCqes++;
    if (flags & IORING_CQE_F_MORE) {
      if (tag === TAG_SEND) throw new CqeError('unexpected F_MORE', 'a plain send announced a notification');
      this.pending++;
      this.expectedNotifications++;
    }
    if (res >= 0) {
      this.packets++;
      this.bytes += res;
      this.byTag[tag]++;
      if (res < this.len) this.shortSends++;
    } else if (res === -EAGAIN) {
      this.eagain++;
    } else {
      this.sendFailed(-res, tag);
    }
    return 1;
  }

  /** Give the coalesced notifications to the tracker (after each reap, and before reading it). */
  flush(): void {
    if (!this.runOpen) return;
    this.runOpen = false;
    this.tracker.record(this.runLo, this.runHi, this.runCode);
  }
}
