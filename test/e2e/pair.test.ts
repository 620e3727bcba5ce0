// SPDX-License-Identifier: GPL-2.0-only
// End to end: `serve` in the receiver namespace of a lab (as host B), `pair`
// from the sender namespace (as host A), over the lab's veth pair only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createLab, type Lab } from '../../src/lab/lab.js';
import { ours, requireRoot, rxLine, txLine, type Proc } from '../support/proc.js';

let lab: Lab;
const servers: Proc[] = [];

before(async () => {
  requireRoot();
  lab = await createLab({ prefix: 'mzpr-' });
});
after(async () => {
  for (const s of servers) s.kill('SIGKILL');
  await lab?.destroy();
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  assert.ok(!left.includes(lab.txNs) && !left.includes(lab.rxNs), 'lab namespaces removed');
});

/** Start serve in the rx namespace; resolves once it says its control port is open. */
async function startServe(args: string[]): Promise<Proc> {
  const s = ours(lab.rxNs, ['serve', ...args], { timeoutMs: 120000 });
  servers.push(s);
  await s.waitFor(/control port \S+; on the other host run/);
  return s;
}

interface PairJson {
  command: string;
  exitCode: number;
  sender: Record<string, number | string | boolean | null>;
  receiver: Record<string, number | string | boolean | null>;
  summary: { bytesMatch: boolean | null; loss: number | null; datagramsSent: number | null };
}

function pair(args: string[], timeoutMs = 30000) {
  return ours(lab.txNs, ['pair', ...args], { timeoutMs }).done;
}

describe('ipv4: one serve, several pairs', () => {
  let serve: Proc;
  before(async () => {
    serve = await startServe(['-4', '-D', lab.addr[4].dst, '--control-port', '9301', '--json']);
  });

  for (const z of [[], ['-z', '-Z', '0']]) {
    const mode = z.length ? 'zerocopy' : 'copy';
    test(`tcp ${mode}: the receiver got every byte the sender sent`, async () => {
      const o = await pair(['-4', '-D', lab.addr[4].dst, '-p', '9300', '--control-port', '9301', '-t', '0', '--json', ...z, 'tcp']);
      assert.equal(o.code, 0, o.stderr);
      const j = JSON.parse(o.stdout) as PairJson;
      assert.equal(j.command, 'pair');
      assert.equal(j.exitCode, 0);
      assert.equal(j.sender.role, 'sender');
      assert.equal(j.receiver.role, 'receiver');
      assert.equal(j.sender.zerocopy, z.length > 0);
      assert.ok((j.sender.bytes as number) > 1e6, `sent ${j.sender.bytes}`);
      assert.equal(j.receiver.bytes, j.sender.bytes);
      assert.equal(j.receiver.exitStatus, 0);
      assert.equal(j.summary.bytesMatch, true);
      if (z.length) {
        assert.equal(j.sender.completions, j.sender.packets);
        assert.equal(j.sender.copiedCompletions, j.sender.packets, 'local delivery is always copied');
        assert.equal(j.sender.expectationMet, true);
      }
      // both classic lines, as the selftest prints them, and the summary
      const t = txLine(o.stderr);
      const r = rxLine(o.stderr);
      assert.equal(t.tx, j.sender.packets);
      assert.equal(r.rx, j.receiver.packets);
      assert.equal(t.mb, r.mb);
      assert.match(o.stderr, new RegExp(`^pair: tcp: all ${j.sender.bytes} bytes arrived$`, 'm'));
    });

    test(`udp ${mode}: both sides reported, loss counted`, async () => {
      const o = await pair(['-4', '-D', lab.addr[4].dst, '-p', '9300', '--control-port', '9301', '-t', '0', '--json', ...z, 'udp']);
      assert.equal(o.code, 0, o.stderr);
      const j = JSON.parse(o.stdout) as PairJson;
      const sent = j.sender.packets as number;
      const got = j.receiver.packets as number;
      assert.ok(sent > 100, `${sent} sends`);
      assert.ok(got > 0 && got <= sent, `rx ${got} tx ${sent}`);
      assert.equal(j.receiver.bytes, got * 65435, 'every datagram whole and checked');
      assert.equal(j.summary.datagramsSent, sent);
      assert.ok(Math.abs((j.summary.loss as number) - (sent - got) / sent) < 1e-12);
      if (z.length) assert.equal(j.sender.copiedCompletions, sent);
      assert.match(o.stderr, /^pair: udp: \d+ datagrams sent, \d+ received, loss \d+\.\d\d%$/m);
    });
  }

  test('without --json: classic lines on stderr, summary on stdout', async () => {
    const o = await pair(['-4', '-D', lab.addr[4].dst, '-p', '9300', '--control-port', '9301', '-t0', '-s', '1000', '-c', '4', 'udp']);
    assert.equal(o.code, 0, o.stderr);
    const t = txLine(o.stderr);
    const r = rxLine(o.stderr);
    assert.equal(t.tx % 4, 0);
    assert.match(o.stdout, new RegExp(`^pair: udp: ${t.tx / 4} datagrams sent, ${r.rx} received, loss`, 'm'));
  });

  test('a sender that cannot start stops the receiver early; exit status of the sender', async () => {
    const t0 = Date.now();
    const o = await pair(['-4', '-D', lab.addr[4].dst, '-p', '9300', '--control-port', '9301', '-t', '3', '--json', '-z', 'raw']);
    assert.equal(o.code, 2, o.stderr);
    assert.ok(Date.now() - t0 < 3500, `took ${Date.now() - t0} ms; the receiver would run 4.6 s`);
    const j = JSON.parse(o.stdout) as PairJson;
    assert.match(String(j.sender.error), /Operation not supported/);
    assert.equal(j.receiver.role, 'receiver');
    assert.match(o.stderr, /^pair: the sender failed \(exit 2: .*Operation not supported.*\); the receiver was stopped$/m);
  });

  test('serve refuses a data port equal to its control port, pair says why', async () => {
    const o = await pair(['-4', '-D', lab.addr[4].dst, '-p', '9301', '--control-port', '9301', '-t', '0', 'tcp']);
    assert.equal(o.code, 1);
    assert.equal(o.stderr, 'msg-zerocopy: pair: serve at 192.168.1.2:9301: data port 9301 is this serve\'s control port: pick another -p\n');
  });

  test('no serve on the control port: one line naming host, port and what to run there', async () => {
    const o = await pair(['-4', '-D', lab.addr[4].dst, '-p', '9400', '-t', '0', 'tcp']);
    assert.equal(o.code, 1);
    assert.equal(o.stderr, 'msg-zerocopy: pair: nothing listens on the control port 192.168.1.2:9401 (connection refused) ' +
      '(run `msg-zerocopy serve -4 -D 192.168.1.2 --control-port 9401` on 192.168.1.2 first)\n');
  });

  test('SIGTERM stops serve cleanly; its JSON lines name each pair', async () => {
    serve.kill('SIGTERM');
    const out = await serve.done;
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /^msg-zerocopy serve: SIGTERM: stopping$/m);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { command: string; receiver: { role: string } | null });
    assert.ok(lines.length >= 6, `${lines.length} pairs served`);
    assert.ok(lines.every((l) => l.command === 'serve'));
  });
});

test('ipv6 with --once: serve ends after one pair with status 0; tcp bytes match', async () => {
  const serve = await startServe(['-6', '-D', lab.addr[6].dst, '--control-port', '9311', '--once']);
  const o = await pair(['-6', '-D', lab.addr[6].dst, '-p', '9310', '--control-port', '9311', '-t', '0', '--json', 'tcp']);
  assert.equal(o.code, 0, o.stderr);
  const j = JSON.parse(o.stdout) as PairJson;
  assert.equal(j.sender.family, 6);
  assert.equal(j.sender.dst, 'fd::2');
  assert.equal(j.receiver.bytes, j.sender.bytes);
  const done = await serve.done;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /report sent \(receiver exit 0\)$/m);
});
