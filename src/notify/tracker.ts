// SPDX-License-Identifier: GPL-2.0-only
// Accounting of MSG_ZEROCOPY completion notifications.
//
// Pure logic: the error-queue reader (errqueue.ts) feeds it the [lo, hi]
// range and ee_code of each notification. Send ids are a per-socket 32-bit
// counter that wraps, so all arithmetic on ids is modulo 2^32.
//
// The counters that the classic output prints follow the kernel selftest
// exactly (completions is the sum of range sizes, a gap is any range whose lo
// is not the id after the previous hi). Beyond that the tracker keeps the set
// of ids it has seen, unwrapped to 53-bit integers, so it can also tell
// out-of-order ranges, duplicate ids and the number of distinct completions.

export const COPIED = 1; // SO_EE_CODE_ZEROCOPY_COPIED

import type { Expectation } from '../core/vocabulary.js';
export type { Expectation };

export interface TrackerEvents {
  /** -v: a range that does not follow the previous one. */
  gap?(lo: number, hi: number, next: number): void;
  /** -vv: every range. */
  completed?(range: number, hi: number, lo: number): void;
  /** -Z: the first notification whose outcome differs from the expectation. */
  mismatch?(got: 0 | 1, want: 0 | 1): void;
}

/** How many intervals of seen ids to remember before forgetting the oldest. */
const MAX_INTERVALS = 4096;

export class CompletionTracker {
  /** Sum of range sizes: the selftest's `txc`. */
  completions = 0;
  /** Notifications read (each may cover many sends). */
  notifications = 0;
  /** Completions (in sends) the kernel reported as copied / as zerocopy. */
  copied = 0;
  zerocopied = 0;
  /** Ranges whose lo was not the id after the previous hi. */
  gaps = 0;
  /** Ranges that start before the next expected id (reordered or repeated). */
  outOfOrder = 0;
  /** Ids reported more than once. */
  duplicates = 0;
  /** Next expected id, modulo 2^32. */
  next = 0;
  /** Outcome of the most recent notification: 1 zerocopy, 0 copied, -1 none yet. */
  lastOutcome: Expectation = -1;
  /** True once a notification contradicted the expectation (-Z). */
  mismatched = false;

  /** Unwrapped position of `next`, and sorted disjoint [lo, hi] intervals of seen ids. */
  private nextAbs = 0;
  private readonly seen: number[] = [];

  constructor(public expectation: Expectation = -1, private readonly events: TrackerEvents = {}) {}

  /** Record one notification; returns the number of sends it covers. */
  record(lo: number, hi: number, code: number): number {
    lo >>>= 0;
    hi >>>= 0;
    const range = (hi - lo + 1) >>> 0;
    this.notifications++;

    if (lo !== this.next) {
      this.gaps++;
      this.events.gap?.(lo, hi, this.next);
    }
    // Place lo on the unwrapped axis relative to the next expected id.
    const delta = (lo - this.next) | 0;
    const absLo = this.nextAbs + delta;
    if (delta < 0) this.outOfOrder++;
    this.duplicates += this.insert(absLo, absLo + range - 1);
    this.next = (hi + 1) >>> 0;
    this.nextAbs = absLo + range;

    const outcome: 0 | 1 = code & COPIED ? 0 : 1;
    this.lastOutcome = outcome;
    if (outcome === 1) this.zerocopied += range;
    else this.copied += range;
    if (this.expectation !== -1 && this.expectation !== outcome) {
      this.mismatched = true;
      this.events.mismatch?.(outcome, this.expectation);
      this.expectation = outcome; // report once per change, as the selftest does
    }

    this.events.completed?.(range, hi, lo);
    this.completions += range;
    return range;
  }

  /** Distinct send ids completed so far. */
  get unique(): number {
    let n = 0;
    for (let i = 0; i < this.seen.length; i += 2) n += this.seen[i + 1] - this.seen[i] + 1;
    return n + this.forgotten;
  }

  private forgotten = 0;

  /** Merge [lo, hi] into the seen set; returns how many of its ids were already there. */
  private insert(lo: number, hi: number): number {
    const s = this.seen;
    // Fast path: appends to (or extends) the last interval.
    const n = s.length;
    if (n === 0 || lo > s[n - 1] + 1) {
      s.push(lo, hi);
      this.trim();
      return 0;
    }
    if (lo === s[n - 1] + 1) {
      s[n - 1] = hi;
      return 0;
    }
    // General case: find overlaps, count them, merge.
    let overlap = 0;
    let newLo = lo;
    let newHi = hi;
    let first = -1;
    let count = 0;
    for (let i = 0; i < s.length; i += 2) {
      const a = s[i];
      const b = s[i + 1];
      if (b + 1 < lo || a > hi + 1) continue;
      if (first < 0) first = i;
      count += 2;
      const ovLo = Math.max(a, lo);
      const ovHi = Math.min(b, hi);
      if (ovHi >= ovLo) overlap += ovHi - ovLo + 1;
      newLo = Math.min(newLo, a);
      newHi = Math.max(newHi, b);
    }
    if (first < 0) {
      let at = 0;
      while (at < s.length && s[at] < lo) at += 2;
      s.splice(at, 0, lo, hi);
      this.trim();
    } else {
      s.splice(first, count, newLo, newHi);
    }
    return overlap;
  }

  private trim(): void {
    while (this.seen.length > 2 * MAX_INTERVALS) {
      this.forgotten += this.seen[1] - this.seen[0] + 1;
      this.seen.splice(0, 2);
    }
  }
}
