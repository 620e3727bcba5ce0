// SPDX-License-Identifier: GPL-2.0-only
// The exit safety net: every live lab is removed when the process exits or
// dies of an uncaught exception. Signals are not handled here: they belong to
// RunControl (src/core/control.ts), whose first signal stops the run
// gracefully (the command's own cleanup then destroys its lab) and whose
// second one forces (its force hook calls destroyAllLabsSync). A process
// killed by a signal nobody handles leaves its lab to the next createLab
// (owner records, owners.ts).

/** What the net removes: a lab by its id. */
export interface Removable {
  readonly id: string;
  destroy(): Promise<void>;
  destroySync(): void;
}

/** The live labs of this process; the exit hooks are installed with the first. */
export class ExitNet<T extends Removable> {
  private readonly live = new Map<string, T>();
  private installed = false;

  add(lab: T): void {
    if (!this.installed) {
      this.installed = true;
      const all = (): void => this.destroyAllSync();
      process.on('exit', all);
      process.on('uncaughtExceptionMonitor', all);
    }
    this.live.set(lab.id, lab);
  }

  delete(id: string): void {
    this.live.delete(id);
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  all(): T[] {
    return [...this.live.values()];
  }

  /** Synchronously remove every live lab (process exit, RunControl's force hook). */
  destroyAllSync(): void {
    for (const lab of this.all()) lab.destroySync();
  }

  /** Asynchronously remove every live lab. */
  async destroyAll(): Promise<void> {
    await Promise.all(this.all().map((lab) => lab.destroy()));
  }
}
