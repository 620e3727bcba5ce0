// SPDX-License-Identifier: GPL-2.0-only
import { constants as fsc } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot, downloadPackage, ensureReference, REFERENCE_PACKAGE, SELFTEST_DIR, TARBALL, type EnsureOptions } from './reference.js';
import { isFile, pipeline, run, safeVersion, withLock } from './shell.js';

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
    const deb = await downloadPackage(version, work, log);
    await pipeline(`dpkg-deb --fsys-tarfile '${deb}' | tar -xOf - '${TARBALL}' > '${tarball}.part'`, work);
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

