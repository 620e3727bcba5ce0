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
// A lab is removed by destroy(), and at exit by the safety net below. A
// process killed outright (kill -9, the OOM killer, a signal nobody handles)
// cannot do either: each lab writes an owner record first, and the next
// createLab removes the namespaces of owners that are gone. The children that
// run inside a lab die with the process that spawned them (parentDeathArgv).

import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
// Children die with their parent

let setprivPath: string | null | undefined;
/** util-linux's setpriv (essential on Debian), or null where it is missing. */
function setprivBin(): string | null {
  if (setprivPath === undefined) setprivPath = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p)) ?? null;
  return setprivPath;
}

/** The shell step between setpriv and the program: $1 is the expected parent pid, the rest is the program. */
const PARENT_CHECK = 'p=$1; shift; [ "$PPID" = "$p" ] || exit 1; exec "$@"';

/**
 * argv that runs `argv` so that it is killed (SIGKILL) when `parentPid`, the
 * process about to spawn it, dies, however it dies (kill -9 included).
 * setpriv sets PR_SET_PDEATHSIG and execs; the setting survives execve of
 * programs that are not set-user-ID or file-capable (sh, ip netns exec, node,
 * the C selftest) and ip's setns. The race: a parent that dies after the fork
 * but before the prctl never sends the signal (the child then already belongs
 * to init or a subreaper), so a POSIX shell then checks that its parent is
 * still `parentPid` and only then execs the program; every step execs, so the
 * pid is the program's. Cost: about 1.4 ms per spawn (setpriv 0.85 ms, sh
 * 0.55 ms, measured on a project machine), nothing in the program's own
 * start-up. Where setpriv is missing, argv comes back unchanged (children of
 * a process killed outright then outlive it until the lab is removed).
 */
export function parentDeathArgv(argv: string[], parentPid: number = process.pid): string[] {
  const setpriv = setprivBin();
  if (!setpriv) return argv;
  return [setpriv, '--pdeathsig', 'SIGKILL', '--', '/bin/sh', '-c', PARENT_CHECK, 'msg-zerocopy-child', String(parentPid), ...argv];
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
// Owner records. Each lab writes <dir>/<prefix><id>.json before its first
// namespace exists and removes it once its namespaces are gone:
//   {"version":1,"pid":4242,"startTime":123456,"namespaces":["mzc-abc123-tx","mzc-abc123-rx"],"createdAt":"..."}
// createLab removes the namespaces of records whose owner is gone (no such
// pid, a pid now another process's, or exited and not yet reaped). A
// namespace without a record (not ours, or made by an older version), or one
// whose owner lives, is never touched.

/** Default directory of owner records: on tmpfs, so it ends with a reboot as /run/netns does. */
export const LAB_RECORD_DIR = '/run/msg-zerocopy/labs';

/** Directory of owner records: $MSG_ZEROCOPY_LAB_DIR, else LAB_RECORD_DIR. */
export function labRecordDir(): string {
  return process.env.MSG_ZEROCOPY_LAB_DIR || LAB_RECORD_DIR;
}

export interface LabRecord {
  version: 1;
  /** The process that created the lab. */
  pid: number;
  /** Its start time, field 22 of /proc/<pid>/stat (clock ticks after boot): a reused pid has another. */
  startTime: number;
  /** The lab's namespaces, tx then rx. */
  namespaces: string[];
  createdAt: string;
}

/** alive; gone (no such pid); reused (the pid is another process's); dead (exited, not yet reaped). */
export type OwnerState = 'alive' | 'gone' | 'reused' | 'dead';

/** A namespace name createLab makes: <prefix><6 hex>-tx|rx. Records naming anything else are not ours. */
const LAB_NS_NAME = /^[A-Za-z0-9_.-]{1,20}[0-9a-f]{6}-(tx|rx)$/;

/**
 * State (field 3) and start time (field 22) from the text of /proc/<pid>/stat,
 * or null. The command name (field 2) may hold spaces and parentheses, so the
 * fields are counted after its last ')'.
 */
export function parseProcStat(text: string): { state: string; startTime: number } | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 1).trim().split(/\s+/); // f[0] is field 3: field n is f[n - 3]
  const startTime = Number(f[19]);
  if (!/^[A-Za-z]$/.test(f[0] ?? '') || f[19] === undefined || !Number.isSafeInteger(startTime) || startTime < 0) return null;
  return { state: f[0], startTime };
}

/**
 * Whether a record's owner lives, from the current text of /proc/<pid>/stat
 * for its pid (null: no such process). Text that cannot be read as a stat
 * line counts as alive: when in doubt, touch nothing.
 */
export function ownerState(rec: Pick<LabRecord, 'startTime'>, stat: string | null): OwnerState {
  if (stat === null) return 'gone';
  const s = parseProcStat(stat);
  if (!s) return 'alive';
  if (s.startTime !== rec.startTime) return 'reused';
  return s.state === 'Z' || s.state === 'X' ? 'dead' : 'alive';
}

/** A record file's text as a LabRecord, or null when it is not a valid record of ours. */
export function parseLabRecord(text: string): LabRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const r = v as Record<string, unknown>;
  const ok = r.version === 1 && Number.isSafeInteger(r.pid) && (r.pid as number) > 0 &&
    Number.isSafeInteger(r.startTime) && (r.startTime as number) >= 0 &&
    Array.isArray(r.namespaces) && r.namespaces.length > 0 &&
    r.namespaces.every((n) => typeof n === 'string' && LAB_NS_NAME.test(n));
  return ok ? (v as LabRecord) : null;
}

export interface RecordView {
  file: string;
  record: LabRecord;
  owner: OwnerState;
}

export interface StalePlan {
  /** Namespaces to remove (existing ones of records whose owner is gone), in record order. */
  remove: string[];
  /** Record files whose owner is gone: removed once none of their namespaces is left. */
  files: string[];
}

/** What to remove. A namespace a live owner's record names is never touched, even if a stale record names it too. */
export function planStale(records: RecordView[], existing: ReadonlySet<string>): StalePlan {
  const claimed = new Set(records.filter((r) => r.owner === 'alive').flatMap((r) => r.record.namespaces));
  const remove: string[] = [];
  const files: string[] = [];
  for (const r of records) {
    if (r.owner === 'alive') continue;
    files.push(r.file);
    for (const ns of r.record.namespaces) {
      if (existing.has(ns) && !claimed.has(ns) && !remove.includes(ns)) remove.push(ns);
    }
  }
  return { remove, files };
}

/** The one line createLab writes after removing stale namespaces. */
export function staleNote(removed: string[], owners: number[]): string {
  const who = owners.length === 1 ? `owner pid ${owners[0]} is gone` : `owner pids ${owners.join(', ')} are gone`;
  return `msg-zerocopy: removed stale namespaces ${removed.join(', ')} (${who})`;
}

let selfStart: number | null | undefined;
/** This process's start time (field 22 of /proc/self/stat), or null without /proc. */
function selfStartTime(): number | null {
  if (selfStart === undefined) {
    try {
      selfStart = parseProcStat(readFileSync('/proc/self/stat', 'utf8'))?.startTime ?? null;
    } catch {
      selfStart = null;
    }
  }
  return selfStart;
}

/** /proc/<pid>/stat, null when there is no such process, '' when it cannot be read (counts as alive). */
async function readStat(pid: number): Promise<string | null> {
  try {
    return await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : '';
  }
}

async function writeLabRecord(dir: string, file: string, rec: LabRecord): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`; // not *.json: never read as a record
  await writeFile(tmp, `${JSON.stringify(rec)}\n`, { mode: 0o644 });
  await rename(tmp, file); // whole or absent, even under kill -9
}

/** Remove the namespaces of records in `dir` whose owner is gone, then the records; one note if any namespace went. */
async function removeStaleLabs(dir: string, note: (line: string) => void): Promise<void> {
  if (selfStartTime() === null) return; // without /proc no owner can be judged alive: touch nothing
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return; // no records yet
  }
  const records: RecordView[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let record: LabRecord | null = null;
    try {
      record = parseLabRecord(await readFile(file, 'utf8'));
    } catch { /* removed meanwhile */ }
    if (record) records.push({ file, record, owner: ownerState(record, await readStat(record.pid)) });
  }
  if (records.every((r) => r.owner === 'alive')) return;
  const existing = await netnsNames();
  if (!existing) return;
  const plan = planStale(records, existing);
  const removed: string[] = [];
  for (const ns of plan.remove) {
    await killPids(ns); // processes still inside would keep it (and its devices) alive
    try {
      await run(['ip', 'netns', 'del', ns]);
      removed.push(ns);
    } catch { /* removed by someone else meanwhile, or not permitted: its record stays */ }
  }
  const left = await netnsNames();
  for (const r of records) {
    if (left && plan.files.includes(r.file) && !r.record.namespaces.some((ns) => left.has(ns))) {
      await unlink(r.file).catch(() => {});
    }
  }
  if (removed.length) {
    const owners = [...new Set(records.filter((r) => r.owner !== 'alive' && r.record.namespaces.some((ns) => removed.includes(ns)))
      .map((r) => r.record.pid))];
    note(staleNote(removed, owners));
  }
}

// ---------------------------------------------------------------------------
// Safety net: every live lab is removed when the process exits or dies of an
// uncaught exception. Signals are not handled here: they belong to RunControl
// (src/core/control.ts), whose first signal stops the run gracefully (the
// command's own cleanup then destroys its lab) and whose second one forces
// (its force hook calls destroyAllLabsSync). A process killed by a signal
// nobody handles leaves its lab to the next createLab (owner records above).

const live = new Map<string, LabImpl>();
let netInstalled = false;

/** Names of the namespaces of labs that are still alive in this process. */
export function liveLabs(): Lab[] {
  return [...live.values()];
}

/** Synchronously remove every live lab (process exit, RunControl's force hook). */
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

/** Names in `ip netns list`, or null when it fails. */
async function netnsNames(): Promise<Set<string> | null> {
  try {
    const out = await run(['ip', 'netns', 'list']);
    return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean));
  } catch {
    return null;
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
  const note = opts.onNote ?? ((line: string): void => { process.stderr.write(`${line}\n`); });
  const dir = opts.recordDir ?? labRecordDir();

  try {
    await removeStaleLabs(dir, note);
  } catch { /* never in the way of a new lab */ }

  const existing = (await netnsNames()) ?? new Set<string>();
  let id = '';
  for (let i = 0; i < 16; i++) {
    id = randomBytes(3).toString('hex');
    if (!existing.has(`${prefix}${id}-tx`) && !existing.has(`${prefix}${id}-rx`) && !live.has(id) &&
      !existsSync(join(dir, `${prefix}${id}.json`))) break;
  }
  const lab = new LabImpl(id, `${prefix}${id}-tx`, `${prefix}${id}-rx`);
  installSafetyNet();
  live.set(id, lab);

  const { txNs: tx, rxNs: rx } = lab;
  // The owner record comes before the first namespace: a kill -9 at any later point leaves nothing unrecorded.
  let recordError: string | null = null;
  const startTime = selfStartTime();
  if (startTime === null) {
    recordError = 'cannot read /proc/self/stat';
  } else {
    const file = join(dir, `${prefix}${id}.json`);
    try {
      await writeLabRecord(dir, file, { version: 1, pid: process.pid, startTime, namespaces: [tx, rx], createdAt: new Date().toISOString() });
      lab.recordFile = file;
    } catch (e) {
      recordError = e instanceof Error ? e.message : String(e);
    }
  }
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
      if (recordError && ns === tx) {
        note(`msg-zerocopy: no owner record for ${tx}, ${rx} (${recordError}); ` +
          'if this process is killed outright they stay until removed by hand');
      }
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
