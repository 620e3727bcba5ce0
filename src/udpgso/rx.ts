// SPDX-License-Identifier: GPL-2.0-only
// The receiver of `msg-zerocopy udpgso-rx`: udpgso_bench_rx's do_recv. Poll
// in 10 ms steps (counting down -C before the first data and -R after), then
// empty the socket: tcp with recv(MSG_TRUNC) of up to 2 MiB, udp up to 256
// datagrams at a time with their checks; a line each second.
import {
  AF_INET, AF_INET6, EAGAIN, EINTR, ETH_MAX_MTU, IPPROTO_UDP, MSG_DONTWAIT, MSG_TRUNC, POLLIN, SOCK_DGRAM, SOCK_STREAM,
  SOL_SOCKET, SOL_UDP, SO_RCVBUF, SO_REUSEPORT, UDP_GRO,
} from '../libc/constants.js';
import { CMSG, CMSG_DATA_OFFSET, cmsgSpace, IOV, MSG } from '../libc/layout.js';
import { accept, allocNative, bind, close, errno, listen, nativeInt, poll, recv, recvmsg, setsockopt, socket, strerror } from '../libc/libc.js';
import { writeSockaddr } from '../net/address.js';
import { PollFd } from '../net/poll.js';
import type { RunControl } from '../core/control.js';
import { KernelError, RunError } from '../core/errors.js';
import type { UdpgsoRxConfig } from './config.js';
import { PatternValidator } from '../receiver/validate.js';

export interface UdpgsoRxResult {
  /** Reads that moved data (tcp) or datagrams (udp), and their bytes, over the whole run. */
  packets: number;
  bytes: number;
  startedAt: number;
  durationMs: number;
  /** tcp: the sender closed (the C program exits 0 there). */
  peerClosed: boolean;
  /** The wait of -C or -R ran out. */
  timedOut: boolean;
  interrupted: string | null;
  validator: PatternValidator | null;
}

const SLICE_MS = 50;
const POLL_STEP_MS = 10;
/** do_flush_udp's budget of datagrams per call. */
const BUDGET = 256;

function kernelFail(text: string, e = errno(), hint?: string): never {
  throw new KernelError(`${text}: ${strerror(e)}`, e, hint);
}

function setInt(fd: number, level: number, name: number, value: number, text: string): void {
  if (setsockopt(fd, level, name, nativeInt(value).addr, 4) !== 0) kernelFail(text);
}

/** The C program's character for a byte in its mismatch line. */
const sanitized = (b: number): string => (b >= 0x61 && b <= 0x7a ? String.fromCharCode(b) : '.');

/** do_verify_udp: the datagram continues 'a'..'z' (wrapping) from its first byte; the first mismatch is fatal. */
export function verifyDatagram(data: Uint8Array, len: number): void {
  let cur = data[0];
  if (cur < 0x61 || cur > 0x7a) throw new RunError('data initial byte out of range');
  for (let i = 1; i < len; i++) {
    cur = cur === 0x7a ? 0x61 : cur + 1;
    if (data[i] !== cur) {
      throw new RunError(`data[${i}]: len ${len}, ${sanitized(data[i])}(${data[i]}) != ${sanitized(cur)}(${cur})`);
    }
  }
}

/** recv_msg: one iovec over the receive buffer and a control buffer for the UDP_GRO size; the reader returns [bytes, gso size or -1]. */
function groReader(fd: number, rbufAddr: number, len: number): () => [number, number] {
  const ctlLen = cmsgSpace(4);
  const gmsg = allocNative(MSG.size + IOV.size + ctlLen);
  const gdv = gmsg.dv;
  gdv.setBigUint64(MSG.size + IOV.iov_base, BigInt(rbufAddr), true);
  gdv.setBigUint64(MSG.size + IOV.iov_len, BigInt(len), true);
  gdv.setBigUint64(MSG.msg_iov, BigInt(gmsg.addr + MSG.size), true);
  gdv.setBigUint64(MSG.msg_iovlen, 1n, true);
  const ctlAt = MSG.size + IOV.size;
  gdv.setBigUint64(MSG.msg_control, BigInt(gmsg.addr + ctlAt), true);

  return (): [number, number] => {
    gdv.setBigUint64(MSG.msg_controllen, BigInt(ctlLen), true);
    for (let i = 0; i < ctlLen; i++) gdv.setUint8(ctlAt + i, 0);
    const ret = recvmsg(fd, gmsg.addr, MSG_TRUNC | MSG_DONTWAIT);
    let gso = -1;
    if (ret !== -1 && Number(gdv.getBigUint64(MSG.msg_controllen, true)) >= CMSG.size) {
      if (gdv.getInt32(ctlAt + CMSG.cmsg_level, true) === SOL_UDP && gdv.getInt32(ctlAt + CMSG.cmsg_type, true) === UDP_GRO) {
        gso = gdv.getInt32(ctlAt + CMSG_DATA_OFFSET, true);
      }
    }
    return [ret, gso];
  };
}

/** The receiving socket (do_socket): its buffer and SO_REUSEPORT set, bound to -D and -p. */
function openRx(cfg: UdpgsoRxConfig): number {
  const fd = socket(cfg.family === 4 ? AF_INET : AF_INET6, cfg.tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd === -1) kernelFail('socket');
  setInt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 21, 'setsockopt rcvbuf');
  setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, 'setsockopt reuseport');
  const sa = allocNative(32);
  const alen = writeSockaddr(sa.dv, 0, cfg.family, cfg.bind, cfg.port);
  if (bind(fd, sa.addr, alen) !== 0) kernelFail('bind');
  return fd;
}

/**
 * do_poll, one slice at a time (so a signal is seen between slices): slice()
 * is true when data is ready, false when the wait of startWait() ran out
 * (timedOut) or the run was stopped; either sets interrupted.
 */
class RxPoller {
  interrupted = false;
  timedOut = false;
  private left = 0;
  private counting = false;
  constructor(private readonly ctl: RunControl) {}

  startWait(ms: number): void {
    this.left = ms;
    this.counting = ms > 0;
  }

  async slice(pfd: PollFd): Promise<boolean> {
    for (;;) {
      const sliceEnd = Date.now() + SLICE_MS;
      while (Date.now() < sliceEnd) {
        const ret = poll(pfd.addr, 1, POLL_STEP_MS);
        if (ret === -1) {
          const e = errno();
          if (e === EINTR) continue;
          kernelFail('poll', e);
        }
        if (ret === 0) {
          if (!this.counting) continue;
          this.left -= POLL_STEP_MS;
          if (this.left <= 0) {
            this.interrupted = this.timedOut = true;
            return false;
          }
          continue;
        }
        const rev = pfd.revents[0];
        if (rev !== POLLIN) throw new RunError(`poll: 0x${rev.toString(16)} expected 0x${POLLIN.toString(16)}`);
        return true;
      }
      await this.ctl.yield();
      if (this.ctl.stopped) {
        this.interrupted = true;
        return false;
      }
    }
  }
}

/**
 * The run. `report(bytes, packets)` prints the one-second line. A SIGINT
 * (or SIGTERM, SIGHUP) ends it as the C program's SIGINT does.
 */
export async function runUdpgsoRx(cfg: UdpgsoRxConfig, ctl: RunControl, report: (bytes: number, packets: number) => void,
  onListening?: () => void): Promise<UdpgsoRxResult> {
  const startedAt = Date.now();
  let fd = openRx(cfg);
  const validator = cfg.validate ? new PatternValidator(ETH_MAX_MTU) : null;
  let interrupted = false;
  let timedOut = false;
  let peerClosed = false;
  let packets = 0;
  let bytes = 0;
  let totalPackets = 0;
  let totalBytes = 0;
  const result = (): UdpgsoRxResult => ({
    packets: totalPackets + packets, bytes: totalBytes + bytes, startedAt, durationMs: Date.now() - startedAt,
    peerClosed, timedOut, interrupted: ctl.signal, validator,
  });

  const poller = new RxPoller(ctl);

  if (cfg.tcp) {
    if (listen(fd, 1) !== 0) kernelFail('listen');
    onListening?.();
    poller.startWait(cfg.connectTimeoutMs);
    if (!(await poller.slice(new PollFd(fd, POLLIN)))) {
      interrupted = poller.interrupted;
      timedOut = poller.timedOut;
      close(fd);
      return result();
    }
    const conn = accept(fd, 0, 0);
    if (conn === -1) kernelFail('accept');
    if (close(fd) !== 0) kernelFail('close accept fd');
    fd = conn;
  } else {
    onListening?.();
  }
  if (cfg.gro && !cfg.tcp) setInt(fd, IPPROTO_UDP, UDP_GRO, 1, 'setsockopt UDP_GRO');

  const pfd = new PollFd(fd, POLLIN);
  const rbuf = allocNative(ETH_MAX_MTU);
  const len = cfg.readAll ? ETH_MAX_MTU : 0;
  const recvGro = groReader(fd, rbuf.addr, len);

  const flushTcp = (): void => {
    for (;;) {
      const ret = recv(fd, 0, 1 << 21, MSG_TRUNC | MSG_DONTWAIT);
      if (ret === -1) {
        const e = errno();
        if (e === EAGAIN) return;
        kernelFail('flush', e);
      }
      if (ret === 0) {
        peerClosed = interrupted = true;
        return;
      }
      packets++;
      bytes += ret;
    }
  };

  const flushUdp = (): void => {
    for (let budget = BUDGET; budget-- > 0;) {
      let ret: number;
      let gso = 0;
      if (!cfg.expectedGso) ret = recv(fd, rbuf.addr, len, MSG_TRUNC | MSG_DONTWAIT);
      else [ret, gso] = recvGro();
      if (ret === -1) {
        const e = errno();
        if (e === EAGAIN) break;
        kernelFail('recv', e);
      }
      if (cfg.expectedLen && ret !== cfg.expectedLen) throw new RunError(`recv: bad packet len, got ${ret}, expected ${cfg.expectedLen}`);
      if (len && cfg.verify) {
        if (ret === 0) throw new RunError('recv: 0 byte datagram');
        verifyDatagram(rbuf.u8, ret);
      }
      if (validator) validator.check(rbuf.u8, Math.min(ret, len));
      if (cfg.expectedGso && cfg.expectedGso !== gso) {
        throw new RunError(`recv: bad gso size, got ${gso}, expected ${cfg.expectedGso} (-1 == no gso cmsg))`);
      }
      packets++;
      bytes += ret;
      if (cfg.expectedNr && totalPackets + packets >= cfg.expectedNr) break;
    }
  };

  let treport = Date.now() + 1000;
  let wait = cfg.tcp ? cfg.rcvTimeoutMs : cfg.connectTimeoutMs;
  do {
    poller.startWait(wait);
    if (await poller.slice(pfd)) {
      if (cfg.tcp) flushTcp();
      else flushUdp();
    }
    const tnow = Date.now();
    if (!cfg.expectedNr && tnow > treport) {
      if (packets) report(bytes, packets);
      totalBytes += bytes;
      totalPackets += packets;
      bytes = packets = 0;
      treport = tnow + 1000;
    }
    wait = cfg.rcvTimeoutMs;
    interrupted ||= poller.interrupted;
    timedOut ||= poller.timedOut;
  } while (!interrupted);

  const r = result();
  if (!peerClosed && cfg.expectedNr && r.packets !== cfg.expectedNr) {
    throw new RunError(`wrong packet number! got ${r.packets}, expected ${cfg.expectedNr}`);
  }
  if (close(fd) !== 0) kernelFail('close');
  return r;
}
