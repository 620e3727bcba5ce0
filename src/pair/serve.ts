// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy serve` (host B): a control port that, for one authenticated
// pair at a time, starts our own classic receiver (`-r … --json`, a child of
// the same executable; `-r -P n` for a pair of several flows), says "ready"
// once the receiver's own sockets are bound and nothing else holds its
// ports, and sends its report back.
//
// Everything that arrives is hostile until the peer has proved it holds the
// secret (auth.ts): each connection has HANDSHAKE_MS from accept to its run
// request, lines are bounded, at most MAX_PENDING connections may be in the
// handshake (a new one pushes out the oldest), and what unauthenticated
// peers do is logged at a bounded rate. Nothing is started before the proof.

import { createServer, type Server } from 'node:net';
import { RunControl, signalExitCode } from '../core/control.js';
import { childError, type Child, type ChildResult } from '../run/child.js';
import { flowsStartSecs } from '../flows/plan.js';
import type { ReceiverSpec } from '../run/classic.js';
import { launch } from '../run/launch.js';
import { checkProof, decodeNonce, encodeNonce, newNonce, proof, sessionKey } from './auth.js';
import { checkRunRequest, policyLine, type ServePolicy } from './policy.js';
import { treeSocketInodes } from '../run/ready.js';
import { describeHolders, heldPorts, type Holder } from './ports.js';
import {
  Connection, DEFAULT_CONTROL_PORT, endText, expect, HANDSHAKE_MS, MAX_LINE, PROTOCOL_VERSION, receiverReadyMs, SENDER_DID_NOT_RUN,
  type ReportMessage, type RunRequest,
} from './protocol.js';
import { RateLog } from './ratelog.js';
import { hostPort, plainAddress, shown } from './text.js';

export interface ServeOptions {
  family: 4 | 6;
  /** -D: this host's address; the control port and the receiver bind to it. */
  addr: string;
  controlPort: number;
  maxPayload: number;
  /** Stop after one run. */
  once: boolean;
  /** Print one JSON line per run on stdout. */
  json: boolean;
  /** Time a receiver may overrun its run before it is killed. */
  slackMs: number;
  policy: ServePolicy;
  /** The shared secret (secret.ts). */
  secret: Buffer;
}

export interface ServeIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Connections in the handshake at once; one more pushes out the oldest. */
export const MAX_PENDING = 64;
/** The receiver's output sent back: its last lines (and one per flow, and the sum), at most this much. */
const REPORT_STDERR_LINES = 20;
const REPORT_STDERR_CHARS = 16384;

type Handshake = { ok: true } | { ok: false; log: string; tell?: string };

/** serve's half of the handshake (auth.ts): challenge, check the pair's proof, seal the connection. */
async function handshake(conn: Connection, secret: Buffer, deadline: number): Promise<Handshake> {
  const first = await conn.next(deadline - Date.now());
  if ('timeout' in first) return { ok: false, log: `no hello within ${HANDSHAKE_MS / 1000} s` };
  if ('end' in first) return { ok: false, log: `${endText(first.end)} before its hello` };
  const hello = expect(first.msg, 'hello');
  if (!hello) {
    return {
      ok: false, log: `sent "${shown(first.msg.type, 20)}" instead of a hello`,
      tell: `expected a hello: authenticate first (protocol ${PROTOCOL_VERSION}; run the same msg-zerocopy release on both hosts)`,
    };
  }
  if (hello.version !== PROTOCOL_VERSION) {
    return {
      ok: false, log: `speaks protocol version ${hello.version}`,
      tell: `protocol version ${hello.version} is not ${PROTOCOL_VERSION}: run the same msg-zerocopy release on both hosts`,
    };
  }
  const pairNonce = decodeNonce(hello.nonce);
  if (!pairNonce) return { ok: false, log: 'sent a malformed nonce', tell: 'malformed nonce' };
  const serveNonce = newNonce();
  conn.send({ type: 'challenge', version: PROTOCOL_VERSION, nonce: encodeNonce(serveNonce), proof: proof(secret, 'serve', pairNonce, serveNonce) });
  const second = await conn.next(deadline - Date.now());
  if ('timeout' in second) return { ok: false, log: `no proof within ${HANDSHAKE_MS / 1000} s` };
  if ('end' in second) return { ok: false, log: `${endText(second.end)} during the handshake` };
  const refused = expect(second.msg, 'refused');
  if (refused) {
    return { ok: false, log: `authentication failed: the peer found this serve's proof wrong, so its secret differs from ours (it says "${shown(refused.message, 120)}")` };
  }
  const auth = expect(second.msg, 'auth');
  if (!auth) return { ok: false, log: `sent "${shown(second.msg.type, 20)}" instead of its proof`, tell: 'expected the proof' };
  if (!checkProof(secret, 'pair', pairNonce, serveNonce, auth.proof)) {
    return {
      ok: false, log: 'authentication failed: wrong proof (another secret, or a replayed exchange)',
      tell: 'authentication failed: this serve holds another secret; copy it from this host again',
    };
  }
  conn.secure(sessionKey(secret, pairNonce, serveNonce), 'serve>pair', 'pair>serve');
  return { ok: true };
}

/** The receiver's last stderr lines, bounded: 20, and one more per flow and the sum for a receiver of several flows. */
function stderrTail(s: string, flows: number): string {
  const lines = s.split('\n').filter((l) => l.trim()).slice(-(REPORT_STDERR_LINES + (flows > 1 ? flows + 1 : 0)));
  const text = lines.join('\n');
  return text.length > REPORT_STDERR_CHARS ? text.slice(text.length - REPORT_STDERR_CHARS) : text;
}

const clock = (t: number): string => new Date(t).toISOString().slice(11, 19);

/** Run serve until a signal (or one run with --once). Resolves with the exit status. */
export function runServe(o: ServeOptions, io: ServeIO): Promise<number> {
  const log = (s: string): void => io.err(`msg-zerocopy serve: ${s}\n`);
  const rlog = new RateLog(log);
  const pending = new Set<Connection>();
  let active: { who: string; since: number; what: string; stop: (why: string) => void } | null = null;
  let stopping: NodeJS.Signals | null = null;
  /** A signal cut a run short. */
  let cutShort = false;
  let runs = 0;
  let failures = 0;

  return new Promise<number>((resolve) => {
    let resolved = false;
    const roll = setInterval(() => rlog.roll(), 1000);
    roll.unref();
    const finish = (code?: number): void => {
      if (resolved) return;
      resolved = true;
      clearInterval(roll);
      rlog.flush();
      ctl.uninstall();
      server.close();
      for (const c of pending) c.fail('local', 'serve stopped');
      // Stopped by a signal while idle: a normal end. A run cut short: 128 + n.
      if (code !== undefined) resolve(code);
      else if (stopping) resolve(cutShort ? signalExitCode(stopping) : 0);
      else resolve(failures ? 1 : 0);
    };

    const server: Server = createServer({ noDelay: true }, (sock) => {
      sock.on('error', () => { /* the Connection reports it */ });
      if (stopping || resolved) {
        sock.destroy();
        return;
      }
      const addr = plainAddress(sock.remoteAddress);
      // A peer that reset before we got here has no address left.
      const ip = addr ?? '#gone';
      const peer = addr ? hostPort(addr, sock.remotePort ?? 0) : 'a peer that was gone at once';
      const conn = new Connection(sock, MAX_LINE);
      if (pending.size >= MAX_PENDING) {
        const oldest = pending.values().next().value as Connection;
        pending.delete(oldest);
        oldest.fail('local', 'pushed out');
        rlog.log('#pending', `${MAX_PENDING} connections in the handshake: dropped the oldest to take ${peer}`);
      }
      pending.add(conn);
      void handle(conn, ip, peer).then((result) => {
        pending.delete(conn);
        if (result !== 'none') runs++;
        if (result === 'failed') failures++;
        if ((stopping && !active) || (o.once && runs > 0)) finish();
      }, (e: unknown) => {
        pending.delete(conn);
        conn.fail('local', 'internal error');
        log(`${peer}: internal error: ${shown((e as Error).message)}`);
        if (stopping && !active) finish();
      });
    });

    const ctl = new RunControl().install({
      stop: (sig) => {
        stopping = sig;
        log(`${sig}: stopping${active ? ` (ending the run for ${active.who})` : ''}`);
        server.close();
        for (const c of pending) c.fail('local', 'serve stopped');
        if (active) {
          cutShort = true;
          active.stop(`serve stopped (${sig})`);
        } else {
          finish();
        }
      },
    });

    server.on('error', (e: NodeJS.ErrnoException) => {
      if (server.listening) {
        // accept() failed (out of file descriptors, …): the server keeps listening.
        rlog.log('#accept', `accept: ${e.message}`);
        return;
      }
      const where = hostPort(o.addr, o.controlPort);
      log(e.code === 'EADDRINUSE'
        ? `control port ${where} is in use: pick another with --control-port (and give pair the same)`
        : e.code === 'EADDRNOTAVAIL'
          ? `${o.addr} is not an address of this host (-D must be this host's own address, the one pair -D names)`
          : `control port ${where}: ${e.message}`);
      finish(1);
    });
    server.listen({ host: o.addr, port: o.controlPort, exclusive: true, backlog: 1024 }, () => {
      log(policyLine(o.policy));
      log(`control port ${hostPort(o.addr, o.controlPort)}; on the other host run: ` +
        `msg-zerocopy pair -${o.family} -D ${o.addr}${o.controlPort !== DEFAULT_CONTROL_PORT ? ` --control-port ${o.controlPort}` : ''} [flags] <test>`);
    });
  });

  /** One connection. 'none': nothing was started; else how the run it started went. */
  async function handle(conn: Connection, ip: string, peer: string): Promise<'none' | 'ok' | 'failed'> {
    const deadline = Date.now() + HANDSHAKE_MS;
    const hs = await handshake(conn, o.secret, deadline);
    pending.delete(conn);
    if (!hs.ok) {
      if (!conn.ended || conn.ended.reason !== 'local') rlog.log(ip, `${peer}: refused: ${hs.log}; nothing started`);
      if (hs.tell) conn.close({ type: 'error', message: hs.tell });
      else conn.fail('local', 'refused');
      return 'none';
    }
    const first = await conn.next(deadline - Date.now());
    if (!('msg' in first)) {
      log(`${peer}: authenticated, but ${'timeout' in first ? `sent no request within ${HANDSHAKE_MS / 1000} s` : endText(first.end)}`);
      conn.fail('local', 'no request');
      return 'none';
    }
    const checked = checkRunRequest(first.msg, { family: o.family, controlPort: o.controlPort, maxPayload: o.maxPayload, policy: o.policy });
    if (!checked.ok) {
      log(`${peer}: refused: ${shown(checked.reason)}`);
      conn.close({ type: 'error', message: checked.reason });
      return 'none';
    }
    const req = checked.req;
    const who = `${peer} (${shown(req.client, 64)})`;
    if (stopping) {
      conn.close({ type: 'error', message: 'serve is shutting down' });
      return 'none';
    }
    if (active) {
      const busy = `busy: serving ${active.who} since ${clock(active.since)} UTC (${active.what}); try again when it is done`;
      log(`${who}: refused: ${busy}`);
      conn.close({ type: 'error', message: busy });
      return 'none';
    }
    return runOne(conn, req, who);
  }

  /** Start a receiver for an authenticated request and see it through. */
  async function runOne(conn: Connection, req: RunRequest, who: string): Promise<'none' | 'ok' | 'failed'> {
    let stopWhy: string | null = null;
    let child: Child | null = null;
    const flows = req.flows;
    const last = req.port + flows - 1;
    // A receiver of several flows runs longer by their start-up (flows/plan.ts), and may take that much longer to be ready.
    const secs = req.secs + flowsStartSecs(flows);
    const readyMs = receiverReadyMs(flows);
    const what = flows > 1
      ? `${req.test} receiver -P ${flows} on ${hostPort(o.addr, req.port)}-${last}, -t ${secs}`
      : `${req.test} receiver on ${hostPort(o.addr, req.port)}, -t ${secs}`;
    /** " (flow k of -P n)" after a data port, for a run of several flows. */
    const flowOf = (q: number): string => (flows > 1 ? ` (flow ${q - req.port} of -P ${flows})` : '');
    /** The held ports (the first few) with their holders: "data port 9301 (flow 1 of -P 2) … (udp bound … held by …)". */
    const heldText = async (held: Array<{ port: number; holders: Holder[] }>, verb: string): Promise<string> => {
      if (held.length === 1) return `data port ${held[0].port}${flowOf(held[0].port)} ${verb} (${await describeHolders(held[0].holders)})`;
      const parts = await Promise.all(held.slice(0, 3).map(async (h) => `${h.port}${flowOf(h.port)} (${await describeHolders(h.holders)})`));
      return `data ports ${parts.join(', ')}${held.length > 3 ? ` and ${held.length - 3} more` : ''} ${verb}`;
    };
    const stop = (why: string): void => {
      if (stopWhy) return;
      stopWhy = why;
      child?.kill('SIGTERM');
    };
    // Set before the first await: a second pair sees it at once.
    active = { who, since: Date.now(), what, stop };
    conn.startHeartbeat();
    conn.onEnd((e) => {
      if (e.reason === 'local' || child?.exited) return;
      log(`${who}: the pair ${endText(e)}; ${child ? 'stopping the receiver' : 'nothing started'}`);
      stop(`the pair ${endText(e)}`);
    });
    try {
      // No byte to another program: every data port must be free of every socket.
      const held = await heldPorts(req.port, flows, req.test);
      if (held.length) {
        const line = `${await heldText(held, held.length > 1 ? 'are in use on this host' : 'is in use on this host')}; ` +
          'nothing was started: pick another -p';
        log(`${who}: refused: ${line}`);
        conn.close({ type: 'error', message: line });
        return 'none';
      }
      if (stopWhy) {
        conn.close({ type: 'error', message: stopWhy });
        return 'none';
      }
      const spec: ReceiverSpec = {
        role: 'receiver', family: o.family, test: req.test, dst: o.addr, port: req.port, size: req.size, secs, json: true,
        flows: flows > 1 ? flows : undefined,
      };
      log(`${who}: ${what}, -s ${req.size} (sender: ${req.senderTest})`);
      const started = launch({
        spec, slackMs: o.slackMs, detached: true, onStderrLine: (l) => { if (l.trim()) io.err(`${l}\n`); },
        ready: { maxMs: readyMs, aborted: () => stopWhy !== null },
      });
      const rx = started.child;
      child = rx;
      const readiness = await started.ready;
      let refusal: string | null = null;
      if (readiness === 'ready' && rx.pid !== null) {
        // Readiness is the receiver's own sockets (its flows' for -P); and nothing but its sockets on its ports.
        const own = await treeSocketInodes(rx.pid);
        const foreign = (await heldPorts(req.port, flows, req.test))
          .map((h) => ({ port: h.port, holders: h.holders.filter((x) => !own.has(x.inode)) }))
          .filter((h) => h.holders.length > 0);
        if (foreign.length) {
          refusal = `another socket took ${await heldText(foreign, 'while the receiver started')}; the receiver was stopped`;
        }
      } else if (readiness === 'timeout') {
        refusal = `the receiver did not bind its socket${flows > 1 ? `s (${flows} flows)` : ''} within ${readyMs / 1000} s; it was stopped`;
      }
      if (readiness !== 'ready' || refusal || stopWhy) {
        if (readiness === 'ready') rx.kill('SIGTERM'); // a receiver that was not ready is being stopped (launch)
        const r = await rx.done;
        const why = refusal ?? stopWhy ?? `the receiver on ${o.addr} failed to start: ${childError(r) ?? `exit ${r.exitCode ?? r.signal}`}`;
        log(`${who}: ${why}`);
        conn.close({ type: 'error', message: why });
        return 'failed';
      }
      conn.send({ type: 'ready', receiverArgv: started.args });

      // Until the receiver ends: the pair may say its sender never ran, or abort.
      const watch = (async () => {
        for (;;) {
          const n = await conn.next(Infinity);
          if (!('msg' in n)) return;
          const abort = expect(n.msg, 'abort');
          const sent = expect(n.msg, 'sent');
          if (abort) {
            log(`${who}: the pair aborted (${shown(abort.reason, 80)}); stopping the receiver`);
            stop(`the pair aborted (${shown(abort.reason, 80)})`);
          } else if (sent && !sent.ok) {
            stop(SENDER_DID_NOT_RUN);
          } else if (!sent) {
            conn.fail('garbage', `an unexpected "${shown(n.msg.type, 20)}" message`);
          }
        }
      })();
      const r: ChildResult = await rx.done;
      if (o.json) {
        io.out(`${JSON.stringify({
          tool: 'msg-zerocopy', command: 'serve', peer: who, request: req, receiverArgv: started.args,
          exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stopped: stopWhy, receiver: r.report,
        })}\n`);
      }
      const status = r.exitCode === 0 ? 'ok' : 'failed';
      if (conn.ended) {
        log(`${who}: receiver ended (exit ${r.exitCode ?? r.signal}); no report sent, the pair is gone`);
        return 'failed';
      }
      const msg: ReportMessage = {
        type: 'report', exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, failure: stopWhy,
        report: r.report, stderr: stderrTail(r.stderr, flows),
      };
      conn.close(msg);
      await watch;
      log(`${who}: report sent (receiver exit ${r.exitCode ?? r.signal})${o.once ? '' : '; waiting for the next pair'}`);
      return status;
    } finally {
      active = null;
      // Whatever happened above, no receiver outlives its run here.
      if (child && !child.exited) child.kill('SIGTERM');
    }
  }
}
