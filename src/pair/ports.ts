// SPDX-License-Identifier: GPL-2.0-only
// Who holds a data port in serve's network namespace. Before serve starts a
// receiver, no socket of any kind may hold the port: every table of
// /proc/self/net (tcp, tcp6, udp, udp6, raw, raw6) is searched for it, in
// any state, so that our receiver (which sets SO_REUSEPORT as the C tool
// does) can never join another program's reuseport group, and a sender can
// never fill another program's socket. Once the receiver's socket is bound,
// every socket on the port must be one of the receiver's own (by inode; a
// receiver of several flows holds them in its children). With -P n all of
// ports -p .. -p + n - 1 are checked so.
// Entries with inode 0 (TIME_WAIT, orphaned closing connections) belong to
// no program and cannot receive data; they are not holders.
import { readdir, readFile } from 'node:fs/promises';
import type { RxTest } from '../core/vocabulary.js';
import { socketInodes } from '../run/ready.js';

export const TABLES = ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6'] as const;
/** The protocol a raw receiver opens (IPPROTO_EGP); raw tables show it in the port column. */
export const RAW_PROTOCOL = 8;

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING',
};

export interface Holder {
  table: (typeof TABLES)[number];
  /** Local address and port as people write them. */
  local: string;
  state: string;
  inode: string;
}

/** The local address of a /proc/net line ("0100007F:1F40") as text. */
export function decodeLocal(hex: string): string {
  const [addr, port] = hex.split(':');
  const p = parseInt(port, 16);
  if (addr.length === 8) {
    const b = Buffer.from(addr, 'hex').reverse();
    return `${b.join('.')}:${p}`;
  }
  // IPv6: four 32-bit words, each in host (little-endian) order.
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = Buffer.from(addr.slice(i, i + 8), 'hex').reverse().toString('hex');
    words.push(w.slice(0, 4), w.slice(4));
  }
  const text = words.map((w) => w.replace(/^0+(?=.)/, '')).join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  return `[${text}]:${p}`;
}

/**
 * Sockets in the tables of `procNet` whose local port is `port` (raw tables:
 * whose protocol is `port`, or RAW_PROTOCOL for a raw receiver). Pure over
 * the text of the tables.
 */
export function holdersIn(tables: Partial<Record<(typeof TABLES)[number], string>>, port: number, test: RxTest): Holder[] {
  const out: Holder[] = [];
  for (const table of TABLES) {
    const text = tables[table];
    if (!text) continue;
    const keys = new Set([port]);
    if (test === 'raw' && table.startsWith('raw')) keys.add(RAW_PROTOCOL);
    for (const line of text.split('\n').slice(1)) {
      // sl local rem st queues tr:when retrnsmt uid timeout inode
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const colon = f[1].lastIndexOf(':');
      if (!keys.has(parseInt(f[1].slice(colon + 1), 16)) || f[9] === '0') continue;
      const state = table.startsWith('tcp') ? TCP_STATES[f[3]] ?? f[3] : f[3] === '01' ? 'connected' : 'bound';
      out.push({ table, local: decodeLocal(f[1]), state, inode: f[9] });
    }
  }
  return out;
}

async function readTables(procNet: string): Promise<Partial<Record<(typeof TABLES)[number], string>>> {
  const tables: Partial<Record<(typeof TABLES)[number], string>> = {};
  await Promise.all(TABLES.map(async (t) => {
    try {
      tables[t] = await readFile(`${procNet}/${t}`, 'utf8');
    } catch { /* no IPv6, or no raw table: nothing there */ }
  }));
  return tables;
}

/** Every socket of this network namespace on the data port (see holdersIn). */
export async function portHolders(port: number, test: RxTest, procNet = '/proc/self/net'): Promise<Holder[]> {
  return holdersIn(await readTables(procNet), port, test);
}

/**
 * The data ports `port` .. `port + count - 1` (the flows of -P count) that
 * any socket of this network namespace holds, in order, with their holders;
 * empty when every one is free. The tables are read once.
 */
export async function heldPorts(port: number, count: number, test: RxTest, procNet = '/proc/self/net'):
  Promise<Array<{ port: number; holders: Holder[] }>> {
  const tables = await readTables(procNet);
  const out: Array<{ port: number; holders: Holder[] }> = [];
  for (let q = port; q < port + count; q++) {
    const holders = holdersIn(tables, q, test);
    if (holders.length) out.push({ port: q, holders });
  }
  return out;
}

/** The process holding socket `inode` ("pid 123 (name)"), or null; looks at most at `limit` processes. */
export async function ownerOf(inode: string, limit = 4096): Promise<string | null> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p)).slice(0, limit);
  } catch {
    return null;
  }
  for (const pid of pids) {
    if ((await socketInodes(Number(pid))).has(inode)) {
      let comm = '?';
      try {
        comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
      } catch { /* gone */ }
      return `pid ${pid} (${comm})`;
    }
  }
  return null;
}

/** One line naming the holders (the first few, with their owners). */
export async function describeHolders(holders: Holder[]): Promise<string> {
  const parts = await Promise.all(holders.slice(0, 3).map(async (h) => {
    const owner = await ownerOf(h.inode);
    return `${h.table} ${h.state} ${h.local}${owner ? ` held by ${owner}` : ''}`;
  }));
  return parts.join(', ') + (holders.length > 3 ? ` and ${holders.length - 3} more` : '');
}
