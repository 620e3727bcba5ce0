// SPDX-License-Identifier: GPL-2.0-only
// Receiver readiness: the receiver child's OWN socket is bound (tcp:
// listening). A socket of another program on the same port does not count:
// the socket table of the child's namespace (/proc/<pid>/net/…) names the
// sockets bound to the port by inode, and the child must hold one of them
// among its file descriptors (/proc/<pid>/fd → socket:[inode]).
// `ip netns exec` (and setpriv) exec the program, so the pid we spawned is
// the receiver itself once it runs.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Child } from '../lab/child.js';
import type { Family, RxTest } from '../core/vocabulary.js';

/** The /proc/net table a receiver's socket appears in, and the key of its local-address column. */
function table(family: Family, test: RxTest, port: number): { name: string; key: number } {
  const v6 = family === 6 ? '6' : '';
  if (test === 'raw') return { name: `raw${v6}`, key: 8 }; // raw sockets show their protocol (IPPROTO_EGP) there
  return { name: `${test}${v6}`, key: port };
}

const TCP_LISTEN = '0A';

/** Inodes of the sockets that process `pid`'s namespace has bound to the receiver's port (tcp: listening). */
export async function boundInodes(pid: number, family: Family, test: RxTest, port: number): Promise<Set<string>> {
  const t = table(family, test, port);
  const hex = `:${t.key.toString(16).toUpperCase().padStart(4, '0')}`;
  const out = new Set<string>();
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/net/${t.name}`, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    // sl local rem st queues tr:when retrnsmt uid timeout inode
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !f[1].endsWith(hex)) continue;
    if (test === 'tcp' && f[3] !== TCP_LISTEN) continue;
    out.add(f[9]);
  }
  return out;
}

/** True when process `pid` holds one of the socket `inodes` among its file descriptors. */
export async function holdsSocket(pid: number, inodes: Set<string>): Promise<boolean> {
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) return true;
    } catch { /* closed meanwhile */ }
  }
  return false;
}

/** True when process `pid` itself has its receiver socket bound (tcp: listening). */
export async function ownSocketBound(pid: number, family: Family, test: RxTest, port: number): Promise<boolean> {
  return holdsSocket(pid, await boundInodes(pid, family, test, port));
}

/** The children of process `pid` (/proc/<pid>/task/<tid>/children), or none. */
export async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = await readdir(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = await readFile(`/proc/${pid}/task/${tid}/children`, 'utf8');
      for (const c of text.split(/\s+/)) if (c) out.push(Number(c));
    } catch { /* ended meanwhile */ }
  }
  return out;
}

/**
 * A multi-flow receiver (-r -P n, src/flows) runs one child per flow: true
 * when each of ports port .. port + flows - 1 is bound by a socket that the
 * process or one of its children holds.
 */
export async function flowSocketsBound(pid: number, family: Family, test: RxTest, port: number, flows: number): Promise<boolean> {
  const holders = [pid, ...await childPids(pid)];
  for (let k = 0; k < flows; k++) {
    const inodes = await boundInodes(pid, family, test, port + k);
    let held = false;
    for (const p of holders) if (!held) held = await holdsSocket(p, inodes);
    if (!held) return false;
  }
  return true;
}

export interface ReadyOptions {
  family: Family;
  /** Receive mode: tcp, udp or raw. */
  test: RxTest;
  port: number;
  /** -P: flows of a multi-flow receiver, one child each (absent or 1: the process itself). */
  flows?: number;
  /** Give up after this long. */
  maxMs: number;
  aborted?: () => boolean;
}

export type Readiness = 'ready' | 'exited' | 'aborted' | 'timeout';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Wait until the receiver child's own socket is bound. 'exited': the child
 * ended first (its bind error is in its output); 'timeout': not bound within
 * maxMs (it is never taken as ready then).
 */
export async function waitReady(child: Child, o: ReadyOptions): Promise<Readiness> {
  const end = Date.now() + o.maxMs;
  while (Date.now() < end) {
    if (child.exited) return 'exited';
    if (o.aborted?.()) return 'aborted';
    const flows = o.flows ?? 1;
    if (child.pid && await (flows > 1 ? flowSocketsBound(child.pid, o.family, o.test, o.port, flows)
      : ownSocketBound(child.pid, o.family, o.test, o.port))) {
      return child.exited ? 'exited' : 'ready';
    }
    await sleep(5);
  }
  return child.exited ? 'exited' : 'timeout';
}
