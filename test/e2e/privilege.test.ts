// SPDX-License-Identifier: GPL-2.0-only
// Missing privileges: one line naming the capability, exit status 1, no
// stack trace. Runs the tool as user nobody (needs root to switch users).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BIN, requireRoot } from '../support/proc.js';

function asNobody(args: string[]) {
  requireRoot();
  const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 20000 });
  if (r.error) throw r.error;
  return r;
}

for (const t of ['raw', 'raw_hdrincl', 'packet', 'packet_dgram']) {
  test(`${t} without CAP_NET_RAW says which capability is missing`, () => {
    const r = asNobody(['-4', '-t', '0', '-D', '127.0.0.1', '-i', 'lo', t]);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stderr, 'msg-zerocopy: socket t: Operation not permitted ' +
      '(raw and packet sockets need CAP_NET_RAW: run as root or grant the capability)\n');
  });
}

test('suite without root says what it needs', () => {
  const r = asNobody(['suite']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^msg-zerocopy suite: ip netns add needs root \(CAP_SYS_ADMIN\)\n$/);
});
