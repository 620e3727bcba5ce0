// SPDX-License-Identifier: GPL-2.0-only
// One pollfd in native memory for one socket and one set of events: the
// selftest's do_poll. The measured loop reads `addr` and `revents` directly.
import { EINTR } from '../libc/constants.js';
import { POLLFD } from '../libc/layout.js';
import { allocNative, errno, poll } from '../libc/libc.js';
import { fail } from './socket.js';

export class PollFd {
  /** Address of the struct pollfd, for poll(2). */
  readonly addr: number;
  /** View of its revents field. */
  readonly revents: Int16Array;

  constructor(fd: number, readonly events: number) {
    const b = allocNative(POLLFD.size);
    b.dv.setInt32(POLLFD.fd, fd, true);
    b.dv.setInt16(POLLFD.events, events, true);
    this.addr = b.addr;
    this.revents = new Int16Array(b.u8.buffer, b.u8.byteOffset + POLLFD.revents, 1);
  }

  /**
   * Wait up to `ms` for the events: 1 when one is ready, 0 when not (timeout
   * or other events), -1 when a signal interrupted the wait. Any other
   * failure ends the run (KernelError), as in the selftest.
   */
  wait(ms: number): 1 | 0 | -1 {
    const ret = poll(this.addr, 1, ms);
    if (ret > 0) return (this.revents[0] & this.events) !== 0 ? 1 : 0;
    if (ret === 0) return 0;
    const e = errno();
    if (e !== EINTR) fail('poll', undefined, e);
    return -1;
  }
}

/** Several pollfds in one native array, all for the same events: one poll(2) waits on every socket. */
export class PollSet {
  readonly addr: number;
  private readonly revents: Int16Array[];

  constructor(fds: readonly number[], readonly events: number) {
    const b = allocNative(POLLFD.size * fds.length);
    this.addr = b.addr;
    this.revents = fds.map((fd, i) => {
      b.dv.setInt32(i * POLLFD.size + POLLFD.fd, fd, true);
      b.dv.setInt16(i * POLLFD.size + POLLFD.events, events, true);
      return new Int16Array(b.u8.buffer, b.u8.byteOffset + i * POLLFD.size + POLLFD.revents, 1);
    });
  }

  /** Wait up to `ms` for any of them; -1 when a signal interrupted the wait (see PollFd.wait). */
  wait(ms: number): number {
    const ret = poll(this.addr, this.revents.length, ms);
    if (ret >= 0) return ret;
    const e = errno();
    if (e !== EINTR) fail('poll', undefined, e);
    return -1;
  }

  /** After wait: socket `i` has one of the events. */
  ready(i: number): boolean {
    return (this.revents[i][0] & this.events) !== 0;
  }
}
