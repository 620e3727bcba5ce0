// SPDX-License-Identifier: GPL-2.0-only
// End to end: our sender to our receiver over a veth pair between two
// network namespaces that the test creates and always deletes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ours, report, rxLine, sleep, start, txLine, type ProcResult } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

let nextPort = 9100;
/** Receiver (-t 0, so 600 ms) in rx ns, then 200 ms later the sender (-t 0, 200 ms) in tx ns. */
async function pair(fam: 4 | 6, rxTest: string, txTest: string, txArgs: string[], rxArgs: string[] = [], senderOpts = {}) {
  const a = lab().addr[fam];
  const port = String(nextPort++);
  const common = [`-${fam}`, '-p', port, '-S', a.src, '-D', a.dst, '-i', 'veth0'];
  const rx = ours(lab().rxNs, [...common, '-t', '0', '--json', ...rxArgs, '-r', rxTest]);
  await sleep(200);
  const tx = ours(lab().txNs, [...common, '-t', '0', '--json', ...txArgs, txTest], senderOpts);
  const [r, t] = await Promise.all([rx.done, tx.done]);
  return { rx: r, tx: t };
}

function ok(o: ProcResult, who: string) {
  assert.equal(o.code, 0, `${who} exit status ${o.code}; stderr:\n${o.stderr}`);
}

for (const fam of [4, 6] as const) {
  describe(`ipv${fam}`, () => {
    test(`tcp copy: every byte arrives`, async () => {
      const { rx, tx } = await pair(fam, 'tcp', 'tcp', []);
      ok(rx, 'receiver'); ok(tx, 'sender');
      const t = report(tx); const r = report(rx);
      assert.ok(t.packets > 100, `only ${t.packets} sends`);
      assert.equal(r.bytes, t.bytes);
      assert.equal(txLine(tx.stderr).txc, 0);
      assert.equal(txLine(tx.stderr).mb, rxLine(rx.stderr).mb);
    });

    test(`tcp zerocopy: every send completes, all copied (-Z 0 exits 0)`, async () => {
      const { rx, tx } = await pair(fam, 'tcp', 'tcp', ['-z', '-Z', '0']);
      ok(rx, 'receiver'); ok(tx, 'sender');
      const t = report(tx);
      const line = txLine(tx.stderr);
      assert.ok(line.tx > 100);
      assert.equal(line.txc, line.tx);
      assert.equal(line.zc, false);
      assert.equal(t.copiedCompletions, line.tx);
      assert.equal(t.zerocopiedCompletions, 0);
      assert.equal(report(rx).bytes, t.bytes);
    });

    test(`udp zerocopy expecting not-copied: mismatch line and exit 1`, async () => {
      const { rx, tx } = await pair(fam, 'udp', 'udp', ['-z', '-Z', '1']);
      ok(rx, 'receiver');
      assert.equal(tx.code, 1, tx.stderr);
      assert.match(tx.stderr, /^serr: ee_code: 0 != expected 1$/m);
      assert.equal(tx.stderr.match(/serr: ee_code/g)?.length, 1, 'reported once');
      const line = txLine(tx.stderr);
      assert.equal(line.txc, line.tx);
      assert.equal(line.zc, false);
    });

    test(`udp copy and zerocopy: receiver validates every datagram`, async () => {
      for (const z of [[], ['-z', '-Z', '0']]) {
        const { rx, tx } = await pair(fam, 'udp', 'udp', z);
        ok(rx, 'receiver'); ok(tx, 'sender');
        const t = report(tx); const r = report(rx);
        assert.ok(t.packets > 100);
        assert.ok(r.packets > 0 && r.packets <= t.packets, `rx ${r.packets} tx ${t.packets}`);
        assert.equal(r.bytes, r.packets * 65435);
        if (z.length) assert.equal(txLine(tx.stderr).txc, t.packets);
      }
    });

    for (const txTest of ['raw', 'raw_hdrincl', 'packet', 'packet_dgram']) {
      test(`${txTest} sender into a raw receiver`, async () => {
        const { rx, tx } = await pair(fam, 'raw', txTest, []);
        ok(rx, 'receiver'); ok(tx, 'sender');
        const t = report(tx); const r = report(rx);
        assert.ok(t.packets > 100, `${t.packets}`);
        assert.ok(r.packets > 0, 'receiver saw packets');
        assert.equal(r.bytes, r.packets * 65435);
      });
    }

    test('udp cork -c 4: four calls per datagram, receiver sees whole datagrams', async () => {
      const { rx, tx } = await pair(fam, 'udp', 'udp', ['-c', '4']);
      ok(rx, 'receiver'); ok(tx, 'sender');
      const t = report(tx); const r = report(rx);
      assert.equal(t.packets % 4, 0);
      assert.ok(r.packets > 0 && r.packets <= t.packets / 4);
      assert.equal(r.bytes, r.packets * 65435);
    });

    test('udp mixed cork -c 4 -m -z: half the calls are zerocopy', async () => {
      const { rx, tx } = await pair(fam, 'udp', 'udp', ['-c', '4', '-m', '-z']);
      ok(rx, 'receiver'); ok(tx, 'sender');
      const line = txLine(tx.stderr);
      assert.ok(line.tx > 100);
      assert.equal(line.txc * 2, line.tx);
      assert.equal(report(rx).bytes % 65435, 0);
    });
  });
}

test('--payload-offset 0: page-aligned payload, receiver still validates every datagram', async () => {
  for (const t of ['udp', 'tcp']) {
    const { rx, tx } = await pair(4, t, t, ['-z', '-Z', '0', '--payload-offset', '0'], ['--payload-offset', '0']);
    ok(rx, 'receiver'); ok(tx, 'sender');
    const rep = report(tx);
    assert.equal(rep.payloadOffset, 0);
    assert.equal(txLine(tx.stderr).txc, rep.packets);
    if (t === 'tcp') assert.equal(report(rx).bytes, rep.bytes);
    else assert.equal(report(rx).bytes % 65435, 0);
  }
});

test('fd table: private by default, shared with --shared-fd-table; both runs deliver and complete everything', async () => {
  for (const [extra, want] of [[[], 'private'], [['--shared-fd-table'], 'shared']] as const) {
    const { rx, tx } = await pair(4, 'udp', 'udp', ['-z', '-Z', '0', ...extra], [...extra]);
    ok(rx, 'receiver'); ok(tx, 'sender');
    const t = report(tx); const r = report(rx);
    assert.equal(t.fdTable, want);
    assert.equal(r.fdTable, want);
    assert.ok(t.packets > 100, `${t.packets} packets`);
    assert.equal(t.completions, t.packets);
    assert.equal(r.bytes % 65435, 0);
  }
});

test('zerocopy budget exhausted (net.core.optmem_max=1 in the namespace): ENOBUFS names the sysctl and -l, exit 2', async () => {
  const a = lab().addr[4];
  const sysctl = (v: string) => execFileSync('ip', ['netns', 'exec', lab().txNs, 'sysctl', '-q', '-w', `net.core.optmem_max=${v}`]);
  const saved = execFileSync('ip', ['netns', 'exec', lab().txNs, 'sysctl', '-n', 'net.core.optmem_max'], { encoding: 'utf8' }).trim();
  sysctl('1');
  try {
    const tx = await ours(lab().txNs, ['-4', '-t', '0', '-D', a.txOnly, '-z', '--json', 'udp']).done;
    assert.equal(tx.code, 2, tx.stderr);
    // The budget that ran out, named with the fix (issue 18, src/net/budget.ts).
    assert.match(tx.stderr,
      /^msg-zerocopy: send: No buffer space available \(net\.core\.optmem_max \(1\) is below one notification \(\d+ bytes\): sysctl -w net\.core\.optmem_max=\d+\)$/m);
    const rep = report(tx);
    assert.equal(rep.exitStatus, 2);
    assert.match(String(rep.error), /No buffer space available/);
  } finally {
    sysctl(saved);
  }
  const after = execFileSync('ip', ['netns', 'exec', lab().txNs, 'sysctl', '-n', 'net.core.optmem_max'], { encoding: 'utf8' }).trim();
  assert.equal(after, saved);
});

test('raw with -z: clear refusal, exit 2', async () => {
  const a = lab().addr[4];
  const tx = await ours(lab().txNs, ['-4', '-t', '0', '-D', a.dst, '-z', 'raw']).done;
  assert.equal(tx.code, 2);
  assert.match(tx.stderr, /setsockopt 1\.60: 1: Operation not supported \(this kernel accepts SO_ZEROCOPY only on tcp and udp sockets; run raw without -z\)/);
  assert.equal(tx.stderr.trim().split('\n').length, 1);
});

test('sender under forced garbage collection reports every send and completion', async () => {
  const { rx, tx } = await pair(4, 'udp', 'udp', ['-z', '-Z', '0'], [], { nodeArgs: ['--expose-gc'], env: { MZC_GC_EVERY: '3' } });
  ok(rx, 'receiver'); ok(tx, 'sender');
  const t = report(tx);
  const line = txLine(tx.stderr);
  assert.ok(line.tx > 50, `${line.tx} sends`);
  assert.equal(line.txc, line.tx);
  assert.equal(t.eagain, 0);
  assert.equal(report(rx).bytes % 65435, 0);
});

test('receiver rejects a datagram of the wrong size', async () => {
  const { rx, tx } = await pair(4, 'udp', 'udp', ['-s', '1000']);
  // once the receiver has gone, the sender's next send meets ICMP port unreachable, as the selftest's would
  assert.ok(tx.code === 0 || /send: Connection refused/.test(tx.stderr), tx.stderr);
  assert.equal(rx.code, 1);
  assert.match(rx.stderr, /recv: ret=1000 != 65435/);
});

test('receiver rejects a datagram with the wrong content', async () => {
  const a = lab().addr[4];
  const port = String(nextPort++);
  const rx = ours(lab().rxNs, ['-4', '-p', port, '-D', a.dst, '-t', '0', '-s', '100', '-r', 'udp']);
  await sleep(200);
  const bad = `const s=require('dgram').createSocket('udp4');s.send(Buffer.alloc(100,'z'),${port},'${a.dst}',()=>s.close());`;
  const sent = await start([process.execPath, '-e', bad], { ns: lab().txNs }).done;
  assert.equal(sent.code, 0, sent.stderr);
  const r = await rx.done;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /recv: data mismatch/);
});

test('tcp receiver without a sender gives up at its deadline', async () => {
  const t0 = Date.now();
  const r = await ours(lab().rxNs, ['-4', '-p', String(nextPort++), '-D', lab().addr[4].dst, '-t', '0', '-r', 'tcp']).done;
  const took = Date.now() - t0;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /accept: no sender connected within 0\.6 s/);
  assert.ok(took < 5000, `took ${took} ms`);
});

test('SIGINT during a run still prints the partial result', async () => {
  const a = lab().addr[4];
  const port = String(nextPort++);
  const rx = ours(lab().rxNs, ['-4', '-p', port, '-D', a.dst, '-t', '3', '-r', 'udp']);
  await sleep(200);
  const tx = ours(lab().txNs, ['-4', '-p', port, '-D', a.dst, '-t', '3', '--json', 'udp']);
  await sleep(700);
  tx.kill('SIGINT');
  const t = await tx.done;
  rx.kill('SIGINT');
  const r = await rx.done;
  assert.equal(t.code, 130, t.stderr);
  assert.ok(txLine(t.stderr).tx > 0);
  const rep = report(t);
  assert.equal(rep.interrupted, 'SIGINT');
  assert.ok((rep.durationMs as number) < 2500, `ran ${rep.durationMs} ms`);
  assert.equal(r.code, 130, r.stderr);
  assert.ok(rxLine(r.stderr).rx > 0);
});
