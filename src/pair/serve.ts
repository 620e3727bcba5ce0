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

import { createServer, type Server, type Socket } from 'node:net';
import { RunControl, signalExitCode } from '../core/control.js';
import { checkProof, decodeNonce, encodeNonce, newNonce, proof, sessionKey } from './auth.js';
import { hostCapacity, type HostCapacity } from './capacity.js';
import { checkRunRequest, policyLine, type ServePolicy } from './policy.js';
import {
  Connection, DEFAULT_CONTROL_PORT, endText, expect, HANDSHAKE_MS, MAX_LINE, PROTOCOL_VERSION, type RunRequest,
} from './protocol.js';
import { RateLog } from './ratelog.js';
import { ServeRun, type RunOutcome, type RunSettings } from './serve-run.js';
import { hostPort, plainAddress, shown } from './text.js';

/** serve's options: those of each run (serve-run.ts) and those of the service. */
export interface ServeOptions extends RunSettings {
  controlPort: number;
  maxPayload: number;
  policy: ServePolicy;
  /** The shared secret (secret.ts). */
  secret: Buffer;
  /** --secret-file as given (for the hint of what to run on the other host); undefined: the default path. */
  secretFile?: string;
  /** This host's CPUs and memory (capacity.ts); read at start when absent. */
  host?: HostCapacity;
}

export interface ServeIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Connections in the handshake at once; one more pushes out the oldest. */
export const MAX_PENDING = 64;

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

const clock = (t: number): string => new Date(t).toISOString().slice(11, 19);

/** Run serve until a signal (or one run with --once). Resolves with the exit status. */
export function runServe(o: ServeOptions, io: ServeIO): Promise<number> {
  return new Serve(o, io).run();
}

/** The service: the control port, the connections in the handshake, at most one run at a time, the signals. */
class Serve {
  private readonly log = (s: string): void => this.io.err(`msg-zerocopy serve: ${s}\n`);
  private readonly rlog = new RateLog(this.log);
  /** What this host can carry (capacity.ts): in the policy line, and every request is checked against it. */
  private readonly host: HostCapacity;
  private readonly pending = new Set<Connection>();
  private active: { who: string; since: number; what: string; stop: (why: string) => void } | null = null;
  private stopping: NodeJS.Signals | null = null;
  /** A signal cut a run short. */
  private cutShort = false;
  private runs = 0;
  private failures = 0;
  private resolved = false;
  private resolve: (code: number) => void = () => {};
  private roll: NodeJS.Timeout | null = null;
  private server: Server | null = null;
  private ctl: RunControl | null = null;

  constructor(private readonly o: ServeOptions, private readonly io: ServeIO) {
    this.host = o.host ?? hostCapacity();
  }

  run(): Promise<number> {
    return new Promise<number>((resolve) => {
      this.resolve = resolve;
      this.roll = setInterval(() => this.rlog.roll(), 1000);
      this.roll.unref();
      const server = createServer({ noDelay: true }, (sock) => this.accept(sock));
      this.server = server;
      this.ctl = new RunControl().install({ stop: (sig) => this.stop(sig) });
      server.on('error', (e: NodeJS.ErrnoException) => this.serverError(e));
      server.listen({ host: this.o.addr, port: this.o.controlPort, exclusive: true, backlog: 1024 }, () => {
        this.log(policyLine(this.o.policy, this.host));
        this.log(`control port ${hostPort(this.o.addr, this.o.controlPort)}; on the other host run: ` +
          `msg-zerocopy pair -${this.o.family} -D ${this.o.addr}` +
          `${this.o.controlPort !== DEFAULT_CONTROL_PORT ? ` --control-port ${this.o.controlPort}` : ''}` +
          `${this.o.secretFile !== undefined ? ` --secret-file ${shellWord(this.o.secretFile)}` : ''} [flags] <test>`);
      });
    });
  }

  private finish(code?: number): void {
    if (this.resolved) return;
    this.resolved = true;
    if (this.roll) clearInterval(this.roll);
    this.rlog.flush();
    this.ctl?.uninstall();
    this.server?.close();
    for (const c of this.pending) c.fail('local', 'serve stopped');
    // Stopped by a signal while idle: a normal end. A run cut short: 128 + n.
    if (code !== undefined) this.resolve(code);
    else if (this.stopping) this.resolve(this.cutShort ? signalExitCode(this.stopping) : 0);
    else this.resolve(this.failures ? 1 : 0);
  }

  private stop(sig: NodeJS.Signals): void {
    this.stopping = sig;
    this.log(`${sig}: stopping${this.active ? ` (ending the run for ${this.active.who})` : ''}`);
    this.server?.close();
    for (const c of this.pending) c.fail('local', 'serve stopped');
    if (this.active) {
      this.cutShort = true;
      this.active.stop(`serve stopped (${sig})`);
    } else {
      this.finish();
    }
  }

  private serverError(e: NodeJS.ErrnoException): void {
    if (this.server?.listening) {
      // accept() failed (out of file descriptors, …): the server keeps listening.
      this.rlog.log('#accept', `accept: ${e.message}`);
      return;
    }
    const { addr, controlPort } = this.o;
    const where = hostPort(addr, controlPort);
    this.log(e.code === 'EADDRINUSE'
      ? `control port ${where} is in use: pick another with --control-port (and give pair the same)`
      : e.code === 'EADDRNOTAVAIL'
        ? `${addr} is not an address of this host (-D must be this host's own address, the one pair -D names)`
        : `control port ${where}: ${e.message}`);
    this.finish(1);
  }

  /** A new connection: into the handshake (pushing out the oldest when MAX_PENDING are there). */
  private accept(sock: Socket): void {
    sock.on('error', () => { /* the Connection reports it */ });
    if (this.stopping || this.resolved) {
      sock.destroy();
      return;
    }
    const addr = plainAddress(sock.remoteAddress);
    // A peer that reset before we got here has no address left.
    const ip = addr ?? '#gone';
    const peer = addr ? hostPort(addr, sock.remotePort ?? 0) : 'a peer that was gone at once';
    const conn = new Connection(sock, MAX_LINE);
    if (this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.values().next().value as Connection;
      this.pending.delete(oldest);
      oldest.fail('local', 'pushed out');
      this.rlog.log('#pending', `${MAX_PENDING} connections in the handshake: dropped the oldest to take ${peer}`);
    }
    this.pending.add(conn);
    void this.handle(conn, ip, peer).then((result) => {
      this.pending.delete(conn);
      if (result !== 'none') this.runs++;
      if (result === 'failed') this.failures++;
      if ((this.stopping && !this.active) || (this.o.once && this.runs > 0)) this.finish();
    }, (e: unknown) => {
      this.pending.delete(conn);
      conn.fail('local', 'internal error');
      this.log(`${peer}: internal error: ${shown((e as Error).message)}`);
      if (this.stopping && !this.active) this.finish();
    });
  }

  /** One connection. 'none': nothing was started; else how the run it started went. */
  private async handle(conn: Connection, ip: string, peer: string): Promise<RunOutcome> {
    const deadline = Date.now() + HANDSHAKE_MS;
    const hs = await handshake(conn, this.o.secret, deadline);
    this.pending.delete(conn);
    if (!hs.ok) {
      if (!conn.ended || conn.ended.reason !== 'local') this.rlog.log(ip, `${peer}: refused: ${hs.log}; nothing started`);
      if (hs.tell) conn.close({ type: 'error', message: hs.tell });
      else conn.fail('local', 'refused');
      return 'none';
    }
    const req = await this.request(conn, peer, deadline);
    if (!req) return 'none';
    const who = `${peer} (${shown(req.client, 64)})`;
    if (this.stopping) {
      conn.close({ type: 'error', message: 'serve is shutting down' });
      return 'none';
    }
    if (this.active) {
      const a = this.active;
      const busy = `busy: serving ${a.who} since ${clock(a.since)} UTC (${a.what}); try again when it is done`;
      this.log(`${who}: refused: ${busy}`);
      conn.close({ type: 'error', message: busy });
      return 'none';
    }
    return this.runOne(conn, req, who);
  }

  /** The authenticated peer's run request, checked against the policy; null: refused (the peer is told). */
  private async request(conn: Connection, peer: string, deadline: number): Promise<RunRequest | null> {
    const first = await conn.next(deadline - Date.now());
    if (!('msg' in first)) {
      this.log(`${peer}: authenticated, but ${'timeout' in first ? `sent no request within ${HANDSHAKE_MS / 1000} s` : endText(first.end)}`);
      conn.fail('local', 'no request');
      return null;
    }
    const { family, controlPort, maxPayload, policy } = this.o;
    const checked = checkRunRequest(first.msg, { family, controlPort, maxPayload, policy, host: this.host });
    if (!checked.ok) {
      this.log(`${peer}: refused: ${shown(checked.reason)}`);
      conn.close({ type: 'error', message: checked.reason });
      return null;
    }
    return checked.req;
  }

  /** Start a receiver for an authenticated request and see it through (serve-run.ts). */
  private async runOne(conn: Connection, req: RunRequest, who: string): Promise<RunOutcome> {
    const run = new ServeRun(this.o, { out: this.io.out, err: this.io.err, log: this.log }, conn, req, who);
    // Set before the first await: a second pair sees it at once.
    this.active = { who, since: Date.now(), what: run.what, stop: (why) => run.stop(why) };
    run.watchPair();
    try {
      if (!(await run.portsFree())) return 'none';
      const started = await run.startReceiver();
      if (!started) return 'failed';
      return await run.finish(started.rx, started.args);
    } finally {
      this.active = null;
      run.end();
    }
  }
}

/** A path as one shell word: as it is when it needs no quoting, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}
