// SPDX-License-Identifier: GPL-2.0-only
// Mutual authentication of pair and serve over a shared secret, and the
// integrity of every control message after it. Pure: no sockets, unit-tested.
//
//   pair  → serve  hello     nonce Np (32 fresh random bytes)
//   serve → pair   challenge nonce Ns, proof_serve = HMAC(K, "msg-zerocopy/2 serve\0" Np Ns)
//   pair  → serve  auth      proof_pair  = HMAC(K, "msg-zerocopy/2 pair\0"  Np Ns)
//
// Each side checks the other's proof in constant time before it says
// anything more: pair never sends its request to a serve that cannot prove
// it holds the secret, serve starts nothing for a pair that cannot. The
// secret never crosses the wire. A proof is bound to its direction (the
// label) and to both nonces, so a recorded exchange fails against a fresh
// nonce (replay), and serve's own proof sent back to it fails as a pair
// proof (reflection). After the handshake every line is sealed with a key
// derived from the same three inputs, a direction and a sequence number, so
// nobody on the path can inject, alter, reorder or replay a message.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const NONCE_BYTES = 32;
const LABEL = 'msg-zerocopy/2';
const MAC_HEX = 64;

export type Role = 'serve' | 'pair';
/** Which way a sealed line travels. */
export type Direction = 'pair>serve' | 'serve>pair';

export const newNonce = (): Buffer => randomBytes(NONCE_BYTES);
export const encodeNonce = (b: Buffer): string => b.toString('base64');

/** The nonce in `v` (base64 of exactly NONCE_BYTES bytes), or null. */
export function decodeNonce(v: unknown): Buffer | null {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(v)) return null;
  const b = Buffer.from(v, 'base64');
  return b.length === NONCE_BYTES ? b : null;
}

function hmac(key: Buffer, label: string, pairNonce: Buffer, serveNonce: Buffer): Buffer {
  return createHmac('sha256', key).update(`${LABEL} ${label}\0`).update(pairNonce).update(serveNonce).digest();
}

/** What `role` sends to prove it holds `secret`, for this pair of nonces (hex). */
export function proof(secret: Buffer, role: Role, pairNonce: Buffer, serveNonce: Buffer): string {
  return hmac(secret, role, pairNonce, serveNonce).toString('hex');
}

const isMacHex = (v: unknown): v is string => typeof v === 'string' && v.length === MAC_HEX && /^[0-9a-f]+$/.test(v);

/** True when `claimed` is `role`'s proof for these nonces. Constant time in the proof's content. */
export function checkProof(secret: Buffer, role: Role, pairNonce: Buffer, serveNonce: Buffer, claimed: unknown): boolean {
  if (!isMacHex(claimed)) return false;
  return timingSafeEqual(Buffer.from(claimed, 'hex'), hmac(secret, role, pairNonce, serveNonce));
}

/** The key that seals the messages of one connection. */
export const sessionKey = (secret: Buffer, pairNonce: Buffer, serveNonce: Buffer): Buffer =>
  hmac(secret, 'session', pairNonce, serveNonce);

const lineMac = (key: Buffer, dir: Direction, seq: number, body: string): Buffer =>
  createHmac('sha256', key).update(`${dir}\0${seq}\0`).update(body).digest();

/** Seals the lines one side sends: "<mac> <body>", the mac over direction, sequence number and body. */
export class Sealer {
  private seq = 0;
  constructor(private readonly key: Buffer, private readonly dir: Direction) {}
  seal(body: string): string {
    return `${lineMac(this.key, this.dir, this.seq++, body).toString('hex')} ${body}`;
  }
}

/** Opens the lines one side receives; null for a line that was not sealed by the peer, in order. */
export class Opener {
  private seq = 0;
  constructor(private readonly key: Buffer, private readonly dir: Direction) {}
  open(line: string): string | null {
    const claimed = line.slice(0, MAC_HEX);
    if (line[MAC_HEX] !== ' ' || !isMacHex(claimed)) return null;
    const body = line.slice(MAC_HEX + 1);
    if (!timingSafeEqual(Buffer.from(claimed, 'hex'), lineMac(this.key, this.dir, this.seq, body))) return null;
    this.seq++;
    return body;
  }
}
