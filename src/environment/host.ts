// SPDX-License-Identifier: GPL-2.0-only
// Facts of the host that decide whether a zerocopy send is copied, fails or
// runs slower, read from /proc and /sys and through getrlimit: sysctls,
// the locked-memory limit and CAP_IPC_LOCK, the kernel, the CPUs, IOMMU,
// huge pages. Cheap (a few small reads); never in a measured loop.
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, hostname, machine, release, version } from 'node:os';

/** A file's first line, trimmed, or null when it cannot be read. */
export function readLine(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').split('\n')[0].trim();
  } catch {
    return null;
  }
}

const readNumber = (path: string): number | null => {
  const s = readLine(path);
  return s !== null && /^-?\d+$/.test(s) ? Number(s) : null;
};

/** The sysctls that matter to a zerocopy run, as this namespace sees them (null: unreadable). */
export interface Sysctls {
  optmem_max: number | null;
  wmem_max: number | null;
  rmem_max: number | null;
  tcp_wmem: number[] | null;
  tcp_rmem: number[] | null;
  ipv4_forward: number | null;
  ipv6_forwarding: number | null;
  io_uring_disabled: number | null;
}

const triple = (path: string): number[] | null => {
  const s = readLine(path);
  return s ? s.split(/\s+/).map(Number) : null;
};

export function readSysctls(): Sysctls {
  return {
    optmem_max: readNumber('/proc/sys/net/core/optmem_max'),
    wmem_max: readNumber('/proc/sys/net/core/wmem_max'),
    rmem_max: readNumber('/proc/sys/net/core/rmem_max'),
    tcp_wmem: triple('/proc/sys/net/ipv4/tcp_wmem'),
    tcp_rmem: triple('/proc/sys/net/ipv4/tcp_rmem'),
    ipv4_forward: readNumber('/proc/sys/net/ipv4/ip_forward'),
    ipv6_forwarding: readNumber('/proc/sys/net/ipv6/conf/all/forwarding'),
    io_uring_disabled: readNumber('/proc/sys/kernel/io_uring_disabled'),
  };
}

export { hasIpcLock, memlockLimit } from '../net/budget.js';

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The CPUs this process may run on (Cpus_allowed_list), as the kernel writes the list. */
export function allowedCpus(status: string | null = readText('/proc/self/status')): string | null {
  const m = status && /^Cpus_allowed_list:\s*(\S+)$/m.exec(status);
  return m ? m[1] : null;
}

/** Kernel release as numbers ("6.18.0-1-amd64" -> [6, 18]). */
export function kernelVersion(rel: string = release()): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export interface Iommu {
  /** Whether any IOMMU group exists (/sys/kernel/iommu_groups). */
  present: boolean;
  /** The default domain type of the first group (identity = passthrough, DMA, DMA-FQ), or null. */
  mode: string | null;
  /** iommu= / intel_iommu= / amd_iommu= on the kernel command line, or null. */
  cmdline: string | null;
}

export function readIommu(): Iommu {
  let groups: string[] = [];
  try {
    groups = readdirSync('/sys/kernel/iommu_groups');
  } catch { /* none */ }
  const mode = groups.length ? readLine(`/sys/kernel/iommu_groups/${groups[0]}/type`) : null;
  const cmd = readLine('/proc/cmdline') ?? '';
  const opts = cmd.split(/\s+/).filter((w) => /^(iommu|intel_iommu|amd_iommu)(\.\w+)?=/.test(w));
  return { present: groups.length > 0, mode, cmdline: opts.length ? opts.join(' ') : null };
}

export interface HugePages {
  /** /sys/kernel/mm/transparent_hugepage/enabled: the selected mode (always, madvise, never). */
  thp: string | null;
  /** HugePages_Total and Hugepagesize (kB) from /proc/meminfo. */
  total: number | null;
  sizeKb: number | null;
}

export function readHugePages(): HugePages {
  const sel = readLine('/sys/kernel/mm/transparent_hugepage/enabled');
  const thp = sel ? (/\[(\w+)\]/.exec(sel)?.[1] ?? sel) : null;
  const info = readText('/proc/meminfo') ?? '';
  const num = (k: string): number | null => {
    const m = new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(info);
    return m ? Number(m[1]) : null;
  };
  return { thp, total: num('HugePages_Total'), sizeKb: num('Hugepagesize') };
}

export interface CpuFacts {
  model: string | null;
  count: number;
  allowed: string | null;
  allowedCount: number;
  governor: string | null;
}

export function readCpus(): CpuFacts {
  const list = cpus();
  return {
    model: list[0]?.model ?? null,
    count: list.length,
    allowed: allowedCpus(),
    allowedCount: availableParallelism(),
    governor: readLine('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
  };
}

export interface KernelFacts {
  release: string;
  version: string;
  machine: string;
  hostname: string;
}

export const readKernel = (): KernelFacts => ({ release: release(), version: version(), machine: machine(), hostname: hostname() });

/** Packet sockets open in this namespace (/proc/net/packet): each one taps every frame of its device or of all, and copies zerocopy frags. */
export function packetSockets(text: string | null = readText('/proc/net/packet')): Array<{ proto: number; ifindex: number }> {
  if (!text) return [];
  const out: Array<{ proto: number; ifindex: number }> = [];
  for (const line of text.split('\n').slice(1)) {
    const w = line.trim().split(/\s+/);
    // sk RefCnt Type Proto Iface R Rmem User Inode
    if (w.length >= 5) out.push({ proto: parseInt(w[3], 16), ifindex: Number(w[4]) });
  }
  return out;
}
