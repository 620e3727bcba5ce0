// SPDX-License-Identifier: GPL-2.0-only
// Text that came from the network, made safe to print: everything but
// printable ASCII (control characters, DEL, C1, and any other character,
// which may reorder, hide or imitate text) shown as an escape, and the
// length bounded. Every line serve logs and pair displays that carries
// peer text goes through `shown`.

/** Longest peer text shown in one line. */
export const SHOWN_MAX = 200;

const UNSAFE = /[^\x20-\x7e]/gu;

const escape = (c: string): string => {
  const n = c.codePointAt(0) ?? 0;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
};

/** `text` with everything but printable ASCII escaped, cut to `max` characters (the cut says how much is left out). */
export function shown(text: unknown, max = SHOWN_MAX): string {
  const s = typeof text === 'string' ? text : JSON.stringify(text) ?? String(text);
  const head = s.length > max ? s.slice(0, max) : s;
  const safe = head.replace(UNSAFE, escape);
  return s.length > max ? `${safe}... (${s.length - max} more characters)` : safe;
}

/** Host:port as people write it ([v6]:port). */
export const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** A peer's address without the IPv4-mapped prefix. */
export const plainAddress = (addr: string | undefined): string | null => (addr ? addr.replace(/^::ffff:/, '') : null);
