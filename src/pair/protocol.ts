// SPDX-License-Identifier: GPL-2.0-only
// The control protocol between `pair` (host A, sender) and `serve` (host B,
// receiver): one JSON object per line over a TCP connection.
//
//   A → B  {"type":"hello", version, nonce}                   ┐ plain lines,
//   B → A  {"type":"challenge", version, nonce, proof}        │ the handshake
//   A → B  {"type":"auth", proof}  or {"type":"refused", message}
//          (pair refuses a serve whose proof is wrong)        ┘ of auth.ts
//   B → A  {"type":"error", message}  authentication failed, or any refusal
//   ── from here every line is sealed (auth.ts) ──
//   A → B  {"type":"run", family, test, senderTest, port, flows, size, secs, client,
//           source, seed,                      where the sender sends from; its payload pattern
//           rx, expectMapped}                  how the receiver reads (tcp); the least share mapped
//   B → A  {"type":"ready", receiverArgv}   the receiver's own sockets are bound
//                                           (every flow's, ports port .. port + flows - 1)
//       or {"type":"error", message}        refused (policy, busy, port in use)
//   A ↔ B  {"type":"ping"}                  every 0.5 s both ways: liveness
//   A → B  {"type":"sent", ok}              the sender ended (ok: it ran)
//       or {"type":"abort", reason}         stop the receiver now
//   B → A  {"type":"report", exitCode, signal, timedOut, failure, report, stderr}
//
// Every line is bounded (serve reads at most MAX_LINE per line), every wait
// has a deadline, and a connection that goes silent for SILENCE_MS once the
// handshake is done is taken as dead.

import type { Socket } from 'node:net';
import { UsageError } from '../core/errors.js';
import type { Family, RxMode, RxTest } from '../core/vocabulary.js';
import { flowsStartSecs } from '../flows/plan.js';
import { READY_MAX_MS } from '../run/run.js';
import { Opener, Sealer, type Direction } from './auth.js';
import { shown } from './text.js';

/**
 * 3: the run request carries `flows` (pair -P). 4: and `source` and `seed`:
 * the receiver takes only the sender at that address and port, and (udp,
 * raw) only the payload pattern that seed picks; and `rx`, `expectMapped`
 * (pair --rx, issue 19). One version for both: no protocol 4 was released
 * with only one of the two sets.
 */
export const PROTOCOL_VERSION = 4;
/**
 * The control port that goes with data port `dataPort` when none is given:
 * the port just below it (neper's habit: control port, then data ports).
 * The flows of -P n use data ports `dataPort` .. `dataPort` + n - 1, upwards,
 * so the two never meet, and a firewall opens one range for everything.
 */
export function defaultControlPort(dataPort: number): number {
  if (dataPort <= 1) throw new UsageError(`no default control port below data port ${dataPort}`, 'give --control-port');
  return dataPort - 1;
}
/** The C tool's data port (8000) and so the usual control port (7999). */
export const DEFAULT_DATA_PORT = 8000;
export const DEFAULT_CONTROL_PORT = defaultControlPort(DEFAULT_DATA_PORT);
/** Longest line serve reads, and pair before the handshake. */
export const MAX_LINE = 4096;
/** Longest line pair reads from an authenticated serve (the receiver's report and output). */
export const MAX_REPORT_LINE = 256 * 1024;
/** Time serve gives a connection from accept to its run request. */
export const HANDSHAKE_MS = 2000;
/** Heartbeat period once authenticated. */
export const PING_MS = 500;
/** A peer heard from for this long is dead (network silent, or the peer stopped). */
export const SILENCE_MS = 3000;
/**
 * How long serve waits for the receiver of `flows` flows to have every
 * socket bound: a receiver of several flows starts one process per flow
 * (measured here: 0.4 s for 2, 2.9 s for 32), so it gets its flows' start-up
 * allowance (flows/plan.ts) on top of one receiver's.
 */
export const receiverReadyMs = (flows: number): number => READY_MAX_MS + 1000 * flowsStartSecs(flows);
/** Lines read but not yet handled; more is a flood. */
const MAX_QUEUE = 64;
/** Bytes written but not yet taken by the peer; more means it stopped reading. */
const MAX_BACKLOG = 1 << 20;
/** After a final message and end(), how long the peer has to read it before the socket is destroyed. */
const LINGER_MS = 1000;

export interface HelloMessage { type: 'hello'; version: number; nonce: string }
export interface ChallengeMessage { type: 'challenge'; version: number; nonce: string; proof: string }
export interface AuthMessage { type: 'auth'; proof: string }
export interface RefusedMessage { type: 'refused'; message: string }
export interface ErrorMessage { type: 'error'; message: string }
export interface RunRequest {
  type: 'run';
  family: Family;
  /** Receive mode: tcp, udp or raw. */
  test: RxTest;
  /** The sender's test (what the receive mode was picked for); shown in serve's log. */
  senderTest: string;
  /** The first data port; flow k uses port + k. */
  port: number;
  /** -P: flows at once, 1 to MAX_FLOWS; serve starts the receiver of as many (tcp and udp only). */
  flows: number;
  /** Payload bytes (-s): the receiver checks every datagram against it. */
  size: number;
  /** Receiver -t (one more than the sender's, as the kernel driver). */
  secs: number;
  /** Who asks (pair's host name), for serve's log and a second pair's "busy". */
  client: string;
  /**
   * Where the sender sends from (its --bind; flow k from port + k): the
   * receiver takes nothing else (its --peer). raw: the address only (port 0).
   */
  source: { address: string; port: number };
  /** udp and raw: 32 hex digits that pick the payload pattern (both sides' --pattern-seed); tcp: null. */
  seed: string | null;
  /** --rx of the receiver (tcp only; trunc: the selftest's MSG_TRUNC). */
  rx: RxMode;
  /** --expect-mapped (with rx mmap), or null. */
  expectMapped: number | null;
}
export interface ReadyMessage { type: 'ready'; receiverArgv: string[] }
export interface PingMessage { type: 'ping' }
export interface SentMessage { type: 'sent'; ok: boolean }
export interface AbortMessage { type: 'abort'; reason: string }
export interface ReportMessage {
  type: 'report';
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Why serve stopped the receiver early, or null. */
  failure: string | null;
  /** The receiver's --json report as it printed it (pair checks it), or null. */
  report: unknown;
  /** The receiver's stderr (its last lines). */
  stderr: string;
}
/** The failure serve reports when it stopped the receiver because the pair said its sender never ran. */
export const SENDER_DID_NOT_RUN = 'the sender did not run';

export type Message = HelloMessage | ChallengeMessage | AuthMessage | RefusedMessage | ErrorMessage | RunRequest
  | ReadyMessage | PingMessage | SentMessage | AbortMessage | ReportMessage;

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const isStr = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The message as `type`, with its fields checked, or null. */
export function expect<T extends Message['type']>(m: Message, type: T): Extract<Message, { type: T }> | null {
  if (m.type !== type) return null;
  const o = m as unknown as Record<string, unknown>;
  const ok = ((): boolean => {
    switch (type) {
      case 'hello': return isInt(o.version) && typeof o.nonce === 'string';
      case 'challenge': return isInt(o.version) && typeof o.nonce === 'string' && typeof o.proof === 'string';
      case 'auth': return typeof o.proof === 'string';
      case 'refused': case 'error': return typeof o.message === 'string';
      case 'ready': return Array.isArray(o.receiverArgv) && o.receiverArgv.length < 64 && o.receiverArgv.every((a) => isStr(a, 4096));
      case 'sent': return typeof o.ok === 'boolean';
      case 'abort': return typeof o.reason === 'string';
      case 'report': return (o.exitCode === null || isInt(o.exitCode)) && (o.signal === null || isStr(o.signal, 32)) &&
        typeof o.timedOut === 'boolean' && (o.failure === null || typeof o.failure === 'string') &&
        typeof o.stderr === 'string';
      default: return true; // run: checked against serve's policy (policy.ts)
    }
  })();
  return ok ? m as Extract<Message, { type: T }> : null;
}

export type EndReason = 'closed' | 'reset' | 'error' | 'oversized' | 'garbage' | 'forged' | 'flood' | 'silent' | 'local' | 'frozen';
export interface Ended { reason: EndReason; detail: string }
export type Incoming = { msg: Message } | { end: Ended } | { timeout: true };

/**
 * One control connection: bounded lines in, JSON messages out, sealed once
 * `secure` is called, a heartbeat once `startHeartbeat` is. Never throws for
 * the peer's doing: a connection that misbehaves ends, with a reason.
 */
export class Connection {
  private buf = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private sealer: Sealer | null = null;
  private opener: Opener | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly endListeners: Array<(e: Ended) => void> = [];
  ended: Ended | null = null;
  /** When the peer last sent anything. */
  lastHeard = Date.now();
  /** When the heartbeat last ran (null before it starts): how a stop of this process is told from the peer's silence. */
  private beat: number | null = null;
  /** The last stop of this process noticed (noteStop): when it was noticed, and how long it was. */
  private stop: { at: number; ms: number } | null = null;

  /**
   * The peer drops us SILENCE_MS after our last ping, which went out at the
   * last beat: a beat that much late (less one ping period for the timers'
   * slack) means this process was not running (SIGSTOP, a suspended host).
   */
  private noteStop(): void {
    if (this.beat === null) return;
    const now = Date.now();
    if (now - this.beat > SILENCE_MS - PING_MS && (!this.stop || this.stop.at < this.beat)) this.stop = { at: now, ms: now - this.beat };
  }

  constructor(readonly sock: Socket, private maxLine: number) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    sock.on('end', () => this.finish('closed', 'the peer closed the connection'));
    sock.on('close', () => this.finish('closed', 'the connection closed'));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      this.finish(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'reset' : 'error', e.code ?? e.message);
    });
  }

  private onData(d: string): void {
    if (this.ended) return;
    this.noteStop();
    this.lastHeard = Date.now();
    this.buf += d;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      if (line.length > this.maxLine) return this.fail('oversized', `a line over ${this.maxLine} bytes`);
      if (!line.trim()) continue;
      if (this.lines.length >= MAX_QUEUE) return this.fail('flood', `more than ${MAX_QUEUE} lines unanswered`);
      this.lines.push(line);
    }
    if (this.buf.length > this.maxLine) return this.fail('oversized', `a line over ${this.maxLine} bytes`);
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private finish(reason: EndReason, detail: string): void {
    if (this.ended) return;
    // This process did not run for longer than the peer waits (SIGSTOP, a suspended host): whatever the peer
    // did meanwhile (it dropped us as silent), the silence was ours.
    // Whatever this process did first when it ran again (read the peer's last lines, ran the heartbeat), the
    // stop it noticed then is the cause of an end that follows within the peer's wait.
    this.noteStop();
    if (this.stop && reason !== 'local' && Date.now() - this.stop.at <= SILENCE_MS + PING_MS) {
      reason = 'frozen';
      detail = `this process was stopped for ${(this.stop.ms / 1000).toFixed(1)} s`;
    }
    this.ended = { reason, detail };
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.wake();
    for (const l of this.endListeners.splice(0)) l(this.ended);
  }

  /** End the connection for the peer's misbehaviour (or silence): destroy it at once. */
  fail(reason: EndReason, detail: string): void {
    this.finish(reason, detail);
    this.sock.destroy();
  }

  /** Called once when the connection ends, however it ends (at once when it has). */
  onEnd(listener: (e: Ended) => void): void {
    if (this.ended) listener(this.ended);
    else this.endListeners.push(listener);
  }

  /** Longest line accepted from now on. */
  setMaxLine(n: number): void {
    this.maxLine = n;
  }

  /** From now on every line both ways is sealed (auth.ts). */
  secure(key: Buffer, out: Direction, into: Direction): void {
    this.sealer = new Sealer(key, out);
    this.opener = new Opener(key, into);
  }

  /** Send a message; false when the connection can no longer take it. */
  send(m: Message): boolean {
    if (this.ended || this.sock.destroyed || !this.sock.writable) return false;
    if (this.sock.writableLength > MAX_BACKLOG) {
      this.fail('silent', 'the peer stopped reading');
      return false;
    }
    const body = JSON.stringify(m);
    this.sock.write(`${this.sealer ? this.sealer.seal(body) : body}\n`);
    return true;
  }

  /** Send a last message (if any), close our side, and destroy the socket shortly after. */
  close(last?: Message): void {
    if (last) this.send(last);
    this.finish('local', 'closed here');
    if (!this.sock.destroyed) this.sock.end();
    setTimeout(() => this.sock.destroy(), LINGER_MS).unref();
  }

  private decode(line: string): Message | null {
    let body: string | null = line;
    if (this.opener) {
      body = this.opener.open(line);
      if (body === null) {
        this.fail('forged', 'a line that fails its message authentication');
        return null;
      }
    }
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch {
      this.fail('garbage', `not JSON: "${shown(body, 40)}"`);
      return null;
    }
    if (!isObject(v) || typeof v.type !== 'string') {
      this.fail('garbage', 'a line that is not a message');
      return null;
    }
    return v as unknown as Message;
  }

  /** The next message (pings are taken as they come), the end, or a timeout. */
  async next(timeoutMs: number): Promise<Incoming> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.shift();
      if (line !== undefined) {
        const m = this.decode(line);
        if (!m) return { end: this.ended as Ended };
        if (m.type === 'ping') continue;
        return { msg: m };
      }
      if (this.ended) return { end: this.ended };
      const left = deadline - Date.now();
      if (left <= 0) return { timeout: true };
      await new Promise<void>((resolve) => {
        const t = Number.isFinite(left) ? setTimeout(resolve, left) : null;
        this.waiter = () => {
          if (t) clearTimeout(t);
          resolve();
        };
      });
      this.waiter = null;
    }
  }

  /** Ping every PING_MS; end the connection as 'silent' once the peer has said nothing for SILENCE_MS. */
  startHeartbeat(): void {
    if (this.ended) return;
    this.lastHeard = Date.now();
    this.beat = Date.now();
    this.sock.setKeepAlive?.(true, 1000);
    const t = setInterval(() => {
      // A beat far too late means this process was stopped (noteStop); finish() names that as the cause.
      this.noteStop();
      const quiet = Date.now() - this.lastHeard;
      if (quiet > SILENCE_MS) this.fail('silent', `no word for ${(quiet / 1000).toFixed(1)} s`);
      else this.send({ type: 'ping' });
      this.beat = Date.now();
    }, PING_MS);
    this.timers.push(t);
  }
}

/** One line for how a connection ended, as "<who> <what>". */
export function endText(e: Ended): string {
  switch (e.reason) {
    case 'closed': return 'closed the connection';
    case 'reset': return `reset the connection (${e.detail})`;
    case 'silent': return `went silent (${e.detail})`;
    case 'oversized': return `sent ${e.detail}`;
    case 'forged': return `sent ${e.detail}`;
    case 'flood': return `sent ${e.detail}`;
    case 'garbage': return `sent ${e.detail}`;
    case 'local': return 'was closed here';
    case 'frozen': return `was lost while this side fell silent itself: ${e.detail} (SIGSTOP, or a suspended host), longer than the other side waits`;
    default: return `failed (${e.detail})`;
  }
}
