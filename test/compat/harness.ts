// SPDX-License-Identifier: GPL-2.0-only
// Shared harness for the compatibility tests and the benchmark: runs the
// kernel's C selftest and our CLI inside the namespace lab the way the kernel
// driver does (through the run layer, src/run/launch.ts: the argv, deadline
// and readiness every command uses), and serialises heavy runs across test
// processes. Other processes the tests start go through test/support/proc.ts.

import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { receiveMode, type Family, type TestName } from '../../src/core/vocabulary.js';
import { netnsNames as listNetns, run as labRun } from '../../src/lab/exec.js';
import type { Lab } from '../../src/lab/lab.js';
import type { ChildResult } from '../../src/run/child.js';
import type { ReceiverSpec, SenderSpec } from '../../src/run/classic.js';
import { launch, programAt, type Program } from '../../src/run/launch.js';
import { describe, parseRx, parseTx, sleep, start, type ProcResult, type RxLine, type TxLine } from '../support/proc.js';

// ---------------------------------------------------------------------------
// Runs in the lab, started by the run layer (src/run/launch.ts) as every command starts them

/** Time a child may overrun its run before it is killed. */
const SLACK_MS = 20_000;
/** How long a receiver may take to have its own socket bound. */
const READY_MS = 3000;

/**
 * The program an argv prefix runs: `[node, <script>]` (ourArgv()) or one
 * executable (the C selftest, or $MSG_ZEROCOPY_OURS).
 */
export function programOf(prefix: string[]): Program {
  if (prefix.length === 1) return programAt(prefix[0]);
  if (prefix.length === 2 && prefix[0] === process.execPath) return { path: prefix[1], node: true, expectFlag: true };
  throw new Error(`cannot run ${prefix.join(' ')} as a program (give [node, script] or one executable)`);
}

/** A child's end as the tests read it (test/support/proc.ts). */
function procResult(r: ChildResult): ProcResult {
  return { argv: r.argv, code: r.exitCode, signal: r.signal, stdout: r.stdout, stderr: r.stderr, wallMs: r.wallMs, timedOut: r.timedOut };
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

/** The flags the kernel driver passes both sides (minus -C, which would only warn on small machines). */
function common(lab: Lab, family: Family): Pick<SenderSpec, 'family' | 'ifname' | 'src' | 'dst' | 'json'> {
  return { family, ifname: lab.dev, src: lab.addr[family].src, dst: lab.addr[family].dst, json: false };
}

/** One receiver + sender run, like the kernel driver's do_test, but waiting for the receiver's own socket. */
export async function runPair(lab: Lab, o: PairOptions): Promise<PairResult> {
  const port = o.port ?? 8000;
  const receiver: ReceiverSpec = {
    role: 'receiver', ...common(lab, o.family), test: receiveMode(o.test), port, secs: o.rxSecs ?? 2,
    extra: [...(o.flags ?? []), ...(o.receiverFlags ?? [])],
  };
  const sender: SenderSpec = {
    role: 'sender', ...common(lab, o.family), test: o.test, port, secs: o.txSecs ?? 1, extra: [...(o.flags ?? []), ...(o.senderFlags ?? [])],
  };
  const rx = await readyReceiver(lab, o.receiver, receiver);
  try {
    const tx = procResult(await launch({ spec: sender, program: programOf(o.sender), ns: lab.txNs, slackMs: SLACK_MS, wrap: wrapper(o.senderWrap) }).child.done);
    const rxr = await rx.done;
    return { rx: rxr, tx, rxLine: parseRx(rxr.stderr), txLine: parseTx(tx.stderr) };
  } finally {
    rx.kill();
  }
}

/** A receiver started in the rx namespace, its own socket bound. */
export interface ReadyReceiver {
  done: Promise<ProcResult>;
  /** SIGKILL (nothing once it has exited). */
  kill(): void;
}

/** Start a receiver (program `prefix`) in the rx namespace and wait for its own socket; throws with its output when it does not come up. */
export async function readyReceiver(lab: Lab, prefix: string[], spec: ReceiverSpec): Promise<ReadyReceiver> {
  const rx = launch({ spec, program: programOf(prefix), ns: lab.rxNs, slackMs: SLACK_MS, ready: { maxMs: READY_MS } });
  if (await rx.ready !== 'ready') {
    throw new Error(`receiver did not come up within ${READY_MS / 1000} s\n${describe(procResult(await rx.child.done))}`);
  }
  return { done: rx.child.done.then(procResult), kill: () => rx.child.kill('SIGKILL') };
}

const wrapper = (wrap: string[] | undefined): ((argv: string[]) => string[]) | undefined =>
  (wrap ? (argv) => [...wrap, ...argv] : undefined);

/** A sender alone (tx-only to the egress address: nothing receives). */
export async function runTxOnly(
  lab: Lab,
  o: { family: Family; test: TestName; sender: string[]; flags?: string[]; txSecs?: number; senderWrap?: string[] },
): Promise<{ tx: ProcResult; txLine: TxLine | null }> {
  const spec: SenderSpec = {
    role: 'sender', ...common(lab, o.family), dst: lab.addr[o.family].txOnly, test: o.test, port: 8000, secs: o.txSecs ?? 1,
    extra: o.flags ?? [],
  };
  const tx = procResult(await launch({ spec, program: programOf(o.sender), ns: lab.txNs, slackMs: SLACK_MS, wrap: wrapper(o.senderWrap) }).child.done);
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
  return (await listNetns()) ?? new Set();
}

/**
 * Runs `bash ./<name>` with no arguments, a copy of the kernel driver
 * `script`, in a new folder (prefix `tmpPrefix`) where `place` has put the
 * programs it runs; the folder is removed after. On a timeout (SIGKILL skipped
 * the driver's own cleanup trap) the namespaces it made are removed.
 */
export async function runKernelDriver(script: string, name: string, tmpPrefix: string, timeoutMs: number,
  place: (dir: string) => Promise<void>, nsPattern = DRIVER_NS): Promise<ProcResult> {
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
        if (!before.has(ns) && nsPattern.test(ns)) await labRun(['ip', 'netns', 'del', ns]).catch(() => '');
      }
    }
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
