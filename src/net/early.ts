// SPDX-License-Identifier: GPL-2.0-only
// The hand-over of a receiver socket opened before the rest of the tool
// loaded (src/startup/early.ts, run by bin/msg-zerocopy first): the kernel's
// driver starts the sender 0.2 s after the receiver, so a classic receiver
// binds and listens within a few milliseconds of Node's own start-up, and the
// full command line (commander, the checks, the run) loads behind it while
// the kernel already queues the peer's connection. The two sides are separate
// bundles, so the socket passes through one global slot, stamped with the
// build that made it. The receiver takes it only if it is exactly the socket
// it would have made (kind, address, port) and from the same build; anything
// else is closed and the receiver makes its own, as without the early step.
import { SOL_SOCKET, SO_RCVBUF, SO_RCVLOWAT, SO_REUSEPORT } from '../libc/constants.js';
import { close } from '../libc/libc.js';
import type { Family } from '../core/vocabulary.js';
import type { SocketKind } from './socket.js';

declare const __MZC_BUILD_ID__: string | undefined;
/** The build both bundles were made by (scripts/build.mjs); 'source' when run from TypeScript. */
export const BUILD_ID: string = typeof __MZC_BUILD_ID__ === 'string' ? __MZC_BUILD_ID__ : 'source';

const SLOT = Symbol.for('msg-zerocopy.early-receiver');

/** What a receiver sets on its socket before bind (the selftest's do_setup_rx), in order: level, option, int value. */
export const RECEIVER_SOCKET_OPTIONS: ReadonlyArray<readonly [number, number, number]> = [
  [SOL_SOCKET, SO_RCVBUF, 1 << 21],
  [SOL_SOCKET, SO_RCVLOWAT, 1 << 16],
  [SOL_SOCKET, SO_REUSEPORT, 1],
];

/** A receiver socket made early: opened, RECEIVER_SOCKET_OPTIONS set, bound, and for tcp listening. */
export interface EarlySocket {
  build: string;
  fd: number;
  kind: SocketKind;
  family: Family;
  dst: readonly number[];
  port: number;
}

type Slot = { [SLOT]?: EarlySocket };

export function publishEarlySocket(s: EarlySocket): void {
  (globalThis as Slot)[SLOT] = s;
}

/**
 * The early socket if it is the one a receiver of this kind, address and port
 * would make, else null (a mismatched or stale one is closed first, so the
 * receiver's own bind finds the port free).
 */
export function takeEarlySocket(kind: SocketKind, family: Family, dst: Uint8Array, port: number): number | null {
  const g = globalThis as Slot;
  const s = g[SLOT];
  if (s === undefined) return null;
  delete g[SLOT];
  const same = s.build === BUILD_ID && s.family === family && s.port === port && s.kind.domain === kind.domain &&
    s.kind.type === kind.type && s.kind.protocol === kind.protocol && s.dst.length === dst.length && s.dst.every((b, i) => b === dst[i]);
  if (same) return s.fd;
  close(s.fd);
  return null;
}
