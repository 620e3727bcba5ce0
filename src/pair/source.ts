// SPDX-License-Identifier: GPL-2.0-only
// Where pair's sender sends from, so that serve's receiver takes nothing
// else: the address of this host that the control connection to serve came
// from (the one serve already sees), and data ports on it that are free now
// (one per flow, consecutive, as the receiver's). Plus the payload pattern's
// seed, fresh for every run. Both go to serve in the sealed run request.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Family } from '../core/vocabulary.js';

/** Ports pair picks its sender's source ports from: the usual ephemeral range (net.ipv4.ip_local_port_range). */
const SOURCE_LO = 32768;
const SOURCE_HI = 60999;
/** Tries at a run of free ports before giving up. */
const TRIES = 32;

/** A fresh seed for the payload pattern: 32 hex digits (net/headers.ts seededPattern). */
export const newPatternSeed = (): string => randomBytes(16).toString('hex');

/** True when `port` on `addr` can be bound now (tcp: listened on; udp: bound), then let go. */
function portFree(proto: 'tcp' | 'udp', family: Family, addr: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
      s.once('error', () => { s.close(); resolve(false); });
      s.bind({ address: addr, port, exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host: addr, port, exclusive: true, backlog: 1 }, () => srv.close(() => resolve(true)));
  });
}

/**
 * `n` consecutive ports on `addr` that are free for `proto` now, the first
 * picked at random in the ephemeral range (a port the kernel hands out for
 * other connections too, so one may be taken in between: the sender's bind
 * then fails with the reason, and the run is not measured). Null when none
 * were found in TRIES tries.
 */
export async function freeSourcePorts(proto: 'tcp' | 'udp', family: Family, addr: string, n: number): Promise<number | null> {
  for (let t = 0; t < TRIES; t++) {
    const first = SOURCE_LO + randomBytes(4).readUInt32BE(0) % (SOURCE_HI - SOURCE_LO + 2 - n);
    let ok = true;
    for (let k = 0; k < n && ok; k++) ok = await portFree(proto, family, addr, first + k);
    if (ok) return first;
  }
  return null;
}
