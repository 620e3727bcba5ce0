// SPDX-License-Identifier: GPL-2.0-only
// Zero-copy receive (TCP_ZEROCOPY_RECEIVE), as the kernel's tcp_mmap.c reads
// a connection: map a region on the connected socket (PROT_READ, MAP_SHARED,
// aligned to the huge page size as tcp_mmap aligns it), then per round one
// getsockopt(IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE) that maps up to `length`
// bytes of whole pages into it, madvise(MADV_DONTNEED) to release them, and
// a recv() of the `recv_skip_hint` bytes the kernel could not map (a part of
// a page, or a segment that is not page-sized). Everything the kernel reads
// or writes lives in native memory made once (the struct, its length, the
// copy buffer, the mapping), so a round allocates nothing: three foreign
// calls at most, one per chunk of up to 512 KiB, not one per packet.
// Used by the classic receiver's `--rx mmap` and by `msg-zerocopy mmap`.
import { readFileSync } from 'node:fs';
import {
  EAGAIN, EIO, IPPROTO_TCP, MADV_DONTNEED, MAP_SHARED, MSG_DONTWAIT, PROT_READ, TCP_INFO, TCP_ZEROCOPY_RECEIVE,
} from '../libc/constants.js';
import { TCP_INFO_LEN, TCP_INFO_OFF, ZC_RECEIVE } from '../libc/layout.js';
import { koffi } from '../libc/koffi.js';
import { allocNative, errno, freeNative, getsockopt, madvise, mmap, munmap, recv, type NativeBlock } from '../libc/libc.js';

/** tcp_mmap's chunk_size: the most one round maps (its -C). */
export const DEFAULT_CHUNK = 512 * 1024;
/** x86-64 page size: the kernel maps whole pages only. */
export const RX_PAGE = 4096;

/** What one round did. */
export const ROUND_EOF = -1;
export const ROUND_ERROR = -2;

/** The system's huge page size (tcp_mmap's default -a), 2 MiB when /proc/meminfo does not say. */
export function hugePageSize(): number {
  try {
    const m = /^Hugepagesize:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m && Number(m[1]) > 0) return Number(m[1]) * 1024;
  } catch { /* fall through */ }
  return 2 * 1024 * 1024;
}

/** Called with each piece of data before its pages are released (tcp_mmap's -i and -x); null in the measured case. */
export type RxSink = (data: Uint8Array, mapped: boolean) => void;

export class ZeroCopyRx {
  /** Bytes the kernel mapped, and bytes read with recv (the skip hints). */
  bytesMapped = 0;
  bytesCopied = 0;
  /** TCP_ZEROCOPY_RECEIVE calls made. */
  calls = 0;
  /** errno of the last failure (a round that returned ROUND_ERROR). */
  error = 0;
  /** Which call failed: 'getsockopt' or 'recv'. */
  failedCall: 'getsockopt' | 'recv' | '' = '';
  /** The page-aligned start of the mapping. */
  readonly addr: number;
  private readonly zc: NativeBlock;
  private readonly zcLen: NativeBlock;
  private readonly zcView: DataView;
  readonly copyBuf: NativeBlock;
  private mapView: Uint8Array | null = null;

  private constructor(readonly fd: number, readonly chunk: number, private readonly raw: number, private readonly rawLen: number,
    align: number, public sink: RxSink | null) {
    this.addr = Math.ceil(raw / align) * align;
    this.zc = allocNative(ZC_RECEIVE.size);
    this.zcView = this.zc.dv;
    this.zcView.setBigUint64(ZC_RECEIVE.address, BigInt(this.addr), true);
    this.zcLen = allocNative(4);
    this.copyBuf = allocNative(chunk, RX_PAGE);
  }

  /**
   * Map the region on connected socket `fd`: the reader, or the errno of a
   * failed mmap (ENODEV: a kernel or socket without tcp mmap).
   */
  static open(fd: number, chunk = DEFAULT_CHUNK, align = hugePageSize(), sink: RxSink | null = null): ZeroCopyRx | number {
    const rawLen = chunk + align;
    const raw = mmap(0, rawLen, PROT_READ, MAP_SHARED, fd, 0);
    if (raw === -1 || raw === 0) return errno();
    return new ZeroCopyRx(fd, chunk, raw, rawLen, align, sink);
  }

  /**
   * One round, up to `limit` bytes (at most one chunk mapped, then the skip
   * hint read): the bytes moved (0: none queued), ROUND_EOF when the peer has
   * closed and everything was read, ROUND_ERROR with `error` set.
   */
  round(limit: number): number {
    const v = this.zcView;
    const want = limit < this.chunk ? limit : this.chunk;
    v.setUint32(ZC_RECEIVE.length, want, true);
    v.setUint32(ZC_RECEIVE.recv_skip_hint, 0, true);
    v.setInt32(ZC_RECEIVE.err, 0, true);
    v.setInt32(ZC_RECEIVE.copybuf_len, 0, true);
    v.setUint32(ZC_RECEIVE.msg_flags, 0, true);
    this.zcLen.dv.setUint32(0, ZC_RECEIVE.size, true);
    this.calls++;
    if (getsockopt(this.fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, this.zc.addr, this.zcLen.addr) === -1) {
      const e = errno();
      // EIO: nothing queued and the peer has closed (the kernel's EOF for this call).
      if (e === EIO) return ROUND_EOF;
      this.error = e;
      this.failedCall = 'getsockopt';
      return ROUND_ERROR;
    }
    const err = v.getInt32(ZC_RECEIVE.err, true);
    if (err !== 0) {
      this.error = -err > 0 ? -err : err;
      this.failedCall = 'getsockopt';
      return ROUND_ERROR;
    }
    let moved = 0;
    const mapped = v.getUint32(ZC_RECEIVE.length, true);
    if (mapped > 0) {
      if (this.sink) this.sink(this.mapped().subarray(0, mapped), true);
      // Release the pages now rather than in the next call (tcp_mmap does the same, for the same reason).
      madvise(this.addr, mapped, MADV_DONTNEED);
      this.bytesMapped += mapped;
      moved = mapped;
    }
    let skip = v.getUint32(ZC_RECEIVE.recv_skip_hint, true);
    if (skip > 0) {
      const left = limit - moved;
      if (skip > left) skip = left;
      if (skip > this.chunk) skip = this.chunk;
      const got = skip > 0 ? recv(this.fd, this.copyBuf.addr, skip, MSG_DONTWAIT) : 0;
      if (got > 0) {
        if (this.sink) this.sink(this.copyBuf.u8.subarray(0, got), false);
        this.bytesCopied += got;
        moved += got;
      } else if (got === 0 && skip > 0) {
        return moved > 0 ? moved : ROUND_EOF;
      } else if (got === -1) {
        const e = errno();
        if (e !== EAGAIN) {
          this.error = e;
          this.failedCall = 'recv';
          return ROUND_ERROR;
        }
      }
    }
    return moved;
  }

  /** A view of the whole mapping (for the sink), made on first use. */
  private mapped(): Uint8Array {
    if (!this.mapView) this.mapView = new Uint8Array(koffi.view(BigInt(this.addr), this.chunk));
    return this.mapView;
  }

  /** Unmap and free everything (a server reads many connections). */
  close(): void {
    munmap(this.raw, this.rawLen);
    freeNative(this.zc);
    freeNative(this.zcLen);
    freeNative(this.copyBuf);
  }
}

/** tcpi_rcv_mss of a tcp socket (the kernel's estimate of the segments it receives), or 0 when TCP_INFO fails. */
export function rcvMss(fd: number): number {
  const info = allocNative(TCP_INFO_LEN);
  const len = allocNative(4);
  len.dv.setUint32(0, TCP_INFO_LEN, true);
  const mss = getsockopt(fd, IPPROTO_TCP, TCP_INFO, info.addr, len.addr) === 0 ? info.dv.getUint32(TCP_INFO_OFF.tcpi_rcv_mss, true) : 0;
  freeNative(info);
  freeNative(len);
  return mss;
}
