// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy pair` (host A): ask the serve on host B for a receiver, run
// our classic sender (a child of the same executable, `--json`) once it
// listens, then print both classic lines, a summary and, with --json, one
// object with both reports.

import { connect, type Socket } from 'node:net';
import { RunControl, signalExitCode } from '../core/control.js';
import { RunError } from '../core/errors.js';
import { megabytes } from '../report/report.js';
import { ownCommand, spawnChild, type ChildResult } from '../lab/child.js';
import { LineReader, PROTOCOL_VERSION, receiveMode, send, type Message, type ReportMessage } from './protocol.js';
import { hostPort } from './serve.js';

export interface PairOptions {
  family: 4 | 6;
  /** -D: host B's address (data and control). */
  host: string;
  controlPort: number;
  /** Sender test (tcp, udp, raw, …). */
  test: string;
  port: number;
  size: number;
  /** Sender -t in seconds. */
  secs: number;
  /** UDP cork calls per datagram (0 = off), for the loss figure. */
  cork: number;
  /** The sender's classic argv (without the executable), --json included. */
  senderArgs: string[];
  json: boolean;
  connectTimeoutMs: number;
  slackMs: number;
}

export interface PairIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

const runtimeMs = (secs: number): number => 200 + secs * 1000;
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export interface PairSummary {
  test: string;
  txPackets: number | null;
  txBytes: number | null;
  rxPackets: number | null;
  rxBytes: number | null;
  /** tcp: the receiver got every byte sent. */
  bytesMatch: boolean | null;
  /** udp: datagrams sent (sends / cork calls) and the share not received. */
  datagramsSent: number | null;
  loss: number | null;
}

/** Compare the two sides. Pure; exported for tests. */
export function summarizePair(test: string, cork: number, sender: Record<string, unknown> | null,
  receiver: Record<string, unknown> | null): PairSummary {
  const txPackets = num(sender?.packets);
  const txBytes = num(sender?.bytes);
  const rxPackets = num(receiver?.packets);
  const rxBytes = num(receiver?.bytes);
  const s: PairSummary = {
    test, txPackets, txBytes, rxPackets, rxBytes, bytesMatch: null, datagramsSent: null, loss: null,
  };
  if (test === 'tcp') {
    if (txBytes !== null && rxBytes !== null) s.bytesMatch = txBytes === rxBytes;
  } else if (txPackets !== null) {
    s.datagramsSent = cork > 0 ? Math.floor(txPackets / cork) : txPackets;
    if (rxPackets !== null && s.datagramsSent > 0) s.loss = Math.max(0, (s.datagramsSent - rxPackets) / s.datagramsSent);
  }
  return s;
}

export function summaryLines(s: PairSummary): string[] {
  const mb = (b: number | null): string => (b === null ? '?' : `${megabytes(b)} MB`);
  const lines = [`pair: tx ${s.txPackets ?? '?'} sends (${mb(s.txBytes)}), rx ${s.rxPackets ?? '?'} reads (${mb(s.rxBytes)})`];
  if (s.bytesMatch === true) lines.push(`pair: tcp: all ${s.txBytes} bytes arrived`);
  else if (s.bytesMatch === false) lines.push(`pair: tcp: sent ${s.txBytes} bytes, received ${s.rxBytes} (${(s.txBytes ?? 0) - (s.rxBytes ?? 0)} missing)`);
  if (s.loss !== null) {
    lines.push(`pair: ${s.test}: ${s.datagramsSent} datagrams sent, ${s.rxPackets} received, loss ${(s.loss * 100).toFixed(2)}%`);
  }
  return lines;
}

function connectError(e: NodeJS.ErrnoException, o: PairOptions): RunError {
  const where = hostPort(o.host, o.controlPort);
  const serveCmd = `msg-zerocopy serve -${o.family} -D ${o.host}${o.controlPort !== 8001 ? ` --control-port ${o.controlPort}` : ''}`;
  switch (e.code) {
    case 'ECONNREFUSED':
      return new RunError(`pair: nothing listens on the control port ${where} (connection refused)`,
        `run \`${serveCmd}\` on ${o.host} first`);
    case 'ETIMEDOUT':
    case 'timeout':
      return new RunError(`pair: no answer from the control port ${where} within ${o.connectTimeoutMs / 1000} s`,
        `is \`${serveCmd}\` running on ${o.host}, and TCP port ${o.controlPort} open in its firewall?`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new RunError(`pair: cannot reach ${o.host} for the control port ${o.controlPort} (${e.code})`,
        `check -D and the route to ${o.host}`);
    default:
      return new RunError(`pair: control connection to ${where} failed: ${e.message}`,
        `run \`${serveCmd}\` on ${o.host}`);
  }
}

function open(o: PairOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: o.host, port: o.controlPort, family: o.family, noDelay: true });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(connectError(Object.assign(new Error('timeout'), { code: 'timeout' }), o));
    }, o.connectTimeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(connectError(e, o));
    });
  });
}

/** Run one pair. Resolves with the exit status; throws RunError for control failures. */
export async function runPair(o: PairOptions, io: PairIO): Promise<number> {
  const where = hostPort(o.host, o.controlPort);
  const sock = await open(o);
  const reader = new LineReader(sock);
  sock.on('error', () => { /* reported through the reader */ });
  let interrupted: string | null = null;
  let sender: ReturnType<typeof spawnChild> | null = null;
  const ctl = new RunControl().install({
    stop: (sig) => {
      interrupted = sig;
      send(sock, { type: 'abort' });
      sender?.kill('SIGINT');
    },
  });
  const closed = (what: string): RunError => new RunError(`pair: serve at ${where} closed the control connection ${what}`,
    reader.error ? reader.error.message : `see the serve's log on ${o.host}`);

  try {
    send(sock, {
      type: 'run', version: PROTOCOL_VERSION, family: o.family, test: receiveMode(o.test), port: o.port, size: o.size,
      secs: o.secs + 1,
    });
    let ready: Message | null;
    try {
      ready = await reader.next(10000);
    } catch {
      throw new RunError(`pair: serve at ${where} did not start its receiver within 10 s`, `see the serve's log on ${o.host}`);
    }
    if (interrupted) return signalExitCode(interrupted);
    if (ready === null) throw closed('before its receiver was ready');
    if (ready.type === 'error') throw new RunError(`pair: serve at ${where}: ${ready.message}`);
    if (ready.type !== 'ready') throw new RunError(`pair: serve at ${where} answered ${ready.type}, not ready`);

    sender = spawnChild(ownCommand(o.senderArgs), {
      deadlineMs: runtimeMs(o.secs) + 500 + o.slackMs,
      detached: true,
      onStderrLine: (l) => { if (l.trim()) io.err(`${l}\n`); },
    });
    const tx: ChildResult = await sender.done;
    // A sender that ran (even one whose -Z expectation failed) lets the
    // receiver finish; one that never sent stops it early.
    const senderRan = tx.report !== null && typeof tx.report.error !== 'string' && tx.signal === null && !tx.timedOut;
    send(sock, { type: 'sent', ok: senderRan });

    let report: Message | null;
    try {
      report = await reader.next(runtimeMs(o.secs + 1) + 400 + o.slackMs + 5000);
    } catch {
      throw new RunError(`pair: no report from the serve at ${where}`, `see the serve's log on ${o.host}`);
    }
    if (report === null) throw closed('before sending the receiver\'s report');
    if (report.type === 'error') throw new RunError(`pair: serve at ${where}: ${report.message}`);
    if (report.type !== 'report') throw new RunError(`pair: serve at ${where} answered ${report.type}, not a report`);
    const rx = report as ReportMessage;
    for (const l of rx.stderr.split('\n').map((x) => x.trim()).filter(Boolean)) {
      io.err(/^rx=\d/.test(l) ? `${l}\n` : `receiver on ${o.host}: ${l}\n`);
    }

    const summary = summarizePair(o.test, o.cork, tx.report, rx.report);
    const txError = tx.report && typeof tx.report.error === 'string' ? tx.report.error : null;
    const txCode = tx.exitCode ?? (tx.signal ? signalExitCode(tx.signal) : 1);
    const rxCode = rx.exitCode ?? (rx.signal ? signalExitCode(rx.signal) : 1);
    let exitCode = interrupted ? signalExitCode(interrupted) : txCode !== 0 ? txCode : rxCode !== 0 ? 1 : 0;
    if (!interrupted && exitCode === 0 && summary.bytesMatch === false) exitCode = 1;
    if (o.json) {
      io.out(`${JSON.stringify({
        tool: 'msg-zerocopy', command: 'pair', control: where, exitCode,
        sender: tx.report ?? { role: 'sender', error: tx.stderr.trim().split('\n').pop() ?? null, exitStatus: tx.exitCode },
        receiver: rx.report ?? { role: 'receiver', error: rx.stderr.trim().split('\n').pop() ?? null, exitStatus: rx.exitCode },
        summary,
      })}\n`);
    }
    const lines = txError || summary.txPackets === null
      ? [`pair: the sender failed (exit ${tx.exitCode ?? tx.signal}${txError ? `: ${txError}` : ''}); the receiver was stopped`]
      : summaryLines(summary);
    if (o.json) io.err(`${lines.join('\n')}\n`);
    else io.out(`${lines.join('\n')}\n`);
    return exitCode;
  } finally {
    ctl.uninstall();
    sock.destroy();
  }
}
