// SPDX-License-Identifier: GPL-2.0-only
// The plan of a multi-flow run (-P n) as plain data, built by pure functions:
// flow k (0 .. n-1) is a child of our own executable with the classic
// command line of the whole run, data port -p + k, one CPU (-C) and --json.
import { runtimeMs, type Config } from '../core/config.js';
import { UsageError } from '../core/errors.js';
import type { RxTest } from '../core/vocabulary.js';
import { senderSpecOf, type ClassicSpec, type ReceiverSpec } from '../run/classic.js';

export interface Flow {
  /** 0 .. n-1: the [k] of its lines. */
  index: number;
  port: number;
  /** The CPU it is pinned to, or null (none known). */
  cpu: number | null;
  /** Its command line (with --json: the parent reads its report). */
  spec: ClassicSpec;
}

/** The CPUs this process may run on, from the Cpus_allowed_list line of /proc/self/status; null when absent. */
export function allowedCpus(status: string): number[] | null {
  const m = /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(status);
  if (!m) return null;
  const out: number[] = [];
  for (const item of m[1].split(',')) {
    const r = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (!r) return null;
    for (let c = Number(r[1]); c <= Number(r[2] ?? r[1]); c++) out.push(c);
  }
  return out.length ? out : null;
}

/** "0-3,6" for [0, 1, 2, 3, 6] (the kernel's list format). */
export function formatCpuList(cpus: readonly number[]): string {
  const s = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; i++) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j;
  }
  return parts.join(',');
}

/**
 * The CPU of each of `n` flows: the k-th of `given` (--cpus), else of
 * `allowed` (the CPUs this process may use), round robin; null for every
 * flow when neither is known. A given CPU outside `allowed` is refused.
 */
export function flowCpus(n: number, given: readonly number[] | null, allowed: readonly number[] | null): Array<number | null> {
  if (given && allowed) {
    const bad = given.find((c) => !allowed.includes(c));
    if (bad !== undefined) {
      throw new UsageError(`--cpus: CPU ${bad} is not one this process may run on`, `allowed: ${formatCpuList(allowed)}`);
    }
  }
  const list = given ?? allowed;
  return Array.from({ length: n }, (_, k) => (list && list.length ? list[k % list.length] : null));
}

/**
 * argv that starts a flow on its CPU from its first instruction (taskset sets
 * the affinity and execs, so the pid stays the flow's): its Node start-up then
 * runs beside no other flow's measured loop. Unchanged without a CPU or taskset.
 */
export function pinnedArgv(argv: string[], cpu: number | null, taskset: string | null): string[] {
  return cpu === null || taskset === null ? argv : [taskset, '--cpu-list', String(cpu), ...argv];
}

/** The receiver spec of a checked classic configuration (-r): the counterpart of senderSpecOf. */
export function receiverSpecOf(cfg: Config): ReceiverSpec {
  return {
    role: 'receiver', family: cfg.family, test: cfg.test as RxTest, dst: cfg.dstText, src: cfg.srcText ?? undefined,
    ifname: cfg.ifname ?? undefined, port: cfg.port, size: cfg.payloadLen, secs: (cfg.runtimeMs - runtimeMs(0)) / 1000,
    cpu: cfg.cpu, verbose: cfg.verbose, interval: cfg.intervalMs / 1000 || undefined, json: true,
    extra: cfg.sharedFdTable ? ['--shared-fd-table'] : [],
    rxMode: cfg.rxMode, expectMapped: cfg.expectMapped,
    peer: cfg.peer ? { addr: cfg.peer.text, port: cfg.peer.port } : undefined, patternSeed: cfg.patternSeed ?? undefined,
  };
}

/** Start-up time a multi-flow run is given per flow, seconds (measured: about 0.1 s a flow, per side, on a busy 2-CPU machine). */
export const START_SECS_PER_FLOW = 0.25;

/**
 * Seconds a receiver of `n` flows (-r -P n) needs on top of the one second it
 * already runs longer than its sender, when serve and pair start the two one
 * after the other: each receiver flow starts its clock (udp) or its wait for
 * a connection (tcp) once it has started itself, the sender's flows start
 * only once every receiver flow is ready, and take as long again to start.
 * START_SECS_PER_FLOW a flow, less that one second, in whole seconds: 0 up
 * to 4 flows, 1 for 8, 15 for 64.
 */
export function flowsStartSecs(n: number): number {
  return n > 1 ? Math.max(0, Math.ceil(n * START_SECS_PER_FLOW - 1)) : 0;
}

/** The flows of a run: the run's own command line, with port -p + k, CPU `cpus[k]` and --json, one flow each. */
export function planFlows(cfg: Config, cpus: ReadonlyArray<number | null>): Flow[] {
  const base: ClassicSpec = cfg.rx ? receiverSpecOf(cfg) : senderSpecOf(cfg);
  return cpus.map((cpu, index) => {
    const port = cfg.port + index;
    // --peer and --bind: flow k's sender sends from port + k, as its receiver listens on -p + k.
    const shifted: ClassicSpec = base.role === 'sender'
      ? { ...base, bind: base.bind && { ...base.bind, port: base.bind.port + index } }
      : { ...base, peer: base.peer && { ...base.peer, port: base.peer.port + index } };
    return { index, port, cpu, spec: { ...shifted, port, cpu, json: true } };
  });
}
