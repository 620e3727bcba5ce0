// SPDX-License-Identifier: GPL-2.0-only
// Hostile and fake peers for the host-pair tests, run inside a lab namespace
// (`ip netns exec <ns> node --import tsx test/e2e/serve-client.ts <mode> …`).
// Each mode prints one JSON object on stdout: what it did and what it got.
// Every loop is bounded in count and time.
//
//   hostile <host> <port> <secret> <secs>   throw everything at a serve
//   replay <host> <port> <secret>           replayed and reflected handshakes
//   impostor <host> <port> <how>            a serve without the secret (how: proof | escape)
//   fakeserve <host> <port> <secret> <how>  a serve with the secret that sends a bad report (how: no-stderr | bad-report)
import { connect, createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import {
  checkProof, decodeNonce, encodeNonce, newNonce, proof, Sealer, sessionKey,
} from '../../src/pair/auth.js';
import { Connection, expect, MAX_LINE, PROTOCOL_VERSION } from '../../src/pair/protocol.js';

const [mode, host, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const readKey = (path: string): Buffer => Buffer.from(readFileSync(path, 'latin1').trim(), 'latin1');

/** A raw client connection: what it wrote, the lines it got, when serve closed it. */
class Raw {
  readonly t0 = Date.now();
  private buf = '';
  readonly lines: string[] = [];
  closedMs: number | null = null;
  written = 0;
  private wakers: Array<() => void> = [];
  private constructor(readonly sock: Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      this.wake();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      if (this.closedMs === null) this.closedMs = Date.now() - this.t0;
      this.wake();
    });
  }
  private wake(): void {
    for (const w of this.wakers.splice(0)) w();
  }
  static open(): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      s.once('connect', () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }
  write(s: string | Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.sock.destroyed) { resolve(false); return; }
      this.sock.write(s, (e) => {
        if (!e) this.written += s.length;
        resolve(!e);
      });
    });
  }
  /** The next line, or null on close / after `ms`. */
  async line(ms = 3000): Promise<string | null> {
    const end = Date.now() + ms;
    let seen = 0;
    for (;;) {
      if (this.lines.length > seen) return this.lines[seen];
      if (this.closedMs !== null || Date.now() >= end) return null;
      await new Promise<void>((r) => {
        const t = setTimeout(r, end - Date.now());
        this.wakers.push(() => { clearTimeout(t); r(); });
      });
      seen = 0;
    }
  }
  /** Take the first line. */
  async take(ms = 3000): Promise<string | null> {
    const l = await this.line(ms);
    if (l !== null) this.lines.shift();
    return l;
  }
  /** ms from open until serve closed it, or null if still open after `ms` (then destroyed). */
  async closed(ms: number): Promise<number | null> {
    const end = Date.now() + ms;
    while (this.closedMs === null && Date.now() < end) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, end - Date.now()));
        this.wakers.push(() => { clearTimeout(t); r(); });
      });
    }
    const c = this.closedMs;
    if (c === null) this.sock.destroy();
    return c;
  }
  reset(): void {
    this.sock.resetAndDestroy();
  }
}

const tryOpen = async (): Promise<Raw | null> => {
  try {
    return await Raw.open();
  } catch {
    return null;
  }
};

/** A full handshake with `key`; returns the raw connection, the recorded lines, and the session's sealer. */
async function handshake(key: Buffer, nonce = newNonce()): Promise<{ c: Raw; hello: string; auth: string; challenge: Record<string, string>; sealer: Sealer } | null> {
  const c = await tryOpen();
  if (!c) return null;
  const hello = JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, nonce: encodeNonce(nonce) });
  await c.write(`${hello}\n`);
  const l = await c.take();
  if (!l) return null;
  const challenge = JSON.parse(l) as Record<string, string>;
  const ns = decodeNonce(challenge.nonce);
  if (!ns) return null;
  const auth = JSON.stringify({ type: 'auth', proof: proof(key, 'pair', nonce, ns) });
  await c.write(`${auth}\n`);
  return { c, hello, auth, challenge, sealer: new Sealer(sessionKey(key, nonce, ns), 'pair>serve') };
}

const ESCAPES = '\x1b[2J\x1b[31mPWNED\x07\x1b]0;title\x07\r\u202e';

async function hostile(secretPath: string, secs: number): Promise<Record<string, unknown>> {
  const key = readKey(secretPath);
  const t0 = Date.now();
  let connections = 0;
  const count = <T>(p: Promise<T>): Promise<T> => { connections++; return p; };
  const replies = new Map<string, number>();
  const noteReply = (l: string | null): void => {
    let k = 'none';
    if (l !== null) {
      try {
        // after the handshake serve's lines are sealed: "<mac> <json>"
        const v = JSON.parse(/^[0-9a-f]{64} /.test(l) ? l.slice(65) : l) as { type?: string; message?: string };
        k = v.type === 'error' ? `error: ${String(v.message).slice(0, 60)}` : String(v.type);
      } catch {
        k = 'not json';
      }
    }
    replies.set(k, (replies.get(k) ?? 0) + 1);
  };
  const out: Record<string, unknown> = {};

  // 1. Idle connections, many at once: each must be closed by serve (pushed out, or at its handshake deadline).
  const burst = async (n: number): Promise<{ n: number; open: number; maxCloseMs: number | null; stillOpen: number }> => {
    const cs = (await Promise.all(Array.from({ length: n }, () => count(tryOpen())))).filter((c): c is Raw => c !== null);
    const closed = await Promise.all(cs.map((c) => c.closed(6000)));
    const ok = closed.filter((x): x is number => x !== null);
    return { n, open: cs.length, maxCloseMs: ok.length ? Math.max(...ok) : null, stillOpen: closed.length - ok.length };
  };

  const oneOf = {
    random: async () => {
      const c = await count(tryOpen());
      if (!c) return;
      const b = randomBytes(100 + Math.floor(Math.random() * 8000));
      if (Math.random() < 0.5) b[Math.floor(b.length / 2)] = 0x0a;
      await c.write(b);
      noteReply(await c.take(2500));
      await c.closed(3000);
    },
    reset: async (step: number) => {
      const c = await count(tryOpen());
      if (!c) return;
      if (step >= 1) await c.write(`${JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, nonce: encodeNonce(newNonce()) })}\n`);
      if (step >= 2) await c.take(1000);
      if (step >= 3) await c.write('{"type":"auth","proof":"00');
      c.reset();
    },
    halfclose: async () => {
      const c = await count(tryOpen());
      if (!c) return;
      await c.write(`${JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, nonce: encodeNonce(newNonce()) })}\n`);
      c.sock.end();
      await c.closed(3000);
    },
    slow: async () => {
      const c = await count(tryOpen());
      if (!c) return 'no connection';
      const text = `${JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, nonce: encodeNonce(newNonce()) })}`;
      for (let i = 0; i < text.length && c.closedMs === null && i < 30; i++) {
        await c.write(text[i]);
        await sleep(200);
      }
      return (await c.closed(3000)) ?? 'open';
    },
    escapes: async () => {
      const c = await count(tryOpen());
      if (!c) return;
      await c.write(`${JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, nonce: encodeNonce(newNonce()) })}\n`);
      await c.take(1000);
      await c.write(`${JSON.stringify({ type: 'refused', message: ESCAPES + 'x'.repeat(3000) })}\n`);
      await c.closed(3000);
    },
    wrongType: async () => {
      const c = await count(tryOpen());
      if (!c) return;
      await c.write(`${JSON.stringify({ type: `run${ESCAPES}`, version: 1, family: 4, test: 'tcp', port: 22 })}\n`);
      noteReply(await c.take(2000));
      await c.closed(3000);
    },
    replay: async (rec: { hello: string; auth: string }) => {
      const c = await count(tryOpen());
      if (!c) return;
      await c.write(`${rec.hello}\n`);
      await c.take(1000);
      await c.write(`${rec.auth}\n`);
      noteReply(await c.take(2000));
      await c.closed(3000);
    },
    unsealedAfterAuth: async () => {
      connections++;
      const h = await handshake(key);
      if (!h) return;
      await h.c.write(`${JSON.stringify({ type: 'run', family: 4, test: 'udp', senderTest: 'udp', port: 9999, flows: 1, size: 1, secs: 1, client: 'x' })}\n`);
      noteReply(await h.c.take(1500));
      await h.c.closed(3000);
    },
    oversizedSealed: async () => {
      connections++;
      const h = await handshake(key);
      if (!h) return;
      await h.c.write(`${h.sealer.seal(JSON.stringify({ type: 'run', pad: 'p'.repeat(6000) }))}\n`);
      noteReply(await h.c.take(1500));
      await h.c.closed(3000);
    },
    outsidePolicy: async () => {
      connections++;
      const h = await handshake(key);
      if (!h) return;
      await h.c.write(`${h.sealer.seal(JSON.stringify({ type: 'run', family: 4, test: 'tcp', senderTest: 'tcp', port: 80, flows: 1, size: 1, secs: 1, client: ESCAPES }))}\n`);
      noteReply(await h.c.take(1500));
      await h.c.closed(3000);
    },
    /** Valid, but for a port serve's own control socket holds: "busy" during a run, "in use" otherwise. Reset after. */
    busyProbe: async () => {
      connections++;
      const h = await handshake(key);
      if (!h) return;
      await h.c.write(`${h.sealer.seal(JSON.stringify({ type: 'run', family: 4, test: 'udp', senderTest: 'udp', port, flows: 1, size: 100, secs: 1, client: `hostile${ESCAPES}`,
        // protocol 4: a well-formed request names its sender's source and the run's pattern seed
        source: { address: '192.168.1.1', port: 40000 }, seed: '0123456789abcdef0123456789abcdef' }))}\n`);
      const l = await h.c.take(2000);
      noteReply(l);
      h.c.reset();
      return l;
    },
    oversized: async (field: boolean) => {
      const c = await count(tryOpen());
      if (!c) return { written: 0, closedMs: null };
      const head = field ? `{"type":"hello","version":${PROTOCOL_VERSION},"nonce":"` : '';
      await c.write(head);
      const chunk = Buffer.alloc(64 * 1024, 'A');
      for (let i = 0; i < 16 && c.closedMs === null; i++) if (!(await c.write(chunk))) break;
      if (c.closedMs === null) await c.write('"}\n');
      return { written: c.written, closedMs: await c.closed(4000), reply: c.lines[0]?.slice(0, 200) ?? null };
    },
  };

  // A recorded, valid exchange to replay (the session itself is left without a request).
  const rec = await handshake(key);
  connections++;
  out.recorded = !!rec && checkProof(key, 'serve', decodeNonce(JSON.parse(rec.hello).nonce)!, decodeNonce(rec.challenge.nonce)!, rec.challenge.proof);
  rec?.c.sock.destroy();

  const tasks: Promise<unknown>[] = [];
  const burstResults: unknown[] = [];
  tasks.push(burst(200).then((r) => burstResults.push(r)));
  const oversized: unknown[] = [];
  const slow: unknown[] = [];
  const busy: Array<string | null | undefined> = [];
  // A second burst just before the real pair starts (the test starts it ~2 s in).
  tasks.push(sleep(1800).then(() => burst(100)).then((r) => burstResults.push(r)));
  tasks.push(sleep(2500).then(() => Promise.all([...Array(4)].map(() => oneOf.oversized(false)).concat(
    [...Array(4)].map(() => oneOf.oversized(true)))).then((r) => oversized.push(...r))));
  let iterations = 0;
  const mix = (async () => {
    for (let i = 0; i < 16 && Date.now() - t0 < (secs - 3) * 1000; i++) {
      iterations++;
      const wave: Promise<unknown>[] = [
        oneOf.random(), oneOf.random(), oneOf.random(),
        oneOf.reset(0), oneOf.reset(1), oneOf.reset(2), oneOf.reset(3),
        oneOf.halfclose(), oneOf.escapes(), oneOf.wrongType(),
        rec ? oneOf.replay(rec) : Promise.resolve(),
        oneOf.busyProbe().then((l) => busy.push(l)),
      ];
      if (i % 3 === 0) wave.push(oneOf.slow().then((r) => slow.push(r)));
      if (i % 4 === 0) wave.push(oneOf.unsealedAfterAuth(), oneOf.oversizedSealed(), oneOf.outsidePolicy());
      tasks.push(...wave);
      await sleep(1000);
    }
  })();
  await mix;
  await Promise.all(tasks);
  Object.assign(out, {
    connections, iterations, secs: (Date.now() - t0) / 1000, burst: burstResults, oversized, slow,
    busy: busy.filter((l) => l && l.includes('busy')).length, busyExample: busy.find((l) => l && l.includes('busy')) ?? null,
    replies: Object.fromEntries(replies),
  });
  return out;
}

async function replay(secretPath: string): Promise<Record<string, unknown>> {
  const key = readKey(secretPath);
  const first = await handshake(key);
  if (!first) return { error: 'no handshake' };
  // a sealed line of the first session, kept for later
  const sealedLine = first.sealer.seal(JSON.stringify({ type: 'run', family: 4, test: 'udp', senderTest: 'udp', port: 9999, flows: 1, size: 1, secs: 1, client: 'r' }));
  first.c.sock.destroy();
  const reply = async (c: Raw): Promise<string | null> => c.take(2500);

  // the same hello and the recorded proof: serve's nonce is new, the proof fails
  const c2 = (await Raw.open());
  await c2.write(`${first.hello}\n`);
  const ch2 = JSON.parse((await c2.take()) ?? '{}') as Record<string, string>;
  await c2.write(`${first.auth}\n`);
  const replayed = await reply(c2);
  const replayedClosed = await c2.closed(3000);

  // serve's own proof sent back as ours
  const c3 = await Raw.open();
  await c3.write(`${JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, nonce: encodeNonce(newNonce()) })}\n`);
  const ch3 = JSON.parse((await c3.take()) ?? '{}') as Record<string, string>;
  await c3.write(`${JSON.stringify({ type: 'auth', proof: ch3.proof })}\n`);
  const reflected = await reply(c3);

  // a valid session, then a line sealed for the first session
  const h4 = await handshake(key);
  await h4!.c.write(`${sealedLine}\n`);
  const crossSession = await reply(h4!.c);
  const crossClosed = await h4!.c.closed(3000);
  return {
    sameServeNonce: ch2.nonce === first.challenge.nonce, replayed, replayedClosed, reflected, crossSession, crossClosed,
  };
}

async function impostor(how: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const got: string[] = [];
    const server = createServer((sock) => {
      sock.setEncoding('utf8');
      let buf = '';
      sock.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          got.push(line);
          if (got.length === 1) {
            sock.write(how === 'escape'
              ? `${JSON.stringify({ type: 'error', message: `${ESCAPES}${'y'.repeat(3000)}` })}\n`
              : `${JSON.stringify({ type: 'challenge', version: PROTOCOL_VERSION, nonce: encodeNonce(newNonce()), proof: randomBytes(32).toString('hex') })}\n`);
          }
        }
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        server.close();
        resolve({ lines: got });
      });
    });
    server.listen({ host, port }, () => process.stderr.write('listening\n'));
    setTimeout(() => { server.close(); resolve({ lines: got, timeout: true }); }, 20000).unref();
  });
}

async function fakeserve(secretPath: string, how: string): Promise<Record<string, unknown>> {
  const key = readKey(secretPath);
  // a udp sink on the data port (the control port + 1, so that the control port is its default), so that the sender runs
  const sink = createSocket('udp4');
  sink.on('message', () => {});
  await new Promise<void>((r) => sink.bind(port + 1, host, r));
  sink.unref();
  return new Promise((resolve) => {
    const server = createServer((sock) => {
      void (async () => {
        const conn = new Connection(sock, MAX_LINE);
        const h = await conn.next(3000);
        const hello = 'msg' in h ? expect(h.msg, 'hello') : null;
        const np = hello && decodeNonce(hello.nonce);
        if (!np) { conn.fail('garbage', 'x'); return; }
        const ns = newNonce();
        conn.send({ type: 'challenge', version: PROTOCOL_VERSION, nonce: encodeNonce(ns), proof: proof(key, 'serve', np, ns) });
        await conn.next(3000);
        conn.secure(sessionKey(key, np, ns), 'serve>pair', 'pair>serve');
        conn.startHeartbeat();
        await conn.next(3000); // the run request
        conn.send({ type: 'ready', receiverArgv: ['-r', 'tcp'] });
        let n = await conn.next(30000);
        while ('msg' in n && n.msg.type !== 'sent') n = await conn.next(30000);
        const report = how === 'no-stderr'
          ? { type: 'report', exitCode: 0, signal: null, timedOut: false, failure: null, report: null }
          : { type: 'report', exitCode: 0, signal: null, timedOut: false, failure: null, stderr: `rx=1 (0 MB)\n${ESCAPES}`,
            report: { tool: 'msg-zerocopy', role: 'receiver', packets: 'lots', bytes: 1 } };
        conn.send(report as never);
        await sleep(300);
        conn.close();
        server.close();
        resolve({ sent: report.type });
      })();
    });
    server.listen({ host, port }, () => process.stderr.write('listening\n'));
    setTimeout(() => { server.close(); resolve({ timeout: true }); }, 30000).unref();
  });
}

const run = async (): Promise<Record<string, unknown>> => {
  switch (mode) {
    case 'hostile': return hostile(rest[0], Number(rest[1] ?? 16));
    case 'replay': return replay(rest[0]);
    case 'impostor': return impostor(rest[0] ?? 'proof');
    case 'fakeserve': return fakeserve(rest[0], rest[1] ?? 'no-stderr');
    default: throw new Error(`unknown mode ${mode}`);
  }
};
run().then((r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}, (e: unknown) => {
  process.stderr.write(`serve-client: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
