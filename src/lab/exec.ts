// SPDX-License-Identifier: GPL-2.0-only
// Running the lab's commands (`ip`, `sysctl`) from argument arrays, never a
// shell string: one command with a timeout and a one-line error, the
// namespaces that exist, and the processes still inside a namespace.
import { execFile, execFileSync } from 'node:child_process';

/** argv that runs `argv` inside network namespace `ns`. */
export function nsExecArgv(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

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

export function isPermissionError(err: unknown): boolean {
  const text = err instanceof CommandError ? err.stderr : String(err);
  return /Operation not permitted|Permission denied|EPERM|EACCES/i.test(text);
}

/** Names in `ip netns list`, or null when it fails. */
export async function netnsNames(): Promise<Set<string> | null> {
  try {
    const out = await run(['ip', 'netns', 'list']);
    return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean));
  } catch {
    return null;
  }
}

export async function sysctlIn(ns: string, key: string, value: string | number): Promise<void> {
  await run(nsExecArgv(ns, ['sysctl', '-q', '-w', `${key}=${value}`]));
}

/** SIGKILL every pid `ip netns pids` printed (never this process). */
function killListed(out: string): void {
  for (const pid of out.split(/\s+/).filter(Boolean).map(Number)) {
    if (pid > 0 && pid !== process.pid) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}

/** Kill the processes inside `ns` (they would keep it, and its devices, alive), synchronously. */
export function killPidsSync(ns: string): void {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
  } catch {
    return;
  }
  killListed(out);
}

/** Kill the processes inside `ns`. */
export async function killPids(ns: string): Promise<void> {
  let out = '';
  try {
    out = await run(['ip', 'netns', 'pids', ns], 5000);
  } catch {
    return;
  }
  killListed(out);
}
