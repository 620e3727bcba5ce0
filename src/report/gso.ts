// SPDX-License-Identifier: GPL-2.0-only
// What --gso and --hugepages add to a classic sender's report: segments per
// call and per second (the classic line stays the selftest's), and what
// backed the payload.
import { segmentsPerCall } from '../gso/gso.js';
import type { Config } from '../core/config.js';
import type { SenderResult } from '../sender/sender.js';

export function gsoFields(cfg: Pick<Config, 'gsoSize' | 'payloadLen' | 'hugepages'>, r: Pick<SenderResult, 'packets' | 'dataMs' | 'backing' | 'hugepagesWhy' | 'pathMtu'>) {
  const perCall = cfg.gsoSize ? segmentsPerCall(cfg.payloadLen, cfg.gsoSize) : null;
  const segments = perCall === null ? null : r.packets * perCall;
  return {
    /** --gso: the segment size, or null. */
    gsoSize: cfg.gsoSize || null,
    /** The path MTU the size was checked against. */
    pathMtu: r.pathMtu ?? null,
    /** UDP datagrams one sendmsg became, all sends' datagrams, and per second over dataMs. */
    segmentsPerCall: perCall,
    segments,
    segmentsPerSecond: segments === null ? null : r.dataMs > 0 ? segments / (r.dataMs / 1000) : 0,
    /** --hugepages: hugetlb, thp or none, and why none; null without --hugepages. */
    hugepages: cfg.hugepages ? r.backing ?? 'none' : null,
    hugepagesWhy: r.hugepagesWhy ?? null,
  };
}

/** `gso: 1472-byte segments, 45 per call, 6055110 segments (2973560/s), path MTU 1500`: the line after the classic one. */
export function gsoLine(cfg: Pick<Config, 'gsoSize' | 'payloadLen' | 'hugepages'>, r: Pick<SenderResult, 'packets' | 'dataMs' | 'backing' | 'hugepagesWhy' | 'pathMtu'>): string {
  const f = gsoFields(cfg, r);
  return `gso: ${f.gsoSize}-byte segments, ${f.segmentsPerCall} per call, ${f.segments} segments ` +
    `(${Math.round(f.segmentsPerSecond ?? 0)}/s), path MTU ${f.pathMtu}`;
}
