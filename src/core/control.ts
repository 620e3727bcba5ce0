// SPDX-License-Identifier: GPL-2.0-only
// Stopping a run cleanly, for every command: the first SIGINT, SIGTERM or
// SIGHUP asks the run to stop (the measured loops run in short slices and
// look at `stopped` in between; the suite, sweep and pair kill their
// children), and the partial results are still printed. A second signal ends
// the process at once, after the `force` hook (remove namespaces).
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Exit status for a process ended by `signal`: 128 + its number, as the shell reports it. */
export function signalExitCode(signal: string): number {
  return 128 + (constants.signals[signal as NodeJS.Signals] ?? 0);
}

export interface StopHooks {
  /** First signal: stop what is running (kill children, abort a peer). */
  stop?(signal: NodeJS.Signals): void;
  /** Second signal, just before the process exits. */
  force?(): void;
}

export class RunControl {
  stopped = false;
  signal: NodeJS.Signals | null = null;
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];

  install(hooks: StopHooks = {}): this {
    for (const name of STOP_SIGNALS) {
      const h = (): void => {
        if (this.stopped) {
          hooks.force?.();
          process.exit(signalExitCode(name));
        }
        this.stopped = true;
        this.signal = name;
        hooks.stop?.(name);
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

  /** Exit status for an interrupted run, or null. */
  get exitCode(): number | null {
    return this.signal ? signalExitCode(this.signal) : null;
  }
}
