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

import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

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
}

export const LAB_ADDR: LabAddresses = Object.freeze({
  4: Object.freeze({ src: '192.168.1.1', dst: '192.168.1.2', txOnly: '192.168.2.2' }),
  6: Object.freeze({ src: 'fd::1', dst: 'fd::2', txOnly: 'fc::2' }),
}) as LabAddresses;

export const TX_MAC = '02:02:02:02:02:02';
export const RX_MAC = '06:06:06:06:06:06';
export const LAB_MTU = 65535;
export const DEFAULT_PREFIX = 'mzc-';

/** argv that runs `argv` inside network namespace `ns`. */
export function nsExecArgv(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

// ---------------------------------------------------------------------------
// Running commands

export class CommandError extends Error {
  constructor(
    readonly argv: string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    const detail = stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${String(code)}`;
    super(`${argv.join(' ')}: ${detail}`);
    this.name = 'CommandError';
  }
}

/** Run argv[0] with argv[1..] (no shell); resolve with stdout, reject with CommandError. */
export function run(argv: string[], timeoutMs = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    const [file, ...args] = argv;
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: number | string };
          if (e.code === 'ENOENT') {
            reject(new Error(`${file}: command not found (install iproute2/procps)`));
            return;
          }
          reject(new CommandError(argv, e.code ?? null, String(stderr || e.message)));
          return;
        }
        resolve(String(stdout));
      });
  });
}

function isPermissionError(err: unknown): boolean {
  const text = err instanceof CommandError ? err.stderr : String(err);
  return /Operation not permitted|Permission denied|EPERM|EACCES/i.test(text);
}

// ---------------------------------------------------------------------------
// Safety net: every live lab is removed when the process ends, however it ends.

const live = new Map<string, LabImpl>();
let netInstalled = false;

/** Names of the namespaces of labs that are still alive in this process. */
export function liveLabs(): Lab[] {
  return [...live.values()];
}

/** Synchronously remove every live lab (used on process exit and signals). */
export function destroyAllLabsSync(): void {
  for (const lab of [...live.values()]) lab.destroySync();
}

/** Asynchronously remove every live lab. */
export async function destroyAllLabs(): Promise<void> {
  await Promise.all([...live.values()].map((lab) => lab.destroy()));
}

function installSafetyNet(): void {
  if (netInstalled) return;
  netInstalled = true;
  process.on('exit', destroyAllLabsSync);
  process.on('uncaughtExceptionMonitor', destroyAllLabsSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      destroyAllLabsSync();
      // When nobody else handles the signal, keep its default meaning:
      // re-raise it so the process dies with the usual 128+n status.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, handler);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, handler);
  }
}

// ---------------------------------------------------------------------------

function killPidsSync(ns: string): void {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    return;
  }
  for (const pid of out.split(/\s+/).filter(Boolean).map(Number)) {
    if (pid > 0 && pid !== process.pid) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}

async function killPids(ns: string): Promise<void> {
  let out = '';
  try {
    out = await run(['ip', 'netns', 'pids', ns], 5000);
  } catch {
    return;
  }
  for (const pid of out.split(/\s+/).filter(Boolean).map(Number)) {
    if (pid > 0 && pid !== process.pid) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}

class LabImpl implements Lab {
  readonly dev = 'veth0' as const;
  readonly addr = LAB_ADDR;
  egressKind: EgressKind = 'ifb';
  egressDev = 'egress0';
  /** Namespaces that `ip netns add` has created so far. */
  readonly created: string[] = [];
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
        this.done = true;
        live.delete(this.id);
      })();
    }
    return this.destroying;
  }

  destroySync(): void {
    if (this.done) return;
    for (const ns of [...this.created].reverse()) {
      killPidsSync(ns);
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
      } catch { /* already gone */ }
    }
    this.created.length = 0;
    this.done = true;
    live.delete(this.id);
  }
}

async function listNetns(): Promise<Set<string>> {
  try {
    const out = await run(['ip', 'netns', 'list']);
    return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean));
  } catch {
    return new Set();
  }
}

async function sysctlIn(ns: string, key: string, value: string | number): Promise<void> {
  await run(nsExecArgv(ns, ['sysctl', '-q', '-w', `${key}=${value}`]));
}

async function addEgress(lab: LabImpl, kinds: EgressKind[]): Promise<void> {
  const failures: string[] = [];
  for (const kind of kinds) {
    const name = `${kind}0`;
    try {
      await run(['ip', '-n', lab.rxNs, 'link', 'add', name, 'mtu', String(LAB_MTU), 'type', kind]);
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

/**
 * Create a fresh, uniquely named namespace pair with the selftest topology.
 * On any failure everything created so far is removed and an Error with a
 * one-line message naming the cause is thrown.
 */
export async function createLab(opts: CreateLabOptions = {}): Promise<Lab> {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  if (!/^[A-Za-z0-9_.-]{1,20}$/.test(prefix)) throw new Error(`invalid lab prefix '${prefix}'`);
  const kinds = opts.egressKinds ?? ['dummy', 'ifb'];

  const existing = await listNetns();
  let id = '';
  for (let i = 0; i < 16; i++) {
    id = randomBytes(3).toString('hex');
    if (!existing.has(`${prefix}${id}-tx`) && !existing.has(`${prefix}${id}-rx`) && !live.has(id)) break;
  }
  const lab = new LabImpl(id, `${prefix}${id}-tx`, `${prefix}${id}-rx`);
  installSafetyNet();
  live.set(id, lab);

  const { txNs: tx, rxNs: rx } = lab;
  const a = LAB_ADDR;
  let step = '';
  try {
    step = 'namespaces';
    for (const ns of [tx, rx]) {
      try {
        await run(['ip', 'netns', 'add', ns]);
      } catch (err) {
        if (isPermissionError(err)) throw new Error('ip netns add needs root (CAP_SYS_ADMIN)');
        throw err;
      }
      lab.created.push(ns);
      await run(['ip', '-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
      await sysctlIn(ns, 'net.core.optmem_max', 1000000);
    }

    step = 'veth pair';
    await run(['ip', '-n', tx, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth0', 'netns', rx]);
    await run(['ip', '-n', tx, 'link', 'set', 'dev', 'veth0', 'mtu', String(LAB_MTU), 'address', TX_MAC]);
    await run(['ip', '-n', rx, 'link', 'set', 'dev', 'veth0', 'mtu', String(LAB_MTU), 'address', RX_MAC]);

    step = 'addresses';
    await run(['ip', '-n', tx, '-4', 'addr', 'add', `${a[4].src}/24`, 'dev', 'veth0']);
    await run(['ip', '-n', tx, '-6', 'addr', 'add', `${a[6].src}/64`, 'dev', 'veth0', 'nodad']);
    await run(['ip', '-n', rx, '-4', 'addr', 'add', `${a[4].dst}/24`, 'dev', 'veth0']);
    await run(['ip', '-n', rx, '-6', 'addr', 'add', `${a[6].dst}/64`, 'dev', 'veth0', 'nodad']);
    await run(['ip', '-n', tx, 'link', 'set', 'dev', 'veth0', 'up']);
    await run(['ip', '-n', rx, 'link', 'set', 'dev', 'veth0', 'up']);

    step = 'egress device';
    await addEgress(lab, kinds);
    const eg = lab.egressDev;
    await run(['ip', '-n', rx, 'link', 'set', 'dev', eg, 'up']);
    await run(['ip', '-n', rx, '-4', 'addr', 'add', '192.168.2.1/24', 'dev', eg]);
    await run(['ip', '-n', rx, '-6', 'addr', 'add', 'fc::1/64', 'dev', eg, 'nodad']);

    step = 'routes';
    await run(['ip', '-n', tx, '-4', 'route', 'add', 'default', 'via', a[4].dst, 'dev', 'veth0']);
    await run(['ip', '-n', tx, '-6', 'route', 'add', 'default', 'via', a[6].dst, 'dev', 'veth0']);
    await run(['ip', '-n', rx, '-4', 'route', 'add', 'default', 'via', a[4].txOnly, 'dev', eg]);
    await run(['ip', '-n', rx, '-6', 'route', 'add', 'default', 'via', a[6].txOnly, 'dev', eg]);

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
  return lab;
}
