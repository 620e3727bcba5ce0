// SPDX-License-Identifier: GPL-2.0-only
// serve's log of what unauthenticated peers do (failed proofs, garbage,
// timeouts): one line per peer per window, at most `perWindow` lines in a
// window over all peers, and one line counting what was left out. Someone
// who floods the control port cannot flood the log. Pure (the clock is given).

export class RateLog {
  private readonly last = new Map<string, number>();
  private windowStart: number;
  private inWindow = 0;
  private suppressed = 0;
  private readonly suppressedKeys = new Set<string>();

  constructor(private readonly out: (line: string) => void, private readonly windowMs = 10000,
    private readonly perWindow = 20, private readonly now: () => number = Date.now, private readonly maxKeys = 4096) {
    this.windowStart = now();
  }

  /** Log `line` about `key` (a peer address) unless that peer, or everyone, has had their share of this window. */
  log(key: string, line: string): void {
    const t = this.now();
    this.roll(t);
    const last = this.last.get(key);
    if ((last !== undefined && t - last < this.windowMs) || this.inWindow >= this.perWindow) {
      this.suppressed++;
      if (this.suppressedKeys.size < this.maxKeys) this.suppressedKeys.add(key);
      return;
    }
    if (this.last.size >= this.maxKeys) this.last.clear();
    this.last.set(key, t);
    this.inWindow++;
    this.out(line);
  }

  /** Start a new window once the current one is over (call from a timer, too). */
  roll(t = this.now()): void {
    if (t - this.windowStart < this.windowMs) return;
    this.flush();
    this.windowStart = t;
    this.inWindow = 0;
  }

  /** Say how much was left out, if anything. */
  flush(): void {
    if (!this.suppressed) return;
    const peers = this.suppressedKeys.size;
    this.out(`(${this.suppressed} more such ${this.suppressed === 1 ? 'line' : 'lines'} about ${peers} ${peers === 1 ? 'peer' : 'peers'} ` +
      `left out in the last ${Math.round(this.windowMs / 1000)} s)`);
    this.suppressed = 0;
    this.suppressedKeys.clear();
  }
}
