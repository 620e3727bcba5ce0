// SPDX-License-Identifier: GPL-2.0-only
// End to end: `udpgso-rx --validate` catches one corrupted byte (datagrams
// sent by a plain Node dgram sender inside the lab, one with a byte flipped),
// and --hugepages on the udpgso and classic senders either uses huge pages or
// says in one line why not, in the namespace lab the test creates and deletes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe as show, ours, parseJson, sleep, start } from '../support/proc.js';
import { run as labRun, nsExecArgv } from '../../src/lab/exec.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

async function udpBound(ns: string, port: number): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if ((await labRun(nsExecArgv(ns, ['ss', '-Hnlu', 'sport', '=', `:${port}`])).catch(() => '')).trim()) return;
    await sleep(20);
  }
  assert.fail('receiver not bound');
}

test('udpgso-rx --validate: one corrupted byte is caught, counted and placed', { timeout: 60_000 }, async () => {
  const l = lab();
  const port = 9411;
  const rx = ours(l.rxNs, ['udpgso-rx', '-4', '-p', String(port), '--validate', '-R', '1500', '--json'], { timeoutMs: 30_000 });
  await udpBound(l.rxNs, port);
  // Three datagrams of the pattern, from different letters (as GSO segments start); byte 777 of the second flipped.
  const sender = `
    const dgram = require('node:dgram');
    const s = dgram.createSocket('udp4');
    const d = (start, len) => Buffer.from(Array.from({ length: len }, (_, i) => 97 + ((start + i) % 26)));
    const bad = d(5, 1472); bad[777] ^= 0x01;
    const all = [d(0, 1472), bad, d(12, 900)];
    let n = 0;
    const next = () => n < all.length ? s.send(all[n++], ${port}, '${l.addr[4].dst}', next) : s.close();
    next();`;
  const tx = await start(['node', '-e', sender], { ns: l.txNs, timeoutMs: 20_000 }).done;
  assert.equal(tx.code, 0, show(tx));
  const r = await rx.done;
  assert.equal(r.code, 1, `a mismatch makes the exit status 1\n${show(r)}`);
  assert.match(r.stderr, /^validate: 3 datagrams, 0\.0 MB checked, 1 wrong bytes in 1 datagrams; [\d.]+ ns\/byte \([\d.]+ ms\); first: datagram 1 offset 777: 0x[0-9a-f]+ != 0x[0-9a-f]+$/m, show(r));
  const j = parseJson(r.stdout) as { packets: number; bytes: number; validate: { datagrams: number; badBytes: number; mismatches: Array<{ datagram: number; offset: number; got: number; want: number }>; ns: number } } | null;
  assert.ok(j, show(r));
  assert.equal(j.packets, 3);
  assert.equal(j.bytes, 1472 + 1472 + 900);
  assert.equal(j.validate.datagrams, 3);
  assert.equal(j.validate.badBytes, 1);
  assert.equal(j.validate.mismatches[0].datagram, 1);
  assert.equal(j.validate.mismatches[0].offset, 777);
  assert.equal(j.validate.mismatches[0].got ^ j.validate.mismatches[0].want, 0x01);
  assert.ok(j.validate.ns > 0, 'its cost is measured');
});

test('--hugepages: huge pages used, or one line why not (udpgso and the classic sender)', { timeout: 60_000 }, async () => {
  const l = lab();
  const runs = [
    ['udpgso', '-4', '-D', l.addr[4].txOnly, '-S', '1472', '-s', '64000', '-M', '2000', '-l', '1', '-z', '--hugepages', '--json'],
    ['-4', '-D', l.addr[4].txOnly, '-t', '0', '--hugepages', '--json', 'udp'],
  ];
  for (const args of runs) {
    const r = await ours(l.txNs, args, { timeoutMs: 30_000 }).done;
    assert.equal(r.code, 0, show(r));
    const j = parseJson(r.stdout) as { hugepages: string; hugepagesWhy: string | null } | null;
    assert.ok(j, show(r));
    assert.ok(['hugetlb', 'thp', 'none'].includes(j.hugepages), `hugepages: ${j.hugepages}`);
    if (j.hugepages === 'none') {
      assert.match(j.hugepagesWhy ?? '', /^huge pages: none used: .+; reserve some with `sysctl vm\.nr_hugepages=64`/);
      assert.equal(r.stderr.split('\n').filter((x) => x.startsWith('huge pages: none used')).length, 1, show(r));
    } else {
      assert.equal(j.hugepagesWhy, null);
    }
  }
});

/** A plain Node client in the sender namespace: `kind` udp (datagrams) or tcp (one stream), the payloads given. */
async function nodeSend(kind: 'udp' | 'tcp', port: number, payloads: string): Promise<void> {
  const l = lab();
  const body = kind === 'udp'
    ? `const s = require('node:dgram').createSocket('udp4'); let n = 0;
       const next = () => n < all.length ? s.send(all[n++], ${port}, '${l.addr[4].dst}', next) : s.close(); next();`
    : `const s = require('node:net').connect(${port}, '${l.addr[4].dst}', () => { for (const b of all) s.write(b); s.end(); });`;
  const script = `const d = (len) => Buffer.from(Array.from({ length: len }, (_, i) => 97 + (i % 26))); const all = ${payloads}; ${body}`;
  const tx = await start(['node', '-e', script], { ns: l.txNs, timeoutMs: 20_000 }).done;
  assert.equal(tx.code, 0, show(tx));
}

test('classic receiver --validate (udp, tcp): one corrupted byte caught and placed, exit 1', { timeout: 60_000 }, async () => {
  const l = lab();
  // udp: three 1472-byte datagrams, byte 1000 of the third flipped.
  const urx = ours(l.rxNs, ['-4', '-D', l.addr[4].dst, '-p', '9412', '-s', '1472', '-t', '1', '-r', '--validate', '--json', 'udp'], { timeoutMs: 30_000 });
  await udpBound(l.rxNs, 9412);
  await nodeSend('udp', 9412, '(() => { const a = [d(1472), d(1472), d(1472)]; a[2][1000] ^= 2; return a; })()');
  const u = await urx.done;
  assert.equal(u.code, 1, show(u));
  assert.match(u.stderr, /^rx=3 \(0 MB\)$/m, show(u));
  assert.match(u.stderr, /^validate: 3 datagrams, .+1 wrong bytes in 1 datagrams; .+first: datagram 2 offset 1000: /m, show(u));
  const uj = parseJson(u.stdout) as { validate: { badBytes: number; mismatches: Array<{ datagram: number; offset: number }> } } | null;
  assert.equal(uj?.validate.badBytes, 1);
  assert.deepEqual([uj?.validate.mismatches[0].datagram, uj?.validate.mismatches[0].offset], [2, 1000]);

  // tcp: payloads of 5000 bytes back to back, one cut short at 1234 (a short send), byte 7777 of the stream flipped.
  const trx = ours(l.rxNs, ['-4', '-D', l.addr[4].dst, '-p', '9413', '-s', '5000', '-t', '2', '-r', '--validate', '--json', 'tcp'], { timeoutMs: 30_000 });
  for (let i = 0; i < 250; i++) {
    if ((await labRun(nsExecArgv(l.rxNs, ['ss', '-Hnlt', 'sport', '=', ':9413'])).catch(() => '')).trim()) break;
    await sleep(20);
  }
  await nodeSend('tcp', 9413, '(() => { const s = Buffer.concat([d(5000), d(1234), d(5000), d(5000)]); s[7777] ^= 8; return [s]; })()');
  const t = await trx.done;
  assert.equal(t.code, 1, show(t));
  assert.match(t.stderr, /^validate: 0\.0 MB checked, 1 wrong bytes, 1 payloads started early; .+first at stream offset 7777: /m, show(t));
  const tj = parseJson(t.stdout) as { bytes: number; validate: { bytes: number; badBytes: number } } | null;
  assert.equal(tj?.bytes, 16234);
  assert.equal(tj?.validate.bytes, 16234);
});
