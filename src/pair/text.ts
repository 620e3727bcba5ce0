// SPDX-License-Identifier: GPL-2.0-only
// Text that came from the network, made safe to print: every control
// character (C0, DEL, C1, and the Unicode marks that reorder or hide text)
// shown as an escape, and the length bounded. Every line serve logs and pair
// displays that carries peer text goes through `shown`.

/** Longest peer text shown in one line. */
export const SHOWN_MAX = 200;

// C0 (tab and newline included), DEL, C1, zero-width and bidirectional
// controls, line and paragraph separators.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

const escape = (c: string): string => {
  const n = c.codePointAt(0) ?? 0;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
};

/** `text` with control characters escaped, cut to `max` characters (the cut says how much is left out). */
export function shown(text: unknown, max = SHOWN_MAX): string {
  const s = typeof text === 'string' ? text : JSON.stringify(text) ?? String(text);
  const head = s.length > max ? s.slice(0, max) : s;
  const safe = head.replace(UNSAFE, escape);
  return s.length > max ? `${safe}… (${s.length - max} more characters)` : safe;
}

/** Host:port as people write it ([v6]:port). */
export const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** A peer's address without the IPv4-mapped prefix. */
export const plainAddress = (addr: string | undefined): string => (addr ?? 'unknown').replace(/^::ffff:/, '');
