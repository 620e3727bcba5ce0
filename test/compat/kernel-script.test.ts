// SPDX-License-Identifier: GPL-2.0-only
// The kernel's own namespace driver, msg_zerocopy.sh from linux 6.12,
// unmodified, run with no arguments (ipv4/ipv6 x tcp/udp, copy and
// zerocopy). It runs ./msg_zerocopy from its working folder; we give it a
// folder where that name starts our CLI. The same script with the C binary
// runs first as a control, so a broken machine is told apart from a broken
// port.

import assert from 'node:assert/strict';
import { chmod, copyFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';

import { ensureReference, referenceUnavailableReason, type Reference } from '../../src/reference/reference.js';
import { run as labRun } from '../../src/lab/lab.js';
import { withHostLock } from './harness.js';
import { BIN, describe as show, ourUnavailableReason, parseRx, parseTx, rootUnavailableReason, start, type ProcResult } from '../support/proc.js';

let ref: Reference;

before(async () => {
  const why = rootUnavailableReason() ?? (await referenceUnavailableReason());
  if (why) throw new Error(`kernel-driver compat test cannot run: ${why}`);
  ref = await ensureReference();
});

const DRIVER_NS = /^ns-[A-Za-z0-9]{6}[12]$/;

async function netnsNames(): Promise<Set<string>> {
  const out = await labRun(['ip', 'netns', 'list']).catch(() => '');
  return new Set(out.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean));
}

/** Runs `bash ./msg_zerocopy.sh` with no arguments in a folder whose ./msg_zerocopy is `program`. */
async function runDriver(program: { link?: string; wrapper?: string }): Promise<ProcResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mzc-driver-'));
  const before = await netnsNames();
  try {
    await copyFile(ref.script, join(dir, 'msg_zerocopy.sh'));
    await chmod(join(dir, 'msg_zerocopy.sh'), 0o755);
    const bin = join(dir, 'msg_zerocopy');
    if (program.link) {
      await symlink(program.link, bin);
    } else {
      await writeFile(bin, program.wrapper ?? '');
      await chmod(bin, 0o755);
    }
    // The driver re-runs itself as $0 for each configuration, so $0 must be a path.
    const r = await start(['bash', './msg_zerocopy.sh'], { cwd: dir, timeoutMs: 180_000 }).done;
    if (r.timedOut) {
      // SIGKILL skipped the driver's own cleanup trap: remove the namespaces it made.
      for (const ns of await netnsNames()) {
        if (!before.has(ns) && DRIVER_NS.test(ns)) await labRun(['ip', 'netns', 'del', ns]).catch(() => '');
      }
    }
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function checkDriverOutput(r: ProcResult): void {
  const all = r.stdout + r.stderr;
  assert.equal(r.code, 0, `msg_zerocopy.sh failed\n${show(r)}`);
  assert.match(r.stdout, /^OK\. All tests passed$/m, `no success line\n${show(r)}`);
  // 4 configurations x (copy, zerocopy): 8 receivers and 8 senders reported.
  const tx = all.split('\n').filter((l) => parseTx(l));
  const rx = all.split('\n').filter((l) => parseRx(l));
  assert.equal(tx.length, 8, `expected 8 sender summaries\n${show(r)}`);
  assert.equal(rx.length, 8, `expected 8 receiver summaries\n${show(r)}`);
  for (const l of tx) {
    const t = parseTx(l)!;
    assert.ok(t.tx > 0, `a sender sent nothing: ${l}`);
    // Zerocopy runs (txc > 0) between namespaces: every send completed, all copied.
    if (t.txc > 0) {
      assert.equal(t.txc, t.tx, `zerocopy completions missing: ${l}`);
      assert.equal(t.zc, false, `local delivery must be reported as copied: ${l}`);
    }
  }
  // The driver asks for CPUs 2 and 3; with fewer CPUs both programs warn and go on.
  if (availableParallelism() < 4) {
    assert.match(r.stderr, /pin/i, `expected a CPU pinning warning on a ${availableParallelism()}-CPU machine\n${show(r)}`);
  }
}

test('kernel msg_zerocopy.sh passes with the C selftest (control)', { timeout: 300_000 }, async () => {
  const r = await withHostLock(() => runDriver({ link: ref.bin }));
  checkDriverOutput(r);
});

test('kernel msg_zerocopy.sh passes driving our executable', { timeout: 300_000 }, async () => {
  const why = ourUnavailableReason();
  assert.equal(why, null, why ?? '');
  const program = process.env.MSG_ZEROCOPY_OURS
    ? { link: process.env.MSG_ZEROCOPY_OURS }
    : { wrapper: `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n` };
  const r = await withHostLock(() => runDriver(program));
  checkDriverOutput(r);
  // Our CLI must not crash with a JavaScript stack trace anywhere in the run.
  assert.doesNotMatch(r.stderr, /^\s+at .+\(.+:\d+:\d+\)$/m, `stack trace in output\n${show(r)}`);
});
