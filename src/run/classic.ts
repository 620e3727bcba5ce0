// SPDX-License-Identifier: GPL-2.0-only
// The classic command line as data: every command that starts a sender or a
// receiver (suite, sweep, compare, pair, serve) describes it with a typed
// ClassicSpec and gets the argv and the deadlines from here, so the flags and
// the time a child may take are written once.
import { RECEIVER_EXTRA_MS, runtimeMs, WAIT_MS, type Config } from '../core/config.js';
import type { Family, RxMode, RxTest, TestName } from '../core/vocabulary.js';

export { runtimeMs };

/** How long a sender with -t `secs` may live: its run, its last wait for notifications, and `slackMs`. */
export const senderDeadlineMs = (secs: number, slackMs: number): number => runtimeMs(secs) + WAIT_MS + slackMs;

/** How long a receiver with -t `secs` may live: its run (400 ms longer than a sender's) and `slackMs`. */
export const receiverDeadlineMs = (secs: number, slackMs: number): number =>
  runtimeMs(secs) + RECEIVER_EXTRA_MS + slackMs;

interface CommonSpec {
  family: Family;
  /** -D: the destination; a receiver binds to it. */
  dst: string;
  /** -S: source address for hand-built headers. */
  src?: string;
  /** -i: interface for packet sockets. */
  ifname?: string;
  port: number;
  /** -s, or the tool's default when absent. */
  size?: number | null;
  /** -t in seconds. */
  secs: number;
  /** --json (our executable only). */
  json: boolean;
  /** --interval in seconds (our executable only): interval reports; absent or 0: none. */
  interval?: number;
  /** -P: flows at once (our executable only; ports port .. port + flows - 1); absent or 1: one. */
  flows?: number;
  verbose?: number;
  /** Flags passed through as typed, after ours (so they win) and before the test name. */
  extra?: readonly string[];
  /** --pattern-seed (our executable only): 32 hex digits that pick the payload pattern. */
  patternSeed?: string;
}

/** An address and port as --peer and --bind take them (the address as written, without brackets). */
export interface SpecEndpoint {
  addr: string;
  port: number;
}

const endpointArg = (family: Family, e: SpecEndpoint): string => (family === 6 ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`);

export interface SenderSpec extends CommonSpec {
  role: 'sender';
  test: TestName;
  zerocopy?: boolean;
  /** -Z, or none. */
  expect?: 0 | 1 | null;
  cork?: number;
  corkMixed?: boolean;
  cpu?: number | null;
  notificationLimit?: number;
  payloadOffset?: number | null;
  sharedFdTable?: boolean;
  /** --bind (our executable only): send from this address and port (with -P, flow k from port + k). */
  bind?: SpecEndpoint;
}

export interface ReceiverSpec extends CommonSpec {
  role: 'receiver';
  test: RxTest;
  /** -C: pin the receiver. */
  cpu?: number | null;
  /** --peer (our executable only): take only this sender (with -P, flow k takes port + k). */
  peer?: SpecEndpoint;
  /** --rx (tcp): absent or trunc, the selftest's MSG_TRUNC. */
  rxMode?: RxMode;
  /** --expect-mapped (with --rx mmap). */
  expectMapped?: number | null;
}

export type ClassicSpec = SenderSpec | ReceiverSpec;

/**
 * Our io_uring sender (`msg-zerocopy uring`, io_uring_zerocopy_tx's flags):
 * -m 0 plain send, 1 SEND_ZC, 2 SEND_ZC from a registered buffer, 3 a mix,
 * 4 SENDMSG_ZC; -n requests per submit.
 */
export interface UringSenderSpec {
  role: 'sender';
  api: 'uring';
  family: Family;
  test: 'tcp' | 'udp';
  dst: string;
  port: number;
  size?: number | null;
  secs: number;
  mode: 0 | 1 | 2 | 3 | 4;
  batch: number;
  /** -c 1: UDP_CORK around each batch. */
  cork?: boolean;
  /** -Z, or none. */
  expect?: 0 | 1 | null;
  json: boolean;
}

/** Any sender a run can start: the classic one (MSG_ZEROCOPY) or the io_uring one. */
export type AnySenderSpec = SenderSpec | UringSenderSpec;

export const isUringSpec = (s: AnySenderSpec | ReceiverSpec): s is UringSenderSpec => 'api' in s && s.api === 'uring';

/** The `msg-zerocopy uring` argv for a spec (without the executable). */
export function uringArgv(s: UringSenderSpec): string[] {
  const a = ['uring', `-${s.family}`, '-D', s.dst, '-p', String(s.port)];
  if (s.size !== undefined && s.size !== null) a.push('-s', String(s.size));
  a.push('-t', String(s.secs), '-n', String(s.batch), '-m', String(s.mode));
  if (s.cork) a.push('-c', '1');
  if (s.expect !== undefined && s.expect !== null) a.push('-Z', String(s.expect));
  if (s.json) a.push('--json');
  a.push(s.test);
  return a;
}

/** The argv of any spec: classic, or the io_uring sender's. */
export const specArgv = (s: AnySenderSpec | ReceiverSpec): string[] => (isUringSpec(s) ? uringArgv(s) : classicArgv(s));

/** The classic argv for a spec (without the executable). */
export function classicArgv(s: ClassicSpec): string[] {
  const a = [`-${s.family}`];
  if (s.ifname !== undefined) a.push('-i', s.ifname);
  a.push('-p', String(s.port));
  if (s.src !== undefined) a.push('-S', s.src);
  a.push('-D', s.dst);
  if (s.size !== undefined && s.size !== null) a.push('-s', String(s.size));
  a.push('-t', String(s.secs));
  if (s.flows !== undefined && s.flows > 1) a.push('-P', String(s.flows));
  if (s.role === 'sender') {
    if (s.zerocopy) a.push('-z');
    if (s.expect !== undefined && s.expect !== null) a.push('-Z', String(s.expect));
    if (s.cork) a.push('-c', String(s.cork));
    if (s.corkMixed) a.push('-m');
    if (s.cpu !== undefined && s.cpu !== null) a.push('-C', String(s.cpu));
    if (s.notificationLimit !== undefined) a.push('-l', String(s.notificationLimit));
    if (s.payloadOffset !== undefined && s.payloadOffset !== null) a.push('--payload-offset', String(s.payloadOffset));
    if (s.sharedFdTable) a.push('--shared-fd-table');
  } else {
    if (s.cpu !== undefined && s.cpu !== null) a.push('-C', String(s.cpu));
    if (s.rxMode !== undefined && s.rxMode !== 'trunc') a.push('--rx', s.rxMode);
    if (s.expectMapped !== undefined && s.expectMapped !== null) a.push('--expect-mapped', String(s.expectMapped));
  }
  for (let i = 0; i < (s.verbose ?? 0); i++) a.push('-v');
  if (s.interval) a.push('--interval', String(s.interval));
  if (s.json) a.push('--json');
  if (s.role === 'sender' && s.bind) a.push('--bind', endpointArg(s.family, s.bind));
  if (s.role === 'receiver' && s.peer) a.push('--peer', endpointArg(s.family, s.peer));
  if (s.patternSeed) a.push('--pattern-seed', s.patternSeed);
  a.push(...(s.extra ?? []));
  if (s.role === 'receiver') a.push('-r');
  a.push(s.test);
  return a;
}

/** The deadline of the child a spec describes. */
export const deadlineFor = (s: ClassicSpec | UringSenderSpec, slackMs: number): number =>
  (s.role === 'sender' ? senderDeadlineMs : receiverDeadlineMs)(s.secs, slackMs);

/**
 * The sender spec for a checked classic configuration (pair runs the sender
 * it was given the flags of): every flag that changes the run is carried.
 */
export function senderSpecOf(cfg: Config): SenderSpec {
  return {
    role: 'sender', family: cfg.family, test: cfg.test, dst: cfg.dstText, src: cfg.srcText ?? undefined,
    ifname: cfg.ifname ?? undefined, port: cfg.port, size: cfg.payloadLen, secs: (cfg.runtimeMs - runtimeMs(0)) / 1000,
    zerocopy: cfg.zerocopy, expect: cfg.expectZerocopy === -1 ? null : cfg.expectZerocopy, cork: cfg.cork,
    corkMixed: cfg.corkMixed, cpu: cfg.cpu, notificationLimit: cfg.notificationLimit, payloadOffset: cfg.payloadOffset,
    sharedFdTable: cfg.sharedFdTable, verbose: cfg.verbose, interval: cfg.intervalMs / 1000 || undefined, json: true,
    bind: cfg.bindTo ? { addr: cfg.bindTo.text, port: cfg.bindTo.port } : undefined, patternSeed: cfg.patternSeed ?? undefined,
  };
}
