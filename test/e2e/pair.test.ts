// SPDX-License-Identifier: GPL-2.0-only
// End to end: `serve` in the receiver namespace of a lab (as host B), `pair`
// from the sender namespace (as host A), over the lab's veth pair only,
// authenticated with a secret that serve creates on its first start.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { rxLine, txLine, type Proc } from '../support/proc.js';
import { runPair, useServeLab, type PairJsonOf } from './serve-helpers.js';

const { lab, servers, dir } = useServeLab('mzpr-');
const secret = (): string => join(dir(), 'sub', 'secret');

interface Side { [k: string]: number | string | boolean | null | unknown[] | Record<string, number | null> }
interface PairJson extends PairJsonOf<Side> {
  command: string;
  summary: {
    bytesMatch: boolean | null; loss: number | null; datagramsSent: number | null;
    sender: { throughputGbps: number; cpuSecPerGB: number | null } | null;
    receiver: { throughputGbps: number; cpuSecPerGB: number | null } | null;
  };
}

const pair = (args: string[], timeoutMs = 30000) => runPair(lab(), [...args, '--secret-file', secret()], timeoutMs);

for (const family of [4, 6] as const) {
  describe(`ipv${family}: one serve, several authenticated pairs`, () => {
    let serve: Proc;
    const cport = String(9301 + family * 10);
    const dport = String(9300 + family * 10);
    before(async () => {
      serve = await servers.start([`-${family}`, '-D', lab().addr[family].dst, '--control-port', cport, '--json', '--allow-raw',
        '--secret-file', secret()]);
    });
    const common = (): string[] => [`-${family}`, '-D', lab().addr[family].dst, '-p', dport, '--control-port', cport];

    if (family === 4) {
      test('serve created the secret (mode 0600) and said how to copy it', async () => {
        const st = statSync(secret());
        assert.equal(st.mode & 0o777, 0o600);
        assert.equal(statSync(join(dir(), 'sub')).mode & 0o777, 0o700);
        await serve.waitFor(/created a new secret/);
      });
    }

    for (const z of [[], ['-z', '-Z', '0']]) {
      const mode = z.length ? 'zerocopy' : 'copy';
      test(`tcp ${mode}: the receiver got every byte the sender sent`, async () => {
        const o = await pair([...common(), '-t', '0', '--json', ...z, 'tcp']);
        assert.equal(o.code, 0, o.stderr);
        const j = JSON.parse(o.stdout) as PairJson;
        assert.equal(j.command, 'pair');
        assert.equal(j.exitCode, 0);
        assert.equal(j.sender.role, 'sender');
        assert.equal(j.receiver.role, 'receiver');
        assert.equal(j.sender.family, family);
        assert.equal(j.sender.zerocopy, z.length > 0);
        assert.ok((j.sender.bytes as number) > 1e6, `sent ${j.sender.bytes}`);
        assert.equal(j.receiver.bytes, j.sender.bytes);
        assert.equal(j.receiver.exitStatus, 0);
        assert.equal(j.summary.bytesMatch, true);
        assert.ok((j.summary.sender?.throughputGbps ?? 0) > 0);
        assert.ok((j.summary.receiver?.cpuSecPerGB ?? 0) > 0);
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
        assert.match(o.stderr, /^pair: sender: \d+ sends, \d+\.\d+ GB in \d+\.\d\d s, \d+\.\d\d Gbit\/s, CPU \d+\.\d{3} s\/GB$/m);
        assert.match(o.stderr, /^pair: receiver: \d+ reads, \d+\.\d+ GB in \d+\.\d\d s, \d+\.\d\d Gbit\/s, CPU \d+\.\d{3} s\/GB$/m);
      });

      test(`udp ${mode}: both sides reported, loss counted`, async () => {
        const o = await pair([...common(), '-t', '0', '--json', ...z, 'udp']);
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

    if (family === 6) return;

    test('without --json: classic lines on stderr, summary on stdout', async () => {
      const o = await pair([...common(), '-t0', '-s', '1000', '-c', '4', 'udp']);
      assert.equal(o.code, 0, o.stderr);
      const t = txLine(o.stderr);
      const r = rxLine(o.stderr);
      assert.equal(t.tx % 4, 0);
      assert.match(o.stdout, /^pair: sender: \d+ sends, /m);
      assert.match(o.stdout, /^pair: receiver: \d+ reads, /m);
      assert.match(o.stdout, new RegExp(`^pair: udp: ${t.tx / 4} datagrams sent, ${r.rx} received, loss`, 'm'));
    });

    test('every classic sender flag reaches the sender: in its argv and in its report', async () => {
      const o = await pair([...common(), '-t', '1', '--json', '-s', '1000', '-c', '4', '-m', '-z', '-Z', '0', '-l', '64',
        '--payload-offset', '0', '--shared-fd-table', '-v', '-C', '0', '-S', lab().addr[4].src, '-i', 'veth0', '-I', '0.5', 'udp']);
      assert.equal(o.code, 0, o.stderr);
      const j = JSON.parse(o.stdout) as PairJson;
      const s = j.sender;
      assert.equal(s.payloadLen, 1000);
      assert.equal(s.cork, 4);
      assert.equal(s.corkMixed, true);
      assert.equal(s.zerocopy, true);
      assert.equal(s.expectZerocopy, 0);
      assert.equal(s.notificationLimit, 64);
      assert.equal(s.payloadOffset, 0);
      assert.equal(s.fdTable, 'shared');
      assert.equal(s.port, Number(dport));
      assert.equal(s.dst, lab().addr[4].dst);
      assert.equal(s.runtimeMs, 1200);
      assert.equal(s.completions, (s.packets as number) / 2, 'mixed cork: every other call is zerocopy');
      assert.equal(s.intervalSecs, 0.5);
      assert.equal(s.src, lab().addr[4].src);
      assert.equal(s.ifname, 'veth0');
      assert.equal(s.pinCpu, 0);
      assert.equal(s.verbose, 1);
      assert.ok(Array.isArray(s.intervals) && (s.intervals as unknown[]).length >= 2, 'interval reports');
      const a = j.senderArgv.join(' ');
      for (const flag of ['-4', '-i veth0', `-p ${dport}`, `-S ${lab().addr[4].src}`, `-D ${lab().addr[4].dst}`, '-s 1000', '-t 1', '-z',
        '-Z 0', '-c 4', '-m', '-C 0', '-l 64', '--payload-offset 0', '--shared-fd-table', '-v', '--interval 0.5', '--json']) {
        assert.ok(` ${a} `.includes(` ${flag} `), `${flag} missing from ${a}`);
      }
      assert.equal(j.receiver.payloadLen, 1000, 'the receiver checks the size the sender sends');
    });

    test('a sender that cannot start stops the receiver early; exit status of the sender', async () => {
      const t0 = Date.now();
      const o = await pair([...common(), '-t', '3', '--json', '-z', 'raw']);
      assert.equal(o.code, 2, o.stderr);
      assert.ok(Date.now() - t0 < 3500, `took ${Date.now() - t0} ms; the receiver would run 4.6 s`);
      const j = JSON.parse(o.stdout) as PairJson;
      assert.match(String(j.sender.error), /Operation not supported/);
      assert.equal(j.receiver.role, 'receiver');
      assert.match(o.stderr, /^pair: the sender failed \(exit 2: .*Operation not supported.*\); the receiver was stopped$/m);
    });

    for (const kind of ['packet', 'packet_dgram']) {
      test(`${kind}: the next hop's MAC from the neighbour table, -i and -S from the route; frames arrive`, async () => {
        const o = await pair([...common(), '-t', '0', '--json', '-s', '1000', kind]);
        assert.equal(o.code, 0, o.stderr);
        assert.match(o.stderr, new RegExp(`^pair: ${kind}: frames leave by veth0 to 06:06:06:06:06:06 \\(192\\.168\\.1\\.2, (reachable|stale|delay|probe)\\)$`, 'm'));
        assert.match(o.stderr, new RegExp(`^pair: ${kind}: -S 192\\.168\\.1\\.1 \\(the source address of the route to 192\\.168\\.1\\.2; the hand-built header needs one\\)$`, 'm'));
        const j = JSON.parse(o.stdout) as PairJson;
        assert.ok(` ${j.senderArgv.join(' ')} `.includes(' -i veth0 '), j.senderArgv.join(' '));
        assert.ok(` ${j.senderArgv.join(' ')} `.includes(' -S 192.168.1.1 '), j.senderArgv.join(' '));
        assert.equal(j.receiver.test, 'raw');
        assert.ok((j.receiver.packets as number) > 0, `${j.receiver.packets} frames arrived of ${j.sender.packets}`);
      });
    }

    test('packet: a next hop whose MAC is not the one the classic sender writes is refused before anything starts', async () => {
      // give the receiving side another MAC; the control connection learns it afresh
      const setMac = (mac: string): void => {
        execFileSync('ip', ['-n', lab().rxNs, 'link', 'set', 'dev', 'veth0', 'address', mac]);
        execFileSync('ip', ['-n', lab().txNs, 'neigh', 'flush', 'dev', 'veth0']);
      };
      setMac('02:00:00:00:00:99');
      try {
        const o = await pair([...common(), '-t', '0', 'packet']);
        assert.equal(o.code, 1, o.stderr);
        assert.equal(o.stderr, 'msg-zerocopy: pair: packet: the next hop 192.168.1.2 on veth0 has MAC 02:00:00:00:00:99, but the ' +
          'classic packet sender addresses every frame to 06:06:06:06:06:06 (as the selftest), so the receiver would get nothing ' +
          '(run tcp, udp, raw or raw_hdrincl between these hosts, or give veth0 of the receiving host the MAC 06:06:06:06:06:06)\n');
        const i = await pair([...common(), '-t', '0', '-i', 'lo', 'packet_dgram']);
        assert.equal(i.code, 1);
        assert.match(i.stderr, /^msg-zerocopy: pair: packet_dgram: -i lo is not the interface towards 192\.168\.1\.2 \(the route leaves by veth0\) \(give -i veth0, or leave -i out\)\n$/);
      } finally {
        setMac('06:06:06:06:06:06');
      }
    });

    test('policy: the control port, a privileged port and an overlong run are refused with the reason', async () => {
      const where = `${lab().addr[4].dst}:${cport}`;
      let o = await pair([`-4`, '-D', lab().addr[4].dst, '-p', cport, '--control-port', cport, '-t', '0', 'tcp']);
      assert.equal(o.code, 1);
      assert.equal(o.stderr, `msg-zerocopy: pair: serve at ${where}: data port ${cport} is this serve's control port: pick another -p\n`);
      o = await pair(['-4', '-D', lab().addr[4].dst, '-p', '80', '--control-port', cport, '-t', '0', 'tcp']);
      assert.equal(o.code, 1);
      assert.equal(o.stderr, `msg-zerocopy: pair: serve at ${where}: data port 80 is outside this serve's range 1024-65535 ` +
        '(privileged ports are refused unless serve --ports includes them): pick -p in the range\n');
      o = await pair([...common(), '-t', '60', 'tcp']);
      assert.equal(o.code, 1);
      assert.equal(o.stderr, `msg-zerocopy: pair: serve at ${where}: a 61 s receiver run (pair -t 60 + 1) is over this serve's ` +
        'limit of 60 s (serve --max-time): use -t 59 or less\n');
    });

    test('no serve on the control port: one line naming host, port and what to run there', async () => {
      const o = await pair(['-4', '-D', lab().addr[4].dst, '-p', '9400', '-t', '0', 'tcp']);
      assert.equal(o.code, 1);
      // the default control port: the data port - 1
      assert.equal(o.stderr, 'msg-zerocopy: pair: nothing listens on the control port 192.168.1.2:9399 (connection refused) ' +
        '(run `msg-zerocopy serve -4 -D 192.168.1.2 --control-port 9399` on 192.168.1.2 first)\n');
    });

    test('SIGTERM stops serve cleanly; its JSON lines name each run', async () => {
      serve.kill('SIGTERM');
      const out = await serve.done;
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stderr, /^msg-zerocopy serve: SIGTERM: stopping$/m);
      const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { command: string; receiver: { role: string } | null });
      assert.equal(lines.length, 9, `${lines.length} runs served`);
      assert.ok(lines.every((l) => l.command === 'serve'));
      assert.doesNotMatch(out.stderr, /receiver on \S+:(80|9341),/, 'no receiver started for a refused request');
      assert.equal(out.stderr.match(/: refused: /g)?.length, 3);
    });
  });
}

test('ipv6 with --once: serve ends after one run with status 0; tcp bytes match', async () => {
  const serve = await servers.start(['-6', '-D', lab().addr[6].dst, '--control-port', '9331', '--once', '--secret-file', secret()]);
  const o = await pair(['-6', '-D', lab().addr[6].dst, '-p', '9330', '--control-port', '9331', '-t', '0', '--json', 'tcp']);
  assert.equal(o.code, 0, o.stderr);
  const j = JSON.parse(o.stdout) as PairJson;
  assert.equal(j.sender.family, 6);
  assert.equal(j.sender.dst, 'fd::2');
  assert.equal(j.receiver.bytes, j.sender.bytes);
  const done = await serve.done;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /report sent \(receiver exit 0\)$/m);
});
