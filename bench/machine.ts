// SPDX-License-Identifier: GPL-2.0-only
// The machine a benchmark ran on: what its raw results record (`machine` in
// bench/results/*.json) and the "Machine" table of its page, one for every case.
import { availableParallelism, cpus, release } from 'node:os';

/**
 * This machine, and what was measured on it: `reference` the C programs,
 * `ours` our executable, `commit` our work tree (left out when not given),
 * `egress` the lab's egress device kind.
 */
export function machineInfo(o: { date: Date; reference: string; ours: string; commit?: string | null; egress: string }) {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    node: process.version,
    date: o.date.toISOString(),
    reference: o.reference,
    ours: o.ours,
    ...(o.commit === undefined ? {} : { commit: o.commit }),
    egress: o.egress,
  };
}

export type Machine = ReturnType<typeof machineInfo>;

/** The "## Machine" section of a results page; `extraRows`: more `| name | value |` rows at its end. */
export function machineSection(machine: Record<string, unknown>, extraRows: string[] = []): string {
  return [
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    `| CPUs (nproc) | ${machine.nproc} (${machine.cpu}) |`,
    `| kernel | ${machine.kernel} |`,
    `| node | ${machine.node} |`,
    `| date | ${machine.date} |`,
    `| reference | ${machine.reference} |`,
    `| ours | ${machine.ours}${machine.commit ? ` at ${machine.commit}` : ''} |`,
    `| lab egress device | ${machine.egress} |`,
    ...extraRows,
  ].join('\n');
}
