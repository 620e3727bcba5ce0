// SPDX-License-Identifier: GPL-2.0-only
// The error queue as udpgso_bench_tx reads it: zerocopy notifications (fed to
// the same pure CompletionTracker as the classic sender), tx timestamps
// (SO_TIMESTAMPING: a struct scm_timestamping beside a sock_extended_err of
// origin SO_EE_ORIGIN_TIMESTAMPING), and ICMP or local errors. The C program
// looks at the control messages only with -a; here they are always counted
// (for --json and to know when the last ones are in), and printed or fatal
// only where the C program prints or dies, that is with -a.
import {
  EAGAIN, IP_RECVERR, POLLERR, IPV6_RECVERR, MSG_ERRQUEUE, SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL,
  SO_EE_ORIGIN_TIMESTAMPING, SO_EE_ORIGIN_ZEROCOPY, SO_TIMESTAMPING, SOL_IP, SOL_IPV6, SOL_SOCKET,
} from '../libc/constants.js';
import { CMSG, CMSG_DATA_OFFSET, cmsgAlign, cmsgSpace, MSG, SCM_TIMESTAMPING, SERR, SIN6, TIMESPEC } from '../libc/layout.js';
import { allocNative, errno, recvmsg, strerror } from '../libc/libc.js';
import { PollFd } from '../net/poll.js';
import type { CompletionTracker } from '../notify/tracker.js';
import { KernelError, RunError } from '../core/errors.js';

/** The C program's control buffer: CMSG_SPACE(scm_timestamping) + CMSG_SPACE(sock_extended_err) + CMSG_SPACE(sockaddr_in6). */
export const TX_CONTROL_LEN = cmsgSpace(SCM_TIMESTAMPING.size) + cmsgSpace(SERR.size) + cmsgSpace(SIN6.size);

export interface TxQueueOptions {
  /** -a: print and fail as the C program's flush_cmsg does. */
  audit: boolean;
  verbose: boolean;
  /** -H: the hardware timestamp (ts[2]) is the one that must be set, else the software one (ts[0]). */
  hardware: boolean;
  log: (line: string) => void;
}

export class TxErrorQueue {
  /** Timestamps received (sock_extended_err of origin SO_EE_ORIGIN_TIMESTAMPING): the C program's stat_tx_ts. */
  timestamps = 0;
  /** SO_TIMESTAMPING messages whose timestamp was zero: stat_tx_ts_errors. */
  timestampErrors = 0;
  /** ICMP errors and local-origin errors queued on the socket. */
  icmpErrors = 0;
  localErrors = 0;
  /** recvmsg calls that returned a message. */
  messages = 0;

  private readonly msg = allocNative(MSG.size);
  private readonly control = allocNative(TX_CONTROL_LEN);
  private readonly pfd: PollFd;
  private readonly tsIndex: number;

  constructor(private readonly fd: number, private readonly tracker: CompletionTracker, private readonly o: TxQueueOptions) {
    this.msg.dv.setBigUint64(MSG.msg_control, BigInt(this.control.addr), true);
    // The C program polls with no events: poll(2) reports POLLERR anyway; asking for it changes nothing.
    this.pfd = new PollFd(fd, POLLERR);
    this.tsIndex = o.hardware ? 2 : 0;
  }

  /** flush_errqueue_recv: read until EAGAIN. */
  drain(): void {
    const { msg } = this;
    for (;;) {
      msg.dv.setBigUint64(MSG.msg_controllen, BigInt(TX_CONTROL_LEN), true);
      msg.dv.setInt32(MSG.msg_flags, 0, true);
      const ret = recvmsg(this.fd, msg.addr, MSG_ERRQUEUE);
      if (ret === -1) {
        const e = errno();
        if (e === EAGAIN) return;
        throw new KernelError(`errqueue: ${strerror(e)}`, e);
      }
      const flags = msg.dv.getInt32(MSG.msg_flags, true);
      if (flags !== MSG_ERRQUEUE) throw new RunError(`errqueue: flags 0x${flags.toString(16)}`);
      this.messages++;
      this.controlMessages(Number(msg.dv.getBigUint64(MSG.msg_controllen, true)));
    }
  }

  /** flush_cmsg for each control message (CMSG_FIRSTHDR / CMSG_NXTHDR). */
  private controlMessages(controllen: number): void {
    const dv = this.control.dv;
    for (let off = 0; off + CMSG.size <= controllen;) {
      const len = Number(dv.getBigUint64(off + CMSG.cmsg_len, true));
      if (len < CMSG.size) break;
      this.one(off, dv.getInt32(off + CMSG.cmsg_level, true), dv.getInt32(off + CMSG.cmsg_type, true));
      off += cmsgAlign(len);
    }
  }

  private one(off: number, level: number, type: number): void {
    const { o } = this;
    const dv = this.control.dv;
    const data = off + CMSG_DATA_OFFSET;
    if (level === SOL_SOCKET) {
      if (type !== SO_TIMESTAMPING) {
        if (o.audit) throw new RunError(`unknown SOL_SOCKET cmsg type=${type}`);
        return;
      }
      const at = data + SCM_TIMESTAMPING.ts + this.tsIndex * TIMESPEC.size + TIMESPEC.tv_sec;
      if (dv.getBigInt64(at, true) === 0n) this.timestampErrors++;
      return;
    }
    if (level !== SOL_IP && level !== SOL_IPV6) {
      if (o.audit) o.log(`unknown cmsg level=${level}`);
      return;
    }
    if (type !== IP_RECVERR && type !== IPV6_RECVERR) {
      if (o.audit) o.log(`unknown IP msg type=${type}`);
      return;
    }
    const origin = dv.getUint8(data + SERR.ee_origin);
    switch (origin) {
      case SO_EE_ORIGIN_TIMESTAMPING:
        this.timestamps++;
        return;
      case SO_EE_ORIGIN_ZEROCOPY:
        this.tracker.record(dv.getUint32(data + SERR.ee_info, true), dv.getUint32(data + SERR.ee_data, true),
          dv.getUint8(data + SERR.ee_code));
        return;
      case SO_EE_ORIGIN_ICMP:
      case SO_EE_ORIGIN_ICMP6:
        this.icmpErrors++;
        if (o.audit && o.verbose) {
          o.log(`received ICMP error: type=${dv.getUint8(data + SERR.ee_type)}, code=${dv.getUint8(data + SERR.ee_code)}`);
        }
        return;
      case SO_EE_ORIGIN_LOCAL:
        this.localErrors++;
        if (o.audit && o.verbose) o.log(`received packet with local origin: ${origin}`);
        return;
      default:
        if (o.audit) o.log(`received packet with origin: ${origin}`);
    }
  }

  /** flush_errqueue: with -P, first wait up to `ms` for an error (POLLERR). */
  flush(doPoll: boolean, ms: number, pollErr: boolean): void {
    if (doPoll && this.pfd.wait(ms) === 0 && this.o.verbose && pollErr) this.o.log('poll timeout');
    this.drain();
  }

  /**
   * flush_errqueue_retry: poll and drain until `done()` or `timeoutMs` has
   * passed. The C program stops when the acks equal the sends of the last
   * one-second report (not of the run), and counts acks only with -a, so it
   * nearly always waits the whole -L; here it stops once every send's
   * notification (and timestamp) is in, which is what it waits for.
   */
  retry(timeoutMs: number, done: () => boolean): void {
    const stop = Date.now() + timeoutMs;
    let first = true;
    this.drain();
    for (let now = Date.now(); !done() && now < stop; now = Date.now()) {
      this.flush(true, stop - now, first);
      first = false;
    }
  }
}
