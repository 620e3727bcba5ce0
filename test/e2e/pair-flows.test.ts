// SPDX-License-Identifier: GPL-2.0-only
// End to end: pair -P n. serve in the receiver namespace of a lab this test
// creates (and always deletes), pair in its sender namespace, over the lab's
// veth pair only. serve starts a receiver of as many flows within its
// policy; pair runs the multi-flow sender; both sides' [k] and [SUM] lines,
// the summary on the sums, both aggregate reports in --json. Every data port
// of the flows is checked as one port is: a foreign socket on the second is
// refused and receives nothing; a range outside the policy is refused. The
// default control port (the data port - 1) never meets a flow's port. kill -9
// of serve and Ctrl-C of pair mid-run leave no flow running on either side.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { PROTOCOL_VERSION } from '../../src/pair/protocol.js';
import { start, type Proc } from '../support/proc.js';
import { classicChildren, runPair, track, useServeLab, waitUntil, type PairJsonOf, type Tracked } from './serve-helpers.js';

const others: Proc[] = [];
const { lab, servers, secret } = useServeLab('mzpf-', { writeSecret: true, others });
const D = '192.168.1.2';

type Flow = Record<string, unknown> & { flow: number; port: number; packets: number; bytes: number };
interface Side {
  role: string; packets: number; bytes: number; completions?: number; flowCount: number; ports: number[]; cpus: Array<number | null>;
  flows: Flow[]; failedFlows: number[];
}
interface PairJson extends PairJsonOf<Side> {
  summary: {
    flows: number; bytesMatch: boolean | null; flowBytes: Array<{ flow: number; sent: number; received: number }> | null;
    datagramsSent: number | null; loss: number | null;
  };
}

/** The [k] lines and the [SUM] line of `kind` in stderr. */
function flowLines(stderr: string, kind: 'tx' | 'rx'): { flows: Array<{ packets: number; mb: number }>; sum: { packets: number; mb: number } | null } {
  const re = new RegExp(`^\\[(\\d+|SUM)\\] ${kind}=(\\d+) \\((\\d+) MB\\)${kind === 'tx' ? ' txc=\\d+ zc=[yn]' : ''}$`, 'gm');
  const flows: Array<{ packets: number; mb: number }> = [];
  let sum: { packets: number; mb: number } | null = null;
  for (const m of stderr.matchAll(re)) {
    const v = { packets: Number(m[2]), mb: Number(m[3]) };
    if (m[1] === 'SUM') sum = v;
    else flows[Number(m[1])] = v;
  }
  return { flows, sum };
}

/** A side's aggregate report: n flows on ports port .., its sums equal to its flows, and its lines saying the same. */
function checkSide(s: Side, stderr: string, kind: 'tx' | 'rx', n: number, port: number): void {
  assert.equal(s.role, kind === 'tx' ? 'sender' : 'receiver');
  assert.equal(s.flowCount, n);
  assert.deepEqual(s.ports, Array.from({ length: n }, (_, k) => port + k));
  assert.deepEqual(s.flows.map((f) => [f.flow, f.port]), s.ports.map((p, k) => [k, p]));
  assert.deepEqual(s.failedFlows, []);
  assert.equal(s.packets, s.flows.reduce((a, f) => a + f.packets, 0), 'packets: the sum of the flows');
  assert.equal(s.bytes, s.flows.reduce((a, f) => a + f.bytes, 0), 'bytes: the sum of the flows');
  if (kind === 'tx') assert.equal(s.completions, s.flows.reduce((a, f) => a + (f.completions as number), 0));
  for (const f of s.flows) assert.ok(f.packets > 0, `flow ${f.flow} moved nothing`);
  const lines = flowLines(stderr, kind);
  assert.equal(lines.flows.filter(Boolean).length, n, stderr);
  lines.flows.forEach((l, k) => assert.deepEqual(l, { packets: s.flows[k].packets, mb: Math.floor(s.flows[k].bytes / 2 ** 20) }));
  assert.deepEqual(lines.sum, { packets: s.packets, mb: Math.floor(s.bytes / 2 ** 20) });
}

const has = (argv: string[], flag: string): boolean => ` ${argv.join(' ')} `.includes(` ${flag} `);

/** Another program in the rx namespace: a udp socket on D:port that counts what it receives, printed at SIGTERM. */
function foreign(port: number): Proc {
  const code = `let n=0;const s=require('dgram').createSocket('udp4');s.on('message',d=>{n+=d.length});s.bind(${port},'${D}',()=>console.error('listening'));` +
    "process.on('SIGTERM',()=>{console.log(n);process.exit(0)});";
  const p = start([process.execPath, '-e', code], { ns: lab().rxNs, timeoutMs: 60000 });
  others.push(p);
  return p;
}

describe('one serve (data ports 9400-9420, the default control port 9399), pairs of several flows', () => {
  let serve: Tracked;
  const pair = (args: string[], timeoutMs = 60000) => runPair(lab(), ['-4', '-D', D, ...args, '--secret-file', secret()], timeoutMs);
  before(async () => {
    serve = await servers.start(['-4', '-D', D, '-p', '9400', '--ports', '9400-9420', '--json', '--secret-file', secret()]);
    assert.match(serve.stderrText(), /^msg-zerocopy serve: control port 192\.168\.1\.2:9399; /m, 'control port: the data port - 1');
  });

  test('tcp -P 2 with the default control port: per-flow bytes agree, sums equal the flows, both reports in --json', async () => {
    const o = await pair(['-p', '9400', '-t', '1', '-P', '2', '--cpus', '1,0', '--json', 'tcp']);
    assert.equal(o.code, 0, o.stderr);
    const j = JSON.parse(o.stdout) as PairJson;
    assert.equal(j.exitCode, 0);
    checkSide(j.sender, o.stderr, 'tx', 2, 9400);
    checkSide(j.receiver, o.stderr, 'rx', 2, 9400);
    assert.deepEqual(j.sender.cpus, [1, 0], '--cpus places this host\'s flows');
    for (const k of [0, 1]) {
      assert.ok(j.sender.flows[k].bytes > 1e6, `flow ${k} sent ${j.sender.flows[k].bytes}`);
      assert.equal(j.receiver.flows[k].bytes, j.sender.flows[k].bytes, `flow ${k}: every byte it sent arrived on its port`);
    }
    assert.equal(j.summary.flows, 2);
    assert.equal(j.summary.bytesMatch, true);
    assert.deepEqual(j.summary.flowBytes, j.sender.flows.map((f) => ({ flow: f.flow, sent: f.bytes, received: f.bytes })));
    assert.ok(has(j.senderArgv, '-P 2') && has(j.senderArgv, '--cpus 1,0') && has(j.senderArgv, '-p 9400'), j.senderArgv.join(' '));
    assert.ok(has(j.receiverArgv, '-P 2') && has(j.receiverArgv, '-p 9400') && has(j.receiverArgv, '-r'), j.receiverArgv.join(' '));
    assert.match(o.stderr, /^pair: sender: 2 flows, \d+ sends, \d+\.\d+ GB in \d+\.\d\d s, \d+\.\d\d Gbit\/s, CPU \d+\.\d{3} s\/GB$/m);
    assert.match(o.stderr, /^pair: receiver: 2 flows, \d+ reads, \d+\.\d+ GB in \d+\.\d\d s, \d+\.\d\d Gbit\/s, CPU \d+\.\d{3} s\/GB$/m);
    assert.match(o.stderr, new RegExp(`^pair: tcp: all ${j.sender.bytes} bytes arrived, on each of the 2 flows$`, 'm'));
    assert.match(serve.stderrText(), /: tcp receiver -P 2 on 192\.168\.1\.2:9400-9401, -t 2, -s 65435 \(sender: tcp\)$/m);
    assert.ok(await waitUntil(() => classicChildren(9400).length + classicChildren(9401).length === 0, 3000), 'nothing left running');
  });

  test('udp -P 2 zerocopy: sums equal the flows on both sides, loss on the sums; lines on stderr, summary on stdout', async () => {
    const o = await pair(['-p', '9402', '--control-port', '9399', '-t', '0', '-P', '2', '-z', '-Z', '0', '-s', '8000', '--json', 'udp']);
    assert.equal(o.code, 0, o.stderr);
    const j = JSON.parse(o.stdout) as PairJson;
    checkSide(j.sender, o.stderr, 'tx', 2, 9402);
    checkSide(j.receiver, o.stderr, 'rx', 2, 9402);
    for (const k of [0, 1]) {
      assert.equal(j.sender.flows[k].completions, j.sender.flows[k].packets, `flow ${k}: a completion per send`);
      assert.equal(j.sender.flows[k].expectationMet, true, `flow ${k}: -Z 0 held (local delivery is copied)`);
      assert.ok(j.receiver.flows[k].packets <= j.sender.flows[k].packets, `flow ${k}: no more received than sent`);
      assert.equal(j.receiver.flows[k].bytes, j.receiver.flows[k].packets * 8000, `flow ${k}: every datagram whole and checked`);
    }
    assert.equal(j.summary.datagramsSent, j.sender.packets);
    assert.ok(Math.abs((j.summary.loss as number) - (j.sender.packets - j.receiver.packets) / j.sender.packets) < 1e-12);
    assert.equal(j.summary.flowBytes, null);
    // without --json: the same lines on stderr, the summary on stdout
    const plain = await pair(['-p', '9402', '--control-port', '9399', '-t', '0', '-P', '2', '-s', '8000', 'udp']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(flowLines(plain.stderr, 'tx').flows.length, 2);
    assert.notEqual(flowLines(plain.stderr, 'rx').sum, null);
    assert.match(plain.stdout, /^pair: sender: 2 flows, /m);
    assert.match(plain.stdout, /^pair: udp: \d+ datagrams sent, \d+ received, loss \d+\.\d\d%$/m);
  });

  test('a foreign socket on the second data port: refused with the reason, nothing started, it receives nothing', async () => {
    const other = foreign(9411);
    await other.waitFor(/listening/);
    const o = await pair(['-p', '9410', '--control-port', '9399', '-t', '0', '-P', '2', 'udp']);
    assert.equal(o.code, 1, o.stderr);
    assert.match(o.stderr, new RegExp('^msg-zerocopy: pair: serve at 192\\.168\\.1\\.2:9399: data port 9411 \\(flow 1 of -P 2\\) is in use on ' +
      `this host \\(udp bound 192\\.168\\.1\\.2:9411 held by pid ${other.pid} \\(node\\)\\); nothing was started: pick another -p\\n$`));
    assert.doesNotMatch(o.stderr, /tx=/, 'no sender ran');
    assert.doesNotMatch(serve.stderrText(), /receiver -P 2 on \S+:9410-/, 'no receiver started');
    assert.deepEqual(classicChildren(9410), []);
    other.kill('SIGTERM');
    assert.equal((await other.done).stdout.trim(), '0', 'the other program received nothing');
  });

  test('flows reaching outside the port policy: refused with the reason', async () => {
    let o = await pair(['-p', '9420', '--control-port', '9399', '-t', '0', '-P', '2', 'tcp']);
    assert.equal(o.code, 1);
    assert.equal(o.stderr, 'msg-zerocopy: pair: serve at 192.168.1.2:9399: data ports 9420-9421 (-P 2) reach outside this serve\'s ' +
      'range 9400-9420: pick -p from 9400 to 9419\n');
    o = await pair(['-p', '9400', '--control-port', '9399', '-t', '0', '-P', '30', 'udp']);
    assert.equal(o.code, 1);
    assert.equal(o.stderr, 'msg-zerocopy: pair: serve at 192.168.1.2:9399: data ports 9400-9429 (-P 30) reach outside this serve\'s ' +
      'range 9400-9420: the range holds 21 ports: use -P 21 or fewer\n');
    // the control port among the flows' ports (an explicit --control-port): named with its flow
    o = await pair(['-p', '9398', '--control-port', '9399', '-t', '0', '-P', '2', 'tcp']);
    assert.equal(o.code, 1);
    assert.equal(o.stderr, 'msg-zerocopy: pair: serve at 192.168.1.2:9399: data port 9399 (flow 1 of -P 2) is this serve\'s control port: ' +
      'pick another -p\n');
  });

  test('pair checks what it can before asking: -P with a portless test, -C with -P, a CPU it may not use', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['-P', '2', 'raw'], /^msg-zerocopy: -P: raw has no ports to tell the flows apart \(run several flows with tcp or udp\)\n$/],
      [['-P', '2', '-C', '0', 'tcp'], /^msg-zerocopy: -C pins a single flow, not the 2 of -P \(give their CPUs with --cpus <list>\)\n$/],
      [['-P', '2', '--cpus', '1000', 'tcp'], /^msg-zerocopy: --cpus: CPU 1000 is not one this process may run on \(allowed: [\d,-]+\)\n$/],
      [['-P', '65', 'tcp'], /^msg-zerocopy: -P: .*65/],
    ];
    const before = serve.stderrText().length;
    for (const [args, re] of cases) {
      const o = await pair(['-p', '9400', '-t', '0', ...args]);
      assert.equal(o.code, 1, o.stderr);
      assert.match(o.stderr, re);
    }
    assert.equal(serve.stderrText().length, before, 'serve never heard of them');
  });

  test('a pair of another protocol version: one clear line, nothing started', async () => {
    const code = "const s=require('net').connect(9399,'192.168.1.2',()=>s.write(JSON.stringify({type:'hello',version:2," +
      "nonce:require('crypto').randomBytes(32).toString('base64')})+'\\n'));let b='';s.on('data',d=>{b+=d});s.on('close',()=>console.log(b.trim()));" +
      "s.on('error',()=>{});";
    const o = await start([process.execPath, '-e', code], { ns: lab().txNs, timeoutMs: 10000 }).done;
    assert.equal(JSON.parse(o.stdout).message,
      `protocol version 2 is not ${PROTOCOL_VERSION}: run the same msg-zerocopy release on both hosts`);
  });

  test('SIGTERM stops serve cleanly; its JSON lines name each run with its flows', async () => {
    serve.kill('SIGTERM');
    const out = await serve.done;
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { request: { flows: number }; receiver: { flowCount: number } });
    assert.equal(lines.length, 3, 'the tcp run, the udp runs');
    for (const l of lines) {
      assert.equal(l.request.flows, 2);
      assert.equal(l.receiver.flowCount, 2);
    }
  });
});

/**
 * serve on control port `cport`, then pair -P 2 -t 8 of `test` to data ports
 * cport + 1 and cport + 2; resolves once the sender's two flows run (each holds its data socket).
 */
/** How long a pair of the two tests below may live before it is killed. */
const PAIR_MS = 60000;

/** Whether process `pid` has a socket open beyond its stdio (which a Node parent's pipes make sockets). */
function holdsSocket(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).filter((fd) => Number(fd) > 2).some((fd) => {
      try { return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:'); } catch { return false; }
    });
  } catch {
    return false;
  }
}

async function twoFlowsRunning(cport: number, test: 'tcp' | 'udp'): Promise<{ serve: Tracked; p: Tracked }> {
  const dport = cport + 1;
  const serve = await servers.start(['-4', '-D', D, '--control-port', String(cport), '--secret-file', secret()]);
  const p = track(lab().txNs, ['pair', '-4', '-D', D, '-p', String(dport), '--control-port', String(cport), '-t', '8', '-P', '2',
    '--secret-file', secret(), test], PAIR_MS);
  others.push(p);
  await serve.waitFor(new RegExp(`receiver -P 2 on \\S+:${dport}-${dport + 1},`));
  // A sender flow is running once it has its data socket (it opens it inside its run, after its stop
  // handlers are in place): the flow processes (-p port, no -r, no -P) holding a socket.
  const flows = (): number => [dport, dport + 1].reduce((a, port) => a + classicChildren(port)
    .filter((c) => !c.argv.includes('-r') && !c.argv.includes('-P') && holdsSocket(c.pid)).length, 0);
  // The flows start once serve's receiver flows are ready and pair's sender has started its own: seconds on a
  // loaded machine. Wait for them or for pair to end (its own deadlines bound that), not for a guessed time.
  let ended = false;
  void p.done.then(() => { ended = true; });
  await waitUntil(() => flows() >= 2 || ended, PAIR_MS);
  assert.ok(flows() >= 2, `the sender's two flows run; pair: ${p.stderrText()}`);
  return { serve, p };
}

test('kill -9 of serve during a run of two flows: pair ends with one line, no flow is left on either side', async (t) => {
  const { serve, p } = await twoFlowsRunning(9439, 'tcp');
  const killed = Date.now();
  serve.kill('SIGKILL');
  const o = await p.done;
  const detectMs = Date.now() - killed;
  const goneOk = await waitUntil(() => classicChildren(9440).length + classicChildren(9441).length === 0, 3000);
  t.diagnostic(`serve killed: pair ended after ${detectMs} ms; every flow gone after ${Date.now() - killed} ms`);
  assert.equal(o.code, 1, o.stderr);
  assert.ok(detectMs < 2500, `pair ended after ${detectMs} ms`);
  assert.match(o.stderr, /^msg-zerocopy: pair: serve at 192\.168\.1\.2:9439 (closed|reset) the connection.* during the run; the sender was stopped/m);
  assert.ok(goneOk, `still running: ${JSON.stringify([...classicChildren(9440), ...classicChildren(9441)])}`);
});

test('Ctrl-C of pair during a run of two flows: every flow\'s partial line and the sums on both sides, exit 130', async () => {
  const { serve, p } = await twoFlowsRunning(9449, 'udp');
  const t0 = Date.now();
  p.kill('SIGINT');
  const o = await p.done;
  assert.equal(o.code, 130, o.stderr);
  assert.ok(Date.now() - t0 < 3000, `${Date.now() - t0} ms`);
  for (const kind of ['tx', 'rx'] as const) {
    const l = flowLines(o.stderr, kind);
    assert.equal(l.flows.filter(Boolean).length, 2, o.stderr);
    assert.equal(l.sum?.packets, l.flows[0].packets + l.flows[1].packets);
  }
  assert.match(o.stdout, /^pair: serve stopped the receiver: the pair aborted \(SIGINT\)$/m);
  assert.ok(await waitUntil(() => classicChildren(9450).length + classicChildren(9451).length === 0, 3000), 'no flow left');
  serve.kill('SIGTERM');
  assert.equal((await serve.done).code, 0);
});
