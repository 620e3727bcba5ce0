// SPDX-License-Identifier: GPL-2.0-only
// Helpers for the host-pair tests: serve in the lab's receiver namespace (as
// host B), pair in its sender namespace (as host A), a secret in a private
// temporary directory, and a look at which of our children still run.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { nsExecArgv } from '../../src/lab/exec.js';
import type { Lab } from '../../src/lab/lab.js';
import { useLab } from '../support/lab.js';
import { ourArgv, ours, requireRoot, type Proc, type ProcResult } from '../support/proc.js';

export const SECRET_TEXT = 'c0ffee'.repeat(11);

/** A private directory for secrets; remove it with `rmSecrets`. */
export function secretDir(): string {
  return mkdtempSync(join(tmpdir(), 'mzc-secret-'));
}

export function rmSecrets(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Write a secret file with `mode` (default 0600). */
export function writeSecret(path: string, text = SECRET_TEXT, mode = 0o600): string {
  writeFileSync(path, `${text}\n`, { mode });
  chmodSync(path, mode);
  return path;
}

/** A process whose output so far can be read while it runs (serve). */
export interface Tracked extends Proc {
  stderrText(): string;
  stdoutText(): string;
  /** When each stderr line arrived (ms since the epoch), in order. */
  stderrLines(): { at: number; line: string }[];
}

/** Our CLI with `args` inside namespace `ns`, killed (SIGKILL) after `timeoutMs`. */
export function track(ns: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Tracked {
  const full = nsExecArgv(ns, [...ourArgv(), ...args]);
  const t0 = performance.now();
  const child = spawn(full[0], full.slice(1), { env: { ...process.env, LC_ALL: 'C', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const lines: { at: number; line: string }[] = [];
  let exited = false;
  let timedOut = false;
  const waiters: Array<() => void> = [];
  const wake = (): void => { for (const w of waiters.splice(0)) w(); };
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; wake(); });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) lines.push({ at: Date.now(), line });
    wake();
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (exited || !child.pid) return;
    try { process.kill(child.pid, sig); } catch { /* gone */ }
  };
  const timer = setTimeout(() => { timedOut = true; signal('SIGKILL'); }, timeoutMs);
  const done = new Promise<ProcResult>((resolve) => {
    child.on('close', (code, sig) => {
      exited = true;
      clearTimeout(timer);
      wake();
      resolve({ argv: full, code, signal: sig, stdout, stderr, wallMs: performance.now() - t0, timedOut });
    });
  });
  const waitFor = async (re: RegExp, stream: 'stdout' | 'stderr' = 'stderr'): Promise<void> => {
    for (;;) {
      if (re.test(stream === 'stdout' ? stdout : stderr)) return;
      if (exited) throw new Error(`exited before ${stream} matched ${re}; stderr: ${stderr}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return {
    pid: child.pid ?? -1, done, kill: (sig = 'SIGTERM') => signal(sig), waitFor,
    stderrText: () => stderr, stdoutText: () => stdout, stderrLines: () => lines,
  };
}

export class Servers {
  readonly all: Proc[] = [];
  constructor(private readonly lab: () => Lab) {}

  /** serve in the rx namespace; resolves once its control port is open. */
  async start(args: string[], timeoutMs = 180000, env: NodeJS.ProcessEnv = {}): Promise<Tracked> {
    const s = track(this.lab().rxNs, ['serve', ...args], timeoutMs, env);
    this.all.push(s);
    await s.waitFor(/control port \S+; on the other host run/);
    return s;
  }

  /** Kill every serve still running (every exit path of a test file). */
  killAll(): void {
    for (const s of this.all) s.kill('SIGKILL');
  }
}

export interface ServeLab {
  /** The lab (made in before()). */
  lab: () => Lab;
  /** serve in the lab's receiver namespace; all killed in after(). */
  servers: Servers;
  /** The private directory for secrets (made in before(), removed in after()). */
  dir: () => string;
  /** `dir()/secret`: written in before() when `writeSecret` is set. */
  secret: () => string;
}

/**
 * The set-up of a host-pair test file. before(): root, a private directory
 * for secrets (the secret written in it with `writeSecret`), a lab named
 * `prefix`…; after(): every serve and every process in `others` killed, the
 * lab destroyed and gone from `ip netns list`, the secrets removed.
 */
export function useServeLab(prefix: string, o: { writeSecret?: boolean; others?: ReadonlyArray<Pick<Proc, 'kill'>> } = {}): ServeLab {
  let dir: string | undefined;
  const secret = (): string => join(dirOf(), 'secret');
  const dirOf = (): string => {
    if (dir === undefined) throw new Error('no secret directory: the before() hook of useServeLab did not make one');
    return dir;
  };
  const servers = new Servers(() => lab());
  const lab = useLab({
    prefix,
    setUp: () => {
      requireRoot();
      dir = secretDir();
      if (o.writeSecret) writeSecret(secret());
    },
    stop: () => {
      servers.killAll();
      for (const p of o.others ?? []) p.kill('SIGKILL');
    },
    tearDown: (made) => {
      if (dir !== undefined) rmSecrets(dir);
      if (!made) return;
      const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      assert.ok(!left.includes(made.txNs) && !left.includes(made.rxNs), 'lab namespaces removed');
    },
  });
  return { lab, servers, dir: dirOf, secret };
}

/** pair --json, the part every host-pair test reads; `S`: its two sides as the test types them. */
export interface PairJsonOf<S> {
  exitCode: number;
  senderArgv: string[];
  receiverArgv: string[];
  sender: S;
  receiver: S;
}

/** pair in the tx namespace. */
export function startPair(lab: Lab, args: string[], timeoutMs = 60000): Proc {
  return ours(lab.txNs, ['pair', ...args], { timeoutMs });
}

export function runPair(lab: Lab, args: string[], timeoutMs = 60000): Promise<ProcResult> {
  return startPair(lab, args, timeoutMs).done;
}

/** Pids of our classic children (sender or receiver) with data port `port` that still run. */
export function classicChildren(port: number): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    if (!argv.some((a) => a.endsWith('bin/msg-zerocopy'))) continue;
    if (argv.includes('pair') || argv.includes('serve')) continue;
    const i = argv.indexOf('-p');
    if (i >= 0 && argv[i + 1] === String(port)) out.push({ pid: Number(d), argv });
  }
  return out;
}

/** Wait until `cond` holds, polling every 20 ms, for at most `ms`; returns whether it held. */
export async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** The lines of `text` that match `re`. */
export const linesMatching = (text: string, re: RegExp): string[] => text.split('\n').filter((l) => re.test(l));
