// SPDX-License-Identifier: GPL-2.0-only
// End to end: no wait outlives the run. A tcp sender whose socket stays
// unwritable (receiver stopped, link down) ends within a second of its
// deadline with its partial tx= line and one line naming the stall; a tcp
// receiver whose peer has closed stops at EOF instead of spinning; a tcp
// connect() to an address that never answers (the lab's tx-only address,
// routed into the egress device that drops everything) gives up at the
// run's length. All traffic stays inside the lab's two namespaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe as show, ours, report, rxLine, sleep, txLine, type Proc, type ProcResult } from '../support/proc.js';
import { useLab } from '../support/lab.js';

const lab = useLab();

let nextPort = 9500;
const TX_RUNTIME_MS = 1200; // -t 1
/** What the sender may take beyond its deadline: the bound it promises. */
const PAST_DEADLINE_MS = 1000;
/** Slack for printing, closing and leaving node once the sender has decided to end (a shared, noisy machine). */
const EXIT_SLACK_MS = 300;
/** Node start-up before the run's clock starts (about 0.1 s here; generous for a loaded machine). */
const STARTUP_MS = 1500;
const STALL_LINE = /^msg-zerocopy: send: socket not writable for \d+\.\d s, \d+\.\d s past the end of the run \(.*receiver.*\)$/m;

/** Stop `p` for good (it may be stopped with SIGSTOP) and wait for it. */
async function reap(p: Proc): Promise<ProcResult> {
  p.kill('SIGKILL');
  return p.done;
}

/** Wait (at most 3 s) until the sender's tcp connection to `port` is established, as `ss` in the tx namespace sees it. */
async function connected(port: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const out = execFileSync('ip', ['netns', 'exec', lab().txNs, 'ss', '-Htn', 'state', 'established', 'dport', `= :${port}`], { encoding: 'utf8' });
    if (out.trim()) return;
    await sleep(20);
  }
  throw new Error(`the sender did not connect to port ${port} within 3 s`);
}

/**
 * Receiver -t 3 in the rx namespace, sender -t 1 --json in the tx namespace;
 * 0.3 s after the sender has connected, `cut()` stops the path. Returns the
 * sender's result, when it exited and when the path was cut.
 */
async function stalledRun(cut: (rx: Proc) => void, restore: (rx: Proc) => void) {
  const a = lab().addr[4];
  const port = String(nextPort++);
  const rx = ours(lab().rxNs, ['-4', '-p', port, '-D', a.dst, '-t', '3', '-r', 'tcp'], { timeoutMs: 15_000 });
  try {
    await sleep(200);
    // Without the fix the sender never ends: the deadline kills it after 8 s.
    const tx = ours(lab().txNs, ['-4', '-p', port, '-D', a.dst, '-t', '1', '--json', 'tcp'], { timeoutMs: 8000 });
    await connected(port);
    await sleep(300);
    const cutAt = Date.now();
    cut(rx);
    let t: ProcResult;
    try {
      t = await tx.done;
    } finally {
      restore(rx);
    }
    return { t, exitedAt: Date.now(), cutAt };
  } finally {
    const r = await reap(rx);
    assert.ok(r.code !== null || r.signal !== null, 'receiver reaped');
  }
}

function checkStall(t: ProcResult, exitedAt: number, cutAt: number, diag: (s: string) => void): void {
  const ctx = `\n${show(t)}`;
  assert.equal(t.timedOut, false, `the sender did not end by itself${ctx}`);
  assert.equal(t.code, 1, `exit status${ctx}`);
  const line = txLine(t.stderr);
  assert.ok(line.tx > 0, `the partial tx= line counts the sends before the stall${ctx}`);
  assert.match(t.stderr, STALL_LINE, ctx);
  // tx= first, then the stall line, and nothing else
  const lines = t.stderr.trim().split('\n');
  assert.equal(lines.length, 2, ctx);
  assert.match(lines[0], /^tx=/);
  const rep = report(t);
  assert.equal(rep.stalled, true);
  assert.equal(rep.exitStatus, 1);
  assert.equal(rep.packets, line.tx);
  const stall = rep.stall as { message: string; hint: string; notWritableMs: number; pastDeadlineMs: number };
  assert.match(stall.message, /^send: socket not writable/);
  assert.ok(t.stderr.includes(`${stall.message} (${stall.hint})`), ctx);
  // cut about 0.9 s before the deadline: unwritable since then, given up one poll (0.5 s) past the deadline
  assert.ok(stall.notWritableMs >= 700 && stall.pastDeadlineMs >= 500 && stall.pastDeadlineMs < PAST_DEADLINE_MS, JSON.stringify(stall));
  // The run's own clock: startedAt is when the sending began (after connect).
  const startedAt = Date.parse(String(rep.startedAt));
  const pastDeadline = exitedAt - (startedAt + TX_RUNTIME_MS);
  diag(`link cut to sender exit: ${exitedAt - cutAt} ms; exit ${pastDeadline} ms after the deadline; ` +
    `sender wall ${Math.round(t.wallMs)} ms; tx=${line.tx}`);
  assert.ok(pastDeadline <= PAST_DEADLINE_MS + EXIT_SLACK_MS, `ended ${pastDeadline} ms past its deadline${ctx}`);
  assert.ok(t.wallMs <= STARTUP_MS + TX_RUNTIME_MS + PAST_DEADLINE_MS + EXIT_SLACK_MS, `sender wall ${t.wallMs} ms${ctx}`);
  // it did wait for the path up to its deadline (a stall before the end is no failure)
  assert.ok(pastDeadline >= 0, `ended ${-pastDeadline} ms before its deadline${ctx}`);
}

test('tcp sender whose receiver stops reading (SIGSTOP) ends within 1 s of its deadline, exit 1, tx= then the stall line', async (t) => {
  const { t: tx, exitedAt, cutAt } = await stalledRun((rx) => rx.kill('SIGSTOP'), (rx) => rx.kill('SIGCONT'));
  checkStall(tx, exitedAt, cutAt, (s) => t.diagnostic(s));
});

test('tcp sender whose path goes down (rx veth0 down) ends within 1 s of its deadline, exit 1, tx= then the stall line', async (t) => {
  const link = (state: 'up' | 'down') => execFileSync('ip', ['-n', lab().rxNs, 'link', 'set', 'dev', 'veth0', state]);
  let res;
  try {
    res = await stalledRun(() => link('down'), () => link('up'));
  } finally {
    link('up');
    // IPv6 addresses go with the link; put the lab's back for whatever runs next.
    const v6 = execFileSync('ip', ['-n', lab().rxNs, '-6', 'addr', 'show', 'dev', 'veth0'], { encoding: 'utf8' });
    if (!v6.includes(`${lab().addr[6].dst}/64`)) {
      execFileSync('ip', ['-n', lab().rxNs, '-6', 'addr', 'add', `${lab().addr[6].dst}/64`, 'dev', 'veth0', 'nodad']);
    }
  }
  checkStall(res.t, res.exitedAt, res.cutAt, (s) => t.diagnostic(s));
});

test('tcp receiver whose sender has left ends at EOF: exit 0, rx= line, CPU far below its wall time', async (t) => {
  const a = lab().addr[4];
  const port = String(nextPort++);
  const rx = ours(lab().rxNs, ['-4', '-p', port, '-D', a.dst, '-t', '3', '--json', '-r', 'tcp'], { timeoutMs: 15_000 });
  let r: ProcResult;
  let tx: ProcResult;
  let txExitedAt: number;
  try {
    await sleep(200);
    tx = await ours(lab().txNs, ['-4', '-p', port, '-D', a.dst, '-t', '0', '--json', 'tcp'], { timeoutMs: 15_000 }).done;
    txExitedAt = Date.now();
    r = await rx.done;
  } finally {
    await reap(rx);
  }
  const ctx = `\n--- receiver\n${show(r)}\n--- sender\n${show(tx)}`;
  assert.equal(tx.code, 0, ctx);
  assert.equal(r.code, 0, ctx);
  assert.equal(r.stderr.trim().split('\n').length, 1, `only the rx= line${ctx}`);
  const line = rxLine(r.stderr);
  const rep = report(r);
  const sent = report(tx);
  assert.ok(sent.packets > 100, `only ${sent.packets} sends${ctx}`);
  assert.equal(rep.bytes, sent.bytes, `every byte arrived${ctx}`);
  assert.equal(line.mb, txLine(tx.stderr).mb);
  assert.equal(rep.peerClosed, true);
  const cpu = rep.cpu as { userUs: number; sysUs: number };
  const cpuMs = (cpu.userUs + cpu.sysUs) / 1000;
  const afterSender = Date.now() - txExitedAt;
  t.diagnostic(`receiver CPU ${cpuMs.toFixed(0)} ms (user ${(cpu.userUs / 1000).toFixed(0)}, sys ${(cpu.sysUs / 1000).toFixed(0)}) ` +
    `in ${Math.round(r.wallMs)} ms wall (${((100 * cpuMs) / r.wallMs).toFixed(0)} %); ` +
    `run ${rep.durationMs as number} ms of its 3600 ms; exited ${afterSender} ms after the sender`);
  assert.ok(cpuMs < 0.3 * r.wallMs, `receiver used ${cpuMs} ms of CPU in ${r.wallMs} ms${ctx}`);
  // It ended at EOF, not at its deadline 3.6 s after the connection.
  assert.ok((rep.durationMs as number) < 2000, `receiver ran ${rep.durationMs} ms${ctx}`);
});

const CONNECT_HINT = /^msg-zerocopy: connect: no answer from 192\.168\.2\.2 port \d+ within 1\.2 s \(.+\)$/m;

test('tcp connect to an address that never answers gives up after the run\'s length: one line, exit 1', async (t) => {
  const port = String(nextPort++);
  const t0 = Date.now();
  // 192.168.2.2 is routed out of the lab's egress device, which drops everything: the SYN is never answered.
  const tx = await ours(lab().txNs, ['-4', '-p', port, '-D', lab().addr[4].txOnly, '-t', '1', '--json', 'tcp'], { timeoutMs: 10_000 }).done;
  const took = Date.now() - t0;
  const ctx = `\n${show(tx)}`;
  t.diagnostic(`connect gave up after ${took} ms (wall, with node start-up)`);
  assert.equal(tx.timedOut, false, `connect was not bounded${ctx}`);
  assert.equal(tx.code, 1, ctx);
  assert.match(tx.stderr, CONNECT_HINT, ctx);
  assert.equal(tx.stderr.trim().split('\n').length, 1, ctx);
  const rep = report(tx);
  assert.equal(rep.exitStatus, 1);
  assert.match(String(rep.error), /^connect: no answer/);
  assert.ok(took >= TX_RUNTIME_MS, `gave up after ${took} ms, before the run's length${ctx}`);
  assert.ok(took <= STARTUP_MS + TX_RUNTIME_MS + EXIT_SLACK_MS, `took ${took} ms${ctx}`);
});

test('SIGINT stops a tcp connect that is still waiting: one line, exit 1, within a second', async (t) => {
  const port = String(nextPort++);
  const tx = ours(lab().txNs, ['-4', '-p', port, '-D', lab().addr[4].txOnly, '-t', '20', 'tcp'], { timeoutMs: 10_000 });
  await sleep(700);
  const sentAt = Date.now();
  tx.kill('SIGINT');
  const r = await tx.done;
  const took = Date.now() - sentAt;
  const ctx = `\n${show(r)}`;
  t.diagnostic(`SIGINT to exit: ${took} ms`);
  assert.equal(r.timedOut, false, `SIGINT did not stop connect${ctx}`);
  assert.equal(r.code, 1, ctx);
  assert.match(r.stderr, /^msg-zerocopy: connect: interrupted by SIGINT before 192\.168\.2\.2 port \d+ answered$/m, ctx);
  assert.equal(r.stderr.trim().split('\n').length, 1, ctx);
  assert.ok(took < 1000, `took ${took} ms${ctx}`);
});
