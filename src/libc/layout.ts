// SPDX-License-Identifier: GPL-2.0-only
// Struct layouts, written once as koffi struct types. koffi computes the C
// ABI offsets; the rest of the code reads and writes native memory at the
// offsets exported here. test/unit/layout.test.ts compares every size and
// offset with what gcc reports for the real headers.
import { koffi as ffi } from './koffi.js';

// koffi keeps one registry of type names per process, and two bundles load
// this module (dist/cli/early.cjs, then the CLI; see src/startup/early.ts):
// the structs are declared anonymously, their names kept as documentation.
const koffi = {
  struct: (_name: string, def: Record<string, Parameters<typeof ffi.sizeof>[0]>) => ffi.struct(def),
  array: (type: Parameters<typeof ffi.array>[0], length: number) => ffi.array(type, length),
  sizeof: (type: Parameters<typeof ffi.sizeof>[0]) => ffi.sizeof(type),
  offsetof: (type: Parameters<typeof ffi.offsetof>[0], field: string) => ffi.offsetof(type, field),
};

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

/** Offsets and sizes as plain numbers, looked up once at load time. */
function offsets<T extends string>(type: Parameters<typeof koffi.sizeof>[0], fields: readonly T[]): Record<T, number> & { size: number } {
  const out: Record<string, number> = { size: koffi.sizeof(type) };
  for (const f of fields) out[f] = koffi.offsetof(type, f);
  return out as Record<T, number> & { size: number };
}

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

// io_uring (include/uapi/linux/io_uring.h). Unions are declared as the one
// member this tool uses; the names are those of Debian 12's header (linux
// 6.1), which the layout test compiles against.
export const io_sqring_offsets = koffi.struct('mzc_io_sqring_offsets', {
  head: 'uint32_t',
  tail: 'uint32_t',
  ring_mask: 'uint32_t',
  ring_entries: 'uint32_t',
  flags: 'uint32_t',
  dropped: 'uint32_t',
  array: 'uint32_t',
  resv1: 'uint32_t',
  resv2: 'uint64_t',
});

export const io_cqring_offsets = koffi.struct('mzc_io_cqring_offsets', {
  head: 'uint32_t',
  tail: 'uint32_t',
  ring_mask: 'uint32_t',
  ring_entries: 'uint32_t',
  overflow: 'uint32_t',
  cqes: 'uint32_t',
  flags: 'uint32_t',
  resv1: 'uint32_t',
  resv2: 'uint64_t',
});

export const io_uring_params = koffi.struct('mzc_io_uring_params', {
  sq_entries: 'uint32_t',
  cq_entries: 'uint32_t',
  flags: 'uint32_t',
  sq_thread_cpu: 'uint32_t',
  sq_thread_idle: 'uint32_t',
  features: 'uint32_t',
  wq_fd: 'uint32_t',
  resv: koffi.array('uint32_t', 3),
  sq_off: io_sqring_offsets,
  cq_off: io_cqring_offsets,
});

export const io_uring_sqe = koffi.struct('mzc_io_uring_sqe', {
  opcode: 'uint8_t',
  flags: 'uint8_t',
  ioprio: 'uint16_t',
  fd: 'int32_t',
  off: 'uint64_t',
  addr: 'uint64_t',
  len: 'uint32_t',
  msg_flags: 'uint32_t',
  user_data: 'uint64_t',
  buf_index: 'uint16_t',
  personality: 'uint16_t',
  file_index: 'uint32_t',
  addr3: 'uint64_t',
  __pad2: 'uint64_t',
});

export const io_uring_cqe = koffi.struct('mzc_io_uring_cqe', {
  user_data: 'uint64_t',
  res: 'int32_t',
  flags: 'uint32_t',
});

export const io_uring_probe_op = koffi.struct('mzc_io_uring_probe_op', {
  op: 'uint8_t',
  resv: 'uint8_t',
  flags: 'uint16_t',
  resv2: 'uint32_t',
});

export const io_uring_probe = koffi.struct('mzc_io_uring_probe', {
  last_op: 'uint8_t',
  ops_len: 'uint8_t',
  resv: 'uint16_t',
  resv2: koffi.array('uint32_t', 3),
});

export const io_uring_rsrc_update = koffi.struct('mzc_io_uring_rsrc_update', {
  offset: 'uint32_t',
  resv: 'uint32_t',
  data: 'uint64_t',
});

export const io_uring_getevents_arg = koffi.struct('mzc_io_uring_getevents_arg', {
  sigmask: 'uint64_t',
  sigmask_sz: 'uint32_t',
  pad: 'uint32_t',
  ts: 'uint64_t',
});

export const kernel_timespec = koffi.struct('mzc_kernel_timespec', {
  tv_sec: 'int64_t',
  tv_nsec: 'int64_t',
});

export const SQ_OFF = offsets(io_sqring_offsets, ['head', 'tail', 'ring_mask', 'ring_entries', 'flags', 'dropped', 'array'] as const);
export const CQ_OFF = offsets(io_cqring_offsets, ['head', 'tail', 'ring_mask', 'ring_entries', 'overflow', 'cqes', 'flags'] as const);
export const URING_PARAMS = offsets(io_uring_params, ['sq_entries', 'cq_entries', 'flags', 'features', 'sq_off', 'cq_off'] as const);
export const SQE = offsets(io_uring_sqe, ['opcode', 'flags', 'ioprio', 'fd', 'off', 'addr', 'len', 'msg_flags', 'user_data',
  'buf_index', 'personality', 'file_index', 'addr3'] as const);
export const CQE = offsets(io_uring_cqe, ['user_data', 'res', 'flags'] as const);
export const PROBE = offsets(io_uring_probe, ['last_op', 'ops_len'] as const);
export const PROBE_OP = offsets(io_uring_probe_op, ['op', 'flags'] as const);
export const RSRC_UPDATE = offsets(io_uring_rsrc_update, ['offset', 'data'] as const);
export const GETEVENTS_ARG = offsets(io_uring_getevents_arg, ['sigmask', 'sigmask_sz', 'ts'] as const);
export const KERNEL_TIMESPEC = offsets(kernel_timespec, ['tv_sec', 'tv_nsec'] as const);

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
// Host facts for `doctor` and the reports' environment block (issue 18):
// the ethtool ioctl (include/uapi/linux/ethtool.h, through SIOCETHTOOL and a
// struct ifreq), rtnetlink route queries (linux/netlink.h, linux/rtnetlink.h)
// and getrlimit. Flexible array members are left out: their data starts at
// the struct's size.
export const ifreq = koffi.struct('mzc_ifreq', {
  ifr_name: koffi.array('uint8_t', 16),
  ifr_data: 'uintptr_t',
  ifr_pad: koffi.array('uint8_t', 16),
});

export const ethtool_drvinfo = koffi.struct('mzc_ethtool_drvinfo', {
  cmd: 'uint32_t',
  driver: koffi.array('uint8_t', 32),
  version: koffi.array('uint8_t', 32),
  fw_version: koffi.array('uint8_t', 32),
  bus_info: koffi.array('uint8_t', 32),
  erom_version: koffi.array('uint8_t', 32),
  reserved2: koffi.array('uint8_t', 12),
  n_priv_flags: 'uint32_t',
  n_stats: 'uint32_t',
  testinfo_len: 'uint32_t',
  eedump_len: 'uint32_t',
  regdump_len: 'uint32_t',
});

export const ethtool_sset_info = koffi.struct('mzc_ethtool_sset_info', {
  cmd: 'uint32_t',
  reserved: 'uint32_t',
  sset_mask: 'uint64_t',
});

export const ethtool_gstrings = koffi.struct('mzc_ethtool_gstrings', {
  cmd: 'uint32_t',
  string_set: 'uint32_t',
  len: 'uint32_t',
});

export const ethtool_get_features_block = koffi.struct('mzc_ethtool_get_features_block', {
  available: 'uint32_t',
  requested: 'uint32_t',
  active: 'uint32_t',
  never_changed: 'uint32_t',
});

export const ethtool_gfeatures = koffi.struct('mzc_ethtool_gfeatures', {
  cmd: 'uint32_t',
  size: 'uint32_t',
});

export const nlmsghdr = koffi.struct('mzc_nlmsghdr', {
  nlmsg_len: 'uint32_t',
  nlmsg_type: 'uint16_t',
  nlmsg_flags: 'uint16_t',
  nlmsg_seq: 'uint32_t',
  nlmsg_pid: 'uint32_t',
});

export const rtmsg = koffi.struct('mzc_rtmsg', {
  rtm_family: 'uint8_t',
  rtm_dst_len: 'uint8_t',
  rtm_src_len: 'uint8_t',
  rtm_tos: 'uint8_t',
  rtm_table: 'uint8_t',
  rtm_protocol: 'uint8_t',
  rtm_scope: 'uint8_t',
  rtm_type: 'uint8_t',
  rtm_flags: 'uint32_t',
});

export const rtattr = koffi.struct('mzc_rtattr', {
  rta_len: 'uint16_t',
  rta_type: 'uint16_t',
});

export const nlmsgerr = koffi.struct('mzc_nlmsgerr', {
  error: 'int',
  msg: nlmsghdr,
});

export const ifinfomsg = koffi.struct('mzc_ifinfomsg', {
  ifi_family: 'uint8_t',
  ifi_pad: 'uint8_t',
  ifi_type: 'uint16_t',
  ifi_index: 'int',
  ifi_flags: 'uint32_t',
  ifi_change: 'uint32_t',
});

export const rtgenmsg = koffi.struct('mzc_rtgenmsg', {
  rtgen_family: 'uint8_t',
});

export const rlimit = koffi.struct('mzc_rlimit', {
  rlim_cur: 'uint64_t',
  rlim_max: 'uint64_t',
});

export const IFREQ = offsets(ifreq, ['ifr_name', 'ifr_data'] as const);
export const DRVINFO = offsets(ethtool_drvinfo, ['cmd', 'driver', 'version', 'fw_version', 'bus_info', 'n_priv_flags', 'n_stats'] as const);
export const SSET_INFO = offsets(ethtool_sset_info, ['cmd', 'reserved', 'sset_mask'] as const);
export const GSTRINGS = offsets(ethtool_gstrings, ['cmd', 'string_set', 'len'] as const);
export const FEATURES_BLOCK = offsets(ethtool_get_features_block, ['available', 'requested', 'active', 'never_changed'] as const);
/** ethtool_gfeatures: `sizeField` is the offset of its member named size (the key `size` is the struct's size). */
export const GFEATURES = { ...offsets(ethtool_gfeatures, ['cmd'] as const), sizeField: koffi.offsetof(ethtool_gfeatures, 'size') };
export const NLMSGHDR = offsets(nlmsghdr, ['nlmsg_len', 'nlmsg_type', 'nlmsg_flags', 'nlmsg_seq', 'nlmsg_pid'] as const);
export const RTMSG = offsets(rtmsg, ['rtm_family', 'rtm_dst_len', 'rtm_table', 'rtm_scope', 'rtm_type', 'rtm_flags'] as const);
export const RTATTR = offsets(rtattr, ['rta_len', 'rta_type'] as const);
export const NLMSGERR = offsets(nlmsgerr, ['error', 'msg'] as const);
export const IFINFOMSG = offsets(ifinfomsg, ['ifi_family', 'ifi_type', 'ifi_index', 'ifi_flags', 'ifi_change'] as const);
export const RTGENMSG = offsets(rtgenmsg, ['rtgen_family'] as const);
export const RLIMIT = offsets(rlimit, ['rlim_cur', 'rlim_max'] as const);
/** ETH_GSTRING_LEN: every name in an ethtool string set takes this many bytes. */
export const ETH_GSTRING_LEN = 32;
