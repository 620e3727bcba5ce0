// SPDX-License-Identifier: GPL-2.0-only
// A zerocopy send's two budgets, as the kernel charges them
// (net/core/skbuff.c, net/core/sock.c):
//  - each send allocates a notification skb with sock_omalloc, charged to
//    the socket's optmem until the error queue is read; the check is
//    omem + SKB_TRUESIZE(0) > net.core.optmem_max;
//  - each send pins (len >> PAGE_SHIFT) + 2 pages charged to the user's
//    locked memory against RLIMIT_MEMLOCK, unless the process has
//    CAP_IPC_LOCK (mm_account_pinned_pages).
// Either one short is ENOBUFS. The hint of an ENOBUFS names the one that
// applies: today's run as an unprivileged user with `ulimit -l 64` fails on
// the locked-memory limit, not on optmem_max.
import { readFileSync } from 'node:fs';
import { RLIMIT_MEMLOCK } from '../libc/constants.js';
import { PAGE_SIZE, RLIMIT } from '../libc/layout.js';
import { allocNative, getrlimit } from '../libc/libc.js';

/** SKB_TRUESIZE(0) on x86-64: what sock_omalloc checks against optmem_max for each notification. */
export const NOTIFY_CHECKED = 576;
/** What one notification skb is charged (its truesize) while outstanding. */
export const NOTIFY_CHARGED = 768;

/** Pages one zerocopy send of `len` bytes charges to locked memory. */
export const pinnedPages = (len: number): number => Math.floor(len / PAGE_SIZE) + 2;

/** RLIMIT_MEMLOCK soft limit in bytes; null when unlimited (or unreadable). */
export function memlockLimit(): number | null {
  const b = allocNative(RLIMIT.size);
  if (getrlimit(RLIMIT_MEMLOCK, b.addr) !== 0) return null;
  const cur = b.dv.getBigUint64(RLIMIT.rlim_cur, true);
  return cur === 0xffffffffffffffffn ? null : Number(cur);
}

/** CAP_IPC_LOCK (bit 14) in the effective set of /proc/self/status's CapEff. */
export function hasIpcLock(status?: string | null): boolean {
  let text = status;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      text = null;
    }
  }
  const m = text ? /^CapEff:\s*([0-9a-f]+)$/m.exec(text) : null;
  return m ? (BigInt(`0x${m[1]}`) & (1n << 14n)) !== 0n : false;
}

function optmemMax(): number | null {
  try {
    const v = Number(readFileSync('/proc/sys/net/core/optmem_max', 'utf8').trim());
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

export interface BudgetFacts {
  payloadLen: number;
  /** -l (msg) or null (io_uring: its notifications are not charged to optmem). */
  notificationLimit: number | null;
  exempt: boolean;
  memlockBytes: number | null;
  optmem: number | null;
}

const kib = (b: number): number => Math.ceil(b / 1024);

/** The hint for an ENOBUFS from a zerocopy send: which budget ran out, and the fix. Pure. */
export function enobufsCause(f: BudgetFacts): string {
  const per = pinnedPages(f.payloadLen);
  const memlockApplies = !f.exempt && f.memlockBytes !== null;
  const lower = f.notificationLimit === null ? 'lower -n' : `lower -l (now ${f.notificationLimit})`;
  if (memlockApplies && Math.floor(f.memlockBytes! / PAGE_SIZE) < per) {
    return `RLIMIT_MEMLOCK (ulimit -l ${kib(f.memlockBytes!)} KiB) is below the ${kib(per * PAGE_SIZE)} KiB one ${f.payloadLen}-byte ` +
      'zerocopy send pins: raise ulimit -l, or run with CAP_IPC_LOCK (root has it)';
  }
  if (f.notificationLimit === null) {
    return memlockApplies
      ? `pinned pages over RLIMIT_MEMLOCK (ulimit -l ${kib(f.memlockBytes!)} KiB, shared by this user's processes): raise ulimit -l, or run with CAP_IPC_LOCK`
      : `zerocopy budget exhausted: ${lower}`;
  }
  if (f.optmem !== null && f.optmem < NOTIFY_CHECKED) {
    return `net.core.optmem_max (${f.optmem}) is below one notification (${NOTIFY_CHECKED} bytes): sysctl -w net.core.optmem_max=1000000`;
  }
  if (memlockApplies) {
    return `zerocopy budget exhausted: the pinned pages over RLIMIT_MEMLOCK (ulimit -l ${kib(f.memlockBytes!)} KiB, shared by this user's ` +
      `processes) or the notifications over net.core.optmem_max (${f.optmem ?? '?'}): raise ulimit -l or optmem_max, or ${lower}`;
  }
  return `zerocopy budget exhausted: notifications outstanding over net.core.optmem_max (${f.optmem ?? '?'}; pinned pages are not ` +
    `limited here${f.exempt ? ': CAP_IPC_LOCK' : ': RLIMIT_MEMLOCK unlimited'}): raise net.core.optmem_max or ${lower}`;
}

/** The same, from this process's limits and this namespace's optmem_max. */
export function enobufsHint(payloadLen: number, notificationLimit: number | null): string {
  return enobufsCause({ payloadLen, notificationLimit, exempt: hasIpcLock(), memlockBytes: memlockLimit(), optmem: optmemMax() });
}
