// SPDX-License-Identifier: GPL-2.0-only
// The io_uring sender's pure parts: the completion accounting (CQE rules of
// io_uring_zerocopy_tx, notifications into the tracker, 32-bit id wrap),
// glibc's rand() for -m 3 (against gcc), the probe parser, the kernel
// refusal hints, the command line and the output line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EAGAIN, ECONNREFUSED, ENOSYS, EPERM, IO_URING_OP_SUPPORTED, IORING_CQE_F_MORE, IORING_CQE_F_NOTIF, IORING_NOTIF_USAGE_ZC_COPIED,
  IORING_OP_SEND, IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC,
} from '../../src/libc/constants.js';
import { PROBE, PROBE_OP } from '../../src/libc/layout.js';
import { CompletionTracker } from '../../src/notify/tracker.js';
import { UsageError } from '../../src/core/errors.js';
import { CqeError, TAG_SEND, TAG_SEND_ZC, TAG_SEND_ZC_FIXED, UringCompletions } from '../../src/uring/completions.js';
import { parseUringArgs } from '../../src/flags/uring.js';
import { GlibcRandom } from '../../src/uring/random.js';
import { parseUringLine, uringLine } from '../../src/uring/report.js';
import { probeSupports, readIoUringDisabled, uringHint } from '../../src/uring/ring.js';
import { modeOps, requestKinds } from '../../src/uring/sender.js';

const COPIED_RES = IORING_NOTIF_USAGE_ZC_COPIED | 0; // as the CQE's signed res reads it
const MORE = IORING_CQE_F_MORE;
const NOTIF = IORING_CQE_F_NOTIF;

function accounting(expect: -1 | 0 | 1 = -1, len = 1000) {
  const mismatches: Array<[number, number]> = [];
  const failed: number[] = [];
  const tracker = new CompletionTracker(expect, { mismatch: (got, want) => mismatches.push([got, want]) });
  const acc = new UringCompletions(tracker, len, (e) => {
    failed.push(e);
    throw new Error(`send failed ${e}`);
  });
  return { acc, tracker, mismatches, failed };
}

test('a zerocopy request: F_MORE completion, then its notification', () => {
  const { acc, tracker } = accounting();
  assert.equal(acc.cqe(1000, MORE, TAG_SEND_ZC, 0), 1);
  assert.deepEqual([acc.packets, acc.bytes, acc.pending, acc.expectedNotifications], [1, 1000, 1, 1]);
  assert.equal(acc.cqe(0, NOTIF, TAG_SEND_ZC, 0), 0);
  acc.flush();
  assert.deepEqual([acc.pending, tracker.completions, tracker.zerocopied, tracker.copied, tracker.gaps], [0, 1, 1, 0, 0]);
});

test('IORING_NOTIF_USAGE_ZC_COPIED counts as copied', () => {
  const { acc, tracker } = accounting();
  for (let id = 0; id < 3; id++) acc.cqe(1000, MORE, TAG_SEND_ZC_FIXED, id);
  acc.cqe(COPIED_RES, NOTIF, TAG_SEND_ZC_FIXED, 0);
  acc.cqe(0, NOTIF, TAG_SEND_ZC_FIXED, 1);
  acc.cqe(COPIED_RES, NOTIF, TAG_SEND_ZC_FIXED, 2);
  acc.flush();
  assert.deepEqual([tracker.copied, tracker.zerocopied, tracker.completions, acc.byTag[TAG_SEND_ZC_FIXED]], [2, 1, 3, 3]);
});

test('plain sends: packets and bytes, no notification expected; short sends and EAGAIN counted', () => {
  const { acc } = accounting(-1, 1000);
  acc.cqe(1000, 0, TAG_SEND, 0);
  acc.cqe(400, 0, TAG_SEND, 0);
  acc.cqe(0, 0, TAG_SEND, 0); // the C tool counts res >= 0 as a packet, 0 included
  acc.cqe(-EAGAIN, 0, TAG_SEND, 0);
  assert.deepEqual([acc.packets, acc.bytes, acc.shortSends, acc.eagain, acc.requestCqes, acc.pending], [3, 1400, 2, 1, 4, 0]);
});

test('a failed request goes to the failure callback with its errno', () => {
  const { acc, failed } = accounting();
  assert.throws(() => acc.cqe(-ECONNREFUSED, MORE, TAG_SEND_ZC, 0), /send failed 111/);
  assert.deepEqual(failed, [ECONNREFUSED]);
});

test('protocol errors are the C tool\'s, exit 1', () => {
  const cases: Array<[string, (a: UringCompletions) => void, RegExp]> = [
    ['notification with F_MORE', (a) => { a.cqe(1, MORE, TAG_SEND_ZC, 0); a.cqe(0, NOTIF | MORE, TAG_SEND_ZC, 0); }, /^invalid notif flags$/],
    ['notification nobody announced', (a) => a.cqe(0, NOTIF, TAG_SEND_ZC, 0), /^notification mismatch$/],
    ['F_MORE on a plain send', (a) => a.cqe(1, MORE, TAG_SEND, 0), /^unexpected F_MORE$/],
    ['unknown user_data', (a) => a.cqe(1, 0, 7, 0), /^invalid cqe->user_data$/],
  ];
  for (const [what, fn, re] of cases) {
    const { acc } = accounting();
    assert.throws(() => fn(acc), (e: unknown) => e instanceof CqeError && re.test(e.message) && e.exitCode === 1, what);
  }
});

test('notification ids wrap at 2^32 without gaps; out-of-order notifications are counted, not lost', () => {
  const { acc, tracker } = accounting();
  // Start the tracker just below the wrap, as after 2^32 - 2 sends.
  tracker.next = 0xfffffffe;
  const ids = [0xfffffffe, 0xffffffff, 0, 1];
  for (const id of ids) acc.cqe(1000, MORE, TAG_SEND_ZC, id);
  for (const id of ids) acc.cqe(0, NOTIF, TAG_SEND_ZC, id);
  acc.flush();
  assert.deepEqual([tracker.completions, tracker.gaps, tracker.next], [4, 0, 2]);
  acc.cqe(1000, MORE, TAG_SEND_ZC, 3);
  acc.cqe(1000, MORE, TAG_SEND_ZC, 2);
  acc.cqe(0, NOTIF, TAG_SEND_ZC, 3);
  acc.cqe(0, NOTIF, TAG_SEND_ZC, 2);
  acc.flush();
  assert.deepEqual([tracker.completions, tracker.unique, tracker.outOfOrder, tracker.duplicates, acc.pending], [6, 6, 1, 0, 0]);
});

test('consecutive notifications with one outcome reach the tracker as one range; a change of outcome or id starts another', () => {
  const { acc, tracker } = accounting();
  for (let id = 0; id < 8; id++) acc.cqe(1000, MORE, TAG_SEND_ZC, id);
  for (const id of [0, 1, 2]) acc.cqe(0, NOTIF, TAG_SEND_ZC, id);
  acc.cqe(COPIED_RES, NOTIF, TAG_SEND_ZC, 3); // outcome changes
  acc.cqe(COPIED_RES, NOTIF, TAG_SEND_ZC, 5); // id jumps (4 comes later)
  acc.cqe(COPIED_RES, NOTIF, TAG_SEND_ZC, 4);
  assert.equal(tracker.notifications, 3, 'ranges flushed before the open one');
  acc.flush();
  acc.flush(); // nothing open: no-op
  assert.deepEqual([tracker.notifications, acc.notifications], [4, 6]); // ranges [0,2] [3] [5] [4]; 6 CQEs
  assert.deepEqual([tracker.completions, tracker.copied, tracker.zerocopied, tracker.gaps, tracker.outOfOrder, tracker.unique],
    [6, 3, 3, 2, 1, 6]);
});

test('-Z: the first notification against the expectation is reported once', () => {
  const { acc, tracker, mismatches } = accounting(1);
  for (let id = 0; id < 4; id++) acc.cqe(1000, MORE, TAG_SEND_ZC, id);
  acc.cqe(0, NOTIF, TAG_SEND_ZC, 0);
  acc.flush();
  assert.equal(tracker.mismatched, false);
  acc.cqe(COPIED_RES, NOTIF, TAG_SEND_ZC, 1);
  acc.cqe(COPIED_RES, NOTIF, TAG_SEND_ZC, 2);
  acc.flush();
  assert.deepEqual(mismatches, [[0, 1]]);
  assert.equal(tracker.mismatched, true);
});

test('glibc rand(): the same sequence as the C library (so -m 3 picks the C tool\'s modes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mzc-rand-'));
  try {
    writeFileSync(join(dir, 'r.c'), '#include <stdio.h>\n#include <stdlib.h>\nint main(void){for(int i=0;i<2000;i++)printf("%d\\n",rand());' +
      'srand(12345);for(int i=0;i<100;i++)printf("%d\\n",rand());return 0;}\n');
    execFileSync('gcc', ['-o', join(dir, 'r'), join(dir, 'r.c')], { stdio: 'pipe' });
    const want = execFileSync(join(dir, 'r'), { encoding: 'utf8' }).trim().split('\n').map(Number);
    const r = new GlibcRandom();
    const s = new GlibcRandom(12345);
    const got = [...Array.from({ length: 2000 }, () => r.next()), ...Array.from({ length: 100 }, () => s.next())];
    assert.equal(got.length, want.length);
    assert.deepEqual(got, want);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('probe: an opcode is supported only when the kernel marked it and knows it', () => {
  const buf = new Uint8Array(PROBE.size + 256 * PROBE_OP.size);
  const dv = new DataView(buf.buffer);
  dv.setUint8(PROBE.last_op, IORING_OP_SEND_ZC);
  dv.setUint8(PROBE.ops_len, IORING_OP_SEND_ZC + 1);
  for (const op of [IORING_OP_SEND, IORING_OP_SEND_ZC]) {
    dv.setUint16(PROBE.size + op * PROBE_OP.size + PROBE_OP.flags, IO_URING_OP_SUPPORTED, true);
  }
  assert.equal(probeSupports(buf, IORING_OP_SEND), true);
  assert.equal(probeSupports(buf, IORING_OP_SEND_ZC), true);
  assert.equal(probeSupports(buf, IORING_OP_SENDMSG_ZC), false); // beyond last_op
  assert.equal(probeSupports(buf, 1), false); // known, not supported
});

test('kernel refusals name the fix', () => {
  assert.match(uringHint('setup', EPERM, 2)!, /kernel\.io_uring_disabled = 2.*sysctl -w kernel\.io_uring_disabled=0/);
  assert.match(uringHint('setup', EPERM, 1)!, /io_uring_group/);
  assert.match(uringHint('setup', EPERM, null)!, /seccomp/);
  assert.match(uringHint('setup', ENOSYS, null)!, /CONFIG_IO_URING/);
  assert.match(uringHint('buffers', 12 /* ENOMEM */, null)!, /ulimit -l.*-m 1/);
  assert.equal(readIoUringDisabled(() => '2\n'), 2);
  assert.equal(readIoUringDisabled(() => { throw new Error('ENOENT'); }), null);
});

test('modes: request kinds and the opcodes the probe must find', () => {
  assert.deepEqual(requestKinds(3, false).map((k) => [k.head & 0xff, k.tag, k.zc]),
    [[IORING_OP_SEND, TAG_SEND, false], [IORING_OP_SEND_ZC, TAG_SEND_ZC, true], [IORING_OP_SEND_ZC, TAG_SEND_ZC_FIXED, true]]);
  // fixed file: IOSQE_FIXED_FILE in the flags byte; registered buffer: IORING_RECVSEND_FIXED_BUF in ioprio
  const [fixed] = requestKinds(2, true);
  assert.equal((fixed.head >> 8) & 0xff, 1);
  assert.equal(fixed.head >>> 16, (1 << 2) | (1 << 3));
  assert.deepEqual(modeOps(0), [IORING_OP_SEND]);
  assert.deepEqual(modeOps(4), [IORING_OP_SENDMSG_ZC]);
});

test('command line: io_uring_zerocopy_tx defaults', () => {
  const c = parseUringArgs(['-4', '-D', '192.168.1.2', 'udp']);
  assert.deepEqual([c.family, c.test, c.port, c.payloadLen, c.runtimeMs, c.batch, c.mode, c.cork, c.expectZerocopy],
    [4, 'udp', 8000, 65435, 4200, 8, 2, false, -1]);
  const d = parseUringArgs(['-6', 'tcp', '-Dfd::2', '-t1', '-n', '0x20', '-m', '1', '-s', '1000', '-p', '9000', '-Z', '0']);
  assert.deepEqual([d.family, d.test, d.dstText, d.runtimeMs, d.batch, d.mode, d.payloadLen, d.port, d.expectZerocopy],
    [6, 'tcp', 'fd::2', 1200, 32, 1, 1000, 9000, 0]);
  assert.equal(parseUringArgs(['-4', '-D', '1.2.3.4', '-c', '1', 'udp']).cork, true);
});

test('command line: bad input is one line, exit 1', () => {
  const bad: Array<[string[], RegExp]> = [
    [['-4', '-6', '-D', '1.2.3.4', 'udp'], /^Pass one of -4 or -6$/],
    [['-D', '1.2.3.4', 'udp'], /^illegal domain$/],
    [['-4', '-D', '1.2.3.4', 'raw'], /^unknown cfg_test raw$/],
    [['-4', '-D', '1.2.3.4'], /^Usage: /],
    [['-4', '-D', 'fd::2', 'udp'], /^ipv4 parse error: fd::2$/],
    [['-4', '-D', '1.2.3.4', '-s', '65436', 'udp'], /^-s: payload exceeds max \(65435\)$/],
    [['-4', '-D', '1.2.3.4', '-n', '0', 'udp'], /^-n: 0 is out of range$/],
    [['-4', '-D', '1.2.3.4', '-n', '513', 'udp'], /^-n: 513 is out of range$/],
    [['-4', '-D', '1.2.3.4', '-m', '5', 'udp'], /^-m: 5 is out of range$/],
    [['-4', '-D', '1.2.3.4', '-c', '1', 'tcp'], /^can only cork udp sockets$/],
    [['-4', '-D', '1.2.3.4', '-Z', '2', 'udp'], /^-Z: expected 0 or 1/],
    [['-4', '-D', '1.2.3.4', '-x', 'udp'], /unknown option '-x'/],
  ];
  for (const [argv, re] of bad) {
    assert.throws(() => parseUringArgs(argv), (e: unknown) => e instanceof UsageError && e.exitCode === 1 && re.test(e.message),
      argv.join(' '));
  }
});

test('the output line is the C tool\'s, integer rates over whole seconds', () => {
  assert.equal(uringLine(382000, 382000 * 1000, 1200), 'tx=382000 (MB=364), tx/s=382000 (MB/s=364)');
  assert.equal(uringLine(999, 5 * 1048576 + 7, 4200), 'tx=999 (MB=5), tx/s=249 (MB/s=1)');
  assert.equal(uringLine(100, 0, 200), 'tx=100 (MB=0), tx/s=500 (MB/s=0)'); // -t 0: the C tool dies of SIGFPE here
  assert.deepEqual(parseUringLine('x\ntx=12 (MB=3), tx/s=10 (MB/s=2)\n'), { packets: 12, mb: 3, packetsPerSec: 10, mbPerSec: 2 });
  assert.equal(parseUringLine('tx=12 (3 MB) txc=0 zc=n'), null);
});
