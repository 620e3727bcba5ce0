// SPDX-License-Identifier: GPL-2.0-only
// Linux x86-64 constants used by the MSG_ZEROCOPY selftest and its port.
// Values are those of the kernel UAPI and glibc headers; test/unit/layout
// checks them against gcc.

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_PACKET = 17;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;

export const IPPROTO_IP = 0;
export const IPPROTO_EGP = 8;
export const IPPROTO_UDP = 17;
export const IPPROTO_RAW = 255;

export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_REUSEPORT = 15;
export const SO_REUSEADDR = 2;
export const SO_RCVLOWAT = 18;
/** SO_SNDTIMEO_OLD on 64-bit Linux: a struct timeval of two longs. */
export const SO_SNDTIMEO = 21;
export const SO_ZEROCOPY = 60;
export const UDP_CORK = 1;

export const SOL_IP = 0;
export const IP_RECVERR = 11;
export const SOL_IPV6 = 41;
export const IPV6_RECVERR = 25;
export const SOL_PACKET = 263;
export const PACKET_TX_TIMESTAMP = 16;

export const SO_EE_ORIGIN_ZEROCOPY = 5;
export const SO_EE_CODE_ZEROCOPY_COPIED = 1;

export const MSG_CTRUNC = 0x8;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_ZEROCOPY = 0x4000000;

export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;

/** unshare(2): give the calling thread its own file descriptor table. */
export const CLONE_FILES = 0x400;

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_ALEN = 6;

/** errno values this tool treats specially. */
export const EPERM = 1;
export const EINTR = 4;
export const ECONNABORTED = 103;
export const EAGAIN = 11;
export const EACCES = 13;
export const EINVAL = 22;
export const EOPNOTSUPP = 95;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETUNREACH = 101;
export const ENOBUFS = 105;
export const EISCONN = 106;
export const ECONNREFUSED = 111;
export const EALREADY = 114;
export const EINPROGRESS = 115;

// io_uring (include/uapi/linux/io_uring.h). Syscall numbers are the same on
// every 64-bit Linux architecture (they were added after the tables were
// unified).
export const SYS_io_uring_setup = 425;
export const SYS_io_uring_enter = 426;
export const SYS_io_uring_register = 427;

export const IORING_OP_NOP = 0;
export const IORING_OP_SEND = 26;
export const IORING_OP_SEND_ZC = 47;
export const IORING_OP_SENDMSG_ZC = 48;

export const IOSQE_FIXED_FILE = 1 << 0;

export const IORING_SETUP_SINGLE_ISSUER = 1 << 12;
export const IORING_SETUP_DEFER_TASKRUN = 1 << 13;

export const IORING_FEAT_SINGLE_MMAP = 1 << 0;
export const IORING_FEAT_NODROP = 1 << 1;
export const IORING_FEAT_EXT_ARG = 1 << 8;
export const IORING_FEAT_REG_REG_RING = 1 << 13;

export const IORING_OFF_SQ_RING = 0;
export const IORING_OFF_CQ_RING = 0x8000000;
export const IORING_OFF_SQES = 0x10000000;

export const IORING_ENTER_GETEVENTS = 1 << 0;
export const IORING_ENTER_EXT_ARG = 1 << 3;
export const IORING_ENTER_REGISTERED_RING = 1 << 4;

export const IORING_REGISTER_BUFFERS = 0;
export const IORING_REGISTER_FILES = 2;
export const IORING_REGISTER_PROBE = 8;
export const IORING_REGISTER_RING_FDS = 20;
export const IO_URING_OP_SUPPORTED = 1 << 0;

/** SEND_ZC / SENDMSG_ZC flags, in sqe->ioprio. */
export const IORING_RECVSEND_FIXED_BUF = 1 << 2;
export const IORING_SEND_ZC_REPORT_USAGE = 1 << 3;
/** In a notification's res when IORING_SEND_ZC_REPORT_USAGE was asked for: the kernel copied. */
export const IORING_NOTIF_USAGE_ZC_COPIED = 0x80000000;

export const IORING_CQE_F_MORE = 1 << 1;
export const IORING_CQE_F_NOTIF = 1 << 3;

export const MSG_WAITALL = 0x100;

/** mmap(2). */
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x01;
export const MAP_POPULATE = 0x8000;

/** More errno values the io_uring sender names. */
export const ENOMEM = 12;
export const EFAULT = 14;
export const ENOSYS = 38;
export const ETIME = 62;

// TCP_ZEROCOPY_RECEIVE (issue 19): <linux/tcp.h>, <sys/mman.h>.
export const IPPROTO_TCP = 6;
export const TCP_MAXSEG = 2;
export const TCP_INFO = 11;
export const TCP_ZEROCOPY_RECEIVE = 35;
export const MADV_DONTNEED = 4;
export const MAP_FAILED = -1;
export const EIO = 5;
export const ENODEV = 19;
export const ENOPROTOOPT = 92;
export const SO_MAX_PACING_RATE = 47;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_HUGETLB = 0x40000;
// Host facts for `doctor` and the environment block (issue 18).
export const SIOCETHTOOL = 0x8946;
export const ETHTOOL_GDRVINFO = 0x3;
export const ETHTOOL_GSTRINGS = 0x1b;
export const ETHTOOL_GSSET_INFO = 0x37;
export const ETHTOOL_GFEATURES = 0x3a;
export const ETH_SS_FEATURES = 4;
export const AF_NETLINK = 16;
export const NETLINK_ROUTE = 0;
export const NLM_F_REQUEST = 1;
export const NLMSG_ERROR = 2;
export const RTM_NEWROUTE = 24;
export const RTM_GETROUTE = 26;
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
export const RTA_PREFSRC = 7;
export const RTA_TABLE = 15;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;
export const RTN_BLACKHOLE = 6;
export const RTN_UNREACHABLE = 7;
export const RTN_PROHIBIT = 8;
export const RLIMIT_MEMLOCK = 8;
export const EHOSTUNREACH = 113;
export const ESRCH = 3;
export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTA_IIF = 3;
export const NLMSG_DONE = 3;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_LINK = 5;
export const IFLA_QDISC = 6;
export const IFLA_LINKINFO = 18;
export const IFLA_INFO_KIND = 1;
export const IFLA_LINK_NETNSID = 37;
export const RTM_NEWNSID = 88;
export const RTM_GETNSID = 90;
export const NETNSA_NSID = 1;
export const NETNSA_FD = 3;
export const CLONE_NEWNET = 0x40000000;
export const IFF_LOOPBACK = 0x8;
// UDP GSO and tx timestamps (udpgso_bench_tx / _rx, --gso): <netinet/udp.h>,
// <linux/net_tstamp.h>, <linux/errqueue.h>, <netinet/in.h>.
export const SOL_UDP = 17;
export const UDP_SEGMENT = 103;
export const UDP_GRO = 104;
/** SO_TIMESTAMPING_OLD on 64-bit Linux: also the cmsg type of a struct scm_timestamping. */
export const SO_TIMESTAMPING = 37;
export const SOF_TIMESTAMPING_TX_HARDWARE = 1 << 0;
export const SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1;
export const SOF_TIMESTAMPING_SOFTWARE = 1 << 4;
export const SOF_TIMESTAMPING_RAW_HARDWARE = 1 << 6;
export const SOF_TIMESTAMPING_OPT_ID = 1 << 7;
export const SOF_TIMESTAMPING_OPT_CMSG = 1 << 10;
export const SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11;
export const SO_EE_ORIGIN_LOCAL = 1;
export const SO_EE_ORIGIN_ICMP = 2;
export const SO_EE_ORIGIN_ICMP6 = 3;
export const SO_EE_ORIGIN_TIMESTAMPING = 4;
export const IP_MTU_DISCOVER = 10;
export const IP_PMTUDISC_DO = 2;
export const IPV6_MTU_DISCOVER = 23;
export const IPV6_PMTUDISC_DO = 2;
export const EMSGSIZE = 90;
/** The kernel's internal ENOTSUPP, which udpgso_bench_tx treats as "SO_ZEROCOPY not supported". */
export const ENOTSUPP = 524;
/** ETH_DATA_LEN and ETH_MAX_MTU (<linux/if_ether.h>). */
export const ETH_DATA_LEN = 1500;
export const ETH_MAX_MTU = 0xffff;
/**
 * UDP_MAX_SEGMENTS (include/linux/udp.h, kernel-internal): most segments one
 * UDP_SEGMENT send may make. 128 in linux 6.12 (read in linux-source-6.12)
 * and on this project's 6.18 (measured: 65000 B in 510-byte segments sent,
 * in 500-byte ones EINVAL); 64 in older kernels.
 */
export const UDP_MAX_SEGMENTS = 128;
export const UDP_MAX_SEGMENTS_OLD = 64;
/** sendto(2) and sendmmsg(2) on x86-64, for the measured loops (see libc.ts). */
export const SYS_sendto = 44;
export const SYS_sendmmsg = 307;

/** --hugepages: anonymous mappings, MAP_HUGETLB and madvise(MADV_HUGEPAGE). */
export const MADV_HUGEPAGE = 14;
/** Path MTU of a connected socket (getsockopt). */
export const IP_MTU = 14;
export const IPV6_MTU = 24;
