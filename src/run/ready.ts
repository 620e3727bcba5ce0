// SPDX-License-Identifier: GPL-2.0-only
// Receiver readiness: the receiver child's OWN socket is bound (tcp:
// listening). A socket of another program on the same port does not count:
// the socket table of the child's namespace (/proc/<pid>/net/…) names the
// sockets bound to the port by inode, and the child must hold one of them
// among its file descriptors (/proc/<pid>/fd → socket:[inode]).
// `ip netns exec` (and setpriv) exec the program, so the pid we spawned is
// the receiver itself once it runs.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Child } from './child.js';
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

/** Inodes of the sockets process `pid` holds among its file descriptors (/proc/<pid>/fd → socket:[inode]). */
export async function socketInodes(pid: number): Promise<Set<string>> {
  const out = new Set<string>();
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  await Promise.all(fds.map(async (fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch { /* closed meanwhile */ }
  }));
  return out;
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
 * Inodes of the sockets of process `pid` and of its children: a receiver of
 * several flows (-r -P n, src/flows) holds its sockets in one child per flow.
 */
export async function treeSocketInodes(pid: number): Promise<Set<string>> {
  const out = await socketInodes(pid);
  for (const child of await childPids(pid)) for (const i of await socketInodes(child)) out.add(i);
  return out;
}

/**
 * True when each of ports port .. port + flows - 1 is bound (tcp: listening)
 * by a socket the receiver holds: the process itself for one flow, it or
 * one of its children for several.
 */
export async function receiverSocketsBound(pid: number, family: Family, test: RxTest, port: number, flows = 1): Promise<boolean> {
  const held = flows > 1 ? await treeSocketInodes(pid) : await socketInodes(pid);
  for (let k = 0; k < flows; k++) {
    const bound = await boundInodes(pid, family, test, port + k);
    if (![...bound].some((i) => held.has(i))) return false;
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
    if (child.pid && await receiverSocketsBound(child.pid, o.family, o.test, o.port, o.flows ?? 1)) {
      return child.exited ? 'exited' : 'ready';
    }
    await sleep(5);
  }
  return child.exited ? 'exited' : 'timeout';
}
