// SPDX-License-Identifier: GPL-2.0-only
// The reference helper: fetches Debian's linux-source-6.12, extracts the
// kernel's msg_zerocopy selftest and builds it. Every other compat test
// depends on it; when it cannot work here this test says why.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';

import { ensureReference, referenceUnavailableReason } from '../../src/reference/reference.js';
import { describe as show, start } from '../support/proc.js';

test('reference: the kernel selftest is fetched, extracted and built', { timeout: 15 * 60_000 }, async () => {
  const why = await referenceUnavailableReason();
  assert.equal(why, null, `reference selftest unavailable: ${why}`);
  const ref = await ensureReference({ log: (l) => console.log(l) });
  assert.match(ref.version, /^(6\.12\.|override$)/, `unexpected version ${ref.version}`);

  const script = await readFile(ref.script, 'utf8');
  assert.match(script, /OK\. All tests passed/, 'msg_zerocopy.sh is not the kernel driver');
  assert.match(script, /readonly BIN="\.\/msg_zerocopy"/, 'the driver no longer runs ./msg_zerocopy from its folder');

  // The built program is the real one: with no test name it prints its usage and fails.
  const r = await start([ref.bin, '-4'], { timeoutMs: 10_000 }).done;
  assert.equal(r.code, 1, show(r));
  assert.match(r.stderr, /Usage: .* \[options\] <test>/, show(r));
});
