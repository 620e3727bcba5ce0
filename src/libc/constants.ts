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
export const SO_RCVLOWAT = 18;
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
export const EAGAIN = 11;
export const EACCES = 13;
export const EINVAL = 22;
export const EOPNOTSUPP = 95;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ENETUNREACH = 101;
export const ENOBUFS = 105;
export const ECONNREFUSED = 111;
