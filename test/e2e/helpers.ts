// SPDX-License-Identifier: GPL-2.0-only
// Running our executable (and others) inside a lab's namespaces.
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nsExecArgv } from '../../src/lab/lab.js';
import { parseReceiverLine, parseSenderLine } from '../../src/report/report.js';

export const BIN = fileURLToPath(new URL('../../bin/msg-zerocopy', import.meta.url));

export interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  done: Promise<Outcome>;
  kill(sig?: NodeJS.Signals): void;
  pid: number;
}

/** Start argv inside namespace ns; the promise resolves when it exits (killed after timeoutMs). */
export function startIn(ns: string, argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Running {
  const full = nsExecArgv(ns, argv);
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000);
  const done = new Promise<Outcome>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { done, kill: (sig = 'SIGTERM') => child.kill(sig), pid: child.pid ?? -1 };
}

/** Our tool inside ns. */
export function ours(ns: string, args: string[], opts: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Running {
  return startIn(ns, [process.execPath, ...(opts.nodeArgs ?? []), BIN, ...args], opts);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parse `tx=N (M MB) txc=N zc=c` from stderr; throws when it is missing. */
export function txLine(stderr: string): { tx: number; mb: number; txc: number; zc: string } {
  const m = parseSenderLine(stderr);
  if (!m) throw new Error(`no tx= line in:\n${stderr}`);
  return { tx: m.packets, mb: m.mb, txc: m.completions, zc: m.zc };
}

/** Parse `rx=N (M MB)` from stderr; throws when it is missing. */
export function rxLine(stderr: string): { rx: number; mb: number } {
  const m = parseReceiverLine(stderr);
  if (!m) throw new Error(`no rx= line in:\n${stderr}`);
  return { rx: m.packets, mb: m.mb };
}

/** The JSON report printed on stdout with --json. */
export function report(o: Outcome): Record<string, unknown> & { packets: number; bytes: number } {
  const line = o.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`no JSON report on stdout: ${JSON.stringify(o.stdout)}; stderr: ${o.stderr}`);
  }
}

/** The root check: these tests need root for namespaces; fail loudly otherwise. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('end-to-end tests need root (network namespaces): run as root');
  execFileSync('ip', ['netns', 'list']);
}
