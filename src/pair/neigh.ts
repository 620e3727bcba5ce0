// SPDX-License-Identifier: GPL-2.0-only
// packet and packet_dgram senders address Ethernet frames themselves, so
// pair needs the MAC address of the next hop towards the receiver: the
// interface the route to -D leaves by (`ip route get`), and that hop's entry
// in the neighbour table of the interface (`ip neigh`). The control
// connection to serve, which goes the same way, has just filled that entry.
import { execFile } from 'node:child_process';
import type { Family } from '../core/vocabulary.js';

export interface NextHop {
  /** Interface the route leaves by. */
  dev: string;
  /** The neighbour frames go to: the gateway, or the destination itself. */
  hop: string;
  /** The route's preferred source address, if any. */
  src: string | null;
  /** Route type (unicast, local, …). */
  type: string;
}

export interface Neighbour { mac: string; state: string }

function ipJson(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['-j', ...args], { timeout: 5000, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }, (err, out, errText) => {
      if (err) {
        reject(new Error(String(errText || err.message).trim().split('\n').pop()));
        return;
      }
      try {
        resolve(JSON.parse(out || '[]'));
      } catch {
        reject(new Error(`ip ${args.join(' ')}: unreadable output`));
      }
    });
  });
}

/** Parse `ip -j route get` output. Pure. */
export function parseRoute(v: unknown, dst: string): NextHop | null {
  if (!Array.isArray(v) || !v[0] || typeof v[0] !== 'object') return null;
  const r = v[0] as Record<string, unknown>;
  if (typeof r.dev !== 'string') return null;
  return {
    dev: r.dev,
    hop: typeof r.gateway === 'string' ? r.gateway : dst,
    src: typeof r.prefsrc === 'string' ? r.prefsrc : null,
    type: typeof r.type === 'string' ? r.type : 'unicast',
  };
}

const USABLE = ['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT', 'NOARP'];

/** Parse `ip -j neigh show` output: the usable entry for `hop`, or null. Pure. */
export function parseNeigh(v: unknown, hop: string): Neighbour | null {
  if (!Array.isArray(v)) return null;
  for (const e of v as Array<Record<string, unknown>>) {
    if (!e || e.dst !== hop || typeof e.lladdr !== 'string') continue;
    const states = Array.isArray(e.state) ? (e.state as unknown[]).map(String) : [];
    if (!states.some((s) => USABLE.includes(s))) continue;
    if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(e.lladdr)) continue;
    return { mac: e.lladdr.toLowerCase(), state: states.join(',') };
  }
  return null;
}

/** The route towards `dst`; throws with one line when there is none. */
export async function routeTo(family: Family, dst: string): Promise<NextHop> {
  const r = parseRoute(await ipJson([`-${family}`, 'route', 'get', dst]), dst);
  if (!r) throw new Error(`no route to ${dst}`);
  return r;
}

/** The MAC of `hop` on `dev` from the neighbour table, or null. */
export async function neighbourMac(family: Family, hop: string, dev: string): Promise<Neighbour | null> {
  return parseNeigh(await ipJson([`-${family}`, 'neigh', 'show', 'to', hop, 'dev', dev]), hop);
}
