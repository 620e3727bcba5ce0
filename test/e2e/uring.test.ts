// SPDX-License-Identifier: GPL-2.0-only
// End to end: `msg-zerocopy uring` in the namespace lab the test creates and
// always deletes. Out of the egress device (tx-only) every notification must
// say not copied; to our receiver over the veth pair (tx-rx) every one says
// copied. Also the options, forced garbage collection, a real kernel refusal
// (the registered buffer over the locked-memory limit), a signal, bad input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isSenderReport, readReport } from '../../src/report/read.js';
import { parseUringLine } from '../../src/uring/report.js';
import { BIN, describe as show, ours, ourArgv, parseJson, rxLine, sleep, start, type ProcResult } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

type Json = Record<string, unknown> & {
  packets: number; bytes: number; completions: number; expectedCompletions: number; copiedCompletions: number;
  zerocopiedCompletions: number; requestsByKind: Record<string, number>; shortSends: number; eagain: number;
};

/** The run's line and JSON report, checked against each other. */
function result(r: ProcResult, code = 0): { line: NonNullable<ReturnType<typeof parseUringLine>>; j: Json } {
  assert.equal(r.code, code, show(r));
  const line = parseUringLine(r.stderr);
  assert.ok(line, `no tx= line\n${show(r)}`);
  const j = parseJson(r.stdout) as Json | null;
  assert.ok(j, `no JSON report\n${show(r)}`);
  assert.equal(j.packets, line.packets, `json packets != tx=\n${show(r)}`);
  assert.equal(Math.floor(j.bytes / 2 ** 20), line.mb, `json bytes != MB=\n${show(r)}`);
  assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, `stack trace\n${show(r)}`);
  // What suite, sweep and compare read from a child: the classic sender report's reader accepts it.
  assert.ok(isSenderReport(readReport(r.stdout)), `the run layer's reader refuses the report\n${show(r)}`);
  return { line, j };
}

/** A uring sender alone, to the tx-only address (routed out of the egress device, dropped there). */
function txOnly(fam: 4 | 6, args: string[], o: { argv?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const argv = [...(o.argv ?? ourArgv()), 'uring', `-${fam}`, '-D', lab().addr[fam].txOnly, '-t', '0', '--json', ...args];
  return start(argv, { ns: lab().txNs, env: o.env, timeoutMs: 30_000 });
}

let nextPort = 9300;
/** Our classic receiver in the rx namespace, then the uring sender to it, as the kernel's io_uring driver does. */
async function toReceiver(fam: 4 | 6, test: 'tcp' | 'udp', args: string[], size = 65435) {
  const port = String(nextPort++);
  const a = lab().addr[fam];
  const rx = ours(lab().rxNs, [`-${fam}`, '-p', port, '-D', a.dst, '-s', String(size), '-t', '1', '-r', test], { timeoutMs: 30_000 });
  await sleep(300);
  const tx = await start([...ourArgv(), 'uring', `-${fam}`, '-p', port, '-D', a.dst, '-s', String(size), '-t', '0', '--json', ...args, test],
    { ns: lab().txNs, timeoutMs: 30_000 }).done;
  return { tx, rx: await rx.done };
}

for (const fam of [4, 6] as const) {
  describe(`ipv${fam} tx-only udp -n 32 -s 1000: every notification says not copied (-Z 1)`, () => {
    for (const mode of [1, 2, 3, 4]) {
      test(`-m ${mode}`, async () => {
        const r = await txOnly(fam, ['-m', String(mode), '-n', '32', '-s', '1000', '-Z', '1', 'udp']).done;
        const { line, j } = result(r);
        assert.ok(line.packets > 1000, `only ${line.packets} sends\n${show(r)}`);
        assert.equal(j.bytes, j.packets * 1000);
        assert.equal(j.shortSends, 0);
        assert.equal(j.completions, j.expectedCompletions, show(r));
        assert.equal(j.zerocopiedCompletions, j.completions, show(r));
        assert.equal(j.copiedCompletions, 0, show(r));
        assert.equal(j.zc, 'y');
        assert.equal(j.missingNotifications, false);
        assert.equal(j.gaps, 0);
        const k = j.requestsByKind;
        if (mode === 3) {
          // rand() % 3: about a third of each kind; only the zerocopy kinds are notified.
          for (const kind of ['send', 'sendZc', 'sendZcFixed']) assert.ok(k[kind] > j.packets / 4, `${kind}: ${k[kind]} of ${j.packets}`);
          assert.equal(j.completions, k.sendZc + k.sendZcFixed);
        } else {
          assert.equal(j.completions, j.packets);
          assert.equal(k[['', 'sendZc', 'sendZcFixed', '', 'sendmsgZc'][mode]], j.packets);
        }
      });
    }
  });
}

describe('tx-rx to our receiver over the veth pair: every notification says copied (-Z 0)', () => {
  for (const fam of [4, 6] as const) {
    test(`ipv${fam} udp -m 2 -n 32`, async () => {
      const { tx, rx } = await toReceiver(fam, 'udp', ['-m', '2', '-n', '32', '-Z', '0'], 1000);
      const { j } = result(tx);
      assert.equal(rx.code, 0, show(rx));
      assert.ok(j.completions > 1000 && j.completions === j.packets, show(tx));
      assert.equal(j.copiedCompletions, j.completions);
      assert.equal(j.zc, 'n');
      const got = rxLine(rx.stderr);
      assert.ok(got.rx > 0 && got.rx <= j.packets, `receiver ${got.rx} of ${j.packets}\n${show(rx)}`);
    });
    test(`ipv${fam} tcp -m 1 -n 1: every byte arrives`, async () => {
      const { tx, rx } = await toReceiver(fam, 'tcp', ['-m', '1', '-n', '1', '-Z', '0']);
      const { line, j } = result(tx);
      assert.equal(rx.code, 0, show(rx));
      assert.ok(j.packets > 100, show(tx));
      assert.equal(j.completions, j.packets);
      assert.equal(j.copiedCompletions, j.completions);
      assert.equal(rxLine(rx.stderr).mb, line.mb, `receiver MB != sender MB\n${show(rx)}\n${show(tx)}`);
    });
  }
  test('ipv4 tcp -m 0 (plain IORING_OP_SEND): no notification at all', async () => {
    const { tx, rx } = await toReceiver(4, 'tcp', ['-m', '0', '-n', '4']);
    const { line, j } = result(tx);
    assert.equal(rx.code, 0, show(rx));
    assert.deepEqual([j.completions, j.expectedCompletions, j.zerocopy, j.requestsByKind.send], [0, 0, false, j.packets]);
    assert.equal(rxLine(rx.stderr).mb, line.mb);
  });
});

test('wrong expectation (-Z 0 out of the egress device): the line, then one notif line, exit 1', async () => {
  const r = await txOnly(4, ['-m', '1', '-n', '8', '-s', '1000', '-Z', '0', 'udp']).done;
  const { j } = result(r, 1);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0], /^tx=\d+ \(MB=\d+\), tx\/s=\d+ \(MB\/s=\d+\)$/, show(r));
  assert.equal(lines[1], `notif: zerocopy: 1 != expected 0 (0 of ${j.completions} completions copied)`, show(r));
  assert.equal(lines.length, 2, show(r));
  assert.deepEqual([j.expectationMet, j.exitStatus], [false, 1]);
});

test('--fixed-file, --registered-ring, --defer-taskrun: the same accounting', async () => {
  for (const flags of [['--fixed-file'], ['--registered-ring'], ['--defer-taskrun'], ['--fixed-file', '--registered-ring', '--defer-taskrun']]) {
    const r = await txOnly(4, ['-m', '2', '-n', '32', '-s', '1000', '-Z', '1', ...flags, 'udp']).done;
    const { j } = result(r);
    assert.ok(j.packets > 1000, show(r));
    assert.equal(j.completions, j.packets, show(r));
    assert.equal(j.zerocopiedCompletions, j.completions, show(r));
    assert.deepEqual([j.fixedFile, j.registeredRing, j.deferTaskrun],
      ['--fixed-file', '--registered-ring', '--defer-taskrun'].map((f) => flags.includes(f)), show(r));
  }
});

test('forced garbage collection after every batch: no address held by the kernel moves', async () => {
  const argv = process.env.MSG_ZEROCOPY_OURS ? [process.execPath, '--expose-gc', process.env.MSG_ZEROCOPY_OURS] : [process.execPath, '--expose-gc', BIN];
  for (const mode of ['2', '3', '4']) {
    // -t 1 (the later -t wins): a full collection takes milliseconds, and there must be many batches.
    const r = await txOnly(4, ['-t', '1', '-m', mode, '-n', '4', '-s', '1000', '-Z', '1', 'udp'], { argv, env: { MZC_GC_EVERY: '1' } }).done;
    const { j } = result(r);
    assert.ok(j.packets >= 40, `only ${j.packets} sends with forced GC\n${show(r)}`);
    assert.equal(j.completions, j.expectedCompletions, show(r));
    assert.equal(j.shortSends, 0, show(r));
  }
});

test('a registration the kernel refuses: one line with the fix, exit 2, JSON error report', async () => {
  // Without CAP_IPC_LOCK the registered buffer counts against RLIMIT_MEMLOCK;
  // 64 KiB leaves room for the rings but not for the 64 KiB payload buffer.
  const wrap = ['prlimit', '--memlock=65536:65536', 'setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock', '--'];
  const r = await txOnly(4, ['-m', '2', 'udp'], { argv: [...wrap, ...ourArgv()] }).done;
  assert.equal(r.code, 2, show(r));
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, show(r));
  assert.match(lines[0], /: io_uring: buffer registration: Cannot allocate memory \(.*ulimit -l.*-m 1/, show(r));
  const j = parseJson(r.stdout);
  assert.ok(j, show(r));
  assert.deepEqual([j.error, j.exitStatus, j.api, j.role], ['io_uring: buffer registration: Cannot allocate memory', 2, 'uring', 'sender']);
  // SEND_ZC from user memory charges each send's pages to the same limit: refused at the send.
  const zc = await txOnly(4, ['-m', '1', '-n', '8', '-s', '1000', 'udp'], { argv: [...wrap, ...ourArgv()] }).done;
  assert.equal(zc.code, 2, show(zc));
  assert.match(zc.stderr, /: send failed: Cannot allocate memory \(.*locked-memory limit/, show(zc));
  // A plain send needs no locked memory: the same limits work.
  const ok = await txOnly(4, ['-m', '0', '-n', '8', '-s', '1000', 'udp'], { argv: [...wrap, ...ourArgv()] }).done;
  result(ok);
});

test('SIGTERM mid-run: the line and the report of what was sent, exit 143', async () => {
  const argv = [...ourArgv(), 'uring', '-4', '-D', lab().addr[4].txOnly, '-t', '20', '--json', '-m', '1', '-n', '32', '-s', '1000', 'udp'];
  const p = start(argv, { ns: lab().txNs, timeoutMs: 30_000 });
  await sleep(1000);
  p.kill('SIGTERM');
  const r = await p.done;
  const { j } = result(r, 143);
  assert.ok(r.wallMs < 10_000, `took ${r.wallMs} ms to stop`);
  assert.equal(j.interrupted, 'SIGTERM');
  assert.ok(j.packets > 0);
  assert.equal(j.completions, j.expectedCompletions, show(r));
});

test('bad input: one line, exit 1, nothing sent', async () => {
  for (const [args, re] of [
    [['-4', '-D', lab().addr[4].txOnly, '-n', '600', 'udp'], /-n: 600 is out of range/],
    [['-4', '-D', lab().addr[4].txOnly, '-c', '1', 'tcp'], /can only cork udp sockets/],
    [['-4', '-D', lab().addr[4].txOnly, 'raw'], /unknown cfg_test raw/],
  ] as Array<[string[], RegExp]>) {
    const r = await start([...ourArgv(), 'uring', ...args], { ns: lab().txNs, timeoutMs: 20_000 }).done;
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
    assert.match(r.stderr, re, show(r));
  }
});
