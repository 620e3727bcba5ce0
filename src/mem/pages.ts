// SPDX-License-Identifier: GPL-2.0-only
// Send buffers in native memory, optionally on huge pages (--hugepages):
// MAP_HUGETLB when the host has huge pages reserved (vm.nr_hugepages), else
// transparent huge pages asked for with madvise(MADV_HUGEPAGE) when THP is
// not disabled, else plain pages and one line saying how to reserve huge
// pages. Which one the buffer really got is read back from /proc/self/smaps
// (THP is a request the kernel may not grant), and reported.
import { readFileSync } from 'node:fs';
import { koffi } from '../libc/koffi.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../libc/constants.js';
import { PAGE_SIZE } from '../libc/layout.js';
import { allocNative, errno, madvise, mmap, strerror } from '../libc/libc.js';

/** x86-64 huge page (PMD) size. */
export const HUGE_PAGE_SIZE = 2 << 20;

/** What backs a buffer: reserved huge pages, transparent huge pages, or plain 4 KiB pages. */
export type PageBacking = 'hugetlb' | 'thp' | 'none';

export interface PageBuffer {
  /** Address of the first byte (page aligned; huge-page aligned with --hugepages). */
  addr: number;
  size: number;
  u8: Uint8Array;
  backing: PageBacking;
  /** With --hugepages and no huge pages: the one line that says why and how to get them. */
  why: string | null;
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

function view(addr: number, size: number): Uint8Array {
  return new Uint8Array(koffi.view(BigInt(addr), size));
}

/** The THP mode in brackets in /sys/kernel/mm/transparent_hugepage/enabled ('always', 'madvise', 'never'), or null. */
export function thpMode(): string | null {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** kB of AnonHugePages in the mapping of /proc/self/smaps that holds `addr`, or 0. */
export function anonHugeKb(addr: number): number {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return 0;
  }
  let inside = false;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m) {
      inside = parseInt(m[1], 16) <= addr && addr < parseInt(m[2], 16);
      continue;
    }
    if (inside && line.startsWith('AnonHugePages:')) return Number(/(\d+)/.exec(line)?.[1] ?? 0);
  }
  return 0;
}

const RESERVE = 'reserve some with `sysctl vm.nr_hugepages=64` (128 MiB), or allow THP: ' +
  '`echo madvise > /sys/kernel/mm/transparent_hugepage/enabled`';

/**
 * `size` bytes of zeroed memory that never moves, for the lifetime of the
 * process. Without `huge`, page-aligned plain memory (as allocNative). With
 * it, see the file's comment; every byte is touched here, so the pages
 * exist (and THP has been granted or not) before the measured loop.
 */
export function allocPages(size: number, huge: boolean): PageBuffer {
  if (!huge) {
    const b = allocNative(size, PAGE_SIZE);
    return { addr: b.addr, size, u8: b.u8, backing: 'none', why: null };
  }
  const len = roundUp(size, HUGE_PAGE_SIZE);
  const rw = PROT_READ | PROT_WRITE;
  const h = mmap(0, len, rw, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
  if (h !== -1) {
    const u8 = view(h, len);
    u8.fill(0);
    return { addr: h, size, u8: u8.subarray(0, size), backing: 'hugetlb', why: null };
  }
  const hugetlbWhy = strerror(errno());
  const mode = thpMode();
  // One extra huge page so the buffer can start on a huge-page boundary.
  const raw = mmap(0, len + HUGE_PAGE_SIZE, rw, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw === -1) throw new Error(`mmap ${len + HUGE_PAGE_SIZE} bytes: ${strerror(errno())}`);
  const addr = roundUp(raw, HUGE_PAGE_SIZE);
  const advised = mode !== 'never' && madvise(addr, len, MADV_HUGEPAGE) === 0;
  const u8 = view(addr, len);
  u8.fill(0);
  if (advised && anonHugeKb(addr) > 0) return { addr, size, u8: u8.subarray(0, size), backing: 'thp', why: null };
  const thp = mode === 'never' ? 'transparent huge pages are disabled'
    : advised ? 'the kernel granted no transparent huge page (memory too fragmented?)'
      : 'madvise(MADV_HUGEPAGE) was refused';
  return {
    addr, size, u8: u8.subarray(0, size), backing: 'none',
    why: `huge pages: none used: no huge pages reserved (MAP_HUGETLB: ${hugetlbWhy}) and ${thp}; ${RESERVE}`,
  };
}
