// SPDX-License-Identifier: GPL-2.0-only
// Struct layouts, written once as koffi struct types. koffi computes the C
// ABI offsets; the rest of the code reads and writes native memory at the
// offsets exported here. test/unit/layout.test.ts compares every size and
// offset with what gcc reports for the real headers.
// The io_uring structs are in layout-uring.ts, those of the host facts
// (ethtool, rtnetlink, getrlimit) in layout-host.ts; this file re-exports
// both, so every layout is still imported from here.
import { koffi, offsets } from './struct.js';

export * from './layout-uring.js';
export * from './layout-host.js';

export const iovec = koffi.struct('mzc_iovec', {
  iov_base: 'uintptr_t',
  iov_len: 'size_t',
});

export const msghdr = koffi.struct('mzc_msghdr', {
  msg_name: 'uintptr_t',
  msg_namelen: 'uint32_t',
  msg_iov: 'uintptr_t',
  msg_iovlen: 'size_t',
  msg_control: 'uintptr_t',
  msg_controllen: 'size_t',
  msg_flags: 'int',
});

export const cmsghdr = koffi.struct('mzc_cmsghdr', {
  cmsg_len: 'size_t',
  cmsg_level: 'int',
  cmsg_type: 'int',
});

export const sock_extended_err = koffi.struct('mzc_sock_extended_err', {
  ee_errno: 'uint32_t',
  ee_origin: 'uint8_t',
  ee_type: 'uint8_t',
  ee_code: 'uint8_t',
  ee_pad: 'uint8_t',
  ee_info: 'uint32_t',
  ee_data: 'uint32_t',
});

export const sockaddr_in = koffi.struct('mzc_sockaddr_in', {
  sin_family: 'uint16_t',
  sin_port: 'uint16_t',
  sin_addr: koffi.array('uint8_t', 4),
  sin_zero: koffi.array('uint8_t', 8),
});

export const sockaddr_in6 = koffi.struct('mzc_sockaddr_in6', {
  sin6_family: 'uint16_t',
  sin6_port: 'uint16_t',
  sin6_flowinfo: 'uint32_t',
  sin6_addr: koffi.array('uint8_t', 16),
  sin6_scope_id: 'uint32_t',
});

export const sockaddr_ll = koffi.struct('mzc_sockaddr_ll', {
  sll_family: 'uint16_t',
  sll_protocol: 'uint16_t',
  sll_ifindex: 'int',
  sll_hatype: 'uint16_t',
  sll_pkttype: 'uint8_t',
  sll_halen: 'uint8_t',
  sll_addr: koffi.array('uint8_t', 8),
});

export const pollfd = koffi.struct('mzc_pollfd', {
  fd: 'int',
  events: 'int16_t',
  revents: 'int16_t',
});

export const timeval = koffi.struct('mzc_timeval', {
  tv_sec: 'long',
  tv_usec: 'long',
});

export const IOV = offsets(iovec, ['iov_base', 'iov_len'] as const);
export const MSG = offsets(msghdr, ['msg_name', 'msg_namelen', 'msg_iov', 'msg_iovlen', 'msg_control', 'msg_controllen', 'msg_flags'] as const);
export const CMSG = offsets(cmsghdr, ['cmsg_len', 'cmsg_level', 'cmsg_type'] as const);
export const SERR = offsets(sock_extended_err, ['ee_errno', 'ee_origin', 'ee_type', 'ee_code', 'ee_info', 'ee_data'] as const);
export const SIN = offsets(sockaddr_in, ['sin_family', 'sin_port', 'sin_addr'] as const);
export const SIN6 = offsets(sockaddr_in6, ['sin6_family', 'sin6_port', 'sin6_flowinfo', 'sin6_addr', 'sin6_scope_id'] as const);
export const SLL = offsets(sockaddr_ll, ['sll_family', 'sll_protocol', 'sll_ifindex', 'sll_hatype', 'sll_pkttype', 'sll_halen', 'sll_addr'] as const);
export const POLLFD = offsets(pollfd, ['fd', 'events', 'revents'] as const);
export const TIMEVAL = offsets(timeval, ['tv_sec', 'tv_usec'] as const);

/** CMSG_ALIGN / CMSG_DATA / CMSG_SPACE for 64-bit Linux (size_t alignment). */
export const cmsgAlign = (len: number): number => (len + 7) & ~7;
export const CMSG_DATA_OFFSET = cmsgAlign(CMSG.size);
export const cmsgSpace = (len: number): number => CMSG_DATA_OFFSET + cmsgAlign(len);

/** The tool's own fixed-size headers (not passed to libc as structs). */
export const ETH_HLEN = 14;
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;
export const TCP_HLEN = 20;
/** x86-64 page size. */
export const PAGE_SIZE = 4096;
/**
 * Where the selftest's payload starts within a page: msg_zerocopy.c keeps it
 * in a static array, which gcc 12 -O2 (Debian's build of the 6.12 source)
 * places 0x1a0 bytes into a page of .bss (`nm msg_zerocopy | grep payload`).
 */
export const SELFTEST_PAYLOAD_OFFSET = 0x1a0;
/** IP_MAXPACKET from <netinet/ip.h>. */
export const IP_MAXPACKET = 65535;
/** Largest payload the selftest accepts: 65535 - IPv6 header - TCP header - 40 bytes of options. */
export const MAX_PAYLOAD = IP_MAXPACKET - IPV6_HLEN - TCP_HLEN - 40;


// TCP_ZEROCOPY_RECEIVE (issue 19): struct tcp_zerocopy_receive from
// <linux/tcp.h> (the same in Debian 12's 6.1 header and in 6.12), and the
// head of struct tcp_info up to tcpi_rcv_mss. tcp_info's first eight bytes
// are u8 fields (two of them bit-fields, declared here as whole bytes: the
// layout is the same). The receiver gives getsockopt the whole 64-byte
// tcp_zerocopy_receive, as tcp_mmap.c does.
export const tcp_zerocopy_receive = koffi.struct('mzc_tcp_zerocopy_receive', {
  address: 'uint64_t',
  length: 'uint32_t',
  recv_skip_hint: 'uint32_t',
  inq: 'uint32_t',
  err: 'int32_t',
  copybuf_address: 'uint64_t',
  copybuf_len: 'int32_t',
  flags: 'uint32_t',
  msg_control: 'uint64_t',
  msg_controllen: 'uint64_t',
  msg_flags: 'uint32_t',
  reserved: 'uint32_t',
});

export const tcp_info_head = koffi.struct('mzc_tcp_info_head', {
  tcpi_state: 'uint8_t',
  tcpi_ca_state: 'uint8_t',
  tcpi_retransmits: 'uint8_t',
  tcpi_probes: 'uint8_t',
  tcpi_backoff: 'uint8_t',
  tcpi_options: 'uint8_t',
  tcpi_wscale: 'uint8_t',
  tcpi_flags: 'uint8_t',
  tcpi_rto: 'uint32_t',
  tcpi_ato: 'uint32_t',
  tcpi_snd_mss: 'uint32_t',
  tcpi_rcv_mss: 'uint32_t',
});

export const ZC_RECEIVE = offsets(tcp_zerocopy_receive, ['address', 'length', 'recv_skip_hint', 'inq', 'err',
  'copybuf_address', 'copybuf_len', 'flags', 'msg_control', 'msg_controllen', 'msg_flags', 'reserved'] as const);
/** Offsets in struct tcp_info (its size is the kernel's, not this head's: see TCP_INFO_SIZE). */
export const TCP_INFO_OFF = offsets(tcp_info_head, ['tcpi_snd_mss', 'tcpi_rcv_mss'] as const);
/** What the receiver asks getsockopt(TCP_INFO) for: enough for tcpi_rcv_mss; the kernel copies min(len, its size). */
export const TCP_INFO_LEN = TCP_INFO_OFF.tcpi_rcv_mss + 4;
// UDP GSO and tx timestamps (udpgso_bench_tx, --gso): the timestamps a
// SO_TIMESTAMPING control message carries (struct scm_timestamping from
// <linux/errqueue.h>: software, deprecated, hardware), and sendmmsg's vector.
export const timespec = koffi.struct('mzc_timespec', {
  tv_sec: 'long',
  tv_nsec: 'long',
});

export const scm_timestamping = koffi.struct('mzc_scm_timestamping', {
  ts: koffi.array(timespec, 3),
});

export const mmsghdr = koffi.struct('mzc_mmsghdr', {
  msg_hdr: msghdr,
  msg_len: 'uint32_t',
});

export const TIMESPEC = offsets(timespec, ['tv_sec', 'tv_nsec'] as const);
export const SCM_TIMESTAMPING = offsets(scm_timestamping, ['ts'] as const);
export const MMSG = offsets(mmsghdr, ['msg_hdr', 'msg_len'] as const);
