// SPDX-License-Identifier: GPL-2.0-only
// The sender of `msg-zerocopy udpgso`: udpgso_bench_tx's main loop. One
// buffer per iteration, sent as the mode says (tcp send loop, one sendto per
// MSS, one sendmsg with UDP_SEGMENT, or one sendmmsg), blocking sends as in
// the C program; error-queue drains every 16 buffers with -z and after every
// buffer with -T; a report line each second. Everything handed to the kernel
// is laid out once in native memory; the loop allocates nothing.
import {
  AF_INET, AF_INET6, ENOPROTOOPT, ENOTSUPP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO,
  MSG_ZEROCOPY, SO_TIMESTAMPING, SO_ZEROCOPY, SOCK_DGRAM, SOCK_STREAM, SOF_TIMESTAMPING_OPT_CMSG, SOF_TIMESTAMPING_OPT_ID,
  SOF_TIMESTAMPING_OPT_TSONLY, SOF_TIMESTAMPING_RAW_HARDWARE, SOF_TIMESTAMPING_SOFTWARE, SOF_TIMESTAMPING_TX_HARDWARE,
  SOF_TIMESTAMPING_TX_SOFTWARE, SOL_IP, SOL_IPV6, SOL_SOCKET, SOL_UDP, UDP_SEGMENT, ETH_DATA_LEN, ETH_MAX_MTU, EMSGSIZE,
  EINVAL,
} from '../libc/constants.js';
import { CMSG, CMSG_DATA_OFFSET, cmsgSpace, IOV, MMSG, MSG, PAGE_SIZE } from '../libc/layout.js';
import { allocNative, close, connect, errno, nativeInt, sched_setaffinity, sendmmsg, sendmsg, sendto, setsockopt, socket, strerror, type NativeBlock } from '../libc/libc.js';
import { sockaddrLen, writeSockaddr } from '../net/address.js';
import { fillPayload } from '../net/headers.js';
import { CompletionTracker } from '../notify/tracker.js';
import { allocPages, type PageBacking } from '../mem/pages.js';
import type { RunControl } from '../core/control.js';
import { KernelError, RunError, ToolError, UsageError } from '../core/errors.js';
import { NUM_BUFFERS, udpHeaderLen, type UdpgsoTxConfig } from './config.js';
import { TxErrorQueue } from './errqueue.js';

/** Where udpgso_bench_tx's static buffer starts within a page (gcc 12 -O2: `nm udpgso_bench_tx | grep -w buf`). */
export const TX_BUFFER_OFFSET = 0x160;
/** Exit status of a kselftest that skips: the C program's answer when SO_ZEROCOPY is not supported. */
export const KSFT_SKIP = 4;

/** The run ended early because SO_ZEROCOPY is not supported (the C program prints this and exits 4). */
export class SkipError extends ToolError {
  constructor() {
    super('SO_ZEROCOPY not supported', 1);
  }
}

export interface UdpgsoTxResult {
  /** Buffers sent (the C program's num_msgs, summed) and system calls that sent them (num_sends). */
  msgs: number;
  sends: number;
  /** msgs × -s, the bytes the report lines count. */
  bytes: number;
  /** UDP datagrams on the wire: segments of GSO sends, one per send otherwise (0 for tcp). */
  segments: number;
  /** The C program's tstart and tend (tend: the last clock read of the loop), ms since the epoch. */
  tstart: number;
  tend: number;
  tracker: CompletionTracker;
  queue: TxErrorQueue;
  /** Sends that asked for a zerocopy notification. */
  expectedCompletions: number;
  interrupted: string | null;
  backing: PageBacking;
  hugepagesWhy: string | null;
}

/** How long one synchronous slice runs before signals get a look in. */
const SLICE_MS = 50;
/** Buffers between clock reads: the C program reads the clock after every one. */
const CLOCK_EVERY = 8;

function kernelFail(text: string, e = errno(), hint?: string): never {
  throw new KernelError(`${text}: ${strerror(e)}`, e, hint);
}

function setInt(fd: number, level: number, name: number, value: number, text: string, hint?: string): void {
  const v = nativeInt(value);
  if (setsockopt(fd, level, name, v.addr, 4) !== 0) kernelFail(text, errno(), hint);
}

/** The hint for a refused GSO send: what the kernel checks. */
function gsoHint(cfg: UdpgsoTxConfig, e: number): string | undefined {
  if (!cfg.segment) return e === EMSGSIZE ? 'the datagram is larger than the path MTU allows: lower -s' : undefined;
  if (e === EINVAL || e === EMSGSIZE) {
    return `UDP_SEGMENT needs -S at most the path MTU minus ${udpHeaderLen(cfg.family)} header bytes and ` +
      '-s at most 128 segments of -S (64 before linux 6.12): check both, and the MTU of the route';
  }
  return undefined;
}

/** One buffer out: returns the system calls made (the C program's send_* return value). */
type SendBuffer = (addr: number) => number;

interface Plan {
  fd: number;
  send: SendBuffer;
  /** Datagrams one buffer makes on the wire. */
  segmentsPerBuffer: number;
}

function openSocket(cfg: UdpgsoTxConfig): number {
  const fd = socket(cfg.family === 4 ? AF_INET : AF_INET6, cfg.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd === -1) kernelFail('socket');
  if (cfg.zerocopy) {
    const one = nativeInt(1);
    if (setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, one.addr, 4) !== 0) {
      const e = errno();
      if (e === ENOPROTOOPT || e === ENOTSUPP) throw new SkipError();
      kernelFail('setsockopt zerocopy', e);
    }
  }
  return fd;
}

/** What every send path of one run shares: the socket, the destination, the flags, the length and the timestamp request. */
interface SendContext {
  cfg: UdpgsoTxConfig;
  fd: number;
  sa: NativeBlock;
  alen: number;
  flags: number;
  len: number;
  /** Write the timestamp request (send_ts_cmsg) at `off`; returns its space. */
  tsCmsg: (dv: DataView, off: number) => number;
}

function setup(cfg: UdpgsoTxConfig): Plan {
  const fd = openSocket(cfg);
  const sa = allocNative(32);
  const alen = writeSockaddr(sa.dv, 0, cfg.family, cfg.dst, cfg.port);
  if (cfg.connected && connect(fd, sa.addr, alen) !== 0) {
    kernelFail('connect', errno(), cfg.tcp ? 'nothing listens there: start `msg-zerocopy udpgso-rx -t` first' : undefined);
  }
  if (cfg.segment) {
    if (cfg.family === 4) setInt(fd, SOL_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, 'setsockopt path mtu');
    else setInt(fd, SOL_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO, 'setsockopt path mtu');
  }
  const tsFlag = cfg.hwTimestamp ? SOF_TIMESTAMPING_TX_HARDWARE : SOF_TIMESTAMPING_TX_SOFTWARE;
  if (cfg.txTimestamp) {
    const val = SOF_TIMESTAMPING_OPT_CMSG | SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY |
      (cfg.hwTimestamp ? SOF_TIMESTAMPING_RAW_HARDWARE : SOF_TIMESTAMPING_SOFTWARE);
    setInt(fd, SOL_SOCKET, SO_TIMESTAMPING, val, 'setsockopt tx timestamping',
      'this kernel or socket refuses SO_TIMESTAMPING tx timestamps: run without -T/-H');
  }
  // The timestamp request rides on every send as a control message (send_ts_cmsg).
  const tsCmsg = (dv: DataView, off: number): number => {
    dv.setBigUint64(off + CMSG.cmsg_len, BigInt(CMSG_DATA_OFFSET + 4), true);
    dv.setInt32(off + CMSG.cmsg_level, SOL_SOCKET, true);
    dv.setInt32(off + CMSG.cmsg_type, SO_TIMESTAMPING, true);
    dv.setUint32(off + CMSG_DATA_OFFSET, tsFlag, true);
    return cmsgSpace(4);
  };
  const ctx: SendContext = { cfg, fd, sa, alen, flags: cfg.zerocopy ? MSG_ZEROCOPY : 0, len: cfg.payloadLen, tsCmsg };
  // The C program's four send functions, one each.
  if (cfg.tcp) return tcpSender(ctx);
  if (cfg.segment) return segmentSender(ctx);
  if (cfg.sendmmsg) return mmsgSender(ctx);
  return udpSender(ctx);
}

/** send_tcp: write the whole buffer, however many calls it takes. */
function tcpSender({ fd, flags, len }: SendContext): Plan {
  const send: SendBuffer = (data) => {
    let done = 0;
    let count = 0;
    while (done < len) {
      const ret = sendto(fd, data + done, len - done, flags, 0, 0);
      if (ret === -1) kernelFail('write');
      done += ret;
      count++;
    }
    return count;
  };
  return { fd, send, segmentsPerBuffer: 0 };
}

/** send_udp_segment: one sendmsg, the UDP_SEGMENT control message (+ the timestamp one), the address always given. */
function segmentSender({ cfg, fd, sa, alen, flags, len, tsCmsg }: SendContext): Plan {
  const block = allocNative(MSG.size + IOV.size + 2 * cmsgSpace(4));
  const dv = block.dv;
  const iovOff = MSG.size;
  const ctlOff = MSG.size + IOV.size;
  dv.setBigUint64(ctlOff + CMSG.cmsg_len, BigInt(CMSG_DATA_OFFSET + 2), true);
  dv.setInt32(ctlOff + CMSG.cmsg_level, SOL_UDP, true);
  dv.setInt32(ctlOff + CMSG.cmsg_type, UDP_SEGMENT, true);
  dv.setUint16(ctlOff + CMSG_DATA_OFFSET, cfg.gsoSize, true);
  let controllen = cmsgSpace(2);
  if (cfg.txTimestamp) controllen += tsCmsg(dv, ctlOff + cmsgSpace(2));
  dv.setBigUint64(iovOff + IOV.iov_len, BigInt(len), true);
  dv.setBigUint64(MSG.msg_iov, BigInt(block.addr + iovOff), true);
  dv.setBigUint64(MSG.msg_iovlen, 1n, true);
  dv.setBigUint64(MSG.msg_control, BigInt(block.addr + ctlOff), true);
  dv.setBigUint64(MSG.msg_controllen, BigInt(controllen), true);
  dv.setBigUint64(MSG.msg_name, BigInt(sa.addr), true);
  dv.setUint32(MSG.msg_namelen, alen, true);
  const msgAddr = block.addr;
  let current = -1;
  const send: SendBuffer = (data) => {
    if (data !== current) {
      dv.setBigUint64(iovOff + IOV.iov_base, BigInt(data), true);
      current = data;
    }
    const ret = sendmsg(fd, msgAddr, flags);
    if (ret === -1) {
      const e = errno();
      kernelFail('sendmsg', e, gsoHint(cfg, e));
    }
    if (ret !== len) throw new RunError(`sendmsg: ${ret} != ${len}`);
    return 1;
  };
  return { fd, send, segmentsPerBuffer: Math.ceil(len / cfg.gsoSize) };
}

/** send_udp_sendmmsg: one message per MSS, each with its own iovec into the buffer. */
function mmsgSender({ cfg, fd, sa, alen, flags, len, tsCmsg }: SendContext): Plan {
  const maxMsgs = Math.floor(ETH_MAX_MTU / ETH_DATA_LEN);
  const n = Math.ceil(len / cfg.mss);
  if (n > maxMsgs) throw new UsageError('sendmmsg: exceeds max_nr_msg');
  const block = allocNative(n * MMSG.size + n * IOV.size + cmsgSpace(4));
  const dv = block.dv;
  const iovAt = n * MMSG.size;
  const ctlAt = iovAt + n * IOV.size;
  const controllen = cfg.txTimestamp ? tsCmsg(dv, ctlAt) : 0;
  const lens: number[] = [];
  for (let i = 0, left = len; left > 0; i++) {
    const l = Math.min(cfg.mss, left);
    lens.push(l);
    left -= l;
    const m = i * MMSG.size + MMSG.msg_hdr;
    dv.setBigUint64(iovAt + i * IOV.size + IOV.iov_len, BigInt(l), true);
    dv.setBigUint64(m + MSG.msg_iov, BigInt(block.addr + iovAt + i * IOV.size), true);
    dv.setBigUint64(m + MSG.msg_iovlen, 1n, true);
    dv.setBigUint64(m + MSG.msg_name, BigInt(sa.addr), true);
    dv.setUint32(m + MSG.msg_namelen, alen, true);
    if (controllen) {
      dv.setBigUint64(m + MSG.msg_control, BigInt(block.addr + ctlAt), true);
      dv.setBigUint64(m + MSG.msg_controllen, BigInt(controllen), true);
    }
  }
  let current = -1;
  const send: SendBuffer = (data) => {
    if (data !== current) {
      for (let i = 0, off = 0; i < n; off += lens[i], i++) dv.setBigUint64(iovAt + i * IOV.size + IOV.iov_base, BigInt(data + off), true);
      current = data;
    }
    const ret = sendmmsg(fd, block.addr, n, flags);
    if (ret === -1) kernelFail('sendmmsg');
    return ret;
  };
  return { fd, send, segmentsPerBuffer: n };
}

/** send_udp: one sendto per MSS, each from the start of the buffer (as the C program). */
function udpSender({ cfg, fd, sa, flags, len }: SendContext): Plan {
  const name = cfg.connected ? 0 : sa.addr;
  const nameLen = cfg.connected ? 0 : sockaddrLen(cfg.family);
  const mss = cfg.mss;
  const send: SendBuffer = (data) => {
    let total = len;
    let count = 0;
    while (total) {
      const l = total < mss ? total : mss;
      const ret = sendto(fd, data, l, flags, name, nameLen);
      if (ret === -1) kernelFail('write');
      if (ret !== l) throw new RunError(`write: ${ret}B != ${l}B`);
      total -= l;
      count++;
    }
    return count;
  };
  return { fd, send, segmentsPerBuffer: Math.ceil(len / mss) };
}


/** set_cpu: the C program pins only for -C > 0, and a failure is fatal. */
function setCpu(cpu: number): void {
  const mask = allocNative(128);
  if (cpu < 1024) mask.u8[cpu >> 3] |= 1 << (cpu & 7);
  if (sched_setaffinity(0, 128, mask.addr) !== 0) throw new KernelError(`setaffinity ${cpu}`, errno(), 'pick a CPU this process may run on');
}

/**
 * The run. `report(msgs, sends)` prints the one-second line; it is called
 * where the C program calls print_report.
 */
export async function runUdpgsoTx(cfg: UdpgsoTxConfig, ctl: RunControl, log: (line: string) => void,
  report: (msgs: number, sends: number) => void): Promise<UdpgsoTxResult> {
  if (cfg.cpu > 0) setCpu(cfg.cpu);
  const nbuf = cfg.cacheTrash ? NUM_BUFFERS : 1;
  // Each buffer is ETH_MAX_MTU bytes, the first starting where the C program's static array does.
  const pages = allocPages(TX_BUFFER_OFFSET + nbuf * ETH_MAX_MTU + PAGE_SIZE, cfg.hugepages);
  if (pages.why) log(pages.why);
  for (let i = 0; i < nbuf; i++) fillPayload(pages.u8, TX_BUFFER_OFFSET + i * ETH_MAX_MTU, ETH_MAX_MTU);
  const buffers = Array.from({ length: nbuf }, (_, i) => pages.addr + TX_BUFFER_OFFSET + i * ETH_MAX_MTU);

  const tracker = new CompletionTracker();
  const plan = setup(cfg);
  const { fd, send } = plan;
  const queue = new TxErrorQueue(fd, tracker, { audit: cfg.audit, verbose: cfg.verbose, hardware: cfg.hwTimestamp, log });
  const zc = cfg.zerocopy;
  const ts = cfg.txTimestamp;
  const msgNr = cfg.msgNr;

  let totalMsgs = 0;
  let totalSends = 0;
  let msgs = 0;
  let sends = 0;
  let tnow = Date.now();
  const tstart = tnow;
  const tstop = cfg.runtimeMs === -1 ? Infinity : tnow + cfg.runtimeMs;
  let treport = tnow + 1000;
  let i = 0;
  let data = buffers[0];
  let stop = false;
  try {
    while (!stop) {
      const sliceEnd = Math.min(tstop, tnow + SLICE_MS);
      let tick = 0;
      do {
        sends += send(data);
        msgs++;
        if ((zc && (msgs & 0xf) === 0) || ts) queue.flush(cfg.poll, 500, true);
        // As the C program: -M counts the buffers since the last one-second report, not the run's.
        if (msgNr && msgs >= msgNr) {
          stop = true;
          break;
        }
        if (++tick >= CLOCK_EVERY) {
          tick = 0;
          tnow = Date.now();
          if (tnow >= treport) {
            report(msgs, sends);
            totalMsgs += msgs;
            totalSends += sends;
            msgs = sends = 0;
            treport = tnow + 1000;
          }
        }
        if (nbuf > 1) {
          i = i + 1 < nbuf ? i + 1 : 0;
          data = buffers[i];
        }
      } while (tnow < sliceEnd);
      tnow = Date.now();
      if (tnow >= tstop) break;
      await ctl.yield();
      if (ctl.stopped) break;
    }
  } finally {
    totalMsgs += msgs;
    totalSends += sends;
  }
  const tend = Date.now();
  // Sends that asked for a notification or a timestamp: every one.
  if (zc || ts) {
    queue.retry(cfg.pollLoopTimeoutMs, () => (!zc || tracker.completions >= totalSends) && (!ts || queue.timestamps >= totalSends));
  }
  if (close(fd) !== 0) kernelFail('close');
  return {
    msgs: totalMsgs, sends: totalSends, bytes: totalMsgs * cfg.payloadLen,
    segments: totalMsgs * plan.segmentsPerBuffer, tstart, tend, tracker, queue,
    expectedCompletions: zc ? totalSends : 0, interrupted: ctl.signal, backing: pages.backing, hugepagesWhy: pages.why,
  };
}
