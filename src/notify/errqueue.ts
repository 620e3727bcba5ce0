// SPDX-License-Identifier: GPL-2.0-only
// Reads MSG_ZEROCOPY notifications from a socket's error queue and feeds them
// to the tracker. All memory handed to the kernel is allocated natively once.
import {
  EAGAIN, IP_RECVERR, IPV6_RECVERR, MSG_CTRUNC, MSG_ERRQUEUE, PACKET_TX_TIMESTAMP,
  POLLERR, SO_EE_ORIGIN_ZEROCOPY, SOL_IP, SOL_IPV6, SOL_PACKET,
} from '../libc/constants.js';
import { CMSG, CMSG_DATA_OFFSET, MSG, SERR } from '../libc/layout.js';
import { allocNative, errno, recvmsg, strerror } from '../libc/libc.js';
import type { CompletionTracker } from './tracker.js';
import { PollFd } from '../net/poll.js';
import { RunError } from '../core/errors.js';

/** Raised for a malformed or failed notification: the selftest treats all of these as fatal. */
export class NotificationError extends RunError {}

/** Control buffer size; the selftest uses 100 bytes, one notification needs 48. */
const CONTROL_LEN = 128;

export class ErrorQueue {
  private readonly msg = allocNative(MSG.size);
  private readonly control = allocNative(CONTROL_LEN);
  private readonly pfd: PollFd;

  constructor(private readonly fd: number, private readonly tracker: CompletionTracker) {
    this.msg.dv.setBigUint64(MSG.msg_control, BigInt(this.control.addr), true);
    this.pfd = new PollFd(fd, POLLERR);
  }

  /** Read one notification; false when the queue is empty. */
  readOne(): boolean {
    const { msg, control, tracker } = this;
    msg.dv.setUint32(MSG.msg_controllen, CONTROL_LEN, true);
    const ret = recvmsg(this.fd, msg.addr, MSG_ERRQUEUE);
    if (ret === -1) {
      const e = errno();
      if (e === EAGAIN) return false;
      throw new NotificationError(`recvmsg notification: ${strerror(e)}`);
    }
    if (msg.dv.getInt32(MSG.msg_flags, true) & MSG_CTRUNC) {
      throw new NotificationError('recvmsg notification: truncated');
    }
    const clen = msg.dv.getUint32(MSG.msg_controllen, true);
    const cdv = control.dv;
    if (clen < CMSG.size || cdv.getUint32(CMSG.cmsg_len, true) < CMSG.size) {
      throw new NotificationError('cmsg: no cmsg');
    }
    const level = cdv.getInt32(CMSG.cmsg_level, true);
    const type = cdv.getInt32(CMSG.cmsg_type, true);
    if (!((level === SOL_IP && type === IP_RECVERR) ||
          (level === SOL_IPV6 && type === IPV6_RECVERR) ||
          (level === SOL_PACKET && type === PACKET_TX_TIMESTAMP))) {
      throw new NotificationError(`serr: wrong type: ${level}.${type}`);
    }
    const s = CMSG_DATA_OFFSET;
    const origin = cdv.getUint8(s + SERR.ee_origin);
    if (origin !== SO_EE_ORIGIN_ZEROCOPY) throw new NotificationError(`serr: wrong origin: ${origin}`);
    const eeErrno = cdv.getUint32(s + SERR.ee_errno, true);
    if (eeErrno !== 0) throw new NotificationError(`serr: wrong error code: ${eeErrno}`);
    tracker.record(cdv.getUint32(s + SERR.ee_info, true), cdv.getUint32(s + SERR.ee_data, true), cdv.getUint8(s + SERR.ee_code));
    return true;
  }

  /** Read every queued notification. */
  drain(): void {
    while (this.readOne()) { /* until EAGAIN */ }
  }

  /**
   * After the send loop: for up to `waitMs`, wait for POLLERR and drain until
   * `expected` completions have arrived. Returns true when none is missing.
   */
  waitRemaining(expected: number, waitMs: number): boolean {
    const stop = Date.now() + waitMs;
    while (this.tracker.completions < expected && Date.now() < stop) {
      if (this.pfd.wait(waitMs) === 1) this.drain();
    }
    return this.tracker.completions >= expected;
  }
}
