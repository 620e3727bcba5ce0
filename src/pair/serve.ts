// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy serve` (host B): a control port that, for one pair at a time,
// starts our own classic receiver (`-r … --json`, a child of the same
// executable), says "ready" once it listens, and sends its report back.

import { RunControl, signalExitCode } from '../core/control.js';
import { createServer, type Server, type Socket } from 'node:net';
import { ownCommand, spawnChild, waitReady, type Child } from '../lab/child.js';
import {
  checkRunRequest, LineReader, receiverArgv, send, type ReportMessage, type RunRequest,
} from './protocol.js';

export interface ServeOptions {
  family: 4 | 6;
  /** -D: this host's address; the control port and the receiver bind to it. */
  addr: string;
  controlPort: number;
  maxPayload: number;
  /** Stop after one pair. */
  once: boolean;
  /** Print one JSON line per pair on stdout. */
  json: boolean;
  /** Time a receiver may overrun its run before it is killed. */
  slackMs: number;
}

export interface ServeIO {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** How long a connected pair may take to send its request. */
const REQUEST_TIMEOUT_MS = 10000;
/** How long the receiver may take to listen. */
const READY_TIMEOUT_MS = 5000;

const runtimeMs = (secs: number): number => 200 + secs * 1000;

/** Host:port as people write it ([v6]:port). */
export const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

function peerName(sock: Socket): string {
  return sock.remoteAddress ? hostPort(sock.remoteAddress.replace(/^::ffff:/, ''), sock.remotePort ?? 0) : 'unknown peer';
}

/** Run serve until a signal (or one pair with --once). Resolves with the exit status. */
export function runServe(o: ServeOptions, io: ServeIO): Promise<number> {
  const log = (s: string): void => io.err(`msg-zerocopy serve: ${s}\n`);
  let busy: string | null = null;
  let active: { child: Child | null; stop: (why: string) => void } | null = null;
  let stopping: string | null = null;
  /** A signal cut a pair's run short. */
  let cutShort = false;
  let failures = 0;

  return new Promise<number>((resolve) => {
    const server: Server = createServer({ noDelay: true }, (sock) => {
      const peer = peerName(sock);
      sock.setNoDelay(true);
      if (busy || stopping) {
        send(sock, { type: 'error', message: busy ? `busy: serving ${busy}; try again when it is done` : 'shutting down' });
        sock.end();
        return;
      }
      busy = peer;
      void session(sock, peer).then((code) => {
        if (code !== 0) failures++;
        busy = null;
        active = null;
        if (o.once || stopping) finish();
      });
    });

    const finish = (): void => {
      ctl.uninstall();
      server.close();
      // Stopped by a signal while idle: a normal end. A run cut short: 128 + n.
      if (stopping) resolve(cutShort ? signalExitCode(stopping) : 0);
      else resolve(failures ? 1 : 0);
    };
    const ctl = new RunControl().install({
      stop: (sig) => {
        stopping = sig;
        log(`${sig}: stopping${busy ? ` (ending the run for ${busy})` : ''}`);
        server.close();
        if (active) {
          cutShort = true;
          active.stop(sig);
        } else if (!busy) {
          finish();
        }
      },
    });

    server.on('error', (e: NodeJS.ErrnoException) => {
      const what = e.code === 'EADDRINUSE'
        ? `control port ${hostPort(o.addr, o.controlPort)} is in use: pick another with --control-port (and give pair the same)`
        : e.code === 'EADDRNOTAVAIL'
          ? `${o.addr} is not an address of this host (-D must be this host's own address, the one pair -D names)`
          : `control port ${hostPort(o.addr, o.controlPort)}: ${e.message}`;
      log(what);
      ctl.uninstall();
      resolve(1);
    });
    server.listen({ host: o.addr, port: o.controlPort, exclusive: true }, () => {
      log(`control port ${hostPort(o.addr, o.controlPort)}; on the other host run: ` +
        `msg-zerocopy pair -${o.family} -D ${o.addr}${o.controlPort !== 8001 ? ` --control-port ${o.controlPort}` : ''} [flags] <test>`);
    });
  });

  async function session(sock: Socket, peer: string): Promise<number> {
    const reader = new LineReader(sock);
    let req: RunRequest;
    try {
      const first = await reader.next(REQUEST_TIMEOUT_MS);
      if (!first) {
        log(`${peer} closed the control connection without a request`);
        return 1;
      }
      const checked = checkRunRequest(first, { family: o.family, controlPort: o.controlPort, maxPayload: o.maxPayload });
      if (!checked.ok) {
        log(`${peer}: refused: ${checked.reason}`);
        send(sock, { type: 'error', message: checked.reason });
        sock.end();
        return 1;
      }
      req = checked.req;
    } catch {
      log(`${peer} sent no request within ${REQUEST_TIMEOUT_MS / 1000} s`);
      sock.destroy();
      return 1;
    }

    const args = receiverArgv(req, o.addr);
    log(`${peer}: ${req.test} receiver on ${hostPort(o.addr, req.port)}, -s ${req.size}, -t ${req.secs}`);
    const child = spawnChild(ownCommand(args), {
      deadlineMs: runtimeMs(req.secs) + 400 + o.slackMs,
      detached: true,
      onStderrLine: (l) => { if (l.trim()) io.err(`${l}\n`); },
    });
    let stopReason: string | null = null;
    active = {
      child,
      stop: (why) => {
        stopReason = why;
        child.kill('SIGINT');
      },
    };
    if (stopping) active.stop(stopping);

    const state = await waitReady(child, { family: req.family, test: req.test, port: req.port, minMs: 0, maxMs: READY_TIMEOUT_MS });
    if (state === 'exited' || stopReason) {
      const r = await child.done;
      const why = r.report && typeof r.report.error === 'string' ? r.report.error
        : r.stderr.trim().split('\n').filter(Boolean).pop() ?? `receiver exited ${r.exitCode}`;
      const message = stopReason ? `serve stopped (${stopReason})` : `receiver on ${o.addr} failed to start: ${why}`;
      log(`${peer}: ${message}`);
      send(sock, { type: 'error', message });
      sock.end();
      return 1;
    }
    // 'unknown' (socket tables not visible): the kernel driver's 0.2 s.
    if (state !== 'ready') await new Promise((r) => setTimeout(r, 200));
    send(sock, { type: 'ready', argv: args, pid: child.pid });

    // Until the receiver ends: the pair may say its sender failed (stop the
    // receiver early) or abort; a vanished pair also stops the receiver.
    let peerGone = false;
    const watch = (async () => {
      for (;;) {
        const m = await reader.next(Infinity);
        if (child.exited) return;
        if (m === null) {
          peerGone = true;
          child.kill('SIGINT');
          return;
        }
        if (m.type === 'abort' || (m.type === 'sent' && !m.ok)) child.kill('SIGINT');
      }
    })();
    const r = await child.done;
    void watch;
    const msg: ReportMessage = {
      type: 'report', exitCode: r.exitCode, signal: r.signal, report: r.report, stderr: r.stderr,
    };
    if (o.json) {
      io.out(`${JSON.stringify({
        tool: 'msg-zerocopy', command: 'serve', peer, request: req, receiverArgv: args,
        exitCode: r.exitCode, signal: r.signal, timedOut: r.timedOut, receiver: r.report,
      })}\n`);
    }
    if (peerGone) {
      log(`${peer} went away before the report; receiver ${r.exitCode === 0 ? 'finished' : `exited ${r.exitCode ?? r.signal}`}`);
      sock.destroy();
      return 1;
    }
    send(sock, msg);
    sock.end();
    // A pair that never closes its side must not hold this serve.
    setTimeout(() => sock.destroy(), 5000).unref();
    log(`${peer}: report sent (receiver exit ${r.exitCode ?? r.signal})${o.once ? '' : '; waiting for the next pair'}`);
    return r.exitCode === 0 ? 0 : 1;
  }
}
