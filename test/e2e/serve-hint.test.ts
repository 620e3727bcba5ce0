// SPDX-License-Identifier: GPL-2.0-only
// serve's "on the other host run: msg-zerocopy pair ..." line names the
// --secret-file it was given (issue 21), and says nothing of one when none was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServeLab } from './serve-helpers.js';
import { shellWord } from '../../src/pair/serve.js';

const { servers, secret } = useServeLab('mzsh-', { writeSecret: true });
const D = '192.168.1.2';

test('the hint carries --secret-file when one was given', async () => {
  const s = await servers.start(['-4', '-D', D, '--control-port', '9731', '--secret-file', secret()]);
  const line = s.stderrText().split('\n').find((l) => l.includes('on the other host run'))!;
  assert.ok(line.endsWith(`on the other host run: msg-zerocopy pair -4 -D ${D} --control-port 9731 --secret-file ${secret()} [flags] <test>`), line);
  s.kill('SIGTERM');
});

test('a path that needs quoting is one shell word', () => {
  assert.equal(shellWord('/root/.config/msg-zerocopy/secret'), '/root/.config/msg-zerocopy/secret');
  assert.equal(shellWord("/tmp/my secret's"), "'/tmp/my secret'\\''s'");
});
