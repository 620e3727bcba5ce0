// SPDX-License-Identifier: GPL-2.0-only
// The environment block every report carries (issue 18): what ran, where,
// on which kernel, CPUs and egress device, with which sysctls and limits,
// so two results can be compared or reproduced (iperf3's
// start.system_info, netperf's omni selectors). Collected once per run,
// outside the measured loop, and only when a report is written: a classic
// run without --json never loads this module.
import { randomUUID } from 'node:crypto';
import { koffi } from '../libc/koffi.js';
import { TOOL_VERSION } from '../core/version.js';
import { memlockLimit, hasIpcLock, readCpus, readHugePages, readIommu, readKernel, readSysctls, type CpuFacts, type HugePages,
  type Iommu, type KernelFacts, type Sysctls } from './host.js';
import { walkPath, type Device, type PathWalk } from './path.js';

export interface EnvironmentDevice {
  name: string;
  kind: string;
  driver: string | null;
  version: string | null;
  firmware: string | null;
  bus: string | null;
  features: string[];
  mtu: number | null;
  qdisc: string | null;
}

export interface Environment {
  tool: string;
  toolVersion: string;
  node: string;
  koffi: string;
  commandLine: string[];
  runId: string;
  timestamp: string;
  kernel: KernelFacts;
  cpu: CpuFacts;
  /** The device a send to the destination leaves by (in this namespace), or null (no destination, no route). */
  egress: EnvironmentDevice | null;
  sysctls: Sysctls;
  /** RLIMIT_MEMLOCK soft limit in bytes (null: unlimited), and whether CAP_IPC_LOCK exempts the process from it. */
  memlock: { limitBytes: number | null; exempt: boolean };
  hugePages: HugePages;
  iommu: Iommu;
}

export function environmentDevice(d: Device): EnvironmentDevice {
  return { name: d.name, kind: d.kind, driver: d.driver, version: d.version, firmware: d.firmware, bus: d.bus,
    features: d.features, mtu: d.mtu, qdisc: d.qdisc };
}

/** Where the run sends to, for the egress device; null for a receiver without a destination to route to. */
export interface Destination {
  family: 4 | 6;
  addr: Uint8Array;
}

/** Collect the block. `walk`: an already walked path (the doctor has one), else the route to `dst` is looked up. */
export function collectEnvironment(dst: Destination | null, walk?: PathWalk | null, argv: string[] = process.argv.slice(2)): Environment {
  let w: PathWalk | null = null;
  if (walk !== undefined) w = walk;
  else if (dst) {
    try {
      w = walkPath(dst.family, dst.addr);
    } catch {
      w = null;
    }
  }
  const first = w?.hops[0]?.device ?? null;
  return {
    tool: 'msg-zerocopy',
    toolVersion: TOOL_VERSION,
    node: process.version,
    koffi: String((koffi as unknown as { version?: string }).version ?? 'unknown'),
    commandLine: ['msg-zerocopy', ...argv],
    runId: randomUUID(),
    timestamp: new Date().toISOString(),
    kernel: readKernel(),
    cpu: readCpus(),
    egress: first ? environmentDevice(first) : null,
    sysctls: readSysctls(),
    memlock: { limitBytes: memlockLimit(), exempt: hasIpcLock() },
    hugePages: readHugePages(),
    iommu: readIommu(),
  };
}

/** What differs between two environments that matters to a comparison (kernel, CPU, device, sysctls, limits); empty when nothing. */
export function environmentDifferences(a: Environment, b: Environment): string[] {
  const out: string[] = [];
  const cmp = (what: string, x: unknown, y: unknown): void => {
    const sx = JSON.stringify(x);
    const sy = JSON.stringify(y);
    if (sx !== sy) out.push(`${what}: ${sx} vs ${sy}`);
  };
  // Optional chaining throughout: a peer's or an older report's block may lack a part.
  cmp('kernel', a.kernel?.release, b.kernel?.release);
  cmp('hostname', a.kernel?.hostname, b.kernel?.hostname);
  cmp('cpu model', a.cpu?.model, b.cpu?.model);
  cmp('allowed cpus', a.cpu?.allowed, b.cpu?.allowed);
  cmp('governor', a.cpu?.governor, b.cpu?.governor);
  cmp('egress device', a.egress && { ...a.egress, features: undefined }, b.egress && { ...b.egress, features: undefined });
  cmp('egress features', a.egress?.features ?? null, b.egress?.features ?? null);
  cmp('sysctls', a.sysctls, b.sysctls);
  cmp('memlock', a.memlock, b.memlock);
  cmp('huge pages', a.hugePages, b.hugePages);
  cmp('iommu', a.iommu, b.iommu);
  return out;
}

/** The environment block a report carries, or null (an older peer's report, a report without one). */
export function environmentOf(report: unknown): Environment | null {
  const e = report && typeof report === 'object' ? (report as { environment?: unknown }).environment : undefined;
  return e && typeof e === 'object' && typeof (e as Environment).runId === 'string' ? e as Environment : null;
}

/** The block in one line, for the HTML header and the CSV's header comment. */
export function environmentLine(e: Environment): string {
  const g = e.egress;
  const eg = g ? `egress ${g.name} (${g.kind}${g.driver ? `, driver ${g.driver}${g.version ? ` ${g.version}` : ''}` : ''}, mtu ${g.mtu ?? '?'}, ` +
    `qdisc ${g.qdisc ?? '?'}, ${['tx-scatter-gather', 'tx-checksum-ip-generic', 'tx-tcp-segmentation', 'tx-generic-segmentation']
      .filter((f) => g.features.includes(f)).length}/4 of sg, csum, tso, gso on)` : 'egress -';
  const s = e.sysctls;
  return [
    `kernel ${e.kernel.release} ${e.kernel.machine}, host ${e.kernel.hostname}`,
    `${e.cpu.model ?? 'CPU'} x${e.cpu.count} (allowed ${e.cpu.allowed ?? '?'}${e.cpu.governor ? `, ${e.cpu.governor}` : ''})`,
    eg,
    `optmem_max ${s.optmem_max ?? '?'}, wmem_max ${s.wmem_max ?? '?'}, rmem_max ${s.rmem_max ?? '?'}`,
    `memlock ${e.memlock.exempt ? 'exempt' : e.memlock.limitBytes === null ? 'unlimited' : `${Math.round(e.memlock.limitBytes / 1024)} KiB`}`,
    `THP ${e.hugePages.thp ?? '?'}, IOMMU ${e.iommu.present ? (e.iommu.mode ?? 'on') : 'none'}`,
    `node ${e.node}, koffi ${e.koffi}, run ${e.runId}`,
  ].join('; ');
}
