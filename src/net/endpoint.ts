// SPDX-License-Identifier: GPL-2.0-only
// One end of a data flow, address and port: what --peer names for a receiver
// (the only sender it takes) and --bind for a sender (where its traffic comes
// from). Parsed from "ADDR:PORT" ("[ADDR]:PORT" for IPv6), read back from a
// sockaddr the kernel filled in, and compared.
import { AF_INET, AF_INET6 } from '../libc/constants.js';
import { SIN, SIN6 } from '../libc/layout.js';
import { UsageError } from '../core/errors.js';
import { parseInteger } from '../core/numbers.js';
import type { Endpoint } from '../core/config.js';
import { parseAddress, type Family } from './address.js';

export type { Endpoint };

/** "ADDR:PORT" as a person writes it ("[ADDR]:PORT" for IPv6). */
export const endpointText = (family: Family, text: string, port: number): string =>
  (family === 6 ? `[${text}]:${port}` : `${text}:${port}`);

/**
 * Parse `flag`'s value: "ADDR:PORT" for IPv4, "[ADDR]:PORT" for IPv6; port
 * from `minPort` to 65535 with the C tool's number rules.
 */
export function parseEndpoint(family: Family, text: string, flag: string, minPort = 1): Endpoint {
  const m = family === 6 ? /^\[([^\]]+)\]:([^:]+)$/.exec(text) : /^([^:]+):([^:]+)$/.exec(text);
  const form = family === 6 ? '[ADDR]:PORT, e.g. [fd::1]:40000' : 'ADDR:PORT, e.g. 192.168.1.1:40000';
  if (!m) throw new UsageError(`${flag}: '${text}' is not ${family === 6 ? 'an IPv6' : 'an IPv4'} address and port`, `give ${form}`);
  const addr = parseAddress(family, m[1]);
  if (!addr) throw new UsageError(`${flag}: ipv${family} parse error: ${m[1]}`, `give ${form}`);
  return { addr, text: m[1], port: parseInteger(m[2], flag, minPort, 65535) };
}

/** The same endpoint `k` ports further on (flow k of -P). */
export const shiftPort = (e: Endpoint, k: number): Endpoint => ({ ...e, port: e.port + k });

/**
 * True when the sockaddr at `off` in `dv` (as accept or recvfrom filled it
 * in) is `e`'s address and port. An IPv4-mapped IPv6 address is not taken
 * for its IPv4 twin: the receiver's socket has one family.
 */
export function isEndpoint(dv: DataView, off: number, family: Family, e: Endpoint): boolean {
  if (family === 4) {
    if (dv.getUint16(off + SIN.sin_family, true) !== AF_INET || dv.getUint16(off + SIN.sin_port, false) !== e.port) return false;
    for (let i = 0; i < 4; i++) if (dv.getUint8(off + SIN.sin_addr + i) !== e.addr[i]) return false;
    return true;
  }
  if (dv.getUint16(off + SIN6.sin6_family, true) !== AF_INET6 || dv.getUint16(off + SIN6.sin6_port, false) !== e.port) return false;
  for (let i = 0; i < 16; i++) if (dv.getUint8(off + SIN6.sin6_addr + i) !== e.addr[i]) return false;
  return true;
}
