// SPDX-License-Identifier: GPL-2.0-only
// Shared harness for the compatibility tests and the benchmark: runs the
// kernel's C selftest and our CLI inside the namespace lab the way the kernel
// driver does, and serialises heavy runs across test processes. Starting
// processes and reading their output is test/support/proc.ts.

import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { nsExecArgv, run as labRun, type Lab } from '../../src/lab/lab.js';
import { describe, parseRx, parseTx, sleep, start, type ProcResult, type RxLine, type TxLine } from '../support/proc.js';

// ---------------------------------------------------------------------------
// Runs in the lab

export type Family = 4 | 6;
export type TestName = 'tcp' | 'udp' | 'raw' | 'raw_hdrincl' | 'packet' | 'packet_dgram';

/** Receive mode the kernel driver uses for a send mode. */
export function rxModeFor(test: TestName): TestName {
  return test === 'packet' || test === 'packet_dgram' || test === 'raw_hdrincl' ? 'raw' : test;
}

/** Common flags, as the kernel driver passes them (minus -C, which would only warn on small machines). */
export function commonFlags(lab: Lab, family: Family): string[] {
  return [`-${family}`, '-i', lab.dev, '-S', lab.addr[family].src, '-D', lab.addr[family].dst];
}

/** ss option selecting the socket kind a receiver of this test listens on. */
function ssKind(test: TestName): string {
  return test === 'tcp' ? '-t' : test === 'udp' ? '-u' : '-w';
}

/** Waits until a receiver socket is bound in ns (tcp listening, udp/raw bound). */
export async function waitForReceiver(ns: string, test: TestName, port: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const kind = ssKind(test);
  while (Date.now() < deadline) {
    let out = '';
    try {
      const args = ['ss', '-H', '-n', '-l', kind];
      if (test === 'tcp' || test === 'udp') args.push('sport', '=', `:${port}`);
      out = await labRun(nsExecArgv(ns, args), 5000);
    } catch {
      out = '';
    }
    if (out.trim()) return true;
    await sleep(20);
  }
  return false;
}

export interface PairOptions {
  family: Family;
  test: TestName;
  /** Sender argv prefix (program), e.g. ourArgv() or [cBin]. */
  sender: string[];
  /** Receiver argv prefix. */
  receiver: string[];
  /** Extra flags for both sides (e.g. ['-z'] or ['-s', '1000']). */
  flags?: string[];
  /** Extra flags for the receiver only. */
  receiverFlags?: string[];
  /** Extra flags for the sender only (e.g. ['-Z', '0', '--json']). */
  senderFlags?: string[];
  /** -t for the receiver (default 2) and the sender (default 1). */
  rxSecs?: number;
  txSecs?: number;
  port?: number;
  /** Wrap the sender (inside the namespace), e.g. ['/usr/bin/time', '-f', ...]. */
  senderWrap?: string[];
}

export interface PairResult {
  rx: ProcResult;
  tx: ProcResult;
  rxLine: RxLine | null;
  txLine: TxLine | null;
}

/** One receiver + sender run, like the kernel driver's do_test, but waiting for the receiver to be bound. */
export async function runPair(lab: Lab, o: PairOptions): Promise<PairResult> {
  const port = o.port ?? 8000;
  const flags = [...commonFlags(lab, o.family), '-p', String(port), ...(o.flags ?? [])];
  const rxSecs = o.rxSecs ?? 2;
  const txSecs = o.txSecs ?? 1;
  const rxArgv = nsExecArgv(lab.rxNs, [...o.receiver, ...flags, ...(o.receiverFlags ?? []), '-t', String(rxSecs), '-r', rxModeFor(o.test)]);
  const rx = start(rxArgv, { timeoutMs: (rxSecs + 20) * 1000 });
  try {
    const ready = await waitForReceiver(lab.rxNs, rxModeFor(o.test), port);
    if (!ready) {
      rx.kill('SIGKILL');
      const r = await rx.done;
      throw new Error(`receiver did not come up within 3 s\n${describe(r)}`);
    }
    const txArgv = nsExecArgv(lab.txNs, [...(o.senderWrap ?? []), ...o.sender, ...flags, ...(o.senderFlags ?? []), '-t', String(txSecs), o.test]);
    const tx = await start(txArgv, { timeoutMs: (txSecs + 20) * 1000 }).done;
    const rxr = await rx.done;
    return { rx: rxr, tx, rxLine: parseRx(rxr.stderr), txLine: parseTx(tx.stderr) };
  } finally {
    rx.kill('SIGKILL');
  }
}

/** A sender alone (tx-only to the egress address: nothing receives). */
export async function runTxOnly(
  lab: Lab,
  o: { family: Family; test: TestName; sender: string[]; flags?: string[]; txSecs?: number; senderWrap?: string[] },
): Promise<{ tx: ProcResult; txLine: TxLine | null }> {
  const f = o.family;
  const argv = nsExecArgv(lab.txNs, [
    ...(o.senderWrap ?? []),
    ...o.sender,
    `-${f}`,
    '-i',
    lab.dev,
    '-S',
    lab.addr[f].src,
    '-D',
    lab.addr[f].txOnly,
    ...(o.flags ?? []),
    '-t',
    String(o.txSecs ?? 1),
    o.test,
  ]);
  const tx = await start(argv, { timeoutMs: ((o.txSecs ?? 1) + 20) * 1000 }).done;
  return { tx, txLine: parseTx(tx.stderr) };
}

// ---------------------------------------------------------------------------
// Cross-process lock: the compat test files run in parallel processes under
// node --test, but timing-sensitive runs (the kernel driver leaves 0.2 s
// between receiver and sender) must not share two CPUs with another run.

const LOCK_DIR = join(tmpdir(), 'msg-zerocopy-compat.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withHostLock<T>(fn: () => Promise<T>, timeoutMs = 20 * 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(LOCK_DIR);
      await writeFile(join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(join(LOCK_DIR, 'pid'), 'utf8').catch(() => ''));
      const st = await stat(LOCK_DIR).catch(() => null);
      const orphan = !(owner > 0) && st !== null && Date.now() - st.mtimeMs > 10_000;
      if ((owner > 0 && !alive(owner)) || orphan) {
        await rm(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR} (held by pid ${owner})`);
      await sleep(100);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(LOCK_DIR, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// The kernel's own driver scripts

/** The namespaces a kernel driver script makes (ns- and six characters, then 1 or 2). */
const DRIVER_NS = /^ns-[A-Za-z0-9]{6}[12]$/;

async function netnsNames(): Promise<Set<string>> {
  const out = await labRun(['ip', 'netns', 'list']).catch(() => '');
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean));
}

/**
 * Runs `bash ./<name>` with no arguments, a copy of the kernel driver
 * `script`, in a new folder (prefix `tmpPrefix`) where `place` has put the
 * programs it runs; the folder is removed after. On a timeout (SIGKILL skipped
 * the driver's own cleanup trap) the namespaces it made are removed.
 */
export async function runKernelDriver(script: string, name: string, tmpPrefix: string, timeoutMs: number,
  place: (dir: string) => Promise<void>): Promise<ProcResult> {
  const dir = await mkdtemp(join(tmpdir(), tmpPrefix));
  const before = await netnsNames();
  try {
    await copyFile(script, join(dir, name));
    await chmod(join(dir, name), 0o755);
    await place(dir);
    // The driver re-runs itself as $0 for each configuration, so $0 must be a path.
    const r = await start(['bash', `./${name}`], { cwd: dir, timeoutMs }).done;
    if (r.timedOut) {
      for (const ns of await netnsNames()) {
        if (!before.has(ns) && DRIVER_NS.test(ns)) await labRun(['ip', 'netns', 'del', ns]).catch(() => '');
      }
    }
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
