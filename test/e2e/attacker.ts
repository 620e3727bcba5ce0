// SPDX-License-Identifier: GPL-2.0-only
// The third host of the hostile host-pair tests (serve-attacker.test.ts):
// run with `node --import tsx test/e2e/attacker.ts <mode> ...` inside the
// attacker's namespace, never anywhere else. Every mode is bounded in count
// and time, and prints one JSON line of what it did on stdout.
//
//   race HOST PORT MS               connect to the data port over and over (4 at a time), write 64 KiB on each
//   ready SERVE CTRL HOST PORT MS   on-path: watch the control connection (the bridge floods every frame here);
//                                   at serve's first long sealed line (`ready`) connect to the data port at once
//   udp HOST PORT SIZE COUNT MS     COUNT datagrams of SIZE with the classic payload (a..z) from this host
//   spoof SRC HOST PORT SIZE COUNT MS
//                                   on-path: learn the real sender's udp source port from the first datagram
//                                   SRC sends to HOST:PORT, then send COUNT datagrams of SIZE with the a..z
//                                   payload and one of 1 byte, each with the sender's address and port forged
import { connect } from 'node:net';
import { createSocket } from 'node:dgram';
import koffi from 'koffi';

const lib = koffi.load('libc.so.6');
const socket = lib.func('int socket(int, int, int)') as (d: number, t: number, p: number) => number;
const setsockopt = lib.func('int setsockopt(int, int, int, void *, uint32_t)') as (fd: number, l: number, n: number, v: Buffer, len: number) => number;
const recv = lib.func('long recv(int, void *, size_t, int)') as (fd: number, buf: Buffer, len: number, flags: number) => number;
const sendto = lib.func('long sendto(int, void *, size_t, int, void *, uint32_t)') as
  (fd: number, buf: Buffer, len: number, flags: number, to: Buffer, tolen: number) => number;
const close = lib.func('int close(int)') as (fd: number) => number;

const AF_INET = 2;
const AF_PACKET = 17;
const SOCK_RAW = 3;
const ETH_P_ALL_BE = 0x0300;
const IPPROTO_RAW = 255;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;

/** serve's sealed lines to pair longer than this (bytes of tcp payload): `ready` (the challenge and pings are shorter). */
const READY_MIN = Number(process.env.READY_MIN ?? 300);
const out = (o: unknown): void => { process.stdout.write(`${JSON.stringify(o)}\n`); };
const ip4 = (s: string): number[] => s.split('.').map(Number);
const sameIp = (b: Buffer, off: number, a: number[]): boolean => a.every((x, i) => b[off + i] === x);
const classic = (size: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => 0x61 + (i % 26)));

/** A packet socket that sees every frame of this namespace, with a 100 ms receive timeout. */
function sniffer(): number {
  const fd = socket(AF_PACKET, SOCK_RAW, ETH_P_ALL_BE);
  if (fd < 0) throw new Error(`socket(AF_PACKET): ${koffi.errno()}`);
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(0n, 0);
  tv.writeBigInt64LE(100000n, 8);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16);
  return fd;
}

interface Seg { src: number[]; dst: number[]; proto: number; sport: number; dport: number; payload: number }

/** The IPv4 tcp or udp segment in an Ethernet frame, or null. */
function parse(b: Buffer, n: number): Seg | null {
  if (n < 34 || b.readUInt16BE(12) !== 0x0800) return null;
  const ihl = (b[14] & 0xf) * 4;
  const proto = b[23];
  const total = b.readUInt16BE(16);
  const l4 = 14 + ihl;
  if (proto !== 6 && proto !== 17) return null;
  const hdr = proto === 6 ? (b[l4 + 12] >> 4) * 4 : 8;
  return {
    src: [...b.subarray(26, 30)], dst: [...b.subarray(30, 34)], proto,
    sport: b.readUInt16BE(l4), dport: b.readUInt16BE(l4 + 2), payload: total - ihl - hdr,
  };
}

async function race(host: string, port: number, ms: number): Promise<void> {
  const t0 = Date.now();
  let attempts = 0;
  let connected = 0;
  let written = 0;
  await Promise.all(Array.from({ length: 4 }, () => new Promise<void>((resolve) => {
    const go = (): void => {
      if (attempts === 0) process.stderr.write('attacker: racing\n');
      if (Date.now() - t0 > ms || attempts >= 5000) return resolve();
      attempts++;
      const c = connect({ host, port });
      c.on('connect', () => { connected++; c.write(Buffer.alloc(65536, 0x61), () => { written += 65536; }); });
      c.on('error', () => {});
      c.on('close', () => setTimeout(go, 2));
    };
    go();
  })));
  out({ mode: 'race', attempts, connected, written });
}

async function ready(serve: string, ctrl: number, host: string, port: number, ms: number): Promise<void> {
  const fd = sniffer();
  process.stderr.write('attacker: watching\n');
  const buf = Buffer.alloc(65536);
  const sv = ip4(serve);
  const t0 = Date.now();
  let seen = 0;
  let readyAt = 0;
  const sizes: number[] = [];
  while (Date.now() - t0 < ms) {
    const n = recv(fd, buf, buf.length, 0);
    if (n <= 0) continue;
    const s = parse(buf, n);
    if (!s || s.proto !== 6 || !sameIp(buf, 26, sv) || s.sport !== ctrl || s.payload <= 0) continue;
    seen++;
    // serve's lines to pair: the challenge (short), pings (short), then `ready` with the receiver's argv (long).
    sizes.push(s.payload);
    if (s.payload > READY_MIN) { readyAt = Date.now(); break; }
  }
  close(fd);
  if (!readyAt) return out({ mode: 'ready', seen, sizes, readyAt: null });
  const r = await new Promise<{ connected: boolean; error: string | null; delayMs: number }>((resolve) => {
    const c = connect({ host, port });
    c.on('connect', () => { const delayMs = Date.now() - readyAt; c.write(Buffer.alloc(65536, 0x61)); setTimeout(() => { c.destroy(); resolve({ connected: true, error: null, delayMs }); }, 200); });
    c.on('error', (e: NodeJS.ErrnoException) => resolve({ connected: false, error: e.code ?? e.message, delayMs: Date.now() - readyAt }));
  });
  out({ mode: 'ready', seen, sizes, ...r });
}

async function udp(host: string, port: number, size: number, count: number, ms: number): Promise<void> {
  const s = createSocket('udp4');
  const payload = classic(size);
  const t0 = Date.now();
  let sent = 0;
  process.stderr.write('attacker: sending\n');
  await new Promise<void>((resolve) => {
    const go = (): void => {
      if (sent >= count || Date.now() - t0 > ms) return resolve();
      // At most about 1,000 a second: an attack on the count, not on the CPU that the pair shares with it here.
      s.send(payload, port, host, (e) => { if (!e) sent++; setTimeout(go, 1); });
    };
    go();
  });
  s.close();
  out({ mode: 'udp', sent });
}

/** An IPv4 + udp datagram from src:sport to dst:dport (the kernel fills the IP checksum; no udp checksum). */
function forged(src: number[], sport: number, dst: number[], dport: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(28 + payload.length);
  b[0] = 0x45;
  b.writeUInt16BE(b.length, 2);
  b[8] = 64;
  b[9] = 17;
  b.set(src, 12);
  b.set(dst, 16);
  b.writeUInt16BE(sport, 20);
  b.writeUInt16BE(dport, 22);
  b.writeUInt16BE(8 + payload.length, 24);
  payload.copy(b, 28);
  return b;
}

async function spoof(srcText: string, host: string, port: number, size: number, count: number, ms: number): Promise<void> {
  const fd = sniffer();
  process.stderr.write('attacker: watching\n');
  const buf = Buffer.alloc(65536);
  const src = ip4(srcText);
  const dst = ip4(host);
  const t0 = Date.now();
  let sport = 0;
  while (Date.now() - t0 < ms && !sport) {
    const n = recv(fd, buf, buf.length, 0);
    if (n <= 0) continue;
    const s = parse(buf, n);
    if (s && s.proto === 17 && sameIp(buf, 26, src) && sameIp(buf, 30, dst) && s.dport === port) sport = s.sport;
  }
  close(fd);
  if (!sport) return out({ mode: 'spoof', sport: null, sent: 0 });
  const raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  const to = Buffer.alloc(16);
  to.writeUInt16LE(AF_INET, 0);
  to.set(dst, 4);
  let sent = 0;
  let short = 0;
  const big = forged(src, sport, dst, port, classic(size));
  if (sendto(raw, forged(src, sport, dst, port, Buffer.from('x')), 29, 0, to, 16) > 0) short++;
  while (sent < count && Date.now() - t0 < ms) {
    if (sendto(raw, big, big.length, 0, to, 16) > 0) sent++;
    if (sent % 5 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  close(raw);
  out({ mode: 'spoof', sport, sent, short });
}

const [mode, ...a] = process.argv.slice(2);
const num = (i: number): number => Number(a[i]);
const run = mode === 'race' ? race(a[0], num(1), num(2))
  : mode === 'ready' ? ready(a[0], num(1), a[2], num(3), num(4))
    : mode === 'udp' ? udp(a[0], num(1), num(2), num(3), num(4))
      : mode === 'spoof' ? spoof(a[0], a[1], num(2), num(3), num(4), num(5))
        : Promise.reject(new Error(`unknown mode ${mode}`));
run.then(() => process.exit(0), (e: Error) => { process.stderr.write(`attacker: ${e.message}\n`); process.exit(1); });
