// SPDX-License-Identifier: GPL-2.0-only
// Child processes of every run (suite cases, sweep runs, flows, pair sender,
// serve receiver): spawned from an argument array, killed after a deadline
// (SIGTERM, then SIGKILL after a grace period), dying with their parent,
// their stdout/stderr collected and their --json report read back with the
// writer's types (src/report/read.ts). Readiness is ready.ts; what to start
// (program, argv, deadline) is launch.ts.

import { isErrorReport, readReport } from '../report/read.js';
import type { ClassicReport } from '../report/report.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Our executable, <repo>/bin/msg-zerocopy, found from this module (dist/cli/ or src/run/). */
export function ownBinPath(): string {
  return fileURLToPath(new URL('../../bin/msg-zerocopy', import.meta.url));
}

/** argv that runs our executable with `args` (Node, then the bin script). */
export function ownCommand(args: string[]): string[] {
  return [process.execPath, ownBinPath(), ...args];
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

export interface ChildResult {
  argv: string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Killed because it passed its deadline. */
  timedOut: boolean;
  /** Killed on purpose (interrupt, abort, its sender failed). */
  killed: boolean;
  stdout: string;
  stderr: string;
  /** The --json report (the last valid report line on stdout), or null. */
  report: ClassicReport | null;
  wallMs: number;
}

export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number | null;
  readonly done: Promise<ChildResult>;
  /** True once the process itself has exited (its output may still drain). */
  readonly exited: boolean;
  /** Kill on purpose (killed): SIGTERM (or `signal`), then SIGKILL a second later. */
  kill(signal?: NodeJS.Signals): void;
}

export interface SpawnOptions {
  /** Kill (timedOut) after this many ms. */
  deadlineMs: number;
  /** Called with every complete stderr line as it arrives. */
  onStderrLine?: (line: string) => void;
  /** Own process group, so a terminal's Ctrl-C reaches it only through us (once). */
  detached?: boolean;
}

const live = new Set<Child>();

/** Every child still running (a second signal kills them all at once). */
export function liveChildren(): Child[] {
  return [...live];
}

/** Time between the first signal (deadline or kill()) and SIGKILL. */
const GRACE_MS = 1000;
/** How long a child's output may take to drain once the child has exited. */
const DRAIN_MS = 500;

/** Feed complete lines of a stream to `onLine`; flush() hands over the last, unterminated one. */
function lineSplitter(onLine: (line: string) => void): { push(d: string): void; flush(): void } {
  let partial = '';
  return {
    push(d) {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    },
    flush() {
      if (partial) onLine(partial);
    },
  };
}

/** Stop `proc` with `signal`, then SIGKILL after GRACE_MS unless it has exited by then. */
function terminator(proc: ChildProcess, exited: () => boolean): { terminate(signal: NodeJS.Signals): void; clear(): void } {
  let hard: NodeJS.Timeout | null = null;
  return {
    terminate(signal) {
      try { proc.kill(signal); } catch { /* gone */ }
      if (!hard) {
        hard = setTimeout(() => {
          if (!exited()) try { proc.kill('SIGKILL'); } catch { /* gone */ }
        }, GRACE_MS);
        hard.unref();
      }
    },
    clear() {
      if (hard) clearTimeout(hard);
    },
  };
}

/**
 * Start argv[0] with the rest as arguments (LC_ALL=C, stdin closed); it is
 * killed if this process dies. `done` resolves once it has exited and its
 * output is in; it never rejects (a spawn failure becomes a line on stderr
 * and a null exit code; a program that is not found, exit 127 and the
 * shell's "not found" line).
 *
 * The child dies with us (SIGKILL through PR_SET_PDEATHSIG, see
 * parentDeathArgv), so a command killed outright (kill -9) leaves no run
 * behind. The kernel sends that signal when the *thread* that forked the
 * child ends, not the whole process: spawn() forks from the thread that
 * calls it, here always the main thread (no worker spawns children), and
 * Node's main thread ends only with the process.
 */
export function spawnChild(argv: string[], o: SpawnOptions): Child {
  const [file] = argv;
  const started = Date.now();
  const [exe, ...args] = parentDeathArgv(argv);
  const proc = spawn(exe, args, {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, detached: o.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  const lines = o.onStderrLine ? lineSplitter(o.onStderrLine) : null;
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    lines?.push(d);
  });
  let timedOut = false;
  let killed = false;
  let exited = false;
  const stopper = terminator(proc, () => exited);
  const timer = setTimeout(() => {
    if (exited) return;
    timedOut = true;
    stopper.terminate('SIGTERM');
  }, o.deadlineMs);

  const done = new Promise<ChildResult>((resolve) => {
    let spawnError: Error | null = null;
    let settled = false;
    let drain: NodeJS.Timeout | null = null;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      exited = true;
      clearTimeout(timer);
      stopper.clear();
      if (drain) clearTimeout(drain);
      live.delete(child);
      lines?.flush();
      if (spawnError) stderr += `${file}: ${spawnError.message}\n`;
      resolve({
        argv, exitCode: code, signal, timedOut, killed, stdout, stderr,
        report: readReport(stdout), wallMs: Date.now() - started,
      });
    };
    proc.on('error', (e) => {
      spawnError = e;
      if (proc.pid === undefined) finish(null, null); // never started: no exit status to wait for
    });
    proc.on('close', (code, signal) => finish(code, signal));
    // 'close' waits for the output pipes; a grandchild that inherited them
    // could hold them open forever. Once the child itself has exited, give
    // its output a moment to drain, then stop waiting.
    proc.on('exit', (code, signal) => {
      exited = true;
      drain = setTimeout(() => {
        proc.stdout?.destroy();
        proc.stderr?.destroy();
        finish(code, signal);
      }, DRAIN_MS);
    });
  });
  const child: Child = {
    proc,
    pid: proc.pid ?? null,
    done,
    get exited() { return exited; },
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (exited) return;
      killed = true;
      stopper.terminate(signal);
    },
  };
  live.add(child);
  return child;
}

/**
 * The lines a run prints beside its error: the classic tx=/rx= line, the pinning warning, and the
 * lines that follow the classic one (the zerocopy outcome, rx mmap, gso).
 */
const REPORT_LINE = /^((tx|rx)=\d|cpu: unable to pin|zerocopy: \d+ of \d+ completions not copied|rx mmap: |gso: \d)/;

/** The last line of stderr that is not one of the run's report lines (the error a child printed). */
export function errorLine(stderr: string): string | null {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean).filter((l) => !REPORT_LINE.test(l));
  return lines.length ? lines[lines.length - 1] : null;
}

/** What a child said went wrong: its report's error, else its error line on stderr. */
export function childError(r: Pick<ChildResult, 'report' | 'stderr'>): string | null {
  return (isErrorReport(r.report) ? r.report.error : null) ?? errorLine(r.stderr);
}

/** One line saying how a child failed (`why`: what it said), or null when it exited 0. */
export function childFailure(who: string, r: Pick<ChildResult, 'timedOut' | 'signal' | 'exitCode'>,
  why: string | null): string | null {
  if (r.timedOut) return `${who} passed its deadline and was killed`;
  if (r.signal) return `${who} died of ${r.signal}`;
  if (r.exitCode !== 0) return `${who} exited ${r.exitCode}${why ? `: ${why}` : ''}`;
  return null;
}
