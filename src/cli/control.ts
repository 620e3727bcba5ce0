// SPDX-License-Identifier: GPL-2.0-only
// Stopping a run cleanly. The measured loops are synchronous, so they run in
// short slices and yield to the event loop in between; a SIGINT or SIGTERM
// seen there ends the run, and the partial results are still printed.
// A second signal ends the process at once.

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

export class RunControl {
  stopped = false;
  signal: string | null = null;
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];

  install(): this {
    for (const [name, num] of Object.entries(SIGNALS) as Array<[NodeJS.Signals, number]>) {
      const h = (): void => {
        if (this.stopped) process.exit(128 + num);
        this.stopped = true;
        this.signal = name;
      };
      process.on(name, h);
      this.handlers.push([name, h]);
    }
    return this;
  }

  uninstall(): void {
    for (const [name, h] of this.handlers) process.off(name, h);
    this.handlers.length = 0;
  }

  /** Let pending signal handlers run. */
  yield(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Exit status for an interrupted run: 128 + signal number. */
  get exitCode(): number | null {
    return this.signal ? 128 + SIGNALS[this.signal as keyof typeof SIGNALS] : null;
  }
}
