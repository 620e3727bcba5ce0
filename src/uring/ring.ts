// SPDX-License-Identifier: GPL-2.0-only
// The io_uring binding: one ring set up with io_uring_setup(2), its SQ ring,
// CQ ring and SQE array mapped with mmap(2) and seen through views made once,
// registrations (buffers, files, the ring fd), the opcode probe, and the
// kernel's refusals as one line each (exit 2). No liburing, no native code
// of our own: three system calls through syscall(2) from koffi.
//
// Memory ordering. The rings are shared with the kernel, and JavaScript has
// no fences for memory outside a SharedArrayBuffer. What each direction needs,
// and why what this code does is enough:
//
// - SQ (we produce, the kernel consumes). The loop writes the SQEs, then the
//   SQ tail, then calls io_uring_enter(2), and the kernel reads the tail and
//   the SQEs inside that call, on the calling thread (no SQPOLL: nothing else
//   ever reads this SQ). A thread always sees its own earlier stores, on any
//   CPU, so no barrier is needed on x86-64 or arm64; V8 does not move stores
//   to a typed array past a call to a foreign function, which may read any
//   memory. (With IORING_SETUP_SQPOLL this would need a release store of the
//   tail; this tool never sets it.)
// - CQ tail (the kernel produces, we consume). The kernel writes a CQE, then
//   the tail with a release store, possibly on another CPU (a notification
//   completes from the network stack's softirq). We must read the tail
//   before the CQEs it covers. x86-64 (TSO) never reorders a load with a
//   later load, so plain loads suffice; arm64 may, so there the tail is read
//   with a load-acquire (readCqTail).
// - CQ head (we produce, the kernel consumes). Our reads of a CQE must be done
//   before the kernel reuses its slot. x86-64 never moves a store ahead of an
//   earlier load, so the plain head store after the reads is enough; arm64
//   may, so there the head is published with a store-release (publishCqHead).
//   The sender also bounds what is in flight so that the kernel never has
//   more than cq_entries CQEs to post beyond the consumed head (see the loop),
//   which alone rules out a slot being overwritten while we read it.
// - Every read of the tail follows a foreign call (io_uring_enter) in program
//   order, so V8 cannot keep an old tail in a register across a wait.
import { readFileSync } from 'node:fs';
import {
  EFAULT, EINVAL, ENOMEM, ENOSYS, EPERM, IO_URING_OP_SUPPORTED, IORING_ENTER_EXT_ARG, IORING_ENTER_GETEVENTS,
  IORING_ENTER_REGISTERED_RING, IORING_FEAT_EXT_ARG, IORING_FEAT_NODROP, IORING_FEAT_REG_REG_RING,
  IORING_FEAT_SINGLE_MMAP, IORING_OFF_CQ_RING, IORING_OFF_SQ_RING, IORING_OFF_SQES, IORING_OP_SEND,
  IORING_OP_SEND_ZC, IORING_OP_SENDMSG_ZC, IORING_REGISTER_BUFFERS, IORING_REGISTER_FILES, IORING_REGISTER_PROBE,
  IORING_REGISTER_RING_FDS, IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER, MAP_POPULATE, MAP_SHARED,
  PROT_READ, PROT_WRITE,
} from '../libc/constants.js';
import { koffi } from '../libc/koffi.js';
import {
  CQ_OFF, CQE, GETEVENTS_ARG, KERNEL_TIMESPEC, PROBE, PROBE_OP, RSRC_UPDATE, SQ_OFF, SQE, URING_PARAMS,
} from '../libc/layout.js';
import {
  allocNative, arm64Ordered32, close, errno, ioUringEnter, ioUringRegister, ioUringSetup, mmap, munmap, strerror,
  type NativeBlock,
} from '../libc/libc.js';
import { KernelError } from '../core/errors.js';

const ARM64 = process.arch === 'arm64';
/** What the probe buffer holds: the header and one entry per possible opcode. */
const PROBE_OPS = 256;

export const OP_NAMES: Readonly<Record<number, string>> = {
  [IORING_OP_SEND]: 'IORING_OP_SEND',
  [IORING_OP_SEND_ZC]: 'IORING_OP_SEND_ZC',
  [IORING_OP_SENDMSG_ZC]: 'IORING_OP_SENDMSG_ZC',
};
/** The kernel release that brought each opcode, for the hint. */
const OP_SINCE: Readonly<Record<number, string>> = {
  [IORING_OP_SEND]: '5.6',
  [IORING_OP_SEND_ZC]: '6.0',
  [IORING_OP_SENDMSG_ZC]: '6.1',
};

/** The step that failed, as the error line names it. */
export type RingStep = 'setup' | 'mmap' | 'buffers' | 'files' | 'ring-fd' | 'probe' | 'enter';

const STEP_TEXT: Record<RingStep, string> = {
  setup: 'io_uring: queue init',
  mmap: 'io_uring: mmap',
  buffers: 'io_uring: buffer registration',
  files: 'io_uring: file registration',
  'ring-fd': 'io_uring: ring fd registration',
  probe: 'io_uring: probe',
  enter: 'io_uring: enter',
};

/** kernel.io_uring_disabled, or null when it cannot be read (older kernels have none). */
export function readIoUringDisabled(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | null {
  try {
    const v = Number(read('/proc/sys/kernel/io_uring_disabled').trim());
    return Number.isInteger(v) ? v : null;
  } catch {
    return null;
  }
}

/** What to do about errno `e` at `step`, or undefined. `disabled`: kernel.io_uring_disabled. */
export function uringHint(step: RingStep, e: number, disabled: number | null): string | undefined {
  if (step === 'setup') {
    if (e === ENOSYS) return 'this kernel has no io_uring (built without CONFIG_IO_URING): use the classic sender';
    if (e === EPERM) {
      if (disabled === 2) return 'io_uring is disabled on this host (kernel.io_uring_disabled = 2): sysctl -w kernel.io_uring_disabled=0';
      if (disabled === 1) {
        return 'io_uring is limited to privileged users and kernel.io_uring_group (kernel.io_uring_disabled = 1): ' +
          'run as root or in that group, or sysctl -w kernel.io_uring_disabled=0';
      }
      return 'io_uring was refused (kernel.io_uring_disabled, or a seccomp filter as container runtimes install): allow io_uring_setup';
    }
    if (e === ENOMEM) {
      return 'the rings are charged to the locked-memory limit unless the process has CAP_IPC_LOCK: raise ulimit -l';
    }
  }
  if (step === 'buffers' && (e === ENOMEM || e === EPERM)) {
    return 'the registered buffer is over the locked-memory limit: raise ulimit -l, run with CAP_IPC_LOCK, or use -m 1 (no registered buffer)';
  }
  if (step === 'buffers' && e === EFAULT) return 'the kernel could not pin the payload buffer';
  if (step === 'ring-fd' && e === EINVAL) return 'this kernel cannot register a ring fd (linux 5.18+): drop --registered-ring';
  if (step === 'files' && e === EINVAL) return 'the kernel refused the socket as a registered file: drop --fixed-file';
  return undefined;
}

/** Throw the failure of `step` as one line with a hint (exit 2). */
export function ringFail(step: RingStep, e = errno()): never {
  const disabled = step === 'setup' && e === EPERM ? readIoUringDisabled() : null;
  throw new KernelError(`${STEP_TEXT[step]}: ${strerror(e)}`, e, uringHint(step, e, disabled));
}

/** Whether a probe result (the bytes IORING_REGISTER_PROBE filled in) says `op` is supported. */
export function probeSupports(probe: Uint8Array, op: number): boolean {
  const dv = new DataView(probe.buffer, probe.byteOffset, probe.byteLength);
  const last = dv.getUint8(PROBE.last_op);
  const len = dv.getUint8(PROBE.ops_len);
  if (op > last || op >= len) return false;
  const at = PROBE.size + op * PROBE_OP.size;
  return (dv.getUint16(at + PROBE_OP.flags, true) & IO_URING_OP_SUPPORTED) !== 0;
}

export interface RingOptions {
  /** SQ entries (the CQ gets twice as many). */
  entries: number;
  /** IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN. */
  deferTaskrun: boolean;
}

/** A mapped view over native memory the kernel shares with us. */
function view(addr: number, len: number): ArrayBuffer {
  return koffi.view(BigInt(addr), len) as ArrayBuffer;
}

export class Ring {
  readonly fd: number;
  readonly features: number;
  readonly sqEntries: number;
  readonly cqEntries: number;
  readonly sqMask: number;
  readonly cqMask: number;
  /** The SQ ring as 32-bit words; sqTail is the tail's index in it. */
  readonly sq: Uint32Array;
  readonly sqTail: number;
  /** The CQ ring as 32-bit words (unsigned and signed); indices of head, tail and the first CQE. */
  readonly cq: Uint32Array;
  readonly cqSigned: Int32Array;
  readonly cqHead: number;
  readonly cqTail: number;
  readonly cqes: number;
  /** The SQE array as 32-bit words (16 per SQE). */
  readonly sqes: Uint32Array;
  /** What io_uring_enter is called with: the ring fd or its registered index, and the flag that says which. */
  enterFd: number;
  enterFlags = 0;

  private readonly maps: Array<[number, number]> = [];
  private readonly cqHeadAddr: number;
  private readonly cqTailAddr: number;
  private readonly waitArg: NativeBlock;
  private waitMs = -1;
  private closed = false;

  constructor(opts: RingOptions) {
    const params = allocNative(URING_PARAMS.size);
    if (opts.deferTaskrun) params.dv.setUint32(URING_PARAMS.flags, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, true);
    const fd = ioUringSetup(opts.entries, params.addr);
    if (fd < 0) ringFail('setup');
    this.fd = fd;
    this.enterFd = fd;
    const p = params.dv;
    const u32 = (off: number): number => p.getUint32(off, true);
    this.features = u32(URING_PARAMS.features);
    this.sqEntries = u32(URING_PARAMS.sq_entries);
    this.cqEntries = u32(URING_PARAMS.cq_entries);
    const sqOff = (f: keyof typeof SQ_OFF): number => u32(URING_PARAMS.sq_off + SQ_OFF[f]);
    const cqOff = (f: keyof typeof CQ_OFF): number => u32(URING_PARAMS.cq_off + CQ_OFF[f]);
    const need = IORING_FEAT_NODROP | IORING_FEAT_EXT_ARG;
    if ((this.features & need) !== need) {
      close(fd);
      throw new KernelError('io_uring: this kernel lacks IORING_FEAT_NODROP or IORING_FEAT_EXT_ARG', EINVAL,
        'the io_uring sender needs linux 5.11 or later');
    }

    try {
      const sqSize = sqOff('array') + this.sqEntries * 4;
      const cqSize = cqOff('cqes') + this.cqEntries * CQE.size;
      let sqAddr: number;
      let cqAddr: number;
      if (this.features & IORING_FEAT_SINGLE_MMAP) {
        sqAddr = cqAddr = this.map(Math.max(sqSize, cqSize), IORING_OFF_SQ_RING);
      } else {
        sqAddr = this.map(sqSize, IORING_OFF_SQ_RING);
        cqAddr = this.map(cqSize, IORING_OFF_CQ_RING);
      }
      const sqesAddr = this.map(this.sqEntries * SQE.size, IORING_OFF_SQES);

      this.sq = new Uint32Array(view(sqAddr, sqSize));
      const cqBuf = view(cqAddr, cqSize);
      this.cq = new Uint32Array(cqBuf);
      this.cqSigned = new Int32Array(cqBuf);
      this.sqes = new Uint32Array(view(sqesAddr, this.sqEntries * SQE.size));
      this.sqTail = sqOff('tail') >> 2;
      this.sqMask = this.sq[sqOff('ring_mask') >> 2];
      this.cqHead = cqOff('head') >> 2;
      this.cqTail = cqOff('tail') >> 2;
      this.cqes = cqOff('cqes') >> 2;
      this.cqMask = this.cq[cqOff('ring_mask') >> 2];
      this.cqHeadAddr = cqAddr + cqOff('head');
      this.cqTailAddr = cqAddr + cqOff('tail');
      // The SQ index array maps ring positions to SQEs; ours is the identity,
      // written once: the SQE for position t is always sqes[t & mask].
      const array = sqOff('array') >> 2;
      for (let i = 0; i < this.sqEntries; i++) this.sq[array + i] = i;
    } catch (e) {
      this.close();
      throw e;
    }

    // For bounded waits: struct io_uring_getevents_arg pointing at a timespec.
    this.waitArg = allocNative(GETEVENTS_ARG.size + KERNEL_TIMESPEC.size);
    this.waitArg.dv.setBigUint64(GETEVENTS_ARG.ts, BigInt(this.waitArg.addr + GETEVENTS_ARG.size), true);
  }

  private map(len: number, offset: number): number {
    const addr = mmap(0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, this.fd, offset);
    if (addr === -1) ringFail('mmap');
    this.maps.push([addr, len]);
    return addr;
  }

  /** The CQ tail, read with the ordering the CQEs need (see the top of this file). */
  readCqTail(): number {
    return ARM64 ? arm64Ordered32().loadAcquire(this.cqTailAddr) : this.cq[this.cqTail];
  }

  /** Publish the CQ head once the CQEs before it have been read (see the top of this file). */
  publishCqHead(head: number): void {
    if (ARM64) arm64Ordered32().storeRelease(this.cqHeadAddr, head);
    else this.cq[this.cqHead] = head;
  }

  /** Opcodes from IORING_REGISTER_PROBE; throws (exit 2) naming the first of `ops` the kernel lacks. */
  requireOps(ops: readonly number[]): void {
    const buf = allocNative(PROBE.size + PROBE_OPS * PROBE_OP.size);
    if (ioUringRegister(this.fd, IORING_REGISTER_PROBE, buf.addr, PROBE_OPS) < 0) ringFail('probe');
    for (const op of ops) {
      if (!probeSupports(buf.u8, op)) {
        throw new KernelError(`io_uring: this kernel has no ${OP_NAMES[op] ?? `opcode ${op}`}`, EINVAL,
          `it came with linux ${OP_SINCE[op] ?? '?'}; pick a mode that does not need it (-m 0 sends with IORING_OP_SEND)`);
      }
    }
  }

  /** IORING_REGISTER_BUFFERS with `count` iovecs at `iovAddr`; they become buf_index 0.. */
  registerBuffers(iovAddr: number, count: number): void {
    if (ioUringRegister(this.fd, IORING_REGISTER_BUFFERS, iovAddr, count) < 0) ringFail('buffers');
  }

  /** IORING_REGISTER_FILES with one fd; it becomes fixed file 0. */
  registerFile(fd: number): void {
    const arr = allocNative(4);
    arr.dv.setInt32(0, fd, true);
    if (ioUringRegister(this.fd, IORING_REGISTER_FILES, arr.addr, 1) < 0) ringFail('files');
  }

  /** IORING_REGISTER_RING_FDS: from now on io_uring_enter takes the registered index. */
  registerRingFd(): void {
    if (!(this.features & IORING_FEAT_REG_REG_RING)) {
      throw new KernelError('io_uring: this kernel cannot register a ring fd', EINVAL, uringHint('ring-fd', EINVAL, null));
    }
    const upd = allocNative(RSRC_UPDATE.size);
    upd.dv.setUint32(RSRC_UPDATE.offset, 0xffffffff, true); // any free slot
    upd.dv.setBigUint64(RSRC_UPDATE.data, BigInt(this.fd), true);
    if (ioUringRegister(this.fd, IORING_REGISTER_RING_FDS, upd.addr, 1) !== 1) ringFail('ring-fd');
    this.enterFd = upd.dv.getUint32(RSRC_UPDATE.offset, true);
    this.enterFlags = IORING_ENTER_REGISTERED_RING;
  }

  /** io_uring_enter(to_submit, min_complete, flags): the raw return (count, or -1 with errno). */
  enter(toSubmit: number, minComplete: number, flags: number): number {
    return ioUringEnter(this.enterFd, toSubmit, minComplete, flags | this.enterFlags, 0, 0);
  }

  /**
   * Wait up to `ms` for `minComplete` CQEs (IORING_ENTER_EXT_ARG with a
   * timeout). Returns the raw result: -1 with errno ETIME on timeout, EINTR
   * when a signal came.
   */
  wait(minComplete: number, ms: number): number {
    if (ms !== this.waitMs) {
      const dv = this.waitArg.dv;
      const ts = GETEVENTS_ARG.size;
      dv.setBigInt64(ts + KERNEL_TIMESPEC.tv_sec, BigInt(Math.floor(ms / 1000)), true);
      dv.setBigInt64(ts + KERNEL_TIMESPEC.tv_nsec, BigInt(Math.round((ms % 1000) * 1e6)), true);
      this.waitMs = ms;
    }
    return ioUringEnter(this.enterFd, 0, minComplete, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG | this.enterFlags,
      this.waitArg.addr, GETEVENTS_ARG.size);
  }

  /** Unmap and close (in-flight requests are cancelled by the kernel). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [addr, len] of this.maps.splice(0)) munmap(addr, len);
    close(this.fd);
  }
}
