// SPDX-License-Identifier: GPL-2.0-only
// The reference: the kernel's own MSG_ZEROCOPY selftest (msg_zerocopy.c and
// its namespace driver msg_zerocopy.sh) and its io_uring sibling
// (io_uring_zerocopy_tx.c and .sh), taken from Debian's linux-source-6.12
// package and built with gcc. Nothing of the kernel's is kept in this
// repository: the helper downloads the package with apt, extracts only those
// files and the two headers the io_uring program needs, builds both C
// programs and caches the result in a folder keyed by the package version,
// outside the work tree:
//
//   ${XDG_CACHE_HOME:-~/.cache}/msg-zerocopy/reference/<version>/
//     msg_zerocopy  msg_zerocopy.c  msg_zerocopy.sh
//     io_uring_zerocopy_tx  io_uring_zerocopy_tx.c  io_uring_zerocopy_tx.sh
//     include/linux/io_uring.h  include/io_uring/mini_liburing.h
//
// io_uring_zerocopy_tx does not build against Debian 12's linux-libc-dev
// (linux 6.1: its io_uring.h has no sqe->optlen, which mini_liburing.h
// uses), so it is built with the tarball's own include/uapi/linux/io_uring.h
// first on the include path; the layout test also checks our io_uring
// structs against that header.
//
// Used by the compatibility tests (test/compat) and the benchmark (bench/).
// Run it directly to fetch and build:  node --import tsx src/reference/reference.ts
//
// Overrides: MSG_ZEROCOPY_REFERENCE_DIR=<folder holding msg_zerocopy and
// msg_zerocopy.sh> uses a copy built elsewhere; MSG_ZEROCOPY_CACHE=<folder>
// moves the cache root.

import { execFile, spawn } from 'node:child_process';
import { constants as fsc } from 'node:fs';
import { access, chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Debian package that carries the kernel tree. */
export const REFERENCE_PACKAGE = 'linux-source-6.12';
/** The tarball inside the package. */
const TARBALL = `./usr/src/${REFERENCE_PACKAGE}.tar.xz`;
/** Where the two files sit inside the kernel tree. */
const SELFTEST_DIR = 'tools/testing/selftests/net';
const FILES = ['msg_zerocopy.c', 'msg_zerocopy.sh', 'io_uring_zerocopy_tx.c', 'io_uring_zerocopy_tx.sh'] as const;
/** Headers io_uring_zerocopy_tx.c needs from the tree, and where they go under include/. */
const HEADERS: ReadonlyArray<[tree: string, include: string]> = [
  ['include/uapi/linux/io_uring.h', 'linux/io_uring.h'],
  ['tools/include/io_uring/mini_liburing.h', 'io_uring/mini_liburing.h'],
];
/** Tools the fetch-and-build path needs, and the Debian package of each. */
const TOOLS: ReadonlyArray<[cmd: string, pkg: string]> = [
  ['apt-get', 'apt'],
  ['apt-cache', 'apt'],
  ['dpkg-deb', 'dpkg'],
  ['tar', 'tar'],
  ['xz', 'xz-utils'],
  ['gcc', 'gcc'],
];

export interface Reference {
  /** Folder holding the three files. */
  dir: string;
  /** The built C program. */
  bin: string;
  /** The kernel's namespace driver, unmodified. */
  script: string;
  /** The C source it was built from. */
  source: string;
  /** Debian package version (the cache key), or 'override'. */
  version: string;
  /** The built io_uring_zerocopy_tx, its driver (unmodified) and its source. */
  uringBin: string;
  uringScript: string;
  uringSource: string;
  /** Folder with the tree's linux/io_uring.h and io_uring/mini_liburing.h (put it first with -I). */
  include: string;
}

export interface EnsureOptions {
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

/** Root of the cache: $MSG_ZEROCOPY_CACHE or ${XDG_CACHE_HOME:-~/.cache}/msg-zerocopy/reference. */
export function cacheRoot(): string {
  if (process.env.MSG_ZEROCOPY_CACHE) return resolve(process.env.MSG_ZEROCOPY_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'msg-zerocopy', 'reference');
}

function layout(dir: string, version: string): Reference {
  return {
    dir,
    bin: join(dir, 'msg_zerocopy'),
    script: join(dir, 'msg_zerocopy.sh'),
    source: join(dir, 'msg_zerocopy.c'),
    version,
    uringBin: join(dir, 'io_uring_zerocopy_tx'),
    uringScript: join(dir, 'io_uring_zerocopy_tx.sh'),
    uringSource: join(dir, 'io_uring_zerocopy_tx.c'),
    include: join(dir, 'include'),
  };
}

async function isFile(path: string, mode = fsc.R_OK): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return false;
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

async function complete(ref: Reference): Promise<boolean> {
  return (await isFile(ref.bin, fsc.X_OK)) && (await isFile(ref.script)) && (await uringComplete(ref));
}

async function uringComplete(ref: Reference): Promise<boolean> {
  return (await isFile(ref.uringBin, fsc.X_OK)) && (await isFile(ref.uringScript)) &&
    (await isFile(join(ref.include, HEADERS[0][1])));
}

/** Path of an executable found in PATH, or null. */
export async function which(cmd: string): Promise<string | null> {
  const dirs = (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of dirs) {
    if (d && (await isFile(join(d, cmd), fsc.X_OK))) return join(d, cmd);
  }
  return null;
}

/** Newest complete cached copy, if any (used when apt cannot tell the version). */
async function newestCached(): Promise<Reference | null> {
  let names: string[];
  try {
    names = await readdir(cacheRoot());
  } catch {
    return null;
  }
  names = names.filter((n) => !n.startsWith('.')).sort(compareVersions).reverse();
  for (const n of names) {
    const ref = layout(join(cacheRoot(), n), n);
    if (await complete(ref)) return ref;
  }
  return null;
}

/** Loose Debian-ish ordering: numeric runs compared as numbers. Good enough to pick the newest cache folder. */
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

/** A copy pointed at by MSG_ZEROCOPY_REFERENCE_DIR, if set. Throws if it is set but incomplete. */
async function overridden(): Promise<Reference | null> {
  const dir = process.env.MSG_ZEROCOPY_REFERENCE_DIR;
  if (!dir) return null;
  const ref = layout(resolve(dir), 'override');
  if (!(await isFile(ref.bin, fsc.X_OK)) || !(await isFile(ref.script))) {
    throw new Error(`MSG_ZEROCOPY_REFERENCE_DIR=${dir} must hold an executable msg_zerocopy and msg_zerocopy.sh`);
  }
  return ref;
}

/**
 * Why the reference cannot be had on this machine, or null when it can
 * (already cached, overridden, or every tool needed to fetch and build it is
 * present). The message names what is missing and how to get it.
 */
export async function referenceUnavailableReason(): Promise<string | null> {
  try {
    if (await overridden()) return null;
  } catch (e) {
    return (e as Error).message;
  }
  if (await newestCached()) return null;
  const missing: string[] = [];
  const pkgs = new Set<string>();
  for (const [cmd, pkg] of TOOLS) {
    if (!(await which(cmd))) {
      missing.push(cmd);
      pkgs.add(pkg);
    }
  }
  if (missing.length) {
    const hint = missing.includes('apt-get')
      ? 'this needs a Debian-family system with apt'
      : `install them with: apt-get install -y ${[...pkgs].join(' ')}`;
    return (
      `the kernel's msg_zerocopy reference is not cached in ${cacheRoot()} and cannot be built here: ` +
      `missing ${missing.join(', ')} (${hint}); or point MSG_ZEROCOPY_REFERENCE_DIR at a folder ` +
      'holding a built msg_zerocopy and msg_zerocopy.sh'
    );
  }
  return null;
}

async function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
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
async function pipeline(script: string, cwd: string): Promise<void> {
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

/** Candidate version of the package according to apt, or null if apt knows none. */
async function candidateVersion(): Promise<string | null> {
  const out = await run('apt-cache', ['policy', REFERENCE_PACKAGE]).catch(() => '');
  const m = /Candidate:\s*(\S+)/.exec(out);
  if (!m || m[1] === '(none)') return null;
  return m[1];
}

function safeVersion(v: string): string {
  if (!/^[A-Za-z0-9.+~:-]+$/.test(v)) throw new Error(`unexpected package version: ${JSON.stringify(v)}`);
  return v;
}

/** Cross-process lock (mkdir is atomic): two test processes must not build the same copy at once. */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
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

async function fetchAndBuild(version: string, log: (l: string) => void): Promise<Reference> {
  const root = cacheRoot();
  await mkdir(root, { recursive: true });
  const finalRef = layout(join(root, version), version);
  const work = await mkdtemp(join(tmpdir(), 'mzc-ref-'));
  try {
    // apt's download sandbox user (_apt) must be able to write here, or apt warns.
    await chmod(work, 0o755);
    log(`reference: apt-get download ${REFERENCE_PACKAGE}=${version} (about 150 MB)`);
    await run('apt-get', ['download', '-q', `${REFERENCE_PACKAGE}=${version}`], { cwd: work });
    const debs = (await readdir(work)).filter((n) => n.endsWith('.deb'));
    if (debs.length !== 1) throw new Error(`apt-get download left ${debs.length} .deb files in ${work}`);
    const deb = join(work, debs[0]);
    const debVersion = (await run('dpkg-deb', ['-f', deb, 'Version'])).trim();
    if (debVersion !== version) throw new Error(`downloaded ${debVersion}, expected ${version}`);

    log(`reference: extracting ${FILES.join(', ')} and ${HEADERS.map(([t]) => t).join(', ')} from ${TARBALL}`);
    const members = [...FILES.map((f) => `'*/${SELFTEST_DIR}/${f}'`), ...HEADERS.map(([t]) => `'*/${t}'`)].join(' ');
    await pipeline(
      `dpkg-deb --fsys-tarfile '${deb}' | tar -xOf - '${TARBALL}' | tar -xJf - --wildcards ${members}`,
      work,
    );
    await rm(deb, { force: true });

    const staging = join(root, `.staging-${version}-${process.pid}`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging);
    const stagedRef = layout(staging, version);
    const srcDir = join(work, REFERENCE_PACKAGE, SELFTEST_DIR);
    for (const f of FILES) {
      const from = join(srcDir, f);
      if (!(await isFile(from))) throw new Error(`${f} not found in ${REFERENCE_PACKAGE} ${version}`);
      await copyFile(from, join(staging, f));
    }
    for (const [tree, inc] of HEADERS) {
      const from = join(work, REFERENCE_PACKAGE, tree);
      if (!(await isFile(from))) throw new Error(`${tree} not found in ${REFERENCE_PACKAGE} ${version}`);
      await mkdir(join(stagedRef.include, dirname(inc)), { recursive: true });
      await copyFile(from, join(stagedRef.include, inc));
    }
    await chmod(stagedRef.script, 0o755);
    await chmod(stagedRef.uringScript, 0o755);

    log('reference: gcc -O2 msg_zerocopy.c');
    await run('gcc', ['-O2', '-Wall', '-o', stagedRef.bin, stagedRef.source]);
    log('reference: gcc -O2 -I include io_uring_zerocopy_tx.c');
    await run('gcc', ['-O2', '-Wall', '-I', stagedRef.include, '-o', stagedRef.uringBin, stagedRef.uringSource]);

    await rm(finalRef.dir, { recursive: true, force: true });
    await rename(staging, finalRef.dir);
    log(`reference: ready in ${finalRef.dir}`);
    return finalRef;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

let pending: Promise<Reference> | null = null;

/**
 * The kernel's selftest, built and cached: fetches and builds it on first
 * use. Rejects with a clear message when it cannot be had (see
 * referenceUnavailableReason).
 */
export function ensureReference(opts: EnsureOptions = {}): Promise<Reference> {
  if (!pending) {
    pending = ensure(opts.log ?? (() => {})).catch((e) => {
      pending = null;
      throw e;
    });
  }
  return pending;
}

async function ensure(log: (l: string) => void): Promise<Reference> {
  const over = await overridden();
  if (over) return over;

  const haveApt = !!(await which('apt-cache')) && !!(await which('apt-get'));
  let version = haveApt ? await candidateVersion() : null;
  if (haveApt && !version) {
    // A fresh machine often has empty package lists.
    const cached = await newestCached();
    if (cached) return cached;
    log('reference: apt knows no candidate; running apt-get update');
    await run('apt-get', ['update', '-q']);
    version = await candidateVersion();
    if (!version) throw new Error(`apt has no candidate for ${REFERENCE_PACKAGE} (is Debian's bookworm-security in sources?)`);
  }
  if (!version) {
    const cached = await newestCached();
    if (cached) return cached;
    throw new Error((await referenceUnavailableReason()) ?? 'reference unavailable');
  }
  version = safeVersion(version);

  const ref = layout(join(cacheRoot(), version), version);
  if (await complete(ref)) return ref;

  const why = await referenceUnavailableReason();
  if (why && !(await newestCached())) throw new Error(why);

  await mkdir(cacheRoot(), { recursive: true });
  return withLock(join(cacheRoot(), `.lock-${version}`), async () => {
    if (await complete(ref)) return ref; // another process built it meanwhile
    return fetchAndBuild(version, log);
  });
}

/**
 * The reference with its io_uring half: ensureReference(), then a clear
 * error when a MSG_ZEROCOPY_REFERENCE_DIR override lacks
 * io_uring_zerocopy_tx, its driver or the include folder.
 */
export async function ensureUringReference(opts: EnsureOptions = {}): Promise<Reference> {
  const ref = await ensureReference(opts);
  if (!(await uringComplete(ref))) {
    throw new Error(`${ref.dir} has no io_uring_zerocopy_tx, io_uring_zerocopy_tx.sh and include/linux/io_uring.h ` +
      '(build them from linux-source-6.12, or unset MSG_ZEROCOPY_REFERENCE_DIR to let the helper do it)');
  }
  return ref;
}

// tcp_mmap (TCP_ZEROCOPY_RECEIVE's reference, issue 19): added to the
// cached copy on first use, beside the programs above, never replacing them.
// It links libcrypto (its -i SHA-256), so it needs libssl-dev. The package's
// tarball is kept in the cache (.source-<version>/) so that adding a program
// later costs no second download.

/** The kernel's tcp_mmap, built in the reference folder: its path and source. */
export interface MmapReference {
  bin: string;
  source: string;
  version: string;
}

/** The kept linux-source tarball of a version, fetched with apt-get download when absent. */
async function sourceTarball(version: string, log: (l: string) => void): Promise<string> {
  const dir = join(cacheRoot(), `.source-${safeVersion(version)}`);
  const tarball = join(dir, `${REFERENCE_PACKAGE}.tar.xz`);
  if (await isFile(tarball)) return tarball;
  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'mzc-ref-'));
  try {
    await chmod(work, 0o755);
    log(`reference: apt-get download ${REFERENCE_PACKAGE}=${version} (about 150 MB)`);
    await run('apt-get', ['download', '-q', `${REFERENCE_PACKAGE}=${version}`], { cwd: work });
    const debs = (await readdir(work)).filter((n) => n.endsWith('.deb'));
    if (debs.length !== 1) throw new Error(`apt-get download left ${debs.length} .deb files in ${work}`);
    await pipeline(`dpkg-deb --fsys-tarfile '${join(work, debs[0])}' | tar -xOf - '${TARBALL}' > '${tarball}.part'`, work);
    await rename(`${tarball}.part`, tarball);
    return tarball;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** ensureReference(), then tcp_mmap built into the same folder (gcc -O2 ... -lpthread -lcrypto) if it is not there yet. */
export async function ensureMmapReference(opts: EnsureOptions = {}): Promise<MmapReference> {
  const log = opts.log ?? (() => {});
  const ref = await ensureReference(opts);
  const out: MmapReference = { bin: join(ref.dir, 'tcp_mmap'), source: join(ref.dir, 'tcp_mmap.c'), version: ref.version };
  if (await isFile(out.bin, fsc.X_OK)) return out;
  if (ref.version === 'override') {
    throw new Error(`${ref.dir} has no tcp_mmap (build it from linux-source-6.12 with -lpthread -lcrypto, or unset MSG_ZEROCOPY_REFERENCE_DIR)`);
  }
  return withLock(join(cacheRoot(), `.lock-mmap-${ref.version}`), async () => {
    if (await isFile(out.bin, fsc.X_OK)) return out;
    const tarball = await sourceTarball(ref.version, log);
    const work = await mkdtemp(join(tmpdir(), 'mzc-ref-'));
    try {
      log(`reference: extracting ${SELFTEST_DIR}/tcp_mmap.c; gcc -O2 tcp_mmap.c -lpthread -lcrypto`);
      await pipeline(`tar -xJf '${tarball}' --wildcards '*/${SELFTEST_DIR}/tcp_mmap.c'`, work);
      const src = join(work, REFERENCE_PACKAGE, SELFTEST_DIR, 'tcp_mmap.c');
      if (!(await isFile(src))) throw new Error(`tcp_mmap.c not found in ${REFERENCE_PACKAGE} ${ref.version}`);
      const bin = join(work, 'tcp_mmap');
      await run('gcc', ['-O2', '-Wall', '-o', bin, src, '-lpthread', '-lcrypto']).catch((e: Error) => {
        throw new Error(`${e.message}\n(tcp_mmap needs libssl-dev: scripts/system-deps.sh installs it)`);
      });
      await copyFile(src, out.source);
      await copyFile(bin, `${out.bin}.part`);
      await chmod(`${out.bin}.part`, 0o755);
      await rename(`${out.bin}.part`, out.bin);
      return out;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
}

// CLI: print where the reference is (fetching and building it if needed).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args.includes('--reason')) {
    const why = await referenceUnavailableReason();
    console.log(why ?? 'available');
    process.exit(why ? 1 : 0);
  }
  try {
    const ref = await ensureReference({ log: (l) => process.stderr.write(l + '\n') });
    const mmapRef = await ensureMmapReference({ log: (l) => process.stderr.write(l + '\n') });
    if (args.includes('--json')) console.log(JSON.stringify({ ...ref, mmapBin: mmapRef.bin }));
    else {
      console.log(`version ${ref.version}\nbin     ${ref.bin}\nscript  ${ref.script}\nsource  ${ref.source}\n` +
        `uring   ${ref.uringBin}\nuring.sh ${ref.uringScript}\ninclude ${ref.include}` +
        `\ntcp_mmap ${mmapRef.bin}`);
    }
  } catch (e) {
    process.stderr.write(`reference: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
