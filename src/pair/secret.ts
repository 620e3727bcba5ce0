// SPDX-License-Identifier: GPL-2.0-only
// The shared secret of serve and pair: a file only its owner can read
// (mode 0600), the same on both hosts. serve makes a random one when there
// is none and says how to copy it; pair without one says where to get it.
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';

/** Where both commands look unless given --secret-file. */
export const defaultSecretPath = (): string => join(homedir(), '.config', 'msg-zerocopy', 'secret');

/** The path shown in hints: under the home directory as ~/…. */
export const tildePath = (p: string): string => (p.startsWith(`${homedir()}/`) ? `~/${p.slice(homedir().length + 1)}` : p);

/** Shortest and longest secret accepted (bytes, surrounding white space removed). */
export const SECRET_MIN = 32;
export const SECRET_MAX = 4096;

export class SecretMissing extends UsageError {}

/**
 * Read the secret at `path`. Throws a UsageError with one line when it is
 * missing (SecretMissing), not a regular file, readable or writable by group
 * or others, owned by another user, or too short.
 */
export function readSecret(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SecretMissing(`no secret file at ${path}`);
    throw new UsageError(`secret file ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`secret file ${path} is not a regular file`);
    if (st.mode & 0o077) {
      throw new UsageError(`secret file ${path} is open to group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')})`,
        `chmod 600 ${path}`);
    }
    const uid = process.geteuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new UsageError(`secret file ${path} belongs to uid ${st.uid}, not to this user (uid ${uid})`, `chown ${uid} ${path}`);
    }
    const buf = Buffer.alloc(SECRET_MAX + 64);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const key = Buffer.from(buf.subarray(0, n).toString('latin1').trim(), 'latin1');
    if (key.length < SECRET_MIN || key.length > SECRET_MAX) {
      throw new UsageError(`secret file ${path} holds ${key.length} bytes; a secret is ${SECRET_MIN} to ${SECRET_MAX}`,
        'let serve create one: move this file away and start serve');
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

/** Create a random secret at `path` (directories 0700, file 0600); never overwrites. */
export function createSecret(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
  } finally {
    closeSync(fd);
  }
}

/** How to put the secret of this host on the host that runs pair (one line). */
export function copyHint(path: string): string {
  const rel = path.startsWith(`${homedir()}/`) ? path.slice(homedir().length + 1) : path;
  return `copy it to the host that runs pair, e.g. \`ssh HOST-A 'mkdir -p -m 700 ${dirname(rel)}' && ` +
    `scp -p ${path} HOST-A:${rel}\` (or give both commands --secret-file)`;
}

/** serve: the secret at `path`, created when there is none. */
export function serveSecret(path: string, log: (line: string) => void): Buffer {
  try {
    return readSecret(path);
  } catch (e) {
    if (!(e instanceof SecretMissing)) throw e;
  }
  try {
    createSecret(path);
  } catch (e) {
    throw new UsageError(`cannot create the secret file ${path}: ${(e as Error).message}`, 'give --secret-file');
  }
  log(`created a new secret in ${path} (mode 0600); ${copyHint(path)}`);
  return readSecret(path);
}

/** pair: the secret at `path`; a missing one says where to get it. */
export function pairSecret(path: string, serveHost: string): Buffer {
  try {
    return readSecret(path);
  } catch (e) {
    if (!(e instanceof SecretMissing)) throw e;
    const local = tildePath(path);
    throw new UsageError(`pair: no secret file at ${path}`,
      `serve created one on first start: mkdir -p -m 700 ${dirname(local)} && ` +
      `scp -p ${serveHost.includes(':') ? `[${serveHost}]` : serveHost}:.config/msg-zerocopy/secret ${local}` +
      ' (or give --secret-file)');
  }
}
