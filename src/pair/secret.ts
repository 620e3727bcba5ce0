// SPDX-License-Identifier: GPL-2.0-only
// The shared secret of serve and pair: a file only its owner can read
// (mode 0600), the same on both hosts. serve makes a random one when there
// is none and says how to copy it; pair without one says where to get it.
import { randomBytes } from 'node:crypto';
import {
  closeSync, constants as fsc, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync, readSync, statfsSync, writeSync, type Stats,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';

/** Where both commands look unless given --secret-file. */
export const defaultSecretPath = (): string => join(homedir(), '.config', 'msg-zerocopy', 'secret');

/** The path shown in hints: under the home directory as ~/…. */
export const tildePath = (p: string): string => (p.startsWith(`${homedir()}/`) ? `~/${p.slice(homedir().length + 1)}` : p);

/** Shortest and longest secret accepted (bytes, surrounding white space removed). */
export const SECRET_MIN = 32;
export const SECRET_MAX = 4096;

export class SecretMissing extends UsageError {}

/** Filesystems a secret is never read from (statfs f_type): procfs and sysfs. */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([[0x9fa0, '/proc'], [0x62656572, '/sys']]);

/** What the file at a descriptor is, in words ("a FIFO", "a directory", …). */
function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'of another kind';
}

/** Where an open descriptor really is (its /proc/self/fd link), or null. */
function fdPath(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * Read the secret at `path`, safely: opened without following a symbolic
 * link (O_NOFOLLOW) and without blocking (O_NONBLOCK: a FIFO does not hang
 * us), then checked on the opened descriptor: a regular file owned by this
 * user, mode 0600 or stricter, 32 to 4096 bytes, not on /proc or /sys.
 * Throws a UsageError with one line saying what was found (SecretMissing
 * when there is nothing at `path`).
 */
export function readSecret(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SecretMissing(`no secret file at ${path}`);
    if (code === 'ELOOP') {
      let target = '';
      try { target = ` (to ${readlinkSync(path)})`; } catch { /* not a link after all */ }
      throw new UsageError(`secret file ${path} is a symbolic link${target}, not a regular file: a secret is never read through a link`,
        'give --secret-file the real file');
    }
    throw new UsageError(`secret file ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`secret file ${path} is ${kindOf(st)}, not a regular file`, 'give --secret-file a regular file of mode 0600');
    const real = fdPath(fd);
    let fsType = -1;
    try { fsType = Number(statfsSync(`/proc/self/fd/${fd}`).type); } catch { /* no /proc: the path is checked below */ }
    const pseudo = PSEUDO_FS.get(fsType) ?? (real && /^\/(proc|sys)(\/|$)/.test(real) ? real.split('/')[1] : null);
    if (pseudo) {
      throw new UsageError(`secret file ${path} is ${real ?? 'a file'} on ${pseudo.startsWith('/') ? pseudo : `/${pseudo}`}; a secret is never read from /proc or /sys`);
    }
    const uid = process.geteuid?.();
    if (uid !== undefined && st.uid !== uid) {
      throw new UsageError(`secret file ${path} belongs to uid ${st.uid}, not to this user (uid ${uid})`, `chown ${uid} ${path}`);
    }
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    if (st.mode & 0o077) throw new UsageError(`secret file ${path} is open to group or others (mode ${mode})`, `chmod 600 ${path}`);
    if (st.mode & 0o7177) throw new UsageError(`secret file ${path} has mode ${mode}; a secret is mode 0600 or stricter`, `chmod 600 ${path}`);
    if (st.size > SECRET_MAX + 64) {
      throw new UsageError(`secret file ${path} holds ${st.size} bytes; a secret is ${SECRET_MIN} to ${SECRET_MAX}`,
        'let serve create one: move this file away and start serve');
    }
    const buf = Buffer.alloc(SECRET_MAX + 64);
    let n = 0;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } catch (e) {
      throw new UsageError(`secret file ${path}: ${(e as Error).message}`);
    }
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

/** The deepest directory of `dir` and its parents that exists. */
function existingAncestor(dir: string): string {
  let d = resolve(dir);
  for (;;) {
    try {
      lstatSync(d);
      return d;
    } catch {
      const up = dirname(d);
      if (up === d) return d;
      d = up;
    }
  }
}

/**
 * Create a random secret at `path` (directories 0700, file 0600); never
 * overwrites. Directories are made only under one that this user owns, so
 * root never leaves a root-owned ~/.config in another user's home.
 */
export function createSecret(path: string): void {
  const uid = process.geteuid?.();
  const base = existingAncestor(dirname(path));
  const st = lstatSync(base);
  if (uid !== undefined && st.uid !== uid && base !== resolve(dirname(path))) {
    throw new UsageError(`${base} belongs to uid ${st.uid}, not to this user (uid ${uid}): no directory is made there for the secret`,
      'give --secret-file a path of your own');
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * The default secret's home must be this user's: root with another user's
 * $HOME would otherwise make a ~/.config that user can no longer write to.
 */
export function checkHomeOwner(home = homedir()): void {
  const uid = process.geteuid?.();
  if (uid === undefined) return;
  let st;
  try {
    st = lstatSync(home);
  } catch {
    return; // no home yet: createSecret checks the directory it is made under
  }
  if (st.uid !== uid) {
    throw new UsageError(`$HOME (${home}) belongs to uid ${st.uid}, not to this user (uid ${uid}): serve does not create ` +
      `${join(home, '.config', 'msg-zerocopy')} there`, 'give --secret-file a path of your own');
  }
}

/** How to put the secret of this host on the host that runs pair (one line). */
export function copyHint(path: string): string {
  const rel = path.startsWith(`${homedir()}/`) ? path.slice(homedir().length + 1) : path;
  return `copy it to the host that runs pair, e.g. \`ssh HOST-A 'mkdir -p -m 700 ${dirname(rel)}' && ` +
    `scp -p ${path} HOST-A:${rel}\` (or give both commands --secret-file)`;
}

/** serve: the secret at `path`, created when there is none (the default path only under a $HOME of this user). */
export function serveSecret(path: string, log: (line: string) => void): Buffer {
  try {
    return readSecret(path);
  } catch (e) {
    if (!(e instanceof SecretMissing)) throw e;
  }
  if (path === defaultSecretPath()) checkHomeOwner();
  try {
    createSecret(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
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
