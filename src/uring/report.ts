// SPDX-License-Identifier: GPL-2.0-only
// What an io_uring run prints: io_uring_zerocopy_tx's stderr line, and the
// --json report, whose fields are named as the classic sender's where they
// mean the same (so a compare or sweep reads both with one reader), plus the
// io_uring specifics.
import { completionFields, megabytes, rates, type CpuTime, type FdTable } from '../report/report.js';
import { toolHead } from '../report/envelope.js';
import { MODE_NAMES, zerocopyMode, type UringConfig } from './config.js';
import { TAG_SEND, TAG_SEND_ZC, TAG_SEND_ZC_FIXED, TAG_SENDMSG_ZC } from './completions.js';
import type { UringResult } from './sender.js';

/**
 * `tx=N (MB=M), tx/s=N (MB/s=M)`, as the C tool prints it: rates over the
 * nominal run time in whole seconds, integer division (1200 ms counts as
 * 1 s). With -t 0 the C tool divides by zero and dies of SIGFPE; here the
 * rates are then over the nominal 200 ms.
 */
export function uringLine(packets: number, bytes: number, runtimeMs: number): string {
  const mb = megabytes(bytes);
  const secs = Math.floor(runtimeMs / 1000);
  const perSec = (x: number): number => (secs > 0 ? Math.floor(x / secs) : Math.floor((x * 1000) / runtimeMs));
  return `tx=${packets} (MB=${mb}), tx/s=${perSec(packets)} (MB/s=${perSec(mb)})`;
}

/** The line read back (ours or the C tool's): null when stderr has none. */
export function parseUringLine(stderr: string): { packets: number; mb: number; packetsPerSec: number; mbPerSec: number } | null {
  const m = /^tx=(\d+) \(MB=(\d+)\), tx\/s=(\d+) \(MB\/s=(\d+)\)$/m.exec(stderr);
  return m ? { packets: Number(m[1]), mb: Number(m[2]), packetsPerSec: Number(m[3]), mbPerSec: Number(m[4]) } : null;
}

export function uringReport(cfg: UringConfig, r: UringResult, cpu: CpuTime, exitStatus: number, fdTable: FdTable) {
  const a = r.acc;
  return {
    role: 'sender' as const,
    ...toolHead(),
    api: 'uring' as const,
    test: cfg.test,
    family: cfg.family,
    zerocopy: zerocopyMode(cfg.mode),
    payloadLen: cfg.payloadLen,
    /** The payload is page aligned, as the C tool's static buffer. */
    payloadOffset: 0,
    port: cfg.port,
    dst: cfg.dstText,
    runtimeMs: cfg.runtimeMs,
    /** No interval reports (-I) on the io_uring sender. */
    intervalSecs: null,
    fdTable,
    mode: cfg.mode,
    modeName: MODE_NAMES[cfg.mode],
    batch: cfg.batch,
    /** Sends per corked datagram (the classic report's meaning): -n with -c, else 0. */
    cork: cfg.cork ? cfg.batch : 0,
    fixedFile: cfg.fixedFile,
    registeredRing: cfg.registeredRing,
    deferTaskrun: cfg.deferTaskrun,
    expectZerocopy: cfg.expectZerocopy === -1 ? null : cfg.expectZerocopy,
    startedAt: new Date(r.startedAt).toISOString(),
    durationMs: r.durationMs,
    packets: a.packets,
    bytes: a.bytes,
    /** Requests that completed with a length (the classic sender's sendmsg calls that returned one). */
    sendCalls: a.packets,
    requests: r.requests,
    submits: r.batches,
    /** io_uring_enter calls: one submit per batch, plus the waits. */
    enters: r.enters,
    waitTimeouts: r.timeouts,
    requestsByKind: {
      send: a.byTag[TAG_SEND],
      sendZc: a.byTag[TAG_SEND_ZC],
      sendZcFixed: a.byTag[TAG_SEND_ZC_FIXED],
      sendmsgZc: a.byTag[TAG_SENDMSG_ZC],
    },
    shortSends: a.shortSends,
    eagain: a.eagain,
    // notifications: the notification CQEs (the tracker's ranges coalesce consecutive ones).
    ...completionFields(cfg.expectZerocopy, r, a.expectedNotifications, a.notifications),
    // Data moves from the first submit to the deadline: the rates are over the loop's duration.
    ...rates(a.bytes, a.packets, r.durationMs, r.durationMs, cpu),
    interrupted: r.interrupted,
    exitStatus,
  };
}

export type UringReport = ReturnType<typeof uringReport>;
