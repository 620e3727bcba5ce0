// SPDX-License-Identifier: GPL-2.0-only
// A lab session, shared by suite, sweep and compare: one RunControl owns the
// signals (the first stops the running case gracefully, a second forces),
// a progress line on a terminal, the children of the running case, a fresh
// lab, and a teardown that runs on every exit path.
import { RunControl } from '../core/control.js';
import { liveChildren, type Child } from './child.js';
import { createLab, destroyAllLabsSync, type Lab } from '../lab/lab.js';
import type { RunHooks } from './run.js';

export type LabInfo = Pick<Lab, 'id' | 'txNs' | 'rxNs' | 'egressKind' | 'egressDev'>;

export interface SessionOptions {
  /** Namespace name prefix (default mzc-). */
  prefix?: string;
  /** Show a progress line (the caller decides: a terminal, table output). */
  progress: boolean;
  /** Where the progress line and notes go (stderr). */
  err: (s: string) => void;
  /** --mtu: the lab's veth pair and egress device MTU (default: the lab's 65535). */
  mtu?: number;
}

export interface LabSession {
  readonly lab: Lab;
  /** For runClassic: whether the session is being stopped, and the children to stop. */
  readonly hooks: RunHooks;
  /** The signal that stopped the session, or null. */
  interrupted(): NodeJS.Signals | null;
  /** Replace the progress line (null: erase it). */
  progress(text: string | null): void;
}

export interface SessionEnd {
  interrupted: NodeJS.Signals | null;
  /** Why the session failed (lab set-up, cleanup), or null. */
  error: string | null;
  lab: LabInfo | null;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Make a lab, run `body` in it, and remove everything on every exit path. */
export async function withLabSession(o: SessionOptions, body: (s: LabSession) => Promise<void>): Promise<SessionEnd> {
  let interrupted: NodeJS.Signals | null = null;
  let error: string | null = null;
  let lab: Lab | null = null;
  const running = new Set<Child>();
  const ctl = new RunControl().install({
    stop: (sig) => {
      interrupted = sig;
      for (const ch of running) ch.kill();
    },
    force: () => {
      for (const ch of liveChildren()) ch.kill('SIGKILL');
      destroyAllLabsSync();
    },
  });
  const progress = (s: string | null): void => {
    if (o.progress) o.err(s === null ? '\r\x1b[K' : `\r\x1b[K${s}`);
  };
  const hooks: RunHooks = {
    aborted: () => interrupted !== null,
    track: (ch) => {
      running.add(ch);
      void ch.done.then(() => running.delete(ch));
    },
  };
  try {
    progress('setting up namespaces…');
    lab = await createLab({
      prefix: o.prefix,
      mtu: o.mtu,
      // A note (stale namespaces removed) gets a line of its own, above the progress line.
      onNote: (line) => {
        progress(null);
        o.err(`${line}\n`);
        progress('setting up namespaces…');
      },
    });
    if (!interrupted) {
      const l = lab;
      await body({ lab: l, hooks, interrupted: () => interrupted, progress });
    }
  } catch (e) {
    if (!interrupted) error = message(e);
  } finally {
    progress(null);
    for (const ch of running) ch.kill();
    await Promise.all([...running].map((ch) => ch.done));
    if (lab) {
      try {
        await lab.destroy();
      } catch (e) {
        error = error ? `${error}; cleanup: ${message(e)}` : `cleanup: ${message(e)}`;
      }
    }
    ctl.uninstall();
  }
  const info = lab ? { id: lab.id, txNs: lab.txNs, rxNs: lab.rxNs, egressKind: lab.egressKind, egressDev: lab.egressDev } : null;
  return { interrupted, error, lab: info };
}
