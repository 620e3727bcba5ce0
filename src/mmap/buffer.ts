// SPDX-License-Identifier: GPL-2.0-only
// tcp_mmap's mmap_large_buffer: an anonymous mapping for the data, huge
// pages first, and the same warning line when the system has none.
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_POPULATE, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../libc/constants.js';
import { koffi } from '../libc/koffi.js';
import { errno, mmap, munmap, strerror } from '../libc/libc.js';
import { KernelError } from '../core/errors.js';

export interface LargeBuffer {
  addr: number;
  size: number;
  u8: Uint8Array;
  free(): void;
}

export function mmapLargeBuffer(need: number, align: number, warn: (line: string) => void): LargeBuffer {
  let size = Math.ceil(need / align) * align;
  let addr = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
  if (addr === -1) {
    size = need;
    addr = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (addr !== -1) warn('MAP_HUGETLB attempt failed, look at /sys/kernel/mm/hugepages for optimal performance');
  }
  if (addr === -1) throw new KernelError(`mmap: ${strerror(errno())}`, errno());
  const u8 = new Uint8Array(koffi.view(BigInt(addr), size));
  return { addr, size, u8, free: () => { munmap(addr, size); } };
}
