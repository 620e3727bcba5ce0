// SPDX-License-Identifier: GPL-2.0-only
// The structs of the host facts (ethtool, rtnetlink, getrlimit), declared once
// (re-exported by layout.ts; checked against gcc in test/unit/layout.test.ts).
import { koffi, offsets } from './struct.js';

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
