// SPDX-License-Identifier: GPL-2.0-only
// Three hosts on one wire for the hostile host-pair tests: host A (pair),
// host B (serve) and host X (the attacker), each a network namespace with
// one veth port on a bridge in a fourth namespace. The bridge forgets every
// address at once (ageing 0), so it floods every frame to every port like a
// hub: X sees the pair's traffic, as an attacker on the path would.
// Namespaces are named and recorded as labs are (src/lab/lab.ts owner
// records, two namespaces a record), so a run killed outright leaves them to
// the next lab's clean-up; after() and process exit remove them otherwise.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/lab/exec.js';
import { labRecordDir } from '../../src/lab/owners.js';

export interface ThreeHosts {
  /** Namespaces: A runs pair, B serve, X the attacker; sw holds the bridge. */
  a: string;
  b: string;
  x: string;
  sw: string;
  addr: { a: string; b: string; x: string };
  destroy(): Promise<void>;
}

const ADDR = { a: '192.168.77.1', b: '192.168.77.2', x: '192.168.77.3' };

function startTime(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

export async function createThreeHosts(prefix = 'mzc-3h'): Promise<ThreeHosts> {
  const id = randomBytes(3).toString('hex');
  const id2 = randomBytes(3).toString('hex');
  const a = `${prefix}${id}-tx`;
  const b = `${prefix}${id}-rx`;
  const x = `${prefix}${id2}-tx`;
  const sw = `${prefix}${id2}-rx`;
  const all = [a, b, x, sw];
  const dir = labRecordDir();
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const records = [[a, b], [x, sw]].map((namespaces, i) => {
    const file = join(dir, `${prefix}${i ? id2 : id}.json`);
    writeFileSync(file, `${JSON.stringify({ version: 1, pid: process.pid, startTime: startTime(), namespaces, createdAt: new Date().toISOString() })}\n`);
    return file;
  });
  let gone = false;
  const destroySync = (): void => {
    if (gone) return;
    gone = true;
    for (const ns of all) {
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); } catch { /* not made, or gone */ }
    }
    for (const f of records) rmSync(f, { force: true });
  };
  process.once('exit', destroySync);
  try {
    for (const ns of all) {
      await run(['ip', 'netns', 'add', ns]);
      await run(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    }
    await run(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'ageing_time', '0']);
    await run(['ip', '-n', sw, 'link', 'set', 'dev', 'br0', 'up']);
    for (const [ns, host] of [[a, 'a'], [b, 'b'], [x, 'x']] as const) {
      await run(['ip', '-n', sw, 'link', 'add', `p${host}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await run(['ip', '-n', sw, 'link', 'set', 'dev', `p${host}`, 'master', 'br0', 'up']);
      await run(['ip', '-n', ns, 'addr', 'add', `${ADDR[host]}/24`, 'dev', 'eth0']);
      await run(['ip', '-n', ns, 'link', 'set', 'dev', 'eth0', 'up']);
    }
  } catch (e) {
    destroySync();
    throw e;
  }
  return {
    a, b, x, sw, addr: ADDR,
    destroy: async () => {
      process.removeListener('exit', destroySync);
      destroySync();
    },
  };
}
