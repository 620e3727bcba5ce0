// SPDX-License-Identifier: GPL-2.0-only
// What the serving host can carry: a receiver of n flows is n processes that
// must all start (and the sender's n on the other host) before the run's
// time is up, and each takes memory. serve refuses up front, with the
// reason, a run of more flows than its CPUs can start within the sender's
// run, or than its memory holds; what it accepts it completes. Pure, over
// the host's figures (read by serve at start).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { allowedCpus } from '../flows/plan.js';

/**
 * CPU time one flow takes to start (a Node process, its module load and its
 * socket), seconds. Measured on a 2-vCPU project host under load (load
 * average about 20): `-r -P 8 -t 0 udp` used 3.2 s of CPU, `-P 16` 5.5 s,
 * `-P 1` 0.31 s: 0.33 to 0.36 s a flow.
 */
export const FLOW_START_CPU_SECS = 0.35;
/** Memory one flow holds (RSS of a flow's process; 66 processes held 2.85 GB here), bytes. */
export const FLOW_BYTES = 48e6;
/** Share of the host's available memory a run may take. */
const MEMORY_SHARE = 0.5;

export interface HostCapacity {
  /** CPUs serve (and so its receiver's flows) may run on. */
  cpus: number;
  /** MemAvailable at serve's start, bytes; null when unknown. */
  memAvailable: number | null;
}

/** This host's figures: the CPUs this process may use, and MemAvailable. */
export function hostCapacity(): HostCapacity {
  let status = '';
  let meminfo = '';
  try { status = readFileSync('/proc/self/status', 'utf8'); } catch { /* no /proc: every CPU */ }
  try { meminfo = readFileSync('/proc/meminfo', 'utf8'); } catch { /* unknown */ }
  const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(meminfo);
  return { cpus: allowedCpus(status)?.length ?? availableParallelism(), memAvailable: kb ? Number(kb[1]) * 1024 : null };
}

/** Seconds `flows` flows take to start on `cpus` CPUs. */
export const startSecs = (flows: number, cpus: number): number => (flows * FLOW_START_CPU_SECS) / cpus;

/**
 * The most flows this host starts within a sender run of `runSecs` (-t +
 * 0.2 s): one a CPU always (they start side by side), more while their
 * start-up fits in the run; and no more than its memory holds.
 */
export function maxFlows(host: HostCapacity, runSecs: number, limit: number): number {
  let n = Math.max(host.cpus, Math.floor((runSecs * host.cpus) / FLOW_START_CPU_SECS));
  if (host.memAvailable !== null) n = Math.min(n, Math.max(1, Math.floor((host.memAvailable * MEMORY_SHARE) / FLOW_BYTES)));
  return Math.min(n, limit);
}

/** The smallest whole -t with which `flows` flows start within the run here. */
const secsFor = (flows: number, cpus: number): number => Math.max(0, Math.ceil(startSecs(flows, cpus) - 0.2));

/**
 * A run of `flows` flows whose sender runs `senderSecs` (pair -t): null when
 * this host can carry it, else the one-line reason with what would fit.
 */
export function capacityRefusal(flows: number, senderSecs: number, host: HostCapacity, limit: number): string | null {
  if (flows <= 1) return null;
  const runSecs = senderSecs + 0.2;
  const most = maxFlows(host, runSecs, limit);
  if (flows <= most) return null;
  const cpus = `${host.cpus} CPU${host.cpus === 1 ? '' : 's'}`;
  if (host.memAvailable !== null && flows * FLOW_BYTES > host.memAvailable * MEMORY_SHARE) {
    return `-P ${flows}: ${flows} receiver processes need about ${((flows * FLOW_BYTES) / 1e9).toFixed(1)} GB, more than half of the ` +
      `${(host.memAvailable / 1e9).toFixed(1)} GB this host has free: use -P ${most} or fewer`;
  }
  const t = secsFor(flows, host.cpus);
  return `-P ${flows}: this host (${cpus}) needs about ${startSecs(flows, host.cpus).toFixed(1)} s to start ${flows} receiver flows ` +
    `(${FLOW_START_CPU_SECS} s of CPU each), longer than the ${runSecs.toFixed(1)} s run of -t ${senderSecs}, so they would not run ` +
    `together: use -P ${most} or fewer${t <= MAX_SUGGESTED_SECS ? `, or -t ${t} or more` : ''}`;
}

/** Beyond this -t is not suggested (serve's --max-time decides anyway). */
const MAX_SUGGESTED_SECS = 3600;

/** The policy line's part about flows. */
export function capacityText(host: HostCapacity, limit: number): string {
  return `flows (-P) up to ${maxFlows(host, 1.2, limit)} with -t 1 on ${host.cpus} CPU${host.cpus === 1 ? '' : 's'} ` +
    `(${FLOW_START_CPU_SECS} s of CPU to start each; more with a longer -t, up to ${Math.min(limit, maxFlows(host, Infinity, limit))})`;
}
