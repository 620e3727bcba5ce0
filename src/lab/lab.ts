// SPDX-License-Identifier: GPL-2.0-only
// Namespace lab: the two-namespace topology of the kernel's msg_zerocopy.sh
// (SPEC section 5), created and torn down with `ip` and `sysctl` run from
// argument arrays (never a shell string). Only the lab's own namespaces are
// touched; the host's settings stay as they are.
//
//   tx ns (mzc-<id>-tx)                 rx ns (mzc-<id>-rx)
//   veth0 02:02:02:02:02:02  <------>   veth0 06:06:06:06:06:06
//   192.168.1.1/24 fd::1/64             192.168.1.2/24 fd::2/64
//   default via 192.168.1.2 / fd::2     egress device (dummy, else ifb):
//                                       192.168.2.1/24 fc::1/64,
//                                       default via 192.168.2.2 / fc::2 there,
//                                       forwarding on; the egress device drops.
//
// A lab is removed by destroy(), and at exit by the safety net (safety.ts). A
// process killed outright (kill -9, the OOM killer, a signal nobody handles)
// cannot do either: each lab writes an owner record first, and the next
// createLab removes the namespaces of owners that are gone (owners.ts). The
// children that run inside a lab die with the process that spawned them
// (src/run/child.ts). The commands themselves run through exec.ts.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError, isPermissionError, killPids, killPidsSync, netnsNames, run, sysctlIn } from './exec.js';
import { labRecordDir, recordOwner, removeStaleLabs } from './owners.js';
import { ExitNet } from './safety.js';

export type EgressKind = 'dummy' | 'ifb';

export interface LabAddresses {
  4: { src: '192.168.1.1'; dst: '192.168.1.2'; txOnly: '192.168.2.2' };
  6: { src: 'fd::1'; dst: 'fd::2'; txOnly: 'fc::2' };
}

export interface Lab {
  readonly id: string;
  readonly txNs: string;
  readonly rxNs: string;
  readonly dev: 'veth0';
  readonly egressKind: EgressKind;
  /** Name of the egress-only device inside the receiver namespace. */
  readonly egressDev: string;
  readonly addr: LabAddresses;
  /** True once destroy() has run (or the safety net removed the lab). */
  readonly destroyed: boolean;
  destroy(): Promise<void>;
}

export interface CreateLabOptions {
  /** Namespace name prefix; default 'mzc-'. */
  prefix?: string;
  /** Egress device kinds to try, in order; default ['dummy', 'ifb']. */
  egressKinds?: EgressKind[];
  /** Directory of owner records; default labRecordDir(). */
  recordDir?: string;
  /** One-line notes (stale namespaces removed, no owner record); default: a line on stderr. */
  onNote?: (line: string) => void;
  /** MTU of the veth pair and the egress device (default LAB_MTU, 65535; 1500 is what a NIC has). */
  mtu?: number;
}

export const LAB_ADDR: LabAddresses = Object.freeze({
  4: Object.freeze({ src: '192.168.1.1', dst: '192.168.1.2', txOnly: '192.168.2.2' }),
  6: Object.freeze({ src: 'fd::1', dst: 'fd::2', txOnly: 'fc::2' }),
}) as LabAddresses;

export const TX_MAC = '02:02:02:02:02:02';
export const RX_MAC = '06:06:06:06:06:06';
export const LAB_MTU = 65535;
export const DEFAULT_PREFIX = 'mzc-';

const live = new ExitNet<LabImpl>();

/** The labs that are still alive in this process. */
export function liveLabs(): Lab[] {
  return live.all();
}

/** Synchronously remove every live lab (process exit, RunControl's force hook). */
export function destroyAllLabsSync(): void {
  live.destroyAllSync();
}

/** Asynchronously remove every live lab. */
export async function destroyAllLabs(): Promise<void> {
  await live.destroyAll();
}

class LabImpl implements Lab {
  readonly dev = 'veth0' as const;
  readonly addr = LAB_ADDR;
  egressKind: EgressKind = 'ifb';
  egressDev = 'egress0';
  /** Namespaces that `ip netns add` has created so far. */
  readonly created: string[] = [];
  recordFile: string | null = null;
  private destroying: Promise<void> | null = null;
  private done = false;

  constructor(readonly id: string, readonly txNs: string, readonly rxNs: string) {}

  get destroyed(): boolean {
    return this.done;
  }

  destroy(): Promise<void> {
    if (this.done && !this.destroying) return Promise.resolve();
    if (!this.destroying) {
      this.destroying = (async () => {
        for (const ns of [...this.created].reverse()) {
          // A process still inside would keep the namespace (and its veth
          // and egress device) alive after the name is gone.
          await killPids(ns);
          try {
            await run(['ip', 'netns', 'del', ns]);
          } catch (err) {
            if (!/No such file|not exist/i.test(String(err))) {
              // Try once more synchronously; report if that fails too.
              try {
                execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
              } catch {
                throw new Error(`could not remove namespace ${ns}: ${(err as Error).message}`);
              }
            }
          }
        }
        this.created.length = 0;
        if (this.recordFile) await unlink(this.recordFile).catch(() => {});
        this.recordFile = null;
        this.done = true;
        live.delete(this.id);
      })();
    }
    return this.destroying;
  }

  destroySync(): void {
    if (this.done) return;
    let kept = false;
    for (const ns of [...this.created].reverse()) {
      killPidsSync(ns);
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
      } catch (err) {
        if (!/No such file|not exist/i.test(String((err as { stderr?: unknown }).stderr ?? err))) kept = true;
      }
    }
    // A namespace that stayed keeps its record: once this process is gone, the next createLab removes it.
    if (this.recordFile && !kept) {
      try { unlinkSync(this.recordFile); } catch { /* gone */ }
      this.recordFile = null;
    }
    this.created.length = 0;
    this.done = true;
    live.delete(this.id);
  }
}

async function addEgress(lab: LabImpl, kinds: EgressKind[], mtu = LAB_MTU): Promise<void> {
  const failures: string[] = [];
  for (const kind of kinds) {
    const name = `${kind}0`;
    try {
      await run(['ip', '-n', lab.rxNs, 'link', 'add', name, 'mtu', String(mtu), 'type', kind]);
      lab.egressKind = kind;
      lab.egressDev = name;
      return;
    } catch (err) {
      const msg = err instanceof CommandError ? (err.stderr.trim().split('\n').pop() ?? '') : String(err);
      failures.push(`${kind}: ${msg}`);
    }
  }
  throw new Error(`cannot create an egress-only device in ${lab.rxNs} (${failures.join('; ')})`);
}

/** A fresh lab id: no namespace, live lab or owner record has it yet (16 tries). */
async function freshId(prefix: string, dir: string): Promise<string> {
  const existing = (await netnsNames()) ?? new Set<string>();
  let id = '';
  for (let i = 0; i < 16; i++) {
    id = randomBytes(3).toString('hex');
    if (!existing.has(`${prefix}${id}-tx`) && !existing.has(`${prefix}${id}-rx`) && !live.has(id) &&
      !existsSync(join(dir, `${prefix}${id}.json`))) break;
  }
  return id;
}

/** The two namespaces, lo up and optmem_max in each; `added` after the first, for the note on a missing owner record. */
async function addNamespaces(lab: LabImpl, added: (ns: string) => void): Promise<void> {
  for (const ns of [lab.txNs, lab.rxNs]) {
    try {
      await run(['ip', 'netns', 'add', ns]);
    } catch (err) {
      if (isPermissionError(err)) throw new Error('ip netns add needs root (CAP_SYS_ADMIN)');
      throw err;
    }
    lab.created.push(ns);
    added(ns);
    await run(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    await sysctlIn(ns, 'net.core.optmem_max', 1000000);
  }
}

async function addVethPair(tx: string, rx: string, mtu = LAB_MTU): Promise<void> {
  await run(['ip', '-n', tx, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', rx]);
  await run(['ip', '-n', tx, 'link', 'set', 'dev', 'veth0', 'mtu', String(mtu), 'address', TX_MAC]);
  await run(['ip', '-n', rx, 'link', 'set', 'dev', 'veth0', 'mtu', String(mtu), 'address', RX_MAC]);
}

async function addAddresses(tx: string, rx: string): Promise<void> {
  const a = LAB_ADDR;
  await run(['ip', '-n', tx, '-4', 'addr', 'add', `${a[4].src}/24`, 'dev', 'veth0']);
  await run(['ip', '-n', tx, '-6', 'addr', 'add', `${a[6].src}/64`, 'dev', 'veth0', 'nodad']);
  await run(['ip', '-n', rx, '-4', 'addr', 'add', `${a[4].dst}/24`, 'dev', 'veth0']);
  await run(['ip', '-n', rx, '-6', 'addr', 'add', `${a[6].dst}/64`, 'dev', 'veth0', 'nodad']);
  await run(['ip', '-n', tx, 'link', 'set', 'dev', 'veth0', 'up']);
  await run(['ip', '-n', rx, 'link', 'set', 'dev', 'veth0', 'up']);
}

async function addEgressAddresses(rx: string, eg: string): Promise<void> {
  await run(['ip', '-n', rx, 'link', 'set', 'dev', eg, 'up']);
  await run(['ip', '-n', rx, '-4', 'addr', 'add', '192.168.2.1/24', 'dev', eg]);
  await run(['ip', '-n', rx, '-6', 'addr', 'add', 'fc::1/64', 'dev', eg, 'nodad']);
}

async function addRoutes(tx: string, rx: string, eg: string): Promise<void> {
  const a = LAB_ADDR;
  await run(['ip', '-n', tx, '-4', 'route', 'add', 'default', 'via', a[4].dst, 'dev', 'veth0']);
  await run(['ip', '-n', tx, '-6', 'route', 'add', 'default', 'via', a[6].dst, 'dev', 'veth0']);
  await run(['ip', '-n', rx, '-4', 'route', 'add', 'default', 'via', a[4].txOnly, 'dev', eg]);
  await run(['ip', '-n', rx, '-6', 'route', 'add', 'default', 'via', a[6].txOnly, 'dev', eg]);
}

/** The topology, step by step; the step that failed goes into the error. */
async function build(lab: LabImpl, kinds: EgressKind[], added: (ns: string) => void, mtu = LAB_MTU): Promise<void> {
  const { txNs: tx, rxNs: rx } = lab;
  let step = '';
  try {
    step = 'namespaces';
    await addNamespaces(lab, added);
    step = 'veth pair';
    await addVethPair(tx, rx, mtu);
    step = 'addresses';
    await addAddresses(tx, rx);
    step = 'egress device';
    await addEgress(lab, kinds, mtu);
    await addEgressAddresses(rx, lab.egressDev);
    step = 'routes';
    await addRoutes(tx, rx, lab.egressDev);
    step = 'forwarding';
    await sysctlIn(rx, 'net.ipv4.ip_forward', 1);
    await sysctlIn(rx, 'net.ipv6.conf.all.forwarding', 1);
  } catch (err) {
    try {
      await lab.destroy();
    } catch {
      lab.destroySync();
    }
    const msg = err instanceof Error ? err.message : String(err);
    if (isPermissionError(err) && !/needs root/.test(msg)) {
      throw new Error(`lab setup (${step}) needs root (CAP_NET_ADMIN): ${msg}`);
    }
    throw new Error(/needs root/.test(msg) ? msg : `lab setup failed at ${step}: ${msg}`);
  }
}

/**
 * Create a fresh, uniquely named namespace pair with the selftest topology.
 * On any failure everything created so far is removed and an Error with a
 * one-line message naming the cause is thrown.
 */
export async function createLab(opts: CreateLabOptions = {}): Promise<Lab> {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  if (!/^[A-Za-z0-9_.-]{1,20}$/.test(prefix)) throw new Error(`invalid lab prefix '${prefix}'`);
  const kinds = opts.egressKinds ?? ['dummy', 'ifb'];
  const note = opts.onNote ?? ((line: string): void => { process.stderr.write(`${line}\n`); });
  const dir = opts.recordDir ?? labRecordDir();

  try {
    await removeStaleLabs(dir, note);
  } catch { /* never in the way of a new lab */ }

  const id = await freshId(prefix, dir);
  const lab = new LabImpl(id, `${prefix}${id}-tx`, `${prefix}${id}-rx`);
  live.add(lab);

  const { txNs: tx, rxNs: rx } = lab;
  // The owner record comes before the first namespace: a kill -9 at any later point leaves nothing unrecorded.
  const rec = await recordOwner(dir, join(dir, `${prefix}${id}.json`), [tx, rx]);
  if ('file' in rec) lab.recordFile = rec.file;
  await build(lab, kinds, (ns) => {
    if ('error' in rec && ns === tx) {
      note(`msg-zerocopy: no owner record for ${tx}, ${rx} (${rec.error}); ` +
        'if this process is killed outright they stay until removed by hand');
    }
  }, opts.mtu);
  return lab;
}
