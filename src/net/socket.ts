// SPDX-License-Identifier: GPL-2.0-only
// Socket set-up shared by sender and receiver, with errors that say what to fix.
import {
  AF_INET, AF_INET6, AF_PACKET, EACCES, EADDRINUSE, EADDRNOTAVAIL, EALREADY, ECONNREFUSED, EINPROGRESS, EINTR, EISCONN,
  ENETUNREACH, ENOBUFS, EOPNOTSUPP, EPERM, IPPROTO_EGP, IPPROTO_RAW, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOL_SOCKET,
  SO_SNDTIMEO, SO_ZEROCOPY,
} from '../libc/constants.js';
import { TIMEVAL } from '../libc/layout.js';
import { allocNative, close, connect, errno, nativeInt, setsockopt, socket, strerror, type NativeBlock } from '../libc/libc.js';
import { KernelError, RunError, UsageError } from '../core/errors.js';
import type { Config, TestName } from '../core/config.js';
import type { RunControl } from '../core/control.js';
import type { Family } from './address.js';
import { TEST_TABLE } from '../core/vocabulary.js';
import { enobufsHint } from './budget.js';

export interface SocketKind {
  domain: number;
  type: number;
  protocol: number;
}

const SOCK_TYPES = { stream: SOCK_STREAM, dgram: SOCK_DGRAM, raw: SOCK_RAW } as const;
const PROTOCOLS = { default: 0, egp: IPPROTO_EGP, raw: IPPROTO_RAW } as const;

/** The socket each test uses (SPEC 3.1), as the test table (core/vocabulary.ts) says, in the kernel's numbers. */
export function socketKind(test: TestName, family: Family): SocketKind {
  const s = TEST_TABLE[test].socket;
  const domain = s.domain === 'packet' ? AF_PACKET : family === 4 ? AF_INET : AF_INET6;
  return { domain, type: SOCK_TYPES[s.type], protocol: PROTOCOLS[s.protocol] };
}

/** The libc call that failed, the text the error line names it by, and for setsockopt the option. */
export type Call = 'socket' | 'setsockopt' | 'connect' | 'bind' | 'listen' | 'accept' | 'send' | 'recv' | 'poll' | 'close';
export interface Step {
  call: Call;
  /** As the selftest's error() names the step: "socket t", "setsockopt 1.60: 1", "flush". */
  text: string;
  /** setsockopt: [level, name]. */
  option?: readonly [number, number];
}

const asStep = (s: Call | Step): Step => (typeof s === 'string' ? { call: s, text: s } : s);

/** Raw and packet sockets refused for want of CAP_NET_RAW: bad input (exit 1), not a kernel refusal. */
const missingPrivilege = (e: number, step: Step): boolean => (e === EPERM || e === EACCES) && step.call === 'socket';

/** The step of a sender's bind() to its --bind address. */
export const BIND_SOURCE = 'bind --bind';

/** What to do about errno `e` in `step`, or undefined. */
export function kernelHint(e: number, at: Call | Step, cfg?: Pick<Config, 'test' | 'notificationLimit'> & Partial<Pick<Config, 'payloadLen'>>): string | undefined {
  const step = asStep(at);
  if (missingPrivilege(e, step)) return 'raw and packet sockets need CAP_NET_RAW: run as root or grant the capability';
  if (e === EOPNOTSUPP && step.option?.[0] === SOL_SOCKET && step.option[1] === SO_ZEROCOPY) {
    return `this kernel accepts SO_ZEROCOPY only on tcp and udp sockets; run ${cfg?.test ?? 'this test'} without -z`;
  }
  if (e === ENOBUFS && step.call === 'send') return enobufsHint(cfg?.payloadLen ?? 0, cfg?.notificationLimit ?? 32);
  if (step.text === BIND_SOURCE && (e === EADDRINUSE || e === EADDRNOTAVAIL)) {
    return e === EADDRINUSE ? 'another socket holds the --bind address and port: pick another port' : 'the --bind address is not one of this host';
  }
  if (e === EADDRINUSE && step.call === 'bind') return 'another receiver holds this address and port: pick another -p';
  if (e === EACCES && step.call === 'bind') {
    return 'ports below net.ipv4.ip_unprivileged_port_start (1024 by default) need root or CAP_NET_BIND_SERVICE: pick a higher -p';
  }
  if (e === EADDRNOTAVAIL && step.call === 'bind') return 'no local interface has the -D address: run the receiver where -D is configured';
  if (e === ECONNREFUSED && step.call === 'connect') return 'no receiver is listening: start `msg-zerocopy -r` first';
  if (e === ENETUNREACH) return 'no route to -D from this network namespace';
  return undefined;
}

/** Throw the selftest's error line for a failed call (exit 2, or 1 for a missing privilege), with a hint. */
export function fail(at: Call | Step, cfg?: Pick<Config, 'test' | 'notificationLimit'> & Partial<Pick<Config, 'payloadLen'>>, e = errno()): never {
  const step = asStep(at);
  const message = `${step.text}: ${strerror(e)}`;
  const hint = kernelHint(e, step, cfg);
  if (missingPrivilege(e, step)) throw new UsageError(message, hint);
  throw new KernelError(message, e, hint);
}

export function openSocket(kind: SocketKind, what: string, cfg: Config): number {
  const fd = socket(kind.domain, kind.type, kind.protocol);
  if (fd === -1) fail({ call: 'socket', text: what }, cfg);
  return fd;
}

const intCache = new Map<number, NativeBlock>();

/** setsockopt with an int value; the selftest's do_setsockopt. The native ints are made once per value. */
export function setIntOption(fd: number, level: number, name: number, value: number, cfg?: Config): void {
  let b = intCache.get(value);
  if (!b) intCache.set(value, (b = nativeInt(value)));
  if (setsockopt(fd, level, name, b.addr, 4) !== 0) {
    fail({ call: 'setsockopt', text: `setsockopt ${level}.${name}: ${value}`, option: [level, name] }, cfg);
  }
}

/** How long one blocking connect() call may wait before signals and the limit get a look in. */
export const CONNECT_SLICE_MS = 50;

/**
 * connect() that gives up after `limitMs` or at a stop signal, where the
 * selftest's blocking connect() waits as long as the kernel retries (about
 * two minutes for a tcp SYN nobody answers). The socket stays blocking; one
 * extra call, setsockopt(SO_SNDTIMEO) before the first connect(), makes each
 * connect() wait at most CONNECT_SLICE_MS: Linux then returns EINPROGRESS
 * (the first call) or EALREADY (the next ones) while the handshake goes on,
 * 0 once it has completed, and the handshake's own error when it fails. A
 * connection that completes at once (the normal path) costs that one extra
 * call and nothing else. The timeout only ever applies to blocking sends,
 * and every send of the run is MSG_DONTWAIT, so it stays set.
 */
export async function connectWithin(fd: number, addr: number, len: number, limitMs: number,
  cfg: Pick<Config, 'test' | 'notificationLimit' | 'dstText' | 'port'>, ctl: RunControl): Promise<void> {
  const tv = allocNative(TIMEVAL.size);
  tv.dv.setBigInt64(TIMEVAL.tv_sec, BigInt(Math.floor(CONNECT_SLICE_MS / 1000)), true);
  tv.dv.setBigInt64(TIMEVAL.tv_usec, BigInt((CONNECT_SLICE_MS % 1000) * 1000), true);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv.addr, TIMEVAL.size) !== 0) {
    fail({ call: 'setsockopt', text: `setsockopt ${SOL_SOCKET}.${SO_SNDTIMEO}: ${CONNECT_SLICE_MS} ms`, option: [SOL_SOCKET, SO_SNDTIMEO] }, cfg);
  }
  const giveUp = Date.now() + limitMs;
  for (;;) {
    if (connect(fd, addr, len) === 0) return;
    const e = errno();
    if (e === EISCONN) return;
    if (e !== EINPROGRESS && e !== EALREADY && e !== EINTR) fail('connect', cfg, e);
    await ctl.yield();
    if (ctl.stopped) throw new RunError(`connect: interrupted by ${ctl.signal} before ${cfg.dstText} port ${cfg.port} answered`);
    if (Date.now() >= giveUp) {
      throw new RunError(`connect: no answer from ${cfg.dstText} port ${cfg.port} within ${(limitMs / 1000).toFixed(1)} s`,
        'nothing answers the handshake: check the route and the link to -D, a firewall that drops, and that the receiver runs');
    }
  }
}

export function closeSocket(fd: number): void {
  if (close(fd) !== 0) fail('close');
}

export { SOL_SOCKET };
