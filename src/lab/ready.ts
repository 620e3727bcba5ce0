// SPDX-License-Identifier: GPL-2.0-only
import { readFile, readlink, stat } from 'node:fs/promises';

// Receiver readiness: watch the socket table of the receiver's own network
// namespace (/proc/<pid>/net/…) until its socket is bound (tcp: listening).
// `ip netns exec` switches namespace and then execs, so the pid we spawned is
// the receiver itself, inside the right namespace, once it runs Node.

/** /proc/net tables to look in, and the key in the local-address column. */
function tables(family: 4 | 6, test: string, port: number): { names: string[]; key: number } {
  const v6 = family === 6 ? '6' : '';
  if (test === 'tcp') return { names: [`tcp${v6}`], key: port };
  if (test === 'udp') return { names: [`udp${v6}`], key: port };
  return { names: [`raw${v6}`], key: 8 }; // raw sockets show their protocol (IPPROTO_EGP) there
}

/** True when process `pid` sees a socket bound to the receiver's port (tcp: listening). */
export async function socketBound(pid: number, family: 4 | 6, test: string, port: number): Promise<boolean> {
  const t = tables(family, test, port);
  const hex = `:${t.key.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const name of t.names) {
    let text: string;
    try {
      text = await readFile(`/proc/${pid}/net/${name}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || !f[1].endsWith(hex)) continue;
      if (test === 'tcp' && f[3] !== '0A') continue; // TCP_LISTEN
      return true;
    }
  }
  return false;
}

/** The network namespace of a process (the link text of /proc/<pid>/ns/net), or null. */
export async function netnsOf(pid: number): Promise<string | null> {
  try {
    return await readlink(`/proc/${pid}/ns/net`);
  } catch {
    return null;
  }
}

/** The link text of the namespace bound at `path` (/run/netns/<name>), as netnsOf gives it, or null. */
export async function netnsAt(path: string): Promise<string | null> {
  try {
    return `net:[${(await stat(path)).ino}]`;
  } catch {
    return null;
  }
}
