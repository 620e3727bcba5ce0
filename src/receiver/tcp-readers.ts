// SPDX-License-Identifier: GPL-2.0-only
// The tcp receiver's read modes beside the selftest's MSG_TRUNC (--rx):
// copy reads into a buffer as an application does; mmap maps the pages with
// TCP_ZEROCOPY_RECEIVE (zerocopy-rx.ts). Each read is one round: the bytes
// it moved, 0 when none were queued, -1 at the peer's EOF.
import { EAGAIN, ENODEV, ENOPROTOOPT, EOPNOTSUPP, MSG_DONTWAIT } from '../libc/constants.js';
import { allocNative, errno, recv, strerror } from '../libc/libc.js';
import { fail } from '../net/socket.js';
import { KernelError } from '../core/errors.js';
import type { Config } from '../core/config.js';
import type { RxMode } from '../core/vocabulary.js';
import { rcvMss, ROUND_EOF, ROUND_ERROR, RX_PAGE, ZeroCopyRx } from './zerocopy-rx.js';

/** What a tcp receiver says of how it read (every mode; the selftest's trunc maps and copies nothing). */
export interface RxStats {
  mode: RxMode;
  bytesMapped: number;
  bytesCopied: number;
  /** tcpi_rcv_mss at the end of the run (0 when TCP_INFO failed). */
  rcvMss: number;
}

export interface TcpReader {
  read(): number;
  /** The counters, and tcpi_rcv_mss read now (before the socket closes). */
  finish(): RxStats;
}

const COPY_BUF = 1 << 21;

/**
 * Why the kernel refused zero-copy receive, as one line: errno from mmap
 * of the socket or from getsockopt(TCP_ZEROCOPY_RECEIVE).
 */
export function zerocopyRxRefusal(call: 'mmap' | 'getsockopt', e: number): KernelError {
  const unsupported = e === ENODEV || e === ENOPROTOOPT || e === EOPNOTSUPP;
  const what = call === 'mmap' ? 'mmap of the tcp socket' : 'getsockopt TCP_ZEROCOPY_RECEIVE';
  return new KernelError(`${what}: ${strerror(e)}`, e, unsupported
    ? 'this kernel has no TCP_ZEROCOPY_RECEIVE (Linux 4.18 or later with CONFIG_MMU): receive with --rx copy or trunc'
    : undefined);
}

export function openTcpReader(fd: number, mode: Exclude<RxMode, 'trunc'>, cfg: Config): TcpReader {
  if (mode === 'copy') {
    const buf = allocNative(COPY_BUF, RX_PAGE);
    let copied = 0;
    return {
      read(): number {
        const ret = recv(fd, buf.addr, COPY_BUF, MSG_DONTWAIT);
        if (ret > 0) {
          copied += ret;
          return ret;
        }
        if (ret === 0) return -1;
        const e = errno();
        if (e === EAGAIN) return 0;
        fail({ call: 'recv', text: 'copy' }, cfg, e);
      },
      finish: () => ({ mode, bytesMapped: 0, bytesCopied: copied, rcvMss: rcvMss(fd) }),
    };
  }
  const rx = ZeroCopyRx.open(fd);
  if (typeof rx === 'number') throw zerocopyRxRefusal('mmap', rx);
  const limit = rx.chunk;
  return {
    read(): number {
      const ret = rx.round(limit);
      if (ret >= 0) return ret;
      if (ret === ROUND_EOF) return -1;
      if (ret === ROUND_ERROR && rx.failedCall === 'getsockopt') throw zerocopyRxRefusal('getsockopt', rx.error);
      fail({ call: 'recv', text: 'recv_skip_hint' }, cfg, rx.error);
    },
    finish(): RxStats {
      const s = { mode, bytesMapped: rx.bytesMapped, bytesCopied: rx.bytesCopied, rcvMss: rcvMss(fd) };
      rx.close();
      return s;
    },
  };
}

/** The selftest's trunc mode: nothing mapped, nothing copied; the MSS for the report. */
export const truncStats = (fd: number): RxStats => ({ mode: 'trunc', bytesMapped: 0, bytesCopied: 0, rcvMss: rcvMss(fd) });
