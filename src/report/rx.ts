// SPDX-License-Identifier: GPL-2.0-only
// What a tcp receiver reports of how it read (--rx, issue 19): the JSON
// fields, the line that follows `rx=` in mmap mode, and the --expect-mapped
// verdict. MB here is tcp_mmap's: 2^20 bytes, as in the classic lines.
import { RunError } from '../core/errors.js';
import { formatG } from '../core/printf.js';

export { formatG };
import type { RxStats } from '../receiver/tcp-readers.js';
import type { RxReport } from './schema.js';

const PAGE = 4096;

/** CPU and context switches over the run, as getrusage(RUSAGE_SELF) differences. */
export interface RxCost {
  userUs: number;
  sysUs: number;
  /** Voluntary context switches (tcp_mmap's "c-switches"). */
  voluntarySwitches: number;
}

/** Share of the bytes that were mapped, percent (0 when nothing arrived). */
export const mappedPercent = (rx: RxStats, bytes: number): number => (bytes > 0 ? (100 * rx.bytesMapped) / bytes : 0);

/** CPU µs per MB (2^20 bytes) received, or null when nothing arrived. */
export const cpuUsPerMB = (cost: Pick<RxCost, 'userUs' | 'sysUs'>, bytes: number): number | null =>
  (bytes > 0 ? (cost.userUs + cost.sysUs) / (bytes / 1048576) : null);

/** The --json fields of a tcp receiver (names as issue 19 gives them). */
export function rxFields(rx: RxStats, bytes: number, cost: RxCost): RxReport {
  return {
    rxMode: rx.mode,
    bytesMapped: rx.bytesMapped,
    bytesCopied: rx.bytesCopied,
    /** 0 to 100. */
    mappedPercent: mappedPercent(rx, bytes),
    rcvMss: rx.rcvMss,
    /** Receiver CPU (user + sys, the whole process) per MB = 2^20 bytes, µs; null when nothing arrived. */
    cpuUsPerMB: cpuUsPerMB(cost, bytes),
    /** Receiver CPU per GB = 1e9 bytes, seconds (as the sender's cpu.secPerGB). */
    cpuSecPerGB: bytes > 0 ? (cost.userUs + cost.sysUs) / 1e6 / (bytes / 1e9) : null,
    contextSwitches: cost.voluntarySwitches,
  };
}

/**
 * The line after `rx=` in mmap mode:
 * `rx mmap: 99.9998 % mapped (34359672832 B mapped, 65536 B copied), rcv_mss 61440, 155.2 usec per MB, 812 c-switches`.
 */
export function rxMmapLine(rx: RxStats, bytes: number, cost: RxCost): string {
  const per = cpuUsPerMB(cost, bytes);
  return `rx mmap: ${formatG(mappedPercent(rx, bytes))} % mapped (${rx.bytesMapped} B mapped, ${rx.bytesCopied} B copied), ` +
    `rcv_mss ${rx.rcvMss}, ${per === null ? '-' : formatG(per)} usec per MB, ${cost.voluntarySwitches} c-switches`;
}

/** --expect-mapped: null when met, else the one line (exit 1) that says why and what to fix. */
export function mappedShortfall(expect: number | null, rx: RxStats | null | undefined, bytes: number, family: 4 | 6): RunError | null {
  if (expect === null || !rx) return null;
  const got = mappedPercent(rx, bytes);
  if (bytes > 0 && got >= expect) return null;
  const head = `mapped ${formatG(got)} % < expected ${formatG(expect)} %`;
  if (bytes === 0) return new RunError(`${head}: nothing was received`, 'start the sender within -t of the receiver');
  if (rx.rcvMss % PAGE !== 0) {
    const mtu = 15 * PAGE + (family === 6 ? 40 : 20) + 32;
    return new RunError(`${head}: rcv_mss ${rx.rcvMss} is not a multiple of ${PAGE}, so the kernel cannot map whole pages`,
      `make the MSS page-sized: MTU ${mtu} on the path for IPv${family} (15 x 4096 + headers + timestamps), ` +
      `or TCP_MAXSEG ${PAGE + 12} on the sender`);
  }
  return new RunError(`${head} with a page-sized MSS (${rx.rcvMss})`,
    'the sender must write whole pages (e.g. -s 61440) and use -z (MSG_ZEROCOPY): a copying sender\'s pages do not map');
}
