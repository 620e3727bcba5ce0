// SPDX-License-Identifier: GPL-2.0-only
// The small process and file helpers the reference builder needs: files that
// exist, PATH look-ups, a command or a shell pipeline run with its error
// tail, a cross-process lock, and package-version ordering and checking.

import { execFile, spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { access, mkdir, rm, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export async function isFile(path: string, mode = fsc.R_OK): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return false;
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}


/** Path of an executable found in PATH, or null. */
export async function which(cmd: string): Promise<string | null> {
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of dirs) {
    if (d && (await isFile(join(d, cmd), fsc.X_OK))) return join(d, cmd);
  }
  return null;
}

export /** Loose Debian-ish ordering: numeric runs compared as numbers. Good enough to pick the newest cache folder. */
function compareVersions(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    const nx = Number(x);
    const ny = Number(y);
    if (x !== '' && y !== '' && !Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

export async function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, {
      cwd: opts.cwd,
      maxBuffer: 64 << 20,
      env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' },
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: number | string };
    const tail = (err.stderr || '').trim().split('\n').slice(-5).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (${err.code ?? 'error'})${tail ? ':\n' + tail : ''}`);
  }
}

/** Runs a shell pipeline with pipefail. */
export async function pipeline(script: string, cwd: string): Promise<void> {
  await new Promise<void>((res, rej) => {
    const child = spawn('bash', ['-o', 'pipefail', '-euc', script], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', rej);
    child.on('close', (code) => {
      if (code === 0) res();
      else rej(new Error(`extracting the selftest failed (exit ${code}): ${err.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

export function safeVersion(v: string): string {
  if (!/^[A-Za-z0-9.+~:-]+$/.test(v)) throw new Error(`unexpected package version: ${JSON.stringify(v)}`);
  return v;
}

/** Cross-process lock (mkdir is atomic): two test processes must not build the same copy at once. */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await mkdir(path);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(path).catch(() => null);
      if (st && Date.now() - st.mtimeMs > 15 * 60_000) {
        await rm(path, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${path}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { recursive: true, force: true });
  }
}

