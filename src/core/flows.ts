// SPDX-License-Identifier: GPL-2.0-only
// Flows as a dimension of a run (-P n, --cpus): the limits and the parsed
// options every command that runs several flows shares.
import { UsageError } from './errors.js';
import { parseInteger } from './numbers.js';

/** -P: at most this many flows (each is a Node process of its own). */
export const MAX_FLOWS = 64;
/** --cpus: CPU numbers a cpu_set_t can name (see pinCpu). */
export const MAX_CPU = 1023;

/** A multi-flow run: how many flows, and the CPUs given with --cpus (null: spread over the allowed ones). */
export interface FlowOptions {
  flows: number;
  cpus: number[] | null;
}

/**
 * "0-3,6" → [0, 1, 2, 3, 6]: the list syntax of taskset -c and
 * Cpus_allowed_list, in the order given (repeats allowed: they place flows).
 */
export function parseCpuList(text: string, flag = '--cpus'): number[] {
  const out: number[] = [];
  const hint = 'a list like 0-3 or 0,2,5';
  for (const item of text.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!m) throw new UsageError(`${flag}: not a CPU or range: '${item}'`, hint);
    const lo = parseInteger(m[1], flag, 0, MAX_CPU, true);
    const hi = m[2] === undefined ? lo : parseInteger(m[2], flag, 0, MAX_CPU, true);
    if (hi < lo) throw new UsageError(`${flag}: range ${item} runs backwards`, hint);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}
