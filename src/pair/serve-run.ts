// SPDX-License-Identifier: GPL-2.0-only
// One run serve does for an authenticated pair, step by step (the selftest's
// do_* habit): check that every data port is free, start our classic
// receiver and wait for its own sockets (nothing foreign on its ports), say
// "ready", watch the pair while the receiver runs, and send its report back.
import type { Family } from '../core/vocabulary.js';
import { flowsStartSecs } from '../flows/plan.js';
import { childError, type Child, type ChildResult } from '../run/child.js';
import type { ReceiverSpec } from '../run/classic.js';
import { launch } from '../run/launch.js';
import { treeSocketInodes } from '../run/ready.js';
import { describeHolders, heldPorts, type Holder } from './ports.js';
import {
  endText, expect, receiverReadyMs, SENDER_DID_NOT_RUN, type Connection, type ReportMessage, type RunRequest,
} from './protocol.js';
import { hostPort, shown } from './text.js';

/** What a run needs of serve's options. */
export interface RunSettings {
  family: Family;
  /** -D: this host's address; the control port and the receiver bind to it. */
  addr: string;
  /** Time a receiver may overrun its run before it is killed. */
  slackMs: number;
  /** Print one JSON line per run on stdout. */
  json: boolean;
  /** Stop after one run. */
  once: boolean;
}

export interface RunIO {
  out: (s: string) => void;
  err: (s: string) => void;
  /** serve's own log line. */
  log: (s: string) => void;
}

export type RunOutcome = 'none' | 'ok' | 'failed';

/** The receiver's output sent back: its last lines (and one per flow, and the sum), at most this much. */
const REPORT_STDERR_LINES = 20;
const REPORT_STDERR_CHARS = 16384;

/** The receiver's last stderr lines, bounded: 20, and one more per flow and the sum for a receiver of several flows. */
function stderrTail(s: string, flows: number): string {
  const lines = s.split('\n').filter((l) => l.trim()).slice(-(REPORT_STDERR_LINES + (flows > 1 ? flows + 1 : 0)));
  const text = lines.join('\n');
  return text.length > REPORT_STDERR_CHARS ? text.slice(text.length - REPORT_STDERR_CHARS) : text;
}

type Held = Array<{ port: number; holders: Holder[] }>;

/** One receiver run for an authenticated request. */
export class ServeRun {
  /** Why the run is being stopped (the pair aborted or went away, serve stops), or null. */
  stopWhy: string | null = null;
  child: Child | null = null;
  readonly flows: number;
  /** A receiver of several flows runs longer by their start-up (flows/plan.ts), and may take that much longer to be ready. */
  readonly secs: number;
  readonly readyMs: number;
  /** One phrase for the log and for a second pair told serve is busy. */
  readonly what: string;

  constructor(private readonly o: RunSettings, private readonly io: RunIO, private readonly conn: Connection,
    private readonly req: RunRequest, private readonly who: string) {
    this.flows = req.flows;
    this.secs = req.secs + flowsStartSecs(this.flows);
    this.readyMs = receiverReadyMs(this.flows);
    const last = req.port + this.flows - 1;
    this.what = this.flows > 1
      ? `${req.test} receiver -P ${this.flows} on ${hostPort(o.addr, req.port)}-${last}, -t ${this.secs}`
      : `${req.test} receiver on ${hostPort(o.addr, req.port)}, -t ${this.secs}`;
  }

  stop(why: string): void {
    if (this.stopWhy) return;
    this.stopWhy = why;
    this.child?.kill('SIGTERM');
  }

  /** Heartbeats on the control connection; the pair going away stops the receiver. */
  watchPair(): void {
    this.conn.startHeartbeat();
    this.conn.onEnd((e) => {
      if (e.reason === 'local' || this.child?.exited) return;
      this.io.log(`${this.who}: the pair ${endText(e)}; ${this.child ? 'stopping the receiver' : 'nothing started'}`);
      this.stop(`the pair ${endText(e)}`);
    });
  }

  /** " (flow k of -P n)" after a data port, for a run of several flows. */
  private flowOf(q: number): string {
    return this.flows > 1 ? ` (flow ${q - this.req.port} of -P ${this.flows})` : '';
  }

  /** The held ports (the first few) with their holders: "data port 9301 (flow 1 of -P 2) … (udp bound … held by …)". */
  private async heldText(held: Held, verb: string): Promise<string> {
    if (held.length === 1) return `data port ${held[0].port}${this.flowOf(held[0].port)} ${verb} (${await describeHolders(held[0].holders)})`;
    const parts = await Promise.all(held.slice(0, 3).map(async (h) => `${h.port}${this.flowOf(h.port)} (${await describeHolders(h.holders)})`));
    return `data ports ${parts.join(', ')}${held.length > 3 ? ` and ${held.length - 3} more` : ''} ${verb}`;
  }

  /** No byte to another program: every data port must be free of every socket. False: refused (the pair is told). */
  async portsFree(): Promise<boolean> {
    const held = await heldPorts(this.req.port, this.flows, this.req.test);
    if (held.length) {
      const line = `${await this.heldText(held, held.length > 1 ? 'are in use on this host' : 'is in use on this host')}; ` +
        'nothing was started: pick another -p';
      this.io.log(`${this.who}: refused: ${line}`);
      this.conn.close({ type: 'error', message: line });
      return false;
    }
    if (this.stopWhy) {
      this.conn.close({ type: 'error', message: this.stopWhy });
      return false;
    }
    return true;
  }

  /** Why a receiver that is ready may not run: another socket took one of its ports meanwhile; or null. */
  private async foreignHolders(rx: Child): Promise<string | null> {
    if (rx.pid === null) return null;
    // Readiness is the receiver's own sockets (its flows' for -P); and nothing but its sockets on its ports.
    // The holders first, then the receiver's own sockets: one it opens in between (a udp receiver's second
    // socket, for what is not its sender's) is its own, not another program's.
    const held = await heldPorts(this.req.port, this.flows, this.req.test);
    const own = await treeSocketInodes(rx.pid);
    const foreign = held
      .map((h) => ({ port: h.port, holders: h.holders.filter((x) => !own.has(x.inode)) }))
      .filter((h) => h.holders.length > 0);
    return foreign.length ? `another socket took ${await this.heldText(foreign, 'while the receiver started')}; the receiver was stopped` : null;
  }

  /** Start the receiver and wait for its own sockets; "ready" to the pair. Null: it did not start (the pair is told why). */
  async startReceiver(): Promise<{ rx: Child; args: string[] } | null> {
    const { o, req } = this;
    const spec: ReceiverSpec = {
      role: 'receiver', family: o.family, test: req.test, dst: o.addr, port: req.port, size: req.size, secs: this.secs, json: true,
      flows: this.flows > 1 ? this.flows : undefined, rxMode: req.rx, expectMapped: req.expectMapped,
      // Only the authenticated pair's sender is taken (and, udp and raw, only its payload pattern).
      peer: { addr: req.source.address, port: req.source.port }, patternSeed: req.seed ?? undefined,
    };
    this.io.log(`${this.who}: ${this.what}, -s ${req.size} (sender: ${req.senderTest})`);
    const from = req.test === 'raw' ? req.source.address : hostPort(req.source.address, req.source.port);
    this.io.log(`${this.who}: the receiver takes only the sender at ${from}${this.flows > 1 ? ' (flow k: port + k)' : ''}` +
      `${req.seed ? ' with the run\'s payload pattern' : ''}; anything else is counted as foreign`);
    const started = launch({
      spec, slackMs: o.slackMs, detached: true, onStderrLine: (l) => { if (l.trim()) this.io.err(`${l}\n`); },
      ready: { maxMs: this.readyMs, aborted: () => this.stopWhy !== null },
    });
    const rx = started.child;
    this.child = rx;
    const readiness = await started.ready;
    let refusal: string | null = null;
    if (readiness === 'ready') {
      refusal = await this.foreignHolders(rx);
    } else if (readiness === 'timeout') {
      refusal = `the receiver did not bind its socket${this.flows > 1 ? `s (${this.flows} flows)` : ''} within ${this.readyMs / 1000} s; it was stopped`;
    }
    if (readiness !== 'ready' || refusal || this.stopWhy) {
      if (readiness === 'ready') rx.kill('SIGTERM'); // a receiver that was not ready is being stopped (launch)
      const r = await rx.done;
      const why = refusal ?? this.stopWhy ?? `the receiver on ${o.addr} failed to start: ${startError(r, o.addr) ?? `exit ${r.exitCode ?? r.signal}`}`;
      this.io.log(`${this.who}: ${why}`);
      this.conn.close({ type: 'error', message: why });
      return null;
    }
    this.conn.send({ type: 'ready', receiverArgv: started.args });
    return { rx, args: started.args };
  }

  /** Until the receiver ends: the pair may say its sender never ran, or abort. */
  private async watchMessages(): Promise<void> {
    for (;;) {
      const n = await this.conn.next(Infinity);
      if (!('msg' in n)) return;
      const abort = expect(n.msg, 'abort');
      const sent = expect(n.msg, 'sent');
      if (abort) {
        this.io.log(`${this.who}: the pair aborted (${shown(abort.reason, 80)}); stopping the receiver`);
        this.stop(`the pair aborted (${shown(abort.reason, 80)})`);
      } else if (sent && !sent.ok) {
        this.stop(SENDER_DID_NOT_RUN);
      } else if (!sent) {
        this.conn.fail('garbage', `an unexpected "${shown(n.msg.type, 20)}" message`);
      }
    }
  }

  /** Watch the pair while the receiver runs, then send its report back. */
  async finish(rx: Child, args: string[]): Promise<RunOutcome> {
    const { o, req, who } = this;
    const watch = this.watchMessages();
    const r: ChildResult = await rx.done;
    if (o.json) {
      this.io.out(`${JSON.stringify({
        tool: 'msg-zerocopy', command: 'serve', peer: who, request: req, receiverArgv: args,
        exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, stopped: this.stopWhy, receiver: r.report,
      })}\n`);
    }
    const status = r.exitCode === 0 ? 'ok' : 'failed';
    if (this.conn.ended) {
      this.io.log(`${who}: receiver ended (exit ${r.exitCode ?? r.signal}); no report sent, the pair is gone`);
      return 'failed';
    }
    const msg: ReportMessage = {
      type: 'report', exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, failure: this.stopWhy,
      report: r.report, stderr: stderrTail(r.stderr, this.flows),
    };
    this.conn.close(msg);
    await watch;
    this.io.log(`${who}: report sent (receiver exit ${r.exitCode ?? r.signal})${o.once ? '' : '; waiting for the next pair'}`);
    return status;
  }

  /** Whatever happened, no receiver outlives its run. */
  end(): void {
    if (this.child && !this.child.exited) this.child.kill('SIGTERM');
  }
}

/**
 * Why the receiver failed, with its hint (a missing privilege names the
 * capability and what to do on this host): the pair's line is the only one
 * its user sees.
 */
function startError(r: ChildResult, host: string): string | null {
  const rep = r.report as { error?: unknown; hint?: unknown } | null;
  if (rep && typeof rep.error === 'string') return typeof rep.hint === 'string' && rep.hint ? `${rep.error} (on ${host}: ${rep.hint})` : rep.error;
  return childError(r);
}
