// SPDX-License-Identifier: GPL-2.0-only
// tcp_mmap's two lines (printf "%lg", MB = 2^20) and our --json report of
// one connection.
import { formatG } from '../core/printf.js';
import { TOOL_VERSION } from '../core/version.js';
import type { MmapConfig } from './config.js';

export interface ConnectionResult {
  bytes: number;
  bytesMapped: number;
  bytesCopied: number;
  /** From accept to the end of reading, µs (gettimeofday in tcp_mmap). */
  elapsedUs: number;
  userUs: number;
  sysUs: number;
  voluntarySwitches: number;
  rcvMss: number;
  /** -i: whether the digest matched; null without -i. */
  sha256Correct: boolean | null;
  /** Why reading stopped early (a failed call), or null at EOF or --bytes. */
  error: string | null;
  /** TCP_ZEROCOPY_RECEIVE calls (0 when reading with read()). */
  zcCalls?: number;
}

/**
 * `received N MB (X % mmap'ed) in T s, G Gbit` and
 * `  cpu usage user:U sys:S, N usec per MB, N c-switches, rcv_mss N`:
 * tcp_mmap prints them only past 1 MiB; usec per MB divides by whole MBs.
 */
export function connectionLines(r: ConnectionResult): string[] {
  if (r.bytes <= 1024 * 1024) return [];
  const gbit = r.elapsedUs > 0 ? (r.bytes * 8) / r.elapsedUs / 1000 : 0;
  const mb = Math.floor(r.bytes / 1048576);
  return [
    `received ${formatG(r.bytes / 1048576)} MB (${formatG((100 * r.bytesMapped) / r.bytes)} % mmap'ed) in ` +
      `${formatG(r.elapsedUs / 1e6)} s, ${formatG(gbit)} Gbit`,
    `  cpu usage user:${formatG(r.userUs / 1e6)} sys:${formatG(r.sysUs / 1e6)}, ${formatG((r.userUs + r.sysUs) / mb)} usec per MB, ` +
      `${r.voluntarySwitches} c-switches, rcv_mss ${r.rcvMss}`,
  ];
}

export function connectionReport(cfg: MmapConfig, r: ConnectionResult, rxMode: 'mmap' | 'copy') {
  const cpuUs = r.userUs + r.sysUs;
  return {
    tool: 'msg-zerocopy' as const,
    toolVersion: TOOL_VERSION,
    role: 'mmap-server' as const,
    family: cfg.family,
    port: cfg.port,
    rxMode,
    chunk: cfg.chunk,
    bytes: r.bytes,
    bytesMapped: r.bytesMapped,
    bytesCopied: r.bytesCopied,
    mappedPercent: r.bytes > 0 ? (100 * r.bytesMapped) / r.bytes : 0,
    rcvMss: r.rcvMss,
    durationMs: r.elapsedUs / 1000,
    bitsPerSecond: r.elapsedUs > 0 ? (r.bytes * 8) / (r.elapsedUs / 1e6) : 0,
    cpu: { userUs: r.userUs, sysUs: r.sysUs },
    /** Per MB = 2^20 bytes (tcp_mmap's unit), µs. */
    cpuUsPerMB: r.bytes > 0 ? cpuUs / (r.bytes / 1048576) : null,
    /** Per GB = 1e9 bytes, seconds. */
    cpuSecPerGB: r.bytes > 0 ? cpuUs / 1e6 / (r.bytes / 1e9) : null,
    contextSwitches: r.voluntarySwitches,
    sha256Correct: r.sha256Correct,
    zerocopyReceiveCalls: r.zcCalls ?? 0,
    error: r.error,
  };
}
