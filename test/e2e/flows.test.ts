// SPDX-License-Identifier: GPL-2.0-only
// End to end, -P n: our multi-flow sender to our multi-flow receiver over the
// veth pair of a lab this test creates and always deletes (tcp and udp,
// copy and zerocopy, 2 and 4 flows), tx-only out of the egress device, a
// flow that fails while the others finish, and SIGINT. The receiver is
// started through the run layer, which waits until every flow's socket is
// bound before the sender starts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { ownProgram } from '../../src/run/launch.js';
import { READY_MAX_MS, runClassic, type RunHooks } from '../../src/run/run.js';
import type { ReceiverSpec, SenderSpec } from '../../src/run/classic.js';
import type { ChildResult } from '../../src/run/child.js';
import { ours, report, type ProcResult } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab({ prefix: 'mzcfl-' });

let nextPort = 9300;
const ports = (n: number): number => {
  const p = nextPort;
  nextPort += n + 2;
  return p;
};
const hooks: RunHooks = { aborted: () => false, track: () => {} };
const SIZE = 8000;
/**
 * -t of a receiver whose sender runs -t 0: the sender (a process, then one
 * per flow) may take as long to start as the run layer gives a receiver to be
 * ready (READY_MAX_MS), and a receiver's clock runs from its own start. A tcp
 * receiver ends at its peers' EOF, so only udp runs last that long.
 */
const RECEIVER_SECS = Math.ceil(READY_MAX_MS / 1000);

type Flow = Record<string, unknown> & { flow: number; port: number; packets: number; bytes: number };
interface Multi {
  packets: number; bytes: number; completions?: number; flowCount: number; flows: Flow[]; zc?: string;
  expectationMet?: boolean | null; failedFlows: number[]; fairness: { jainIndex: number | null };
}

const multi = (stdout: string): Multi => report({ stdout, stderr: '' } as ProcResult) as unknown as Multi;

/** The [k] lines and the [SUM] line of stderr, in order. */
function flowLines(stderr: string, kind: 'tx' | 'rx'): { flows: string[]; sum: string | null } {
  const re = kind === 'tx' ? /^\[(\d+|SUM)\] (tx=\d+ \(\d+ MB\) txc=\d+ zc=[yn])$/gm : /^\[(\d+|SUM)\] (rx=\d+ \(\d+ MB\))$/gm;
  const flows: string[] = [];
  let sum: string | null = null;
  for (const m of stderr.matchAll(re)) {
    if (m[1] === 'SUM') sum = m[2];
    else flows[Number(m[1])] = m[2];
  }
  return { flows, sum };
}

function ok(r: ChildResult | null, who: string): asserts r is ChildResult {
  assert.ok(r, `${who} did not run`);
  assert.equal(r.exitCode, 0, `${who} exit ${r.exitCode}\n${r.stderr}`);
}

/** The sums of the --json report equal the flows, and the lines say the same. */
function checkSums(m: Multi, stderr: string, kind: 'tx' | 'rx', n: number): void {
  assert.equal(m.flowCount, n);
  assert.equal(m.flows.length, n);
  assert.deepEqual(m.flows.map((f) => f.flow), [...Array(n).keys()]);
  assert.equal(m.packets, m.flows.reduce((a, f) => a + f.packets, 0));
  assert.equal(m.bytes, m.flows.reduce((a, f) => a + f.bytes, 0));
  if (kind === 'tx') assert.equal(m.completions, m.flows.reduce((a, f) => a + (f.completions as number), 0));
  const lines = flowLines(stderr, kind);
  assert.equal(lines.flows.filter(Boolean).length, n, stderr);
  lines.flows.forEach((l, k) => assert.match(l, new RegExp(`^${kind}=${m.flows[k].packets} \\(${Math.floor(m.flows[k].bytes / 2 ** 20)} MB\\)`)));
  assert.match(lines.sum ?? '', new RegExp(`^${kind}=${m.packets} \\(${Math.floor(m.bytes / 2 ** 20)} MB\\)`));
  assert.deepEqual(m.failedFlows, []);
}

async function txRx(fam: 4 | 6, t: 'tcp' | 'udp', n: number, zerocopy: boolean) {
  const a = lab().addr[fam];
  const port = ports(n);
  const common = { family: fam, test: t, dst: a.dst, port, size: SIZE, json: true, flows: n } as const;
  const sender: SenderSpec = { role: 'sender', ...common, secs: 0, zerocopy, expect: zerocopy ? 0 : null };
  const receiver: ReceiverSpec = { role: 'receiver', ...common, secs: RECEIVER_SECS };
  const run = await runClassic({
    program: ownProgram(), sender, receiver, senderNs: lab().txNs, receiverNs: lab().rxNs, slackMs: 10000,
  }, hooks);
  assert.equal(run.readiness, 'ready', `receiver not ready: ${run.receiver?.stderr}`);
  ok(run.sender, 'sender');
  ok(run.receiver, 'receiver');
  return { tx: run.sender, rx: run.receiver, port };
}

for (const t of ['tcp', 'udp'] as const) {
  for (const n of [2, 4]) {
    for (const zerocopy of [false, true]) {
      test(`ipv4 ${t} -P ${n} ${zerocopy ? 'zerocopy -Z 0' : 'copy'}: every flow moves data, both sides agree per flow, sums equal the flows`, async () => {
        const { tx, rx, port } = await txRx(4, t, n, zerocopy);
        const s = multi(tx.stdout);
        const r = multi(rx.stdout);
        checkSums(s, tx.stderr, 'tx', n);
        checkSums(r, rx.stderr, 'rx', n);
        for (let k = 0; k < n; k++) {
          const sf = s.flows[k];
          const rf = r.flows[k];
          assert.equal(sf.port, port + k);
          assert.equal(rf.port, port + k);
          assert.ok(sf.packets > 0, `flow ${k} sent nothing`);
          if (t === 'tcp') {
            assert.equal(rf.bytes, sf.bytes, `flow ${k}: every byte sent on port ${port + k} arrives there`);
          } else {
            assert.ok(rf.packets > 0 && rf.packets <= sf.packets, `flow ${k}: rx ${rf.packets} tx ${sf.packets}`);
            assert.equal(rf.bytes, rf.packets * SIZE, `flow ${k}: every datagram whole`);
          }
          if (zerocopy) {
            assert.equal(sf.completions, sf.packets, `flow ${k}: a completion for every send`);
            assert.equal(sf.copiedCompletions, sf.packets, `flow ${k}: local delivery is copied`);
            assert.equal(sf.expectationMet, true, `flow ${k}: -Z 0 held`);
          } else {
            assert.equal(sf.completions, 0);
          }
        }
        if (zerocopy) assert.equal(s.expectationMet, true);
        assert.ok(s.fairness.jainIndex !== null && s.fairness.jainIndex > 0 && s.fairness.jainIndex <= 1);
      });
    }
  }
}

test('ipv6 udp -P 2 zerocopy: the same over IPv6', async () => {
  const { tx, rx } = await txRx(6, 'udp', 2, true);
  checkSums(multi(tx.stdout), tx.stderr, 'tx', 2);
  checkSums(multi(rx.stdout), rx.stderr, 'rx', 2);
});

describe('tx-only', () => {
  test('udp -P 2 -z -Z 1 out of the egress device: every flow zc=y, and the sum', async () => {
    const port = ports(2);
    const r = await ours(lab().txNs, ['-4', '-D', lab().addr[4].txOnly, '-p', String(port), '-t', '0', '-z', '-Z', '1', '-P', '2', '--json', 'udp']).done;
    assert.equal(r.code, 0, r.stderr);
    const m = multi(r.stdout);
    checkSums(m, r.stderr, 'tx', 2);
    assert.equal(m.zc, 'y');
    assert.equal(m.expectationMet, true);
    for (const l of flowLines(r.stderr, 'tx').flows) assert.match(l, /zc=y$/);
    assert.match(flowLines(r.stderr, 'tx').sum ?? '', /zc=y$/);
  });

  test('udp -P 2 -z -Z 0 out of the egress device: -Z fails in every flow, each named, exit 1', async () => {
    const port = ports(2);
    const r = await ours(lab().txNs, ['-4', '-D', lab().addr[4].txOnly, '-p', String(port), '-t', '0', '-z', '-Z', '0', '-P', '2', 'udp']).done;
    assert.equal(r.code, 1, r.stderr);
    for (const k of [0, 1]) {
      assert.match(r.stderr, new RegExp(`^\\[${k}\\] serr: ee_code: 1 != expected 0$`, 'm'));
      assert.match(r.stderr, new RegExp(`^msg-zerocopy: flow ${k} exited 1`, 'm'));
    }
    // zc= says what the notifications said (not copied), as in one flow
    assert.match(flowLines(r.stderr, 'tx').sum ?? '', /zc=y$/);
  });

  test('-P 1 is the classic run: the classic line, no [k], no [SUM]', async () => {
    const r = await ours(lab().txNs, ['-4', '-D', lab().addr[4].txOnly, '-p', String(ports(1)), '-t', '0', '-P', '1', 'udp']).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^tx=\d+ \(\d+ MB\) txc=0 zc=n\n$/);
  });
});

test('a flow whose socket fails ends with its number named; the others finish and the sum counts them', async () => {
  const a = lab().addr[4];
  const port = ports(2);
  // A receiver for flow 0 only: flow 1's connect is refused.
  const common = { family: 4, test: 'tcp', dst: a.dst, port, json: true } as const;
  const run = await runClassic({
    program: ownProgram(), sender: { role: 'sender', ...common, secs: 0, flows: 2 }, receiver: { role: 'receiver', ...common, secs: RECEIVER_SECS },
    senderNs: lab().txNs, receiverNs: lab().rxNs, slackMs: 10000,
  }, hooks);
  ok(run.receiver, 'receiver');
  const tx = run.sender;
  assert.ok(tx);
  assert.equal(tx.exitCode, 2, tx.stderr);
  assert.match(tx.stderr, /^\[1\] msg-zerocopy: connect: Connection refused/m);
  assert.match(tx.stderr, /^msg-zerocopy: flow 1 exited 2: connect: Connection refused$/m);
  const lines = flowLines(tx.stderr, 'tx');
  assert.ok(lines.flows[0], 'flow 0 ran');
  assert.equal(lines.flows[1], undefined);
  const m = multi(tx.stdout);
  assert.deepEqual(m.failedFlows, [1]);
  assert.equal(m.packets, m.flows[0].packets);
  assert.equal(multi(run.receiver.stdout).bytes, m.flows[0].bytes, 'what flow 0 sent arrived');
  assert.equal(m.flows[1].error, 'connect: Connection refused');
  assert.match(lines.sum ?? '', new RegExp(`^tx=${m.flows[0].packets} `));
});

test('tcp -r -P 2 without a sender: the deadline of one flow, each flow named, exit 1', async () => {
  const r = await ours(lab().rxNs, ['-4', '-D', lab().addr[4].dst, '-p', String(ports(2)), '-t', '0', '-P', '2', '-r', 'tcp']).done;
  assert.equal(r.code, 1, r.stderr);
  for (const k of [0, 1]) assert.match(r.stderr, new RegExp(`^msg-zerocopy: flow ${k} exited 1: accept: no sender connected within 0.6 s`, 'm'));
  assert.match(r.stderr, /^\[SUM\] rx=0 \(0 MB\)$/m);
});

/** Processes whose command line holds `needle` (our flows, by their unique port). */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) out.push(Number(pid));
    } catch { /* gone */ }
  }
  return out;
}

test('SIGINT stops every flow: partial lines of all, the sum, the report, exit 130, no flow left', async () => {
  const port = ports(2);
  const p = ours(lab().txNs, ['-4', '-D', lab().addr[4].txOnly, '-p', String(port), '-t', '20', '-z', '-P', '2', '-I', '0.5', '--json', 'udp'],
    { timeoutMs: 30000 });
  // Both flows sending: each has reported an interval with sends in it (waitFor gives up if the run ends first).
  for (const k of [0, 1]) await p.waitFor(new RegExp(`^\\[${k}\\] interval .*: .*, [1-9]\\d* sends`, 'm'), 'stderr');
  const t0 = Date.now();
  p.kill('SIGINT');
  const r = await p.done;
  assert.ok(Date.now() - t0 < 5000, 'stopped promptly');
  assert.equal(r.code, 130, r.stderr);
  const m = multi(r.stdout) as Multi & { interrupted: string | null };
  checkSums(m, r.stderr, 'tx', 2);
  assert.equal(m.interrupted, 'SIGINT');
  for (const f of m.flows) {
    assert.ok(f.packets > 0, 'each flow had sent');
    assert.equal(f.interrupted, 'SIGINT');
  }
  assert.doesNotMatch(r.stderr, /msg-zerocopy: flow/, 'a flow stopped on purpose did not fail');
  assert.deepEqual([...processesWith(`-p ${port} `), ...processesWith(`-p ${port + 1} `)], [], 'no flow left running');
});

describe('subcommands', () => {
  test('suite --flows 2: every tcp and udp case passes, judged on the sums of the flows', async () => {
    const r = await ours(null, ['suite', '--family', '4', '--tests', 'tcp,udp', '-t', '0', '-s', String(SIZE), '--flows', '2', '--json',
      '--no-progress', '--prefix', 'mzcfs-'], { timeoutMs: 120000 }).done;
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(0, 3000)}`);
    const j = JSON.parse(r.stdout) as { ok: boolean; cases: Array<{ name: string; verdict: string; tx: { packets: number };
      rx: { bytes: number } | null; sender: { argv: string[]; bytes: number } }> };
    assert.equal(j.ok, true);
    assert.equal(j.cases.length, 6);
    for (const c of j.cases) {
      assert.equal(c.verdict, 'pass', c.name);
      assert.ok(c.sender.argv.join(' ').includes(' -P 2 '), `${c.name}: ${c.sender.argv.join(' ')}`);
      assert.ok(c.tx.packets > 0, c.name);
      if (c.name.includes('tcp')) assert.equal(c.rx?.bytes, c.sender.bytes, `${c.name}: the sums agree`);
    }
  });

  test('suite --flows 2 with a test that has no ports: refused before any namespace exists', async () => {
    const r = await ours(null, ['suite', '--tests', 'udp,raw', '--flows', '2']).done;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^msg-zerocopy: --flows: raw has no ports to tell flows apart \(use --tests tcp,udp\)$/m);
  });

  test('compare --flows 2: copy and zerocopy runs of two flows each, the verdict on their sums', async () => {
    const r = await ours(null, ['compare', '--flows', '2', '--reps', '1', '-t', '0', '--json', '--no-progress', '--prefix', 'mzcfc-'],
      { timeoutMs: 120000 }).done;
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(0, 3000)}`);
    const j = JSON.parse(r.stdout) as { runs: Array<{ ok: boolean; mode: string; senderArgv: string[]; bytes: number;
      expectationMet: boolean | null }> };
    assert.deepEqual(j.runs.map((x) => x.mode), ['copy', 'zerocopy']);
    for (const run of j.runs) {
      assert.equal(run.ok, true);
      assert.ok(run.senderArgv.join(' ').includes(' -P 2 '));
      assert.ok(run.bytes > 0);
    }
    assert.equal(j.runs[1].expectationMet, true, 'tx-only zerocopy: not copied in every flow');
  });
});
