// SPDX-License-Identifier: GPL-2.0-only
// One integer parser for every command, with the C tool's rules
// (strtoul(..., 0)): decimal, 0x hex, leading-0 octal, the whole string must
// parse, and the range is checked. Errors are usage errors (exit 1).
import { UsageError } from './errors.js';

/**
 * Parse `text` for option `flag` (named as typed, e.g. "-p" or "--size").
 * `base10`: only decimal (the selftest reads -t with strtoul(…, 10)).
 */
export function parseInteger(text: string, flag: string, min: number, max: number, base10 = false): number {
  const t = text.trim();
  const range = `give a number from ${min} to ${max}`;
  let v: number;
  if (!base10 && /^0[xX][0-9a-fA-F]+$/.test(t)) v = parseInt(t.slice(2), 16);
  else if (!base10 && /^0[0-7]+$/.test(t)) v = parseInt(t.slice(1), 8);
  else if (/^[0-9]+$/.test(t)) v = parseInt(t, 10);
  else if (/^-[0-9]+$/.test(t)) throw new UsageError(`${flag}: negative value '${text}'`, range);
  else if (/^-?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(t)) throw new UsageError(`${flag}: '${text}' must be a whole number`, range);
  else throw new UsageError(`${flag}: not a number: '${text}'`, range);
  if (v < min || v > max) throw new UsageError(`${flag}: ${v} is out of range`, range);
  return v;
}
