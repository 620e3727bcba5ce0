// SPDX-License-Identifier: GPL-2.0-only
// The kernel's own namespace driver, msg_zerocopy.sh from linux 6.12,
// unmodified, run with no arguments (ipv4/ipv6 x tcp/udp, copy and
// zerocopy). It runs ./msg_zerocopy from its working folder; we give it a
// folder where that name starts our CLI. The same script with the C binary
// runs first as a control, so a broken machine is told apart from a broken
// port.

import assert from 'node:assert/strict';
import { chmod, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';

import { ensureReference, referenceUnavailableReason, type Reference } from '../../src/reference/reference.js';
import { runKernelDriver, withHostLock } from './harness.js';
import { BIN, describe as show, ourUnavailableReason, parseRx, parseTx, rootUnavailableReason, type ProcResult } from '../support/proc.js';

let ref: Reference;

before(async () => {
  const why = rootUnavailableReason() ?? (await referenceUnavailableReason());
  if (why) throw new Error(`kernel-driver compat test cannot run: ${why}`);
  ref = await ensureReference();
});

/** Runs `bash ./msg_zerocopy.sh` with no arguments in a folder whose ./msg_zerocopy is `program`. */
function runDriver(program: { link?: string; wrapper?: string }): Promise<ProcResult> {
  return runKernelDriver(ref.script, 'msg_zerocopy.sh', 'mzc-driver-', 180_000, async (dir) => {
    const bin = join(dir, 'msg_zerocopy');
    if (program.link) {
      await symlink(program.link, bin);
    } else {
      await writeFile(bin, program.wrapper ?? '');
      await chmod(bin, 0o755);
    }
  });
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
