// SPDX-License-Identifier: GPL-2.0-only
// End to end, pair --rx (issue 19): pair forwards --rx mmap and
// --expect-mapped to the receiver serve starts on the other host (here the
// other namespace, veth MTU 61512 so the MSS is 15 pages); serve's receiver
// reads with TCP_ZEROCOPY_RECEIVE and its report says how much it mapped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type Proc } from '../support/proc.js';
import { runPair, useServeLab } from './serve-helpers.js';

const { lab, servers, dir } = useServeLab('mzrx-');
const secret = (): string => join(dir(), 'sub', 'secret');
let serve: Promise<Proc> | null = null;

/** The page-sized MTU on both ends and one serve, made once, inside the first test (after the lab's own before()). */
function setUp(): Promise<Proc> {
  serve ??= (async () => {
    for (const ns of [lab().txNs, lab().rxNs]) execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', 'veth0', 'mtu', '61512']);
    return servers.start(['-6', '-D', lab().addr[6].dst, '--control-port', '9421', '--json', '--secret-file', secret()]);
  })();
  return serve;
}

const pair = async (args: string[]) => (await setUp(), runPair(lab(), ['-6', '-D', lab().addr[6].dst, '-p', '9420', '--control-port', '9421',
  '-t', '1', '--json', ...args, '--secret-file', secret()], 60_000));

test('pair -z -s 61440 --rx mmap --expect-mapped 99: serve\'s receiver maps at least 99 %, every byte counted', async () => {
  const o = await pair(['-z', '-s', '61440', '--rx', 'mmap', '--expect-mapped', '99', 'tcp']);
  assert.equal(o.code, 0, o.stderr);
  const j = JSON.parse(o.stdout) as { sender: { bytes: number }; receiver: Record<string, number | string> };
  assert.equal(j.receiver.rxMode, 'mmap');
  assert.ok((j.receiver.mappedPercent as number) >= 99, `mapped ${j.receiver.mappedPercent} %`);
  assert.equal(j.receiver.bytes, j.sender.bytes);
  assert.match(o.stderr, /^receiver on fd::2: rx mmap: [\d.]+ % mapped/m);
});

test('pair --rx mmap with a copying sender and --expect-mapped 99: the receiver\'s verdict fails the pair', async () => {
  const o = await pair(['-s', '61440', '--rx', 'mmap', '--expect-mapped', '99', 'tcp']);
  assert.notEqual(o.code, 0, o.stderr);
  const j = JSON.parse(o.stdout) as { receiver: Record<string, number | string> };
  assert.ok((j.receiver.mappedPercent as number) < 1);
  assert.equal(j.receiver.exitStatus, 1);
});

test('pair --rx mmap with udp: one line, exit 1, nothing asked of serve', async () => {
  const o = await pair(['--rx', 'mmap', 'udp']);
  assert.equal(o.code, 1, o.stderr);
  assert.match(o.stderr.trim(), /^msg-zerocopy: --rx mmap: TCP_ZEROCOPY_RECEIVE maps tcp streams only, not udp/);
  assert.equal(o.stderr.trim().split('\n').length, 1);
});
