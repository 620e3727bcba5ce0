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
//     selftests/kselftest.h  selftests/net/udpgso_bench_{tx,rx}{,.c}
//     selftests/net/udpgso_bench.sh  selftests/net/in_netns.sh
//
// io_uring_zerocopy_tx does not build against Debian 12's linux-libc-dev
// (linux 6.1: its io_uring.h has no sqe->optlen, which mini_liburing.h
// uses), so it is built with the tarball's own include/uapi/linux/io_uring.h
// first on the include path; the layout test also checks our io_uring
// structs against that header.
//
// Used by the compatibility tests (test/compat) and the benchmark (bench/).
// Fetch and build from the command line: node --import tsx src/reference/main.ts
// (tcp_mmap: mmap.ts; the small process and file helpers: shell.ts)
//
// Overrides: MSG_ZEROCOPY_REFERENCE_DIR=<folder holding msg_zerocopy and
// msg_zerocopy.sh> uses a copy built elsewhere; MSG_ZEROCOPY_CACHE=<folder>
// moves the cache root.

import { constants as fsc } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compareVersions, isFile, pipeline, run, safeVersion, which, withLock } from './shell.js';

/** Debian package that carries the kernel tree. */
export const REFERENCE_PACKAGE = 'linux-source-6.12';
/** The tarball inside the package. */
export const TARBALL = `./usr/src/${REFERENCE_PACKAGE}.tar.xz`;
/** Where the two files sit inside the kernel tree. */
export const SELFTEST_DIR = 'tools/testing/selftests/net';
const FILES = ['msg_zerocopy.c', 'msg_zerocopy.sh', 'io_uring_zerocopy_tx.c', 'io_uring_zerocopy_tx.sh'] as const;
/** Headers io_uring_zerocopy_tx.c needs from the tree, and where they go under include/. */
const HEADERS: ReadonlyArray<[tree: string, include: string]> = [
  ['include/uapi/linux/io_uring.h', 'linux/io_uring.h'],
  ['tools/include/io_uring/mini_liburing.h', 'io_uring/mini_liburing.h'],
];
/**
 * The UDP GSO benchmark (udpgso_bench_tx.c, udpgso_bench_rx.c and their
 * driver udpgso_bench.sh, which runs ./in_netns.sh; the tx program includes
 * ../kselftest.h): kept in the tree's own layout under selftests/ so the
 * driver runs unmodified.
 */
const UDPGSO_FILES = ['net/udpgso_bench_tx.c', 'net/udpgso_bench_rx.c', 'net/udpgso_bench.sh', 'net/in_netns.sh', 'kselftest.h'] as const;
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
  /** selftests/net/ of the tree: udpgso_bench_tx and _rx (built), udpgso_bench.sh, in_netns.sh; ../kselftest.h beside it. */
  udpgsoDir: string;
  udpgsoTx: string;
  udpgsoRx: string;
  udpgsoScript: string;
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
    udpgsoDir: join(dir, 'selftests', 'net'),
    udpgsoTx: join(dir, 'selftests', 'net', 'udpgso_bench_tx'),
    udpgsoRx: join(dir, 'selftests', 'net', 'udpgso_bench_rx'),
    udpgsoScript: join(dir, 'selftests', 'net', 'udpgso_bench.sh'),
  };
}

async function complete(ref: Reference): Promise<boolean> {
  return (await isFile(ref.bin, fsc.X_OK)) && (await isFile(ref.script)) && (await uringComplete(ref)) &&
    (await udpgsoComplete(ref));
}

async function udpgsoComplete(ref: Reference): Promise<boolean> {
  return (await isFile(ref.udpgsoTx, fsc.X_OK)) && (await isFile(ref.udpgsoRx, fsc.X_OK)) &&
    (await isFile(ref.udpgsoScript, fsc.X_OK)) && (await isFile(join(ref.udpgsoDir, 'in_netns.sh'), fsc.X_OK));
}

async function uringComplete(ref: Reference): Promise<boolean> {
  return (await isFile(ref.uringBin, fsc.X_OK)) && (await isFile(ref.uringScript)) &&
    (await isFile(join(ref.include, HEADERS[0][1])));
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

/** Candidate version of the package according to apt, or null if apt knows none. */
async function candidateVersion(): Promise<string | null> {
  const out = await run('apt-cache', ['policy', REFERENCE_PACKAGE]).catch(() => '');
  const m = /Candidate:\s*(\S+)/.exec(out);
  if (!m || m[1] === '(none)') return null;
  return m[1];
}

/** apt-get download the package into `work` (a fresh folder): the path of its .deb. */
export async function downloadPackage(version: string, work: string, log: (l: string) => void): Promise<string> {
  // apt's download sandbox user (_apt) must be able to write here, or apt warns.
  await chmod(work, 0o755);
  log(`reference: apt-get download ${REFERENCE_PACKAGE}=${version} (about 150 MB)`);
  await run('apt-get', ['download', '-q', `${REFERENCE_PACKAGE}=${version}`], { cwd: work });
  const debs = (await readdir(work)).filter((n) => n.endsWith('.deb'));
  if (debs.length !== 1) throw new Error(`apt-get download left ${debs.length} .deb files in ${work}`);
  return join(work, debs[0]);
}

async function fetchAndBuild(version: string, log: (l: string) => void): Promise<Reference> {
  const root = cacheRoot();
  await mkdir(root, { recursive: true });
  const finalRef = layout(join(root, version), version);
  const work = await mkdtemp(join(tmpdir(), 'mzc-ref-'));
  try {
    const deb = await downloadPackage(version, work, log);
    const debVersion = (await run('dpkg-deb', ['-f', deb, 'Version'])).trim();
    if (debVersion !== version) throw new Error(`downloaded ${debVersion}, expected ${version}`);

    log(`reference: extracting ${FILES.join(', ')} and ${HEADERS.map(([t]) => t).join(', ')} from ${TARBALL}`);
    const members = [...FILES.map((f) => `'*/${SELFTEST_DIR}/${f}'`), ...HEADERS.map(([t]) => `'*/${t}'`),
      ...UDPGSO_FILES.map((f) => `'*/${dirname(SELFTEST_DIR)}/${f}'`)].join(' ');
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
    for (const f of UDPGSO_FILES) {
      const from = join(work, REFERENCE_PACKAGE, dirname(SELFTEST_DIR), f);
      if (!(await isFile(from))) throw new Error(`${f} not found in ${REFERENCE_PACKAGE} ${version}`);
      await mkdir(dirname(join(staging, 'selftests', f)), { recursive: true });
      await copyFile(from, join(staging, 'selftests', f));
      if (f.endsWith('.sh')) await chmod(join(staging, 'selftests', f), 0o755);
    }

    log('reference: gcc -O2 msg_zerocopy.c');
    await run('gcc', ['-O2', '-Wall', '-o', stagedRef.bin, stagedRef.source]);
    log('reference: gcc -O2 -I include io_uring_zerocopy_tx.c');
    await run('gcc', ['-O2', '-Wall', '-I', stagedRef.include, '-o', stagedRef.uringBin, stagedRef.uringSource]);
    log('reference: gcc -O2 udpgso_bench_tx.c udpgso_bench_rx.c');
    await run('gcc', ['-O2', '-Wall', '-o', stagedRef.udpgsoTx, `${stagedRef.udpgsoTx}.c`]);
    await run('gcc', ['-O2', '-Wall', '-o', stagedRef.udpgsoRx, `${stagedRef.udpgsoRx}.c`]);

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

/**
 * The reference with the UDP GSO benchmark: ensureReference(), then a clear
 * error when a MSG_ZEROCOPY_REFERENCE_DIR override lacks selftests/net/udpgso_bench_*.
 */
export async function ensureUdpgsoReference(opts: EnsureOptions = {}): Promise<Reference> {
  const ref = await ensureReference(opts);
  if (!(await udpgsoComplete(ref))) {
    throw new Error(`${ref.dir} has no selftests/net/udpgso_bench_tx, udpgso_bench_rx, udpgso_bench.sh and in_netns.sh ` +
      '(build them from linux-source-6.12, or unset MSG_ZEROCOPY_REFERENCE_DIR to let the helper do it)');
  }
  return ref;
}
