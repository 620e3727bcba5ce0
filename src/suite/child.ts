// SPDX-License-Identifier: GPL-2.0-only
// One child process of a suite case (sender or receiver inside a namespace):
// spawned from an argument array, given a deadline after which it is killed,
// and its output parsed from the --json report or the classic stderr lines.

import { netnsOf, socketBound } from '../lab/ready.js';
import { parseReceiverLine, parseSenderLine } from '../report/report.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';

export interface ChildReport {
  /** Parsed --json object, when the child printed one. */
  json: Record<string, unknown> | null;
  packets: number | null;
  /** Exact bytes from JSON, else the classic line's MB × 2^20. */
  bytes: number | null;
  bytesExact: boolean;
  completions: number | null;
  expectedCompletions: number | null;
  copiedCompletions: number | null;
  zerocopiedCompletions: number | null;
  gaps: number | null;
  zc: 'y' | 'n' | null;
  durationMs: number | null;
  throughputBps: number | null;
  cpu: { userUs: number; sysUs: number } | null;
  /** Last error line the child printed (e.g. "setsockopt …: Operation not supported"). */
  errorLine: string | null;
}

export interface ChildOutcome extends ChildReport {
  role: 'sender' | 'receiver';
  argv: string[];
  pid: number | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Killed because it passed its deadline. */
  timedOut: boolean;
  /** Killed by the suite on purpose (interrupt, or its sender failed early). */
  killed: boolean;
  wallMs: number;
  stdout: string;
  stderr: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Parse what a sender or receiver printed. */
export function parseChildOutput(stdout: string, stderr: string): ChildReport {
  let json: Record<string, unknown> | null = null;
  for (const line of stdout.split('\n').reverse()) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v: unknown = JSON.parse(t);
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        json = v as Record<string, unknown>;
        break;
      }
    } catch { /* not the report */ }
  }
  const r: ChildReport = {
    json, packets: null, bytes: null, bytesExact: false, completions: null, expectedCompletions: null,
    copiedCompletions: null, zerocopiedCompletions: null, gaps: null, zc: null, durationMs: null,
    throughputBps: null, cpu: null, errorLine: null,
  };
  const tx = parseSenderLine(stderr);
  const rx = parseReceiverLine(stderr);
  if (tx) {
    r.packets = tx.packets;
    r.bytes = tx.mb * 1048576;
    r.completions = tx.completions;
    r.zc = tx.zc;
  } else if (rx) {
    r.packets = rx.packets;
    r.bytes = rx.mb * 1048576;
  }
  if (json) {
    r.packets = num(json.packets) ?? r.packets;
    if (num(json.bytes) !== null) {
      r.bytes = num(json.bytes);
      r.bytesExact = true;
    }
    r.completions = num(json.completions) ?? r.completions;
    r.expectedCompletions = num(json.expectedCompletions);
    r.copiedCompletions = num(json.copiedCompletions);
    r.zerocopiedCompletions = num(json.zerocopiedCompletions);
    r.gaps = num(json.gaps);
    if (json.zc === 'y' || json.zc === 'n') r.zc = json.zc;
    r.durationMs = num(json.durationMs);
    r.throughputBps = num(json.throughputBps);
    const cpu = json.cpu as Record<string, unknown> | undefined;
    if (cpu && num(cpu.userUs) !== null && num(cpu.sysUs) !== null) {
      r.cpu = { userUs: num(cpu.userUs) as number, sysUs: num(cpu.sysUs) as number };
    }
    if (typeof json.error === 'string') r.errorLine = json.error;
  }
  if (!r.errorLine) {
    const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean)
      .filter((l) => !/^(tx|rx)=\d/.test(l) && !/^cpu: unable to pin/.test(l));
    r.errorLine = lines.length ? lines[lines.length - 1] : null;
  }
  return r;
}

export interface SpawnedChild {
  readonly role: 'sender' | 'receiver';
  readonly proc: ChildProcess;
  readonly done: Promise<ChildOutcome>;
  /** Kill on purpose (SIGTERM, then SIGKILL after graceMs). */
  kill(reason?: 'killed' | 'timeout'): void;
  readonly exited: boolean;
}

const live = new Set<SpawnedChild>();

/** Every child still running (the suite kills them on interrupt). */
export function liveChildren(): SpawnedChild[] {
  return [...live];
}

export function spawnChild(role: 'sender' | 'receiver', argv: string[], deadlineMs: number, graceMs = 1000): SpawnedChild {
  const [file, ...args] = argv;
  const started = Date.now();
  const proc = spawn(file, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  let timedOut = false;
  let killed = false;
  let exited = false;
  let hardKill: NodeJS.Timeout | null = null;

  const kill = (reason: 'killed' | 'timeout' = 'killed'): void => {
    if (exited) return;
    if (reason === 'timeout') timedOut = true;
    else killed = true;
    try { proc.kill('SIGTERM'); } catch { /* gone */ }
    if (!hardKill) {
      hardKill = setTimeout(() => {
        if (!exited) try { proc.kill('SIGKILL'); } catch { /* gone */ }
      }, graceMs);
      hardKill.unref();
    }
  };
  const timer = setTimeout(() => kill('timeout'), deadlineMs);

  const child: SpawnedChild = {
    role,
    proc,
    kill,
    get exited() { return exited; },
    done: new Promise<ChildOutcome>((resolve) => {
      let spawnError: Error | null = null;
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (settled) return;
        settled = true;
        exited = true;
        clearTimeout(timer);
        if (hardKill) clearTimeout(hardKill);
        live.delete(child);
        if (spawnError) stderr += `${argv[0]}: ${spawnError.message}\n`;
        resolve({
          role, argv, pid: proc.pid ?? null, exitCode: code, signal, timedOut, killed,
          wallMs: Date.now() - started, stdout, stderr, ...parseChildOutput(stdout, stderr),
        });
      };
      proc.on('error', (e) => {
        spawnError = e;
        if (proc.pid === undefined) finish(null, null); // never started: no 'exit' will come
      });
      proc.on('close', (code, signal) => finish(code, signal));
      // 'close' waits for the output pipes; a grandchild that inherited them
      // could hold them open forever. Once the child itself has exited, give
      // its output a moment to drain, then stop waiting.
      proc.on('exit', (code, signal) => {
        exited = true;
        const t: NodeJS.Timeout = setTimeout(() => {
          proc.stdout?.destroy();
          proc.stderr?.destroy();
          finish(code, signal);
        }, 500);
        void t;
      });
    }),
  };
  live.add(child);
  return child;
}

// ---------------------------------------------------------------------------
// Receiver readiness: instead of trusting a fixed 0.2 s, watch the socket
// table of the receiver's own network namespace (/proc/<pid>/net/…) until
// its socket is bound (tcp: listening). The pid must already be inside the
// receiver namespace: `ip netns exec` switches namespace, then execs.

async function netnsInode(path: string): Promise<string | null> {
  try {
    return String((await stat(path)).ino);
  } catch {
    return null;
  }
}

/** True once the receiver runs in namespace `nsPath` and has its socket bound (tcp: listening). */
export async function receiverReady(pid: number, nsPath: string, family: 4 | 6, mode: string, port: number): Promise<boolean> {
  const want = await netnsInode(nsPath);
  if (!want || (await netnsOf(pid)) !== `net:[${want}]`) return false;
  return socketBound(pid, family, mode, port);
}

/** Wait until ready, the child exits, or maxMs passes; resolves true when ready. */
export async function waitReceiverReady(child: SpawnedChild, nsPath: string, family: 4 | 6, mode: string,
  port: number, maxMs: number, abort: () => boolean): Promise<boolean> {
  const end = Date.now() + maxMs;
  while (Date.now() < end && !child.exited && !abort()) {
    if (child.proc.pid && await receiverReady(child.proc.pid, nsPath, family, mode, port)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
