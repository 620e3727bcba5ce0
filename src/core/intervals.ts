// SPDX-License-Identifier: GPL-2.0-only
// Interval reports (-I / --interval, iperf3's -i): the accounting, pure and
// clock-free so it is unit-tested without a socket. The measured loops run
// in slices of about 50 ms; at each slice end the run hands the meter the
// time and its running totals, and the meter closes an interval when that
// time has reached the next boundary (boundaries lie every `intervalMs`
// from the run's start, so a late slice end does not push the later ones
// back). `finish` closes the last interval with whatever is left, up to
// the end of the run, so the intervals' counts sum to the totals exactly.
// Nothing here runs per send: one comparison per slice, one object per
// interval.

/** The running totals of a run, read at a slice end. */
export interface Totals {
  bytes: number;
  packets: number;
  /** Completions (in sends) so far; 0 for a receiver. */
  completions: number;
  /** Of those, the ones the kernel reported as copied. */
  copied: number;
}

/** CPU time of the process so far, µs (process.cpuUsage(): all threads). */
export interface CpuSample {
  userUs: number;
  sysUs: number;
}

/** One closed interval: what changed between its start and its end. */
export interface IntervalRecord {
  /** Start and end, ms since the run's start. */
  startMs: number;
  endMs: number;
  bytes: number;
  packets: number;
  completions: number;
  copied: number;
  /** CPU time spent in the interval, µs. */
  userUs: number;
  sysUs: number;
}

/** The process's CPU time so far (all its threads), µs: what an interval's CPU figure is the difference of. */
export function processCpu(): CpuSample {
  const u = process.cpuUsage();
  return { userUs: u.user, sysUs: u.system };
}

/** The shortest and longest interval -I accepts, seconds (the loops' slices are 50 ms). */
export const MIN_INTERVAL_SECS = 0.1;
export const MAX_INTERVAL_SECS = 86400;

export class IntervalMeter {
  /** Every interval closed so far, in order. */
  readonly records: IntervalRecord[] = [];
  /** Absolute time (same clock as `startedAt`) at which the next interval may close. */
  private nextAt: number;
  private k = 1;
  private last: { at: number; totals: Totals; cpu: CpuSample };
  private finished = false;

  /**
   * `startedAt`: the run's start on the caller's clock (ms); `cpu`: the
   * process's CPU time now (read only when an interval closes); `emit`:
   * called with each interval as it closes (the live line).
   */
  constructor(
    readonly intervalMs: number,
    private readonly startedAt: number,
    private readonly cpu: () => CpuSample,
    private readonly emit: (r: IntervalRecord) => void = () => {},
    start: Totals = { bytes: 0, packets: 0, completions: 0, copied: 0 },
  ) {
    if (!(intervalMs > 0)) throw new RangeError(`interval must be positive, got ${intervalMs}`);
    this.nextAt = startedAt + intervalMs;
    this.last = { at: startedAt, totals: { ...start }, cpu: cpu() };
  }

  /**
   * A slice ended at `now` with these running totals: close an interval if
   * `now` has reached the next boundary. The caller skips this for the slice
   * that ends the run (finish() closes that one). Cheap when no boundary is
   * due: one comparison.
   */
  tick(now: number, bytes: number, packets: number, completions: number, copied: number): void {
    if (now < this.nextAt || this.finished) return;
    this.close(now, { bytes, packets, completions, copied });
    // The next boundary past `now` (a slice that overran several is one long interval).
    while (this.nextAt <= now) this.nextAt = this.startedAt + ++this.k * this.intervalMs;
  }

  /**
   * The run has ended at `now` with these final totals: close the last
   * interval with the remainder. An empty remainder (no time, nothing
   * counted: the run ended on a boundary) adds no interval.
   */
  finish(now: number, final: Totals): IntervalRecord[] {
    if (this.finished) return this.records;
    const t = this.last.totals;
    const empty = now <= this.last.at && final.bytes === t.bytes && final.packets === t.packets &&
      final.completions === t.completions && final.copied === t.copied;
    if (!empty || this.records.length === 0) this.close(Math.max(now, this.last.at), final);
    this.finished = true;
    return this.records;
  }

  private close(now: number, totals: Totals): void {
    const cpu = this.cpu();
    const p = this.last;
    const r: IntervalRecord = {
      startMs: p.at - this.startedAt,
      endMs: now - this.startedAt,
      bytes: totals.bytes - p.totals.bytes,
      packets: totals.packets - p.totals.packets,
      completions: totals.completions - p.totals.completions,
      copied: totals.copied - p.totals.copied,
      userUs: cpu.userUs - p.cpu.userUs,
      sysUs: cpu.sysUs - p.cpu.sysUs,
    };
    this.last = { at: now, totals: { ...totals }, cpu };
    this.records.push(r);
    this.emit(r);
  }
}

/**
 * The interval during which data moved (the time the rates are over), from
 * clock reads the loops make anyway: `firstAt` is the read just before the
 * first bytes moved, `lastAt` the read around the last ones (see SendLoop
 * and the receiver for which read, and the resolution that gives).
 */
export interface DataWindow {
  /** Clock read just before the first bytes moved, or -1. */
  firstAt: number;
  /** Clock read just after the last bytes moved, or -1. */
  lastAt: number;
}

/**
 * Milliseconds of a data window: 0 when nothing moved, else at least 1 (the
 * clock's resolution; everything moved between two reads of the same
 * millisecond).
 */
export function windowMs(w: DataWindow, bytes: number): number {
  if (bytes <= 0 || w.firstAt < 0 || w.lastAt < 0) return 0;
  return Math.max(1, w.lastAt - w.firstAt);
}
