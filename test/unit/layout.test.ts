// SPDX-License-Identifier: GPL-2.0-only
// Struct layouts, constants and the IPv4 header against what gcc makes of
// the real C headers. Needs gcc (CI installs it); fails loudly without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as K from '../../src/libc/constants.js';
import { CMSG, CMSG_DATA_OFFSET, IOV, MSG, POLLFD, SERR, SIN, SIN6, SLL, MAX_PAYLOAD, TIMEVAL } from '../../src/libc/layout.js';
import { buildIPv4Header } from '../../src/net/headers.js';
import { parseIPv4 } from '../../src/net/address.js';
import * as U from '../../src/libc/layout.js';
import { ensureUringReference } from '../../src/reference/reference.js';

const C_SOURCE = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <errno.h>
#define F(t, m) printf("%s.%s %zu\n", #t, #m, offsetof(struct t, m))
#define S(t) printf("%s.size %zu\n", #t, sizeof(struct t))
#define V(c) printf("%s %ld\n", #c, (long)(c))
int main(void) {
  S(iovec); F(iovec, iov_base); F(iovec, iov_len);
  S(msghdr); F(msghdr, msg_name); F(msghdr, msg_namelen); F(msghdr, msg_iov); F(msghdr, msg_iovlen);
  F(msghdr, msg_control); F(msghdr, msg_controllen); F(msghdr, msg_flags);
  S(cmsghdr); F(cmsghdr, cmsg_len); F(cmsghdr, cmsg_level); F(cmsghdr, cmsg_type);
  printf("CMSG_DATA %zu\n", (size_t)CMSG_LEN(0));
  S(sock_extended_err); F(sock_extended_err, ee_errno); F(sock_extended_err, ee_origin);
  F(sock_extended_err, ee_type); F(sock_extended_err, ee_code); F(sock_extended_err, ee_info); F(sock_extended_err, ee_data);
  S(sockaddr_in); F(sockaddr_in, sin_family); F(sockaddr_in, sin_port); F(sockaddr_in, sin_addr);
  S(sockaddr_in6); F(sockaddr_in6, sin6_family); F(sockaddr_in6, sin6_port); F(sockaddr_in6, sin6_flowinfo);
  F(sockaddr_in6, sin6_addr); F(sockaddr_in6, sin6_scope_id);
  S(sockaddr_ll); F(sockaddr_ll, sll_family); F(sockaddr_ll, sll_protocol); F(sockaddr_ll, sll_ifindex);
  F(sockaddr_ll, sll_hatype); F(sockaddr_ll, sll_pkttype); F(sockaddr_ll, sll_halen); F(sockaddr_ll, sll_addr);
  S(pollfd); F(pollfd, fd); F(pollfd, events); F(pollfd, revents);
  S(timeval); F(timeval, tv_sec); F(timeval, tv_usec);
  V(AF_INET); V(AF_INET6); V(AF_PACKET); V(SOCK_STREAM); V(SOCK_DGRAM); V(SOCK_RAW);
  V(IPPROTO_EGP); V(IPPROTO_RAW); V(IPPROTO_UDP); V(SOL_SOCKET); V(SO_SNDBUF); V(SO_RCVBUF); V(SO_REUSEPORT);
  V(SO_RCVLOWAT); V(SO_ZEROCOPY); V(UDP_CORK); V(SOL_IP); V(IP_RECVERR); V(SOL_IPV6); V(IPV6_RECVERR);
  V(SOL_PACKET); V(PACKET_TX_TIMESTAMP); V(SO_EE_ORIGIN_ZEROCOPY); V(SO_EE_CODE_ZEROCOPY_COPIED);
  V(MSG_CTRUNC); V(MSG_TRUNC); V(MSG_DONTWAIT); V(MSG_ERRQUEUE); V(MSG_ZEROCOPY); V(POLLIN); V(POLLOUT); V(POLLERR);
  V(IP_MAXPACKET); V(CLONE_FILES); V(SO_SNDTIMEO);
  V(EPERM); V(EINTR); V(EAGAIN); V(EACCES); V(EINVAL); V(EOPNOTSUPP); V(EADDRINUSE); V(EADDRNOTAVAIL); V(ENETUNREACH);
  V(ENOBUFS); V(EISCONN); V(ECONNREFUSED); V(EALREADY); V(EINPROGRESS);
  /* the selftest's setup_iph, checksum as get_ip_csum computes it */
  struct iphdr iph; memset(&iph, 0, sizeof(iph));
  iph.version = 4; iph.ihl = 5; iph.ttl = 2; iph.protocol = IPPROTO_EGP;
  inet_pton(AF_INET, "192.168.1.1", &iph.saddr); inet_pton(AF_INET, "192.168.1.2", &iph.daddr);
  iph.tot_len = htons(sizeof(iph) + 65435);
  unsigned long sum = 0; const uint16_t *w = (const uint16_t *)&iph;
  for (int i = 0; i < 10; i++) sum += w[i];
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  iph.check = ~sum;
  printf("iph");
  for (int i = 0; i < 20; i++) printf(" %u", ((unsigned char *)&iph)[i]);
  printf("\n");
  return 0;
}
`;

function gccFacts(): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'mzc-layout-'));
  try {
    writeFileSync(join(dir, 'l.c'), C_SOURCE);
    try {
      execFileSync('gcc', ['-o', join(dir, 'l'), join(dir, 'l.c')], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`gcc is needed for the layout test (apt-get install gcc): ${(e as Error).message}`);
    }
    const out = execFileSync(join(dir, 'l'), { encoding: 'utf8' });
    const m = new Map<string, string>();
    for (const line of out.trim().split('\n')) {
      const i = line.indexOf(' ');
      m.set(line.slice(0, i), line.slice(i + 1));
    }
    return m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const facts = gccFacts();
const num = (k: string): number => {
  const v = facts.get(k);
  assert.ok(v !== undefined, `gcc printed no ${k}`);
  return Number(v);
};

test('struct sizes and offsets match gcc', () => {
  const ours: Record<string, Record<string, number>> = {
    iovec: IOV, msghdr: MSG, cmsghdr: CMSG, sock_extended_err: SERR, sockaddr_in: SIN, sockaddr_in6: SIN6,
    sockaddr_ll: SLL, pollfd: POLLFD, timeval: TIMEVAL,
  };
  let checked = 0;
  for (const [struct, fields] of Object.entries(ours)) {
    for (const [field, value] of Object.entries(fields)) {
      assert.equal(value, num(`${struct}.${field}`), `${struct}.${field}`);
      checked++;
    }
  }
  assert.ok(checked >= 40, `checked ${checked} fields`);
  assert.equal(CMSG_DATA_OFFSET, num('CMSG_DATA'));
});

test('constants match the C headers', () => {
  const names = ['AF_INET', 'AF_INET6', 'AF_PACKET', 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'IPPROTO_EGP', 'IPPROTO_RAW',
    'IPPROTO_UDP', 'SOL_SOCKET', 'SO_SNDBUF', 'SO_RCVBUF', 'SO_REUSEPORT', 'SO_RCVLOWAT', 'SO_ZEROCOPY', 'UDP_CORK',
    'SOL_IP', 'IP_RECVERR', 'SOL_IPV6', 'IPV6_RECVERR', 'SOL_PACKET', 'PACKET_TX_TIMESTAMP', 'SO_EE_ORIGIN_ZEROCOPY',
    'SO_EE_CODE_ZEROCOPY_COPIED', 'MSG_CTRUNC', 'MSG_TRUNC', 'MSG_DONTWAIT', 'MSG_ERRQUEUE', 'MSG_ZEROCOPY', 'POLLIN',
    'POLLOUT', 'POLLERR', 'CLONE_FILES', 'SO_SNDTIMEO', 'EPERM', 'EINTR', 'EAGAIN', 'EACCES', 'EINVAL', 'EOPNOTSUPP',
    'EADDRINUSE', 'EADDRNOTAVAIL', 'ENETUNREACH', 'ENOBUFS', 'EISCONN', 'ECONNREFUSED', 'EALREADY', 'EINPROGRESS'] as const;
  for (const n of names) assert.equal((K as Record<string, number>)[n], num(n), n);
  assert.equal(MAX_PAYLOAD, num('IP_MAXPACKET') - 40 - 20 - 40);
});

test('IPv4 header is byte for byte the selftest setup_iph', () => {
  const b = new Uint8Array(20);
  buildIPv4Header(b, 0, parseIPv4('192.168.1.1')!, parseIPv4('192.168.1.2')!, 65435);
  assert.deepEqual([...b], facts.get('iph')!.split(' ').map(Number));
});

// io_uring: every struct the ring binding declares, and its constants,
// against two headers: Debian 12's <linux/io_uring.h> (linux 6.1, what gcc
// finds by default) and the linux 6.12 tree's, which the reference helper
// caches (and fetches here when it is not cached: never skipped).
const URING_STRUCTS: Record<string, Record<string, number>> = {
  io_sqring_offsets: U.SQ_OFF, io_cqring_offsets: U.CQ_OFF, io_uring_params: U.URING_PARAMS, io_uring_sqe: U.SQE,
  io_uring_cqe: U.CQE, io_uring_probe: U.PROBE, io_uring_probe_op: U.PROBE_OP, io_uring_rsrc_update: U.RSRC_UPDATE,
  io_uring_getevents_arg: U.GETEVENTS_ARG, __kernel_timespec: U.KERNEL_TIMESPEC,
};
const URING_CONSTANTS = ['IORING_OP_NOP', 'IORING_OP_SEND', 'IORING_OP_SEND_ZC', 'IORING_OP_SENDMSG_ZC', 'IOSQE_FIXED_FILE',
  'IORING_SETUP_SINGLE_ISSUER', 'IORING_SETUP_DEFER_TASKRUN', 'IORING_FEAT_SINGLE_MMAP', 'IORING_FEAT_NODROP',
  'IORING_FEAT_EXT_ARG', 'IORING_OFF_SQ_RING', 'IORING_OFF_CQ_RING', 'IORING_OFF_SQES',
  'IORING_ENTER_GETEVENTS', 'IORING_ENTER_EXT_ARG', 'IORING_ENTER_REGISTERED_RING', 'IORING_REGISTER_BUFFERS',
  'IORING_REGISTER_FILES', 'IORING_REGISTER_PROBE', 'IORING_REGISTER_RING_FDS', 'IO_URING_OP_SUPPORTED',
  'IORING_RECVSEND_FIXED_BUF', 'IORING_SEND_ZC_REPORT_USAGE', 'IORING_NOTIF_USAGE_ZC_COPIED', 'IORING_CQE_F_MORE',
  'IORING_CQE_F_NOTIF', 'MSG_WAITALL', 'PROT_READ', 'PROT_WRITE', 'MAP_SHARED', 'MAP_POPULATE', 'ENOMEM', 'EFAULT',
  'ENOSYS', 'ETIME'] as const;
/** Constants the 6.1 header does not have yet (checked against the 6.12 one only). */
const URING_CONSTANTS_6_12 = ['IORING_FEAT_REG_REG_RING'] as const;

function uringFacts(include: string | null, constants: readonly string[]): Map<string, string> {
  const fields = Object.entries(URING_STRUCTS).flatMap(([s, f]) =>
    Object.keys(f).map((k) => (k === 'size' ? `S(${s});` : `F(${s}, ${k});`)));
  const source = [
    '#include <stdio.h>', '#include <stddef.h>', '#include <errno.h>', '#include <sys/mman.h>', '#include <sys/socket.h>',
    '#include <sys/syscall.h>', '#include <linux/time_types.h>', '#include <linux/io_uring.h>',
    '#define F(t, m) printf("%s.%s %zu\\n", #t, #m, offsetof(struct t, m))',
    '#define S(t) printf("%s.size %zu\\n", #t, sizeof(struct t))',
    '#define V(c) printf("%s %lld\\n", #c, (long long)(c))',
    'int main(void) {', ...fields, ...constants.map((c) => `V(${c});`),
    'V(__NR_io_uring_setup); V(__NR_io_uring_enter); V(__NR_io_uring_register);', 'return 0; }',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'mzc-uring-layout-'));
  try {
    writeFileSync(join(dir, 'u.c'), source);
    try {
      execFileSync('gcc', [...(include ? ['-I', include] : []), '-o', join(dir, 'u'), join(dir, 'u.c')], { stdio: 'pipe' });
    } catch (e) {
      const err = e as Error & { stderr?: Buffer };
      throw new Error(`gcc failed on the io_uring layout program${include ? ` with -I ${include}` : ''}: ${err.stderr?.toString() ?? err.message}`);
    }
    const m = new Map<string, string>();
    for (const line of execFileSync(join(dir, 'u'), { encoding: 'utf8' }).trim().split('\n')) {
      const i = line.indexOf(' ');
      m.set(line.slice(0, i), line.slice(i + 1));
    }
    return m;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkUring(f: Map<string, string>, constants: readonly string[], where: string): void {
  const get = (k: string): number => {
    const v = f.get(k);
    assert.ok(v !== undefined, `gcc printed no ${k} (${where})`);
    return Number(v);
  };
  let checked = 0;
  for (const [struct, fields] of Object.entries(URING_STRUCTS)) {
    for (const [field, value] of Object.entries(fields)) {
      assert.equal(value, get(`${struct}.${field}`), `${struct}.${field} (${where})`);
      checked++;
    }
  }
  assert.ok(checked >= 50, `checked ${checked} io_uring fields`);
  for (const c of constants) assert.equal((K as Record<string, number>)[c], get(c), `${c} (${where})`);
  assert.equal(K.SYS_io_uring_setup, get('__NR_io_uring_setup'));
  assert.equal(K.SYS_io_uring_enter, get('__NR_io_uring_enter'));
  assert.equal(K.SYS_io_uring_register, get('__NR_io_uring_register'));
}

test('io_uring structs and constants match the system header (Debian 12: linux 6.1)', () => {
  checkUring(uringFacts(null, URING_CONSTANTS), URING_CONSTANTS, 'system <linux/io_uring.h>');
});

test('io_uring structs and constants match the linux 6.12 header (reference cache)', { timeout: 15 * 60_000 }, async () => {
  const ref = await ensureUringReference({ log: (l) => console.log(l) });
  const all = [...URING_CONSTANTS, ...URING_CONSTANTS_6_12];
  checkUring(uringFacts(ref.include, all), all, `${ref.include}/linux/io_uring.h`);
});

// TCP_ZEROCOPY_RECEIVE (issue 19): struct tcp_zerocopy_receive, tcp_info's
// tcpi_rcv_mss and the constants, against <linux/tcp.h> and <sys/mman.h>.
test('tcp_zerocopy_receive, tcp_info.tcpi_rcv_mss and their constants match gcc', () => {
  const structs: Record<string, Record<string, number>> = { tcp_zerocopy_receive: U.ZC_RECEIVE };
  const lines = [
    ...Object.entries(structs).flatMap(([s, f]) => Object.keys(f).map((k) => (k === 'size' ? `S(${s});` : `F(${s}, ${k});`))),
    'F(tcp_info, tcpi_snd_mss); F(tcp_info, tcpi_rcv_mss);',
    ...['IPPROTO_TCP', 'TCP_MAXSEG', 'TCP_INFO', 'TCP_ZEROCOPY_RECEIVE', 'MADV_DONTNEED'].map((c) => `V(${c});`),
    'V((long)MAP_FAILED);',
  ];
  const source = ['#include <stdio.h>', '#include <stddef.h>', '#include <sys/mman.h>', '#include <sys/socket.h>',
    '#include <netinet/in.h>', '#include <linux/tcp.h>',
    '#define F(t, m) printf("%s.%s %zu\\n", #t, #m, offsetof(struct t, m))',
    '#define S(t) printf("%s.size %zu\\n", #t, sizeof(struct t))',
    '#define V(c) printf("%s %ld\\n", #c, (long)(c))', 'int main(void) {', ...lines, 'return 0; }'].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'mzc-zcrx-layout-'));
  const f = new Map<string, string>();
  try {
    writeFileSync(join(dir, 'z.c'), source);
    execFileSync('gcc', ['-o', join(dir, 'z'), join(dir, 'z.c')], { stdio: 'pipe' });
    for (const line of execFileSync(join(dir, 'z'), { encoding: 'utf8' }).trim().split('\n')) {
      const i = line.indexOf(' ');
      f.set(line.slice(0, i), line.slice(i + 1));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const get = (k: string): number => {
    const v = f.get(k);
    assert.ok(v !== undefined, `gcc printed no ${k}`);
    return Number(v);
  };
  for (const [field, value] of Object.entries(U.ZC_RECEIVE)) assert.equal(value, get(`tcp_zerocopy_receive.${field}`), field);
  assert.equal(U.ZC_RECEIVE.size, 64);
  assert.equal(U.TCP_INFO_OFF.tcpi_rcv_mss, get('tcp_info.tcpi_rcv_mss'));
  assert.equal(U.TCP_INFO_OFF.tcpi_snd_mss, get('tcp_info.tcpi_snd_mss'));
  for (const c of ['IPPROTO_TCP', 'TCP_MAXSEG', 'TCP_INFO', 'TCP_ZEROCOPY_RECEIVE', 'MADV_DONTNEED'] as const) {
    assert.equal(K[c], get(c), c);
  }
  assert.equal(K.MAP_FAILED, get('(long)MAP_FAILED'));
});

// Host facts (issue 18): the ethtool ioctl, rtnetlink and getrlimit structs and constants.
const HOST_STRUCTS: Record<string, Record<string, number>> = {
  ifreq: U.IFREQ, ethtool_drvinfo: U.DRVINFO, ethtool_sset_info: U.SSET_INFO, ethtool_gstrings: U.GSTRINGS,
  ethtool_get_features_block: U.FEATURES_BLOCK, ethtool_gfeatures: U.GFEATURES, nlmsghdr: U.NLMSGHDR, rtmsg: U.RTMSG,
  rtattr: U.RTATTR, nlmsgerr: U.NLMSGERR, ifinfomsg: U.IFINFOMSG, rtgenmsg: U.RTGENMSG, rlimit: U.RLIMIT,
};
const HOST_CONSTANTS = ['SIOCETHTOOL', 'ETHTOOL_GDRVINFO', 'ETHTOOL_GSTRINGS', 'ETHTOOL_GSSET_INFO', 'ETHTOOL_GFEATURES',
  'ETH_SS_FEATURES', 'AF_NETLINK', 'NETLINK_ROUTE', 'NLM_F_REQUEST', 'NLMSG_ERROR', 'RTM_NEWROUTE', 'RTM_GETROUTE', 'RTA_DST', 'RTA_SRC',
  'RTA_OIF', 'RTA_GATEWAY', 'RTA_PREFSRC', 'RTA_TABLE', 'RTN_UNICAST', 'RTN_LOCAL', 'RTN_BROADCAST', 'RTN_BLACKHOLE',
  'RTN_UNREACHABLE', 'RTN_PROHIBIT', 'RLIMIT_MEMLOCK', 'EHOSTUNREACH', 'ENODEV', 'ESRCH', 'RTM_GETLINK', 'RTM_NEWLINK',
  'IFLA_IFNAME', 'IFLA_MTU', 'IFLA_LINK', 'IFLA_QDISC', 'IFLA_LINKINFO', 'IFLA_INFO_KIND', 'IFLA_LINK_NETNSID', 'RTM_GETNSID',
  'RTM_NEWNSID', 'NETNSA_NSID', 'NETNSA_FD', 'CLONE_NEWNET', 'IFF_LOOPBACK', 'NLMSG_DONE', 'RTA_IIF'] as const;

test('ethtool, rtnetlink and rlimit structs and constants match gcc', () => {
  const fields = Object.entries(HOST_STRUCTS).flatMap(([s, f]) =>
    Object.keys(f).map((k) => (k === 'size' ? `S(${s});` : `F(${s}, ${k});`)));
  const source = [
    '#define _GNU_SOURCE', '#include <stdio.h>', '#include <stddef.h>', '#include <errno.h>', '#include <sys/socket.h>',
    '#include <sys/resource.h>',
    '#include <net/if.h>', '#include <linux/sockios.h>', '#include <linux/ethtool.h>', '#include <linux/netlink.h>',
    '#include <linux/rtnetlink.h>', '#include <linux/net_namespace.h>', '#include <linux/if_link.h>', '#include <sched.h>',
    '#define F(t, m) printf("%s.%s %zu\\n", #t, #m, offsetof(struct t, m))',
    '#define S(t) printf("%s.size %zu\\n", #t, sizeof(struct t))',
    '#define V(c) printf("%s %lld\\n", #c, (long long)(c))',
    'int main(void) {', ...fields, ...HOST_CONSTANTS.map((c) => `V(${c});`),
    'printf("ETH_GSTRING_LEN %d\\n", ETH_GSTRING_LEN);', 'return 0; }',
  ].join('\n')
    // struct ifreq names its members through macros: ifr_name is ifr_ifrn.ifrn_name, ifr_data ifr_ifru.ifru_data.
    .replace('F(ifreq, ifr_name);', 'printf("ifreq.ifr_name %zu\\n", offsetof(struct ifreq, ifr_ifrn));')
    .replace('F(ifreq, ifr_data);', 'printf("ifreq.ifr_data %zu\\n", offsetof(struct ifreq, ifr_ifru));')
    .replace('F(ethtool_gfeatures, sizeField);', 'printf("ethtool_gfeatures.sizeField %zu\\n", offsetof(struct ethtool_gfeatures, size));');
  const dir = mkdtempSync(join(tmpdir(), 'mzc-host-layout-'));
  let out: string;
  try {
    writeFileSync(join(dir, 'h.c'), source);
    execFileSync('gcc', ['-o', join(dir, 'h'), join(dir, 'h.c')], { stdio: 'pipe' });
    out = execFileSync(join(dir, 'h'), { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const f = new Map(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)] as const));
  const get = (k: string): number => {
    const v = f.get(k);
    assert.ok(v !== undefined, `gcc printed no ${k}`);
    return Number(v);
  };
  let checked = 0;
  for (const [struct, fields2] of Object.entries(HOST_STRUCTS)) {
    for (const [field, value] of Object.entries(fields2)) {
      assert.equal(value, get(`${struct}.${field}`), `${struct}.${field}`);
      checked++;
    }
  }
  assert.ok(checked >= 45, `checked ${checked} fields`);
  for (const c of HOST_CONSTANTS) assert.equal((K as Record<string, number>)[c], get(c), c);
  assert.equal(U.ETH_GSTRING_LEN, get('ETH_GSTRING_LEN'));
});
