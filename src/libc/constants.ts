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
