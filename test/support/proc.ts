// SPDX-License-Identifier: GPL-2.0-only
// The one way the tests (and the benchmark) start a program: our executable,
// the C selftest, a shell script, optionally inside a lab namespace. Output is
// collected, every process has a deadline after which it is killed, and the
// result says how it ended.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nsExecArgv } from '../../src/lab/exec.js';
import { parseReceiverLine, parseSenderLine } from '../../src/report/report.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Our executable (bin/msg-zerocopy, which runs the bundle in dist/). */
export const BIN = join(REPO_ROOT, 'bin', 'msg-zerocopy');

export interface ProcResult {
  argv: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, ms. */
  wallMs: number;
  /** Killed at its deadline. */
  timedOut: boolean;
}

export interface Proc {
  pid: number;
  done: Promise<ProcResult>;
  /** Send a signal (SIGTERM unless named); nothing once it has exited. */
  kill(sig?: NodeJS.Signals): void;
  /** Resolves once `re` matches what the process wrote to `stream` so far; rejects if it exits first. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr'): Promise<void>;
}

export interface StartOptions {
  /** Run inside this network namespace (`ip netns exec`). */
  ns?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Deadline: SIGKILL after this long (default 60 s). */
  timeoutMs?: number;
}

/** Spawn argv (no shell), collect its output, kill it at the deadline. */
export function start(argv: string[], o: StartOptions = {}): Proc {
  const full = o.ns ? nsExecArgv(o.ns, argv) : argv;
  const t0 = performance.now();
  const child = spawn(full[0], full.slice(1), {
    cwd: o.cwd,
    env: { ...process.env, LC_ALL: 'C', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let exited = false;
  const waiters: { re: RegExp; stream: 'stdout' | 'stderr'; resolve: () => void; reject: (e: Error) => void }[] = [];
  const text = (stream: 'stdout' | 'stderr'): string => (stream === 'stdout' ? stdout : stderr);
  const wake = (): void => {
    for (const w of waiters.filter((x) => x.re.test(text(x.stream)))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const signal = (sig: NodeJS.Signals): void => {
    if (exited || !child.pid) return;
    try {
      process.kill(child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    wake();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    wake();
  });
  const timer = setTimeout(() => {
    timedOut = true;
    signal('SIGKILL');
  }, o.timeoutMs ?? 60_000);
  const done = new Promise<ProcResult>((resolve) => {
    child.on('error', (e) => {
      stderr += `spawn ${full[0]}: ${e.message}\n`;
    });
    child.on('close', (code, sig) => {
      exited = true;
      clearTimeout(timer);
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`exited (${sig ?? code}) before ${w.stream} matched ${w.re}; stderr: ${stderr}`));
      }
      resolve({ argv, code, signal: sig, stdout, stderr, wallMs: performance.now() - t0, timedOut });
    });
  });
  return {
    pid: child.pid ?? -1,
    done,
    kill: (sig = 'SIGTERM') => signal(sig),
    waitFor: (re, stream = 'stderr') => new Promise<void>((resolve, reject) => {
      if (re.test(text(stream))) resolve();
      else if (exited) reject(new Error(`exited before ${stream} matched ${re}; stderr: ${stderr}`));
      else waiters.push({ re, stream, resolve, reject });
    }),
  };
}

/** argv prefix that starts our CLI. MSG_ZEROCOPY_OURS=<executable> substitutes another program (dry runs). */
export function ourArgv(nodeArgs: string[] = []): string[] {
  const alt = process.env.MSG_ZEROCOPY_OURS;
  if (alt) return [alt];
  return [process.execPath, ...nodeArgs, BIN];
}

/** Our CLI with `args`, optionally inside a namespace. */
export function ours(ns: string | null, args: string[], o: Omit<StartOptions, 'ns'> & { nodeArgs?: string[] } = {}): Proc {
  return start([...ourArgv(o.nodeArgs), ...args], { ...o, ns: ns ?? undefined });
}

/** Why our executable cannot run yet, or null. */
export function ourUnavailableReason(): string | null {
  if (process.env.MSG_ZEROCOPY_OURS) return existsSync(process.env.MSG_ZEROCOPY_OURS) ? null : `MSG_ZEROCOPY_OURS=${process.env.MSG_ZEROCOPY_OURS} does not exist`;
  const built = join(REPO_ROOT, 'dist', 'cli', 'msg-zerocopy.mjs'); // what bin/msg-zerocopy runs (scripts/build.mjs)
  if (!existsSync(built)) return `our CLI is not built (${built} missing): run \`npm run build\` first`;
  return null;
}

/** Why namespace tests cannot run here, or null. */
export function rootUnavailableReason(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'these tests create network namespaces and need root (run as root, e.g. in CI)';
  }
  return null;
}

/** Namespace tests need root: fail loudly (never skip) without it. */
export function requireRoot(): void {
  const why = rootUnavailableReason();
  if (why) throw new Error(`end-to-end tests: ${why}`);
  execFileSync('ip', ['netns', 'list']);
}

/** One process's outcome, for assertion messages. */
export function describe(r: ProcResult): string {
  const status = r.timedOut ? 'timed out' : r.signal ? `signal ${r.signal}` : `exit ${r.code}`;
  return `$ ${r.argv.join(' ')}\n  -> ${status}\n  stderr: ${r.stderr.trim().replace(/\n/g, '\n          ') || '(empty)'}${r.stdout.trim() ? `\n  stdout: ${r.stdout.trim().slice(0, 2000)}` : ''}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// What the programs print

export interface TxLine { tx: number; mb: number; txc: number; zc: boolean }
export interface RxLine { rx: number; mb: number }

/** The classic `tx=N (M MB) txc=N zc=c` line, or null. */
export function parseTx(stderr: string): TxLine | null {
  const m = parseSenderLine(stderr);
  return m && { tx: m.packets, mb: m.mb, txc: m.completions, zc: m.zc === 'y' };
}

/** The classic `rx=N (M MB)` line, or null. */
export function parseRx(stderr: string): RxLine | null {
  const m = parseReceiverLine(stderr);
  return m && { rx: m.packets, mb: m.mb };
}

/** The tx= line; throws (with the stderr) when it is missing. */
export function txLine(stderr: string): TxLine {
  const m = parseTx(stderr);
  if (!m) throw new Error(`no tx= line in:\n${stderr}`);
  return m;
}

/** The rx= line; throws (with the stderr) when it is missing. */
export function rxLine(stderr: string): RxLine {
  const m = parseRx(stderr);
  if (!m) throw new Error(`no rx= line in:\n${stderr}`);
  return m;
}

/** Our --json report: the last line of stdout that parses as an object (or one object over many lines). */
export function parseJson(stdout: string): Record<string, unknown> | null {
  for (const l of stdout.trim().split('\n').reverse()) {
    const t = l.trim();
    if (!t.startsWith('{')) continue;
    try {
      return JSON.parse(t) as Record<string, unknown>;
    } catch {
      /* keep looking */
    }
  }
  const s = stdout.indexOf('{');
  if (s >= 0) {
    try {
      return JSON.parse(stdout.slice(s)) as Record<string, unknown>;
    } catch {
      /* none */
    }
  }
  return null;
}

/** The --json report of a run; throws (with both streams) when there is none. */
export function report(r: ProcResult): Record<string, unknown> & { packets: number; bytes: number } {
  const j = parseJson(r.stdout);
  if (!j) throw new Error(`no JSON report on stdout: ${JSON.stringify(r.stdout)}; stderr: ${r.stderr}`);
  return j as Record<string, unknown> & { packets: number; bytes: number };
}
