// SPDX-License-Identifier: GPL-2.0-only
// Link and network headers for the raw_hdrincl, packet and packet_dgram
// tests, and the payload pattern. Pure functions over byte arrays.
import { IPPROTO_EGP } from '../libc/constants.js';
import { ETH_HLEN, IPV4_HLEN, IPV6_HLEN } from '../libc/layout.js';

/** Ethernet addresses the namespace driver gives the veth pair. */
export const MAC_DST = Uint8Array.of(6, 6, 6, 6, 6, 6);
export const MAC_SRC = Uint8Array.of(2, 2, 2, 2, 2, 2);

/**
 * Internet checksum (RFC 1071) over `len` bytes at `off`: the ones'
 * complement of the ones' complement sum of 16-bit words. Words are read in
 * network order and the result is returned in network order.
 */
export function ipChecksum(buf: Uint8Array, off: number, len: number): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < len; i += 2) sum += (buf[off + i] << 8) | buf[off + i + 1];
  if (i < len) sum += buf[off + i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Ethernet header: dst 06:..:06, src 02:..:02, ethertype. */
export function buildEthHeader(buf: Uint8Array, off: number, ethertype: number): number {
  buf.set(MAC_DST, off);
  buf.set(MAC_SRC, off + 6);
  buf[off + 12] = ethertype >> 8;
  buf[off + 13] = ethertype & 0xff;
  return ETH_HLEN;
}

/** IPv4 header: version 4, ihl 5, ttl 2, protocol EGP, total length, checksum. */
export function buildIPv4Header(buf: Uint8Array, off: number, src: Uint8Array, dst: Uint8Array, payloadLen: number): number {
  buf.fill(0, off, off + IPV4_HLEN);
  const total = IPV4_HLEN + payloadLen;
  buf[off] = 0x45;
  buf[off + 2] = (total >> 8) & 0xff;
  buf[off + 3] = total & 0xff;
  buf[off + 8] = 2;
  buf[off + 9] = IPPROTO_EGP;
  buf.set(src, off + 12);
  buf.set(dst, off + 16);
  const csum = ipChecksum(buf, off, IPV4_HLEN);
  buf[off + 10] = csum >> 8;
  buf[off + 11] = csum & 0xff;
  return IPV4_HLEN;
}

/** IPv6 header: version 6, payload length, next header EGP, hop limit 2. */
export function buildIPv6Header(buf: Uint8Array, off: number, src: Uint8Array, dst: Uint8Array, payloadLen: number): number {
  buf.fill(0, off, off + IPV6_HLEN);
  buf[off] = 0x60;
  buf[off + 4] = (payloadLen >> 8) & 0xff;
  buf[off + 5] = payloadLen & 0xff;
  buf[off + 6] = IPPROTO_EGP;
  buf[off + 7] = 2;
  buf.set(src, off + 8);
  buf.set(dst, off + 24);
  return IPV6_HLEN;
}

/** Payload byte i is 'a' + i % 26. */
export function fillPayload(buf: Uint8Array, off: number, len: number): void {
  for (let i = 0; i < len; i++) buf[off + i] = 0x61 + (i % 26);
}

/**
 * True when `len` bytes at `off` follow the payload pattern from the letter
 * they start with (a UDP GSO segment starts mid-pattern: byte k × size).
 */
export function continuesPayload(buf: Uint8Array, off: number, len: number): boolean {
  const first = buf[off] - 0x61;
  if (first < 0 || first >= 26) return false;
  for (let i = 1; i < len; i++) if (buf[off + i] !== 0x61 + ((first + i) % 26)) return false;
  return true;
}

/**
 * The payload of a run whose pattern a seed picks (--pattern-seed, which
 * serve and pair share through their sealed run request): `len` bytes that
 * a 128-bit seed (32 hex digits) picks, so a datagram that does not carry
 * them was not sent by the sender of this run. The pattern need not be
 * secret once sent (anyone on the path sees it); it must not be guessable
 * before, so each word mixes the whole seed with its index (murmur3's
 * finalizer; no node:crypto, which a classic receiver would pay for at
 * start-up). Without a seed, null: the selftest's a..z.
 */
export function seededPattern(seed: string | null | undefined, len: number): Uint8Array | null {
  if (!seed) return null;
  const words = seedWords(seed);
  const out = new Uint8Array(len);
  const mix = (h: number): number => {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  for (let i = 0; i * 4 < len; i++) {
    let h = mix(i ^ 0x9e3779b9);
    for (const w of words) h = mix(h ^ w);
    for (let b = 0; b < 4 && i * 4 + b < len; b++) out[i * 4 + b] = (h >>> (8 * b)) & 0xff;
  }
  return out;
}

/** A pattern seed: 32 hex digits (128 bits). */
export const PATTERN_SEED = /^[0-9a-f]{32}$/;

function seedWords(seed: string): number[] {
  if (!PATTERN_SEED.test(seed)) throw new RangeError(`pattern seed '${seed.slice(0, 40)}' is not 32 hex digits`);
  return [0, 8, 16, 24].map((i) => parseInt(seed.slice(i, i + 8), 16));
}

/** Fill `len` bytes at `off` with a seeded pattern (seededPattern), or the selftest's when `pattern` is null. */
export function fillPattern(buf: Uint8Array, off: number, len: number, pattern: Uint8Array | null): void {
  if (pattern) buf.set(pattern.subarray(0, len), off);
  else fillPayload(buf, off, len);
}

/** True when `len` bytes at `off` are the first bytes of `pattern` (or of the selftest's when it is null). */
export function matchesPattern(buf: Uint8Array, off: number, len: number, pattern: Uint8Array | null): boolean {
  if (!pattern) return matchesPayload(buf, off, len);
  for (let i = 0; i < len; i++) if (buf[off + i] !== pattern[i]) return false;
  return true;
}

/** True when `len` bytes at `off` follow the payload pattern from its start. */
export function matchesPayload(buf: Uint8Array, off: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (buf[off + i] !== 0x61 + (i % 26)) return false;
  return true;
}
