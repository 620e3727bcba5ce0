// SPDX-License-Identifier: GPL-2.0-only
// Textual IPv4/IPv6 addresses to network-order bytes (inet_pton semantics),
// and the sockaddr structures built from them.
import { AF_INET, AF_INET6, AF_PACKET, ETH_ALEN } from '../libc/constants.js';
import { SIN, SIN6, SLL } from '../libc/layout.js';

import type { Family } from '../core/vocabulary.js';
export type { Family };

/** Parse dotted-quad IPv4 like inet_pton(AF_INET): exactly four decimal parts 0..255. */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    if (p.length > 1 && p[0] === '0') return null; // inet_pton rejects leading zeros
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

/** Parse IPv6 like inet_pton(AF_INET6), including '::' and a trailing dotted quad. */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let tail4: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > lastColon) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return null;
  const groups: string[][] = dbl >= 0
    ? [head.slice(0, dbl) ? head.slice(0, dbl).split(':') : [], head.slice(dbl + 2) ? head.slice(dbl + 2).split(':') : []]
    : [head.split(':'), []];
  const words: number[] = [];
  const parse = (g: string): number | null => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : null);
  const left: number[] = [];
  const right: number[] = [];
  for (const g of groups[0]) { const v = parse(g); if (v === null) return null; left.push(v); }
  for (const g of groups[1]) { const v = parse(g); if (v === null) return null; right.push(v); }
  if (dbl >= 0) {
    if (left.length + right.length > 7) return null;
    words.push(...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right);
  } else {
    if (left.length !== 8) return null;
    words.push(...left);
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) { out[2 * i] = words[i] >> 8; out[2 * i + 1] = words[i] & 0xff; }
  if (tail4) out.set(tail4, 12);
  return out;
}

export function parseAddress(family: Family, text: string): Uint8Array | null {
  return family === 4 ? parseIPv4(text) : parseIPv6(text);
}

/** The unspecified address of a family (what the C tool uses when -S is absent). */
export const unspecified = (family: Family): Uint8Array => new Uint8Array(family === 4 ? 4 : 16);

/** Length of sockaddr_in / sockaddr_in6. */
export const sockaddrLen = (family: Family): number => (family === 4 ? SIN.size : SIN6.size);

/** Write a sockaddr_in or sockaddr_in6 at `off` in `dv`; returns its length. */
export function writeSockaddr(dv: DataView, off: number, family: Family, addr: Uint8Array, port: number): number {
  const len = sockaddrLen(family);
  for (let i = 0; i < len; i++) dv.setUint8(off + i, 0);
  if (family === 4) {
    dv.setUint16(off + SIN.sin_family, AF_INET, true);
    dv.setUint16(off + SIN.sin_port, port, false);
    for (let i = 0; i < 4; i++) dv.setUint8(off + SIN.sin_addr + i, addr[i]);
  } else {
    dv.setUint16(off + SIN6.sin6_family, AF_INET6, true);
    dv.setUint16(off + SIN6.sin6_port, port, false);
    for (let i = 0; i < 16; i++) dv.setUint8(off + SIN6.sin6_addr + i, addr[i]);
  }
  return len;
}

/** Write a sockaddr_ll for packet sockets: ifindex, protocol, 6-byte address. */
export function writeSockaddrLL(dv: DataView, off: number, ifindex: number, protocol: number, mac: Uint8Array): number {
  for (let i = 0; i < SLL.size; i++) dv.setUint8(off + i, 0);
  dv.setUint16(off + SLL.sll_family, AF_PACKET, true);
  dv.setUint16(off + SLL.sll_protocol, protocol, false);
  dv.setInt32(off + SLL.sll_ifindex, ifindex, true);
  dv.setUint8(off + SLL.sll_halen, ETH_ALEN);
  for (let i = 0; i < ETH_ALEN; i++) dv.setUint8(off + SLL.sll_addr + i, mac[i]);
  return SLL.size;
}
