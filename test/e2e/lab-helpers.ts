// SPDX-License-Identifier: GPL-2.0-only
// Host snapshots for the "nothing left behind" checks of the lab and suite tests.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';

const execFileP = promisify(execFile);

export async function sh(argv: string[]): Promise<string> {
  const { stdout } = await execFileP(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  return stdout;
}

export interface HostSnapshot {
  netns: string;
  links: string;
}

export async function snapshot(): Promise<HostSnapshot> {
  return { netns: await sh(['ip', 'netns', 'list']), links: await sh(['ip', 'link']) };
}

const names = (list: string): string[] => list.split('\n').map((l) => l.split(' ')[0]).filter(Boolean);

/**
 * `ip link` exactly as before, and `ip netns list` exactly as before. Other
 * programs on this machine may create and remove their own namespaces at the
 * same time; if the namespace list does not settle back within a few seconds,
 * the difference must at least contain nothing of ours (`ours` matches the
 * names this test created), and it is reported through `note`.
 */
export async function assertHostUnchanged(before: HostSnapshot, ours: (name: string) => boolean,
  note: (s: string) => void = () => {}): Promise<void> {
  assert.equal(await sh(['ip', 'link']), before.links, 'ip link differs from before');
  let now = await sh(['ip', 'netns', 'list']);
  for (let i = 0; i < 50 && now !== before.netns; i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = await sh(['ip', 'netns', 'list']);
  }
  const leftovers = names(now).filter((n) => !names(before.netns).includes(n));
  const ourLeftovers = leftovers.filter(ours);
  assert.deepEqual(ourLeftovers, [], `namespaces left behind: ${ourLeftovers.join(', ')}`);
  if (now !== before.netns) {
    note(`ip netns list changed by someone else meanwhile: before [${names(before.netns).join(' ')}], ` +
      `after [${names(now).join(' ')}]`);
  }
}
