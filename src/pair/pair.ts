// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy pair` (host A): prove to the serve on host B that we hold
// the shared secret (and make it prove the same first), ask it for a
// receiver, run our classic sender (a child of the same executable,
// `--json`) once the receiver's own socket is bound, and print both classic
// lines, a summary and, with --json, one object with both reports. With
// -P n the sender is our multi-flow sender (src/flows) and serve starts a
// receiver of as many flows: the lines are each side's [k] and [SUM], the
// summary and --json hold the aggregate reports (with their `flows`). The
// control connection is watched the whole time: a serve that dies or goes
// silent stops the sender within seconds.

import { environmentOf } from '../environment/environment.js';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { RunControl, signalExitCode } from '../core/control.js';
import { RunError } from '../core/errors.js';
import { childError, type Child, type ChildResult } from '../run/child.js';
import { checkReport, isErrorReport, readReport } from '../report/read.js';
import type { ClassicReport } from '../report/report.js';
import { receiverDeadlineMs, type SenderSpec } from '../run/classic.js';
import { launch } from '../run/launch.js';
import { senderRan } from '../run/run.js';
import { HAND_BUILT_TESTS, receiveMode, type RxMode } from '../core/vocabulary.js';
import { flowsStartSecs } from '../flows/plan.js';
import { checkProof, decodeNonce, encodeNonce, newNonce, proof, sessionKey } from './auth.js';
import { senderPath } from './path.js';
import {
  Connection, DEFAULT_CONTROL_PORT, endText, expect, MAX_LINE, MAX_REPORT_LINE, PROTOCOL_VERSION, receiverReadyMs, SENDER_DID_NOT_RUN, SILENCE_MS,
  type Ended, type ReadyMessage, type ReportMessage, type RunRequest,
} from './protocol.js';
import { summarizePair, summaryLines, type PairSummary } from './summary.js';
import { freeSourcePorts, newPatternSeed } from './source.js';
import { hostPort, plainAddress, shown } from './text.js';

export interface PairOptions {
  /** -D: host B's address (data and control). */
  host: string;
  controlPort: number;
  /** The sender to run, with every classic flag pair was given (run/classic.ts senderSpecOf). */
  sender: SenderSpec;
  /** The shared secret (secret.ts). */
  secret: Buffer;
  json: boolean;
  connectTimeoutMs: number;
  slackMs: number;
  /** --rx and --expect-mapped for serve's receiver (absent: trunc). */
  rx?: { mode: RxMode; expectMapped: number | null };
}

export interface PairIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** How long pair waits for serve's challenge once connected. */
const HANDSHAKE_WAIT_MS = 5000;
/** How long pair waits for "ready" beyond serve's own wait for the receiver's sockets (protocol.ts receiverReadyMs): its checks. */
const READY_MARGIN_MS = 10000;
/** Beyond the receiver's own deadline: how long pair waits for the report. */
const REPORT_MARGIN_MS = 5000;
/** Receiver output lines shown at most (and one more per flow and the sum for a run of several flows). */
const RX_LINES = 20;

function connectError(e: NodeJS.ErrnoException, o: PairOptions): RunError {
  const where = hostPort(o.host, o.controlPort);
  const family = o.sender.family;
  const serveCmd = `msg-zerocopy serve -${family} -D ${o.host}${o.controlPort !== DEFAULT_CONTROL_PORT ? ` --control-port ${o.controlPort}` : ''}`;
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
      return new RunError(`pair: control connection to ${where} failed: ${e.message}`, `run \`${serveCmd}\` on ${o.host}`);
  }
}

function open(o: PairOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: o.host, port: o.controlPort, family: o.sender.family, noDelay: true });
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

/** pair's half of the handshake (auth.ts): serve proves first, then we do; the connection is sealed after. */
async function handshake(conn: Connection, o: PairOptions, where: string): Promise<void> {
  const pairNonce = newNonce();
  conn.send({ type: 'hello', version: PROTOCOL_VERSION, nonce: encodeNonce(pairNonce) });
  const n = await conn.next(HANDSHAKE_WAIT_MS);
  if ('timeout' in n) {
    throw new RunError(`pair: ${where} accepted the connection but sent no challenge within ${HANDSHAKE_WAIT_MS / 1000} s`,
      'is that port a msg-zerocopy serve of this release?');
  }
  if ('end' in n) throw new RunError(`pair: ${where} ${endText(n.end)} during the handshake`, `see the serve's log on ${o.host}`);
  const err = expect(n.msg, 'error');
  if (err) throw new RunError(`pair: serve at ${where}: ${shown(err.message)}`);
  const ch = expect(n.msg, 'challenge');
  if (!ch) throw new RunError(`pair: ${where} is not a msg-zerocopy serve (it answered "${shown(n.msg.type, 20)}")`);
  if (ch.version !== PROTOCOL_VERSION) {
    throw new RunError(`pair: serve at ${where} speaks protocol version ${ch.version}, this pair ${PROTOCOL_VERSION}`,
      'run the same msg-zerocopy release on both hosts');
  }
  const serveNonce = decodeNonce(ch.nonce);
  if (!serveNonce || serveNonce.equals(pairNonce) || !checkProof(o.secret, 'serve', pairNonce, serveNonce, ch.proof)) {
    conn.close({ type: 'refused', message: 'your proof does not match my secret' });
    throw new RunError(`pair: serve at ${where} could not prove it holds our secret: the two secret files differ ` +
      '(or this is not your serve); nothing was asked of it', `copy the secret from ${o.host} again`);
  }
  conn.send({ type: 'auth', proof: proof(o.secret, 'pair', pairNonce, serveNonce) });
  conn.secure(sessionKey(o.secret, pairNonce, serveNonce), 'pair>serve', 'serve>pair');
  conn.setMaxLine(MAX_REPORT_LINE);
  conn.startHeartbeat();
}

/** What a stop signal reaches: the sender once it runs. */
interface PairState {
  interrupted: NodeJS.Signals | null;
  sender: Child | null;
}

/** How long pair waits for "ready" for a run of `flows`. */
const readyWaitMs = (flows: number): number => receiverReadyMs(flows) + READY_MARGIN_MS;

/** Ask serve for a receiver matching `spec`; its answer (or the end of the wait). */
async function askReceiver(conn: Connection, spec: SenderSpec, origin: Pick<RunRequest, 'source' | 'seed'>, rx: PairOptions['rx']):
  Promise<Awaited<ReturnType<Connection['next']>>> {
  const flows = spec.flows ?? 1;
  conn.send({
    type: 'run', family: spec.family, test: receiveMode(spec.test), senderTest: spec.test, port: spec.port, flows,
    size: spec.size ?? 0, secs: spec.secs + 1, client: hostname().slice(0, 64), source: origin.source, seed: origin.seed,
    rx: rx?.mode ?? 'trunc', expectMapped: rx?.expectMapped ?? null,
  });
  return conn.next(readyWaitMs(flows));
}

/** serve's answer as "ready", or the RunError that says why not. */
function readyFrom(r: Awaited<ReturnType<Connection['next']>>, where: string, flows: number, gone: (e: Ended, when: string) => RunError): ReadyMessage {
  if ('timeout' in r) throw new RunError(`pair: serve at ${where} did not start its receiver within ${readyWaitMs(flows) / 1000} s`);
  if ('end' in r) throw gone(r.end, 'before its receiver was ready');
  const err = expect(r.msg, 'error');
  if (err) throw new RunError(`pair: serve at ${where}: ${shown(err.message)}`);
  const ready = expect(r.msg, 'ready');
  if (!ready) throw new RunError(`pair: serve at ${where} answered "${shown(r.msg.type, 20)}", not ready`);
  return ready;
}

/** What the control connection said while the sender ran. */
interface Watched {
  lost: Ended | null;
  lostWhileSending: boolean;
  last: ReportMessage | null;
  serveError: string | null;
  malformed: string | null;
}

/** Watch the control connection: a report (or refusal) ends the watch; the connection ending first stops the sender. */
function watchServe(conn: Connection, st: PairState): { done: Promise<void>; seen: Watched } {
  const seen: Watched = { lost: null, lostWhileSending: false, last: null, serveError: null, malformed: null };
  const done = (async () => {
    for (;;) {
      const n = await conn.next(Infinity);
      if ('end' in n) {
        seen.lost = n.end;
        seen.lostWhileSending = !st.sender?.exited;
        st.sender?.kill('SIGTERM');
        return;
      }
      if (!('msg' in n)) continue;
      const rep = expect(n.msg, 'report');
      const e = expect(n.msg, 'error');
      if (rep) seen.last = rep;
      else if (e) seen.serveError = shown(e.message);
      else seen.malformed = n.msg.type === 'report' ? 'a report message with missing or mistyped fields' : `an unexpected "${shown(n.msg.type, 20)}" message`;
      return;
    }
  })();
  return { done, seen };
}

/** The sender's run, watched, and serve's answer after it. */
interface Sent {
  args: string[];
  tx: ChildResult;
  txReport: ClassicReport | null;
  /** The sender's own error lines, held until the outcome is known. */
  held: string[];
  seen: Watched;
  timedOut: boolean;
  reportWait: number;
}

/** Run the sender while watching serve, tell serve how it went, wait for the receiver's report. */
async function sendAndWatch(conn: Connection, o: PairOptions, io: PairIO, spec: SenderSpec, st: PairState): Promise<Sent> {
  // The sender's lines are shown as they come, but its own error line is
  // held until the outcome is known: when serve went away, the sender's
  // "connection reset" is a consequence, told in pair's one line.
  const held: string[] = [];
  // A sender of several flows is given their start-up too (flows/plan.ts), as serve gives its receiver: a run serve accepted completes.
  const started = launch({
    spec, slackMs: o.slackMs + 1000 * flowsStartSecs(spec.flows ?? 1), detached: true, onStderrLine: (l) => {
      if (!l.trim()) return;
      if (/^msg-zerocopy: /.test(l)) held.push(l);
      else io.err(`${l}\n`);
    },
  });
  st.sender = started.child;
  const watch = watchServe(conn, st);
  const tx: ChildResult = await started.child.done;
  const txReport = readReport(tx.stdout);
  if (st.interrupted) conn.send({ type: 'abort', reason: st.interrupted });
  else conn.send({ type: 'sent', ok: senderRan(tx) && tx.signal === null && !tx.timedOut });
  // The receiver runs one second longer than the sender (the request's secs), and a receiver of several flows longer
  // by their start-up (serve adds it, flows/plan.ts).
  const reportWait = receiverDeadlineMs(spec.secs + 1 + flowsStartSecs(spec.flows ?? 1), o.slackMs) + REPORT_MARGIN_MS;
  let timedOut = false;
  await Promise.race([watch.done, new Promise<void>((resolve) => setTimeout(() => { timedOut = true; resolve(); }, reportWait).unref())]);
  return { args: started.args, tx, txReport, held, seen: watch.seen, timedOut, reportWait };
}

/**
 * Where the sender sends from and its pattern seed, for the run request, and
 * the sender spec that does so (--bind, --pattern-seed). tcp and udp: `local`
 * (the address our control connection came from) and free ports on it; raw:
 * that address only; the hand-built tests (raw_hdrincl, packet,
 * packet_dgram): the source their header says (-S).
 */
async function senderOrigin(spec: SenderSpec, mode: 'tcp' | 'udp' | 'raw', local: string | null, flows: number):
  Promise<{ spec: SenderSpec; source: { address: string; port: number }; seed: string | null }> {
  const seed = mode === 'tcp' ? null : newPatternSeed();
  const withSeed = seed ? { ...spec, patternSeed: seed } : spec;
  if (HAND_BUILT_TESTS.includes(spec.test)) {
    const address = spec.src ?? local;
    if (!address) throw new RunError('pair: cannot tell the source address of the control connection');
    return { spec: withSeed, source: { address, port: 0 }, seed };
  }
  if (!local) throw new RunError('pair: cannot tell the source address of the control connection');
  if (mode === 'raw') return { spec: { ...withSeed, bind: { addr: local, port: 0 } }, source: { address: local, port: 0 }, seed };
  const first = await freeSourcePorts(mode, spec.family, local, flows);
  if (first === null) {
    throw new RunError(`pair: found no ${flows > 1 ? `${flows} consecutive free ports` : 'free port'} on ${local} for the sender to send from`,
      'free some ephemeral ports, or use fewer flows');
  }
  return { spec: { ...withSeed, bind: { addr: local, port: first } }, source: { address: local, port: first }, seed };
}

/** Run one pair. Resolves with the exit status; throws RunError for control failures. */
export async function runPair(o: PairOptions, io: PairIO): Promise<number> {
  const where = hostPort(o.host, o.controlPort);
  const conn = new Connection(await open(o), MAX_LINE);
  const st: PairState = { interrupted: null, sender: null };
  const ctl = new RunControl().install({
    stop: (sig) => {
      st.interrupted = sig;
      // A running sender is stopped first (its partial counts are kept),
      // then serve is told; without one, serve is told at once.
      if (st.sender && !st.sender.exited) st.sender.kill('SIGTERM');
      else conn.send({ type: 'abort', reason: sig });
    },
  });
  const gone = (e: Ended, when: string): RunError => (e.reason === 'frozen'
    // Our own silence, not serve's: say so first.
    ? new RunError(`pair: this pair fell silent itself (${e.detail}, by SIGSTOP or a suspended host) ${when}, so serve at ${where} ` +
      `dropped it after ${SILENCE_MS / 1000} s`, 'keep pair running for the whole run')
    : new RunError(`pair: serve at ${where} ${endText(e)} ${when}`, `see the serve's log on ${o.host}`));

  try {
    await handshake(conn, o, where);
    let spec = await senderPath(o.sender, o.host, (l) => io.err(`${l}\n`));
    if (st.interrupted) return signalExitCode(st.interrupted);
    // The receiver takes only this sender: its address (the one serve sees us at), its ports, its payload pattern.
    const origin = await senderOrigin(spec, receiveMode(spec.test), plainAddress(conn.sock.localAddress), spec.flows ?? 1);
    if (st.interrupted) return signalExitCode(st.interrupted);
    spec = origin.spec;
    const answer = await askReceiver(conn, spec, origin, o.rx);
    if (st.interrupted) return signalExitCode(st.interrupted);
    const ready = readyFrom(answer, where, spec.flows ?? 1, gone);
    const sent = await sendAndWatch(conn, o, io, spec, st);
    conn.close();
    const { lost, lostWhileSending, last, serveError, malformed } = sent.seen;
    if (lost && !last && lostWhileSending) {
      const saw = sent.held.map((l) => l.replace(/^msg-zerocopy: /, '')).join('; ');
      throw gone(lost, `during the run; the sender was stopped${saw ? ` (it saw: ${saw})` : ''}`);
    }
    for (const l of sent.held) io.err(`${l}\n`);
    if (lost && !last) throw gone(lost, 'before sending the receiver\'s report');
    if (st.interrupted && !last) return signalExitCode(st.interrupted);
    if (serveError) throw new RunError(`pair: serve at ${where}: ${serveError}`);
    if (malformed) throw new RunError(`pair: serve at ${where} sent ${malformed} instead of the receiver's report`);
    if (sent.timedOut || !last) throw new RunError(`pair: no report from the serve at ${where} within ${Math.round(sent.reportWait / 1000)} s`);
    return finishRun(o, io, where, sent.args, ready.receiverArgv, sent.tx, sent.txReport, last, st.interrupted);
  } finally {
    ctl.uninstall();
    conn.close();
  }
}

/** Both sides' lines, the summary, --json; the exit status. */
function finishRun(o: PairOptions, io: PairIO, where: string, senderArgv: string[], receiverArgv: string[], tx: ChildResult,
  txReport: ClassicReport | null, rx: ReportMessage, interrupted: NodeJS.Signals | null): number {
  const flows = o.sender.flows ?? 1;
  for (const l of rx.stderr.split('\n').map((x) => x.trim()).filter(Boolean).slice(-(RX_LINES + (flows > 1 ? flows + 1 : 0)))) {
    // The classic line, as it is; with several flows each flow's ([k]) and the sum's ([SUM]).
    io.err(/^(\[(\d+|SUM)\] )?rx=\d+ \(\d+ MB\)$/.test(l) ? `${l}\n` : `receiver on ${o.host}: ${shown(l)}\n`);
  }
  let rxReport: ClassicReport | null = null;
  let rxProblem: string | null = null;
  if (rx.report === null || rx.report === undefined) {
    rxProblem = 'the receiver printed no report';
  } else {
    const c = checkReport(rx.report);
    if (c.ok && c.report.role === 'receiver') rxReport = c.report;
    else rxProblem = `the receiver's report is unusable (${c.ok ? 'it is not a receiver report' : c.reason})`;
  }
  const summary: PairSummary = summarizePair(o.sender.test, o.sender.cork ?? 0, txReport, rxReport, o.sender.flows ?? 1);
  const txError = isErrorReport(txReport) ? txReport.error : summary.sender === null ? childError(tx) ?? 'no report' : null;
  const txCode = tx.exitCode ?? (tx.signal ? signalExitCode(tx.signal) : 1);
  const rxCode = rx.exitCode ?? (rx.signal ? signalExitCode(rx.signal) : 1);
  // serve stopped the receiver for a reason of its own (it stopped, it lost us), not because the sender failed
  const stopped = rx.failure !== null && rx.failure !== SENDER_DID_NOT_RUN ? shown(rx.failure) : null;
  const nothingArrived = summary.loss === 1;
  // More arrived than was sent: traffic that was not ours was counted. Never "0 % loss": a failure, said in one line.
  const excess = summary.excess !== null && !stopped && !txError
    ? `pair: foreign traffic reached the receiver on ${o.host}: it counted ${summary.excess} ` +
      `${summary.test === 'tcp' ? 'bytes' : 'datagrams'} more than this sender sent, so its numbers are not this run's`
    : null;

  let exitCode: number;
  if (interrupted) exitCode = signalExitCode(interrupted);
  else if (stopped) exitCode = 1;
  else if (txCode !== 0) exitCode = txCode;
  else exitCode = rxCode !== 0 || rxProblem || summary.bytesMatch === false || nothingArrived || excess ? 1 : 0;

  const lines: string[] = [];
  if (!txError) lines.push(...summaryLines(summary));
  const txFailed = txError ? `(exit ${tx.exitCode ?? tx.signal}: ${shown(txError)})` : '';
  if (stopped) lines.push(`pair: serve stopped the receiver: ${stopped}${txError ? `; the sender then failed ${txFailed}` : ''}`);
  else if (txError) lines.push(`pair: the sender failed ${txFailed}; the receiver was stopped`);
  if (excess) lines.push(excess);
  if (rxProblem && !txError) lines.push(`pair: ${rxProblem}; receiver on ${o.host} exit ${rx.exitCode ?? rx.signal}`);
  if (nothingArrived && !stopped && !interrupted) {
    lines.push(`pair: nothing arrived at ${o.host}: check the route and firewalls between the hosts` +
      (HAND_BUILT_TESTS.includes(o.sender.test) && o.sender.src === undefined ? ', and give -S (the hand-built header says 0.0.0.0)' : ''));
  }

  if (o.json) {
    io.out(`${JSON.stringify({
      tool: 'msg-zerocopy', command: 'pair', control: where, exitCode, senderArgv, receiverArgv,
      sender: txReport ?? { role: 'sender', error: txError, exitStatus: tx.exitCode },
      receiver: rxReport ?? { role: 'receiver', error: rxProblem, exitStatus: rx.exitCode },
      receiverEnd: { exitCode: rx.exitCode, signal: rx.signal, timedOut: rx.timedOut, stopped: rx.failure },
      summary,
      /** One environment block per host: this one's (the sender's) and the serving host's (its receiver's; egress null). */
      environment: { sender: environmentOf(txReport), receiver: environmentOf(rxReport) },
    })}\n`);
    io.err(`${lines.join('\n')}\n`);
  } else {
    io.out(`${lines.join('\n')}\n`);
  }
  return exitCode;
}
