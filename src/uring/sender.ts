// SPDX-License-Identifier: GPL-2.0-only
// The io_uring sender: io_uring_zerocopy_tx's do_setup_tx and do_tx. One
// connected socket, one ring of 512 entries, the payload (and, for -m 4, a
// msghdr) in native memory that never moves, every SQE slot filled once;
// then batches until the deadline, and the last notifications.
import {
  EINVAL, ENOBUFS, ENOMEM, IORING_OP_SEND, IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC, IORING_RECVSEND_FIXED_BUF,
  IORING_SEND_ZC_REPORT_USAGE, IOSQE_FIXED_FILE, MSG_WAITALL, SOL_SOCKET, SO_SNDBUF,
} from '../libc/constants.js';
import { IOV, IP_MAXPACKET, MSG, PAGE_SIZE, SQE } from '../libc/layout.js';
import { allocNative, connect, socket, strerror } from '../libc/libc.js';
import { writeSockaddr } from '../net/address.js';
import { fillPayload } from '../net/headers.js';
import { closeSocket, fail, kernelHint, setIntOption, socketKind } from '../net/socket.js';
import { CompletionTracker } from '../notify/tracker.js';
import { enobufsHint } from '../net/budget.js';
import { WAIT_MS } from '../core/config.js';
import type { RunControl } from '../core/control.js';
import { KernelError } from '../core/errors.js';
import {
  MODE_MIXED, MODE_SEND, MODE_SENDMSG_ZC, MODE_ZC, MODE_ZC_FIXED, RING_ENTRIES, type UringConfig,
} from './config.js';
import { TAG_SEND, TAG_SEND_ZC, TAG_SEND_ZC_FIXED, TAG_SENDMSG_ZC, UringCompletions } from './completions.js';
import { UringLoop, type RequestKind } from './loop.js';
import { Ring } from './ring.js';

export interface UringResult {
  acc: UringCompletions;
  tracker: CompletionTracker;
  batches: number;
  requests: number;
  enters: number;
  timeouts: number;
  startedAt: number;
  durationMs: number;
  interrupted: string | null;
  missingNotifications: boolean;
  /** -Z: the first notification outcome that contradicted the expectation. */
  mismatch: { got: 0 | 1; want: 0 | 1 } | null;
  /** The C tool's zc= letter, as the classic sender decides it. */
  zc: 'y' | 'n';
}

/** How long one synchronous slice of the loop runs before signals get a look in. */
const SLICE_MS = 50;

/** The first SQE word: opcode, IOSQE_* flags, ioprio (SEND_ZC flags). */
const head = (opcode: number, flags: number, ioprio: number): number => (opcode | (flags << 8) | (ioprio << 16)) >>> 0;

/** The request kinds -m asks for. */
export function requestKinds(mode: number, fixedFile: boolean): RequestKind[] {
  const f = fixedFile ? IOSQE_FIXED_FILE : 0;
  const send: RequestKind = { head: head(IORING_OP_SEND, f, 0), tag: TAG_SEND, zc: false };
  const zc: RequestKind = { head: head(IORING_OP_SEND_ZC, f, IORING_SEND_ZC_REPORT_USAGE), tag: TAG_SEND_ZC, zc: true };
  const fixed: RequestKind = {
    head: head(IORING_OP_SEND_ZC, f, IORING_SEND_ZC_REPORT_USAGE | IORING_RECVSEND_FIXED_BUF), tag: TAG_SEND_ZC_FIXED, zc: true,
  };
  const msg: RequestKind = { head: head(IORING_OP_SENDMSG_ZC, f, IORING_SEND_ZC_REPORT_USAGE), tag: TAG_SENDMSG_ZC, zc: true };
  switch (mode) {
    case MODE_SEND: return [send];
    case MODE_ZC: return [zc];
    case MODE_ZC_FIXED: return [fixed];
    case MODE_MIXED: return [send, zc, fixed]; // rand() % 3, as the C tool's mode numbers
    case MODE_SENDMSG_ZC: return [msg];
    default: throw new Error(`mode ${mode}`);
  }
}

/** Opcodes a mode needs, for the probe. */
export function modeOps(mode: number): number[] {
  if (mode === MODE_SEND) return [IORING_OP_SEND];
  if (mode === MODE_MIXED) return [IORING_OP_SEND, IORING_OP_SEND_ZC];
  if (mode === MODE_SENDMSG_ZC) return [IORING_OP_SENDMSG_ZC];
  return [IORING_OP_SEND_ZC];
}

/** do_setup_tx: socket, SO_SNDBUF 2 MiB, connect. */
function setupSocket(cfg: UringConfig): number {
  const kind = socketKind(cfg.test, cfg.family);
  const fd = socket(kind.domain, kind.type, kind.protocol);
  if (fd === -1) fail({ call: 'socket', text: 'socket t' });
  setIntOption(fd, SOL_SOCKET, SO_SNDBUF, 1 << 21);
  const sa = allocNative(32);
  const salen = writeSockaddr(sa.dv, 0, cfg.family, cfg.dst, cfg.port);
  if (connect(fd, sa.addr, salen) !== 0) fail('connect');
  return fd;
}

/** A request that failed: one line, exit 2, as the classic sender's send errors. */
function sendFailed(e: number, tag: number, payloadLen: number): never {
  let hint = kernelHint(e, 'send');
  if (e === ENOBUFS) hint = enobufsHint(payloadLen, null);
  if (e === ENOMEM && tag !== TAG_SEND) {
    hint = 'without CAP_IPC_LOCK the pages of each zerocopy send count against the locked-memory limit: raise ulimit -l, or lower -n';
  }
  if (e === EINVAL && tag !== TAG_SEND) hint = 'the kernel refused the zerocopy request (IORING_SEND_ZC_REPORT_USAGE needs linux 6.2)';
  throw new KernelError(`send failed: ${strerror(e)}`, e, hint);
}

/**
 * Fill every SQE slot with what no request changes: fd (or fixed file 0),
 * buffer address and length (or the msghdr), MSG_WAITALL, buffer index 0,
 * and with a single kind of request, its opcode, flags and user_data tag.
 */
function fillSlots(ring: Ring, cfg: UringConfig, fd: number, payloadAddr: number, msgAddr: number, kinds: readonly RequestKind[]): void {
  const dv = new DataView(ring.sqes.buffer, ring.sqes.byteOffset, ring.sqes.byteLength);
  const sendmsg = cfg.mode === MODE_SENDMSG_ZC;
  for (let i = 0; i < ring.sqEntries; i++) {
    const at = i * SQE.size;
    for (let b = 0; b < SQE.size; b += 4) dv.setUint32(at + b, 0, true);
    dv.setInt32(at + SQE.fd, cfg.fixedFile ? 0 : fd, true);
    dv.setBigUint64(at + SQE.addr, BigInt(sendmsg ? msgAddr : payloadAddr), true);
    // SENDMSG_ZC takes the length from the msghdr; liburing puts 1 here.
    dv.setUint32(at + SQE.len, sendmsg ? 1 : cfg.payloadLen, true);
    dv.setUint32(at + SQE.msg_flags, MSG_WAITALL, true);
    dv.setUint16(at + SQE.buf_index, 0, true);
    if (kinds.length === 1) {
      dv.setUint32(at + SQE.opcode, kinds[0].head, true);
      dv.setUint32(at + SQE.user_data + 4, kinds[0].tag, true);
    }
  }
}

export async function runUringSender(cfg: UringConfig, ctl: RunControl): Promise<UringResult> {
  let mismatch: UringResult['mismatch'] = null;
  const tracker = new CompletionTracker(cfg.expectZerocopy, {
    mismatch: (got, want) => { mismatch ??= { got, want }; },
  });
  const acc = new UringCompletions(tracker, cfg.payloadLen, (e, tag) => sendFailed(e, tag, cfg.payloadLen));

  const fd = setupSocket(cfg);
  const ring = new Ring({ entries: RING_ENTRIES, deferTaskrun: cfg.deferTaskrun });
  try {
    ring.requireOps(modeOps(cfg.mode));
    // The payload: page aligned, as the C tool's static buffer, the whole
    // IP_MAXPACKET filled with the pattern, and registered whole when a mode
    // sends from a registered buffer (so -s 0 registers a valid buffer too).
    const payload = allocNative(IP_MAXPACKET, PAGE_SIZE);
    fillPayload(payload.u8, 0, IP_MAXPACKET);
    const iov = allocNative(IOV.size);
    iov.dv.setBigUint64(IOV.iov_base, BigInt(payload.addr), true);
    iov.dv.setBigUint64(IOV.iov_len, BigInt(cfg.mode === MODE_SENDMSG_ZC ? cfg.payloadLen : IP_MAXPACKET), true);
    if (cfg.mode === MODE_ZC_FIXED || cfg.mode === MODE_MIXED) ring.registerBuffers(iov.addr, 1);
    const msg = allocNative(MSG.size);
    msg.dv.setBigUint64(MSG.msg_iov, BigInt(iov.addr), true);
    msg.dv.setBigUint64(MSG.msg_iovlen, 1n, true);
    if (cfg.fixedFile) ring.registerFile(fd);
    if (cfg.registeredRing) ring.registerRingFd();
    const kinds = requestKinds(cfg.mode, cfg.fixedFile);
    fillSlots(ring, cfg, fd, payload.addr, msg.addr, kinds);

    const loop = new UringLoop(cfg, ring, acc, kinds, fd);
    const gc = forcedGc();
    const startedAt = Date.now();
    const tstop = startedAt + cfg.runtimeMs;
    let now = startedAt;
    // As the C loop: at least one batch, then batches while before the deadline.
    do {
      now = loop.run(gc ? now : Math.min(tstop, now + SLICE_MS)); // test hook: one batch per slice
      gc?.(loop.batches);
      await ctl.yield();
    } while (now < tstop && !ctl.stopped);
    const durationMs = Date.now() - startedAt;
    const complete = loop.finish(WAIT_MS);
    const zc: 'y' | 'n' = cfg.mode !== MODE_SEND && cfg.expectZerocopy === 1 && !tracker.mismatched ? 'y' : 'n';
    return {
      acc, tracker, batches: loop.batches, requests: loop.requests, enters: loop.enters, timeouts: loop.timeouts,
      startedAt, durationMs, interrupted: ctl.signal, missingNotifications: !complete, mismatch, zc,
    };
  } finally {
    ring.close();
    closeSocket(fd);
  }
}

/**
 * Test hook: with MZC_GC_EVERY=N and node --expose-gc, a full garbage
 * collection after every N batches, to prove that no address the kernel
 * holds (SQE buffer addresses, the msghdr and its iovec, the ring views)
 * moves. Slices then run one batch each.
 */
function forcedGc(): ((batches: number) => void) | null {
  const every = Number(process.env.MZC_GC_EVERY ?? 0);
  if (!every) return null;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('MZC_GC_EVERY needs node --expose-gc');
  let last = 0;
  return (batches) => {
    if (batches - last >= every) {
      last = batches;
      gc();
    }
  };
}

/** -Z mismatch as one line (printed after the run's line). */
export function mismatchLine(r: Pick<UringResult, 'mismatch' | 'tracker'>): string | null {
  if (!r.mismatch) return null;
  const t = r.tracker;
  return `notif: zerocopy: ${r.mismatch.got} != expected ${r.mismatch.want} (${t.copied} of ${t.completions} completions copied)`;
}
