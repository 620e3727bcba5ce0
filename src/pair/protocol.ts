// SPDX-License-Identifier: GPL-2.0-only
// The control protocol between `pair` (host A, sender) and `serve` (host B,
// receiver): one JSON object per line over a TCP connection.
//
//   A → B  {"type":"run", "version":1, family, test, port, size, secs}
//   B → A  {"type":"ready", argv, pid}          receiver is listening
//       or {"type":"error", message}            (and B closes)
//   A → B  {"type":"sent", ok}                  sender finished (ok: it ran)
//       or {"type":"abort"}                     stop the receiver now
//   B → A  {"type":"report", exitCode, report, stderr}
//
// `serve` validates every request: it starts nothing but our own receiver,
// from an argument array, with checked numbers.

import type { Socket } from 'node:net';

export const PROTOCOL_VERSION = 1;
export const RX_TESTS = ['tcp', 'udp', 'raw'] as const;
export type RxTest = (typeof RX_TESTS)[number];
/** Longest line either side accepts. */
export const MAX_LINE = 1 << 20;
/** Longest receiver run a serve accepts (seconds). */
export const MAX_SECS = 3600;

export interface RunRequest {
  type: 'run';
  version: number;
  family: 4 | 6;
  /** Receive mode: tcp, udp or raw (packet, packet_dgram and raw_hdrincl senders are received with raw). */
  test: RxTest;
  /** Data port. */
  port: number;
  /** Payload bytes (-s): the receiver checks every datagram against it. */
  size: number;
  /** Receiver -t (one more than the sender's, as the kernel driver). */
  secs: number;
}

export interface ReadyMessage { type: 'ready'; argv: string[]; pid: number | null }
export interface ErrorMessage { type: 'error'; message: string }
export interface SentMessage { type: 'sent'; ok: boolean }
export interface AbortMessage { type: 'abort' }
export interface ReportMessage {
  type: 'report';
  exitCode: number | null;
  signal: string | null;
  report: Record<string, unknown> | null;
  stderr: string;
}
export type Message = RunRequest | ReadyMessage | ErrorMessage | SentMessage | AbortMessage | ReportMessage;

/** Receive mode for a sender test, as the kernel driver and the suite pick it. */
export function receiveMode(test: string): RxTest {
  if (test === 'tcp' || test === 'udp') return test;
  return 'raw';
}

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/**
 * Check a run request from the network. Returns the request, or a one-line
 * reason it is refused.
 */
export function checkRunRequest(m: unknown, serve: { family: 4 | 6; controlPort: number; maxPayload: number }):
  { ok: true; req: RunRequest } | { ok: false; reason: string } {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return { ok: false, reason: 'not a JSON object' };
  const o = m as Record<string, unknown>;
  if (o.type !== 'run') return { ok: false, reason: `expected a run request, got type ${JSON.stringify(o.type)}` };
  if (o.version !== PROTOCOL_VERSION) {
    return { ok: false, reason: `protocol version ${JSON.stringify(o.version)} is not ${PROTOCOL_VERSION}: run the same msg-zerocopy release on both hosts` };
  }
  if (o.family !== 4 && o.family !== 6) return { ok: false, reason: 'family must be 4 or 6' };
  if (o.family !== serve.family) {
    return { ok: false, reason: `family mismatch: this serve runs -${serve.family}; run pair with -${serve.family} (or serve with -${o.family})` };
  }
  if (typeof o.test !== 'string' || !(RX_TESTS as readonly string[]).includes(o.test)) {
    return { ok: false, reason: `receive test must be one of ${RX_TESTS.join(', ')}` };
  }
  if (!isInt(o.port, 1, 65535)) return { ok: false, reason: 'port must be a whole number from 1 to 65535' };
  if (o.port === serve.controlPort && o.test === 'tcp') {
    return { ok: false, reason: `data port ${o.port} is this serve's control port: pick another -p` };
  }
  if (!isInt(o.size, 1, serve.maxPayload)) return { ok: false, reason: `size must be a whole number from 1 to ${serve.maxPayload}` };
  if (!isInt(o.secs, 0, MAX_SECS)) return { ok: false, reason: `secs must be a whole number from 0 to ${MAX_SECS}` };
  return {
    ok: true,
    req: { type: 'run', version: PROTOCOL_VERSION, family: o.family, test: o.test as RxTest, port: o.port, size: o.size, secs: o.secs },
  };
}

/** The receiver's classic argv for a request (without the executable). */
export function receiverArgv(req: RunRequest, bindAddr: string): string[] {
  return [`-${req.family}`, '-D', bindAddr, '-p', String(req.port), '-s', String(req.size), '-t', String(req.secs),
    '--json', '-r', req.test];
}

/** Parse one line; null when it is not a JSON object with a string `type`. */
export function parseMessage(line: string): Message | null {
  try {
    const v: unknown = JSON.parse(line);
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { type?: unknown }).type === 'string') {
      return v as Message;
    }
  } catch { /* not JSON */ }
  return null;
}

export function send(sock: Socket, m: Message): void {
  if (!sock.destroyed && sock.writable) sock.write(`${JSON.stringify(m)}\n`);
}

/**
 * Messages from a socket, one at a time. `next` resolves with the next
 * message, or null when the connection ends (or sends garbage), or rejects
 * with 'timeout' (never, with an infinite timeout).
 */
export class LineReader {
  private buf = '';
  private readonly queue: Array<Message | null> = [];
  private waiter: ((m: Message | null) => void) | null = null;
  private ended = false;
  /** Why the connection ended, when it was an error. */
  error: Error | null = null;

  constructor(sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      if (this.buf.length > MAX_LINE) {
        this.finish();
        sock.destroy();
        return;
      }
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i).trim();
        this.buf = this.buf.slice(i + 1);
        if (!line) continue;
        const m = parseMessage(line);
        this.push(m);
        if (!m) {
          this.finish();
          sock.destroy();
          return;
        }
      }
    });
    sock.on('error', (e) => { this.error = e; this.finish(); });
    sock.on('close', () => this.finish());
    sock.on('end', () => this.finish());
  }

  private push(m: Message | null): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(m);
    } else {
      this.queue.push(m);
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.push(null);
    this.ended = true;
  }

  next(timeoutMs: number): Promise<Message | null> {
    if (this.queue.length) return Promise.resolve(this.queue.shift() ?? null);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => {
        this.waiter = null;
        reject(new Error('timeout'));
      }, timeoutMs) : null;
      this.waiter = (m) => {
        if (timer) clearTimeout(timer);
        resolve(m);
      };
    });
  }
}
