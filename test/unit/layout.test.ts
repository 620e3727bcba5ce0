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
import { CMSG, CMSG_DATA_OFFSET, IOV, MSG, POLLFD, SERR, SIN, SIN6, SLL, MAX_PAYLOAD } from '../../src/libc/layout.js';
import { buildIPv4Header } from '../../src/net/headers.js';
import { parseIPv4 } from '../../src/net/address.js';

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
  V(AF_INET); V(AF_INET6); V(AF_PACKET); V(SOCK_STREAM); V(SOCK_DGRAM); V(SOCK_RAW);
  V(IPPROTO_EGP); V(IPPROTO_RAW); V(IPPROTO_UDP); V(SOL_SOCKET); V(SO_SNDBUF); V(SO_RCVBUF); V(SO_REUSEPORT);
  V(SO_RCVLOWAT); V(SO_ZEROCOPY); V(UDP_CORK); V(SOL_IP); V(IP_RECVERR); V(SOL_IPV6); V(IPV6_RECVERR);
  V(SOL_PACKET); V(PACKET_TX_TIMESTAMP); V(SO_EE_ORIGIN_ZEROCOPY); V(SO_EE_CODE_ZEROCOPY_COPIED);
  V(MSG_CTRUNC); V(MSG_TRUNC); V(MSG_DONTWAIT); V(MSG_ERRQUEUE); V(MSG_ZEROCOPY); V(POLLIN); V(POLLOUT); V(POLLERR);
  V(IP_MAXPACKET); V(CLONE_FILES);
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
    sockaddr_ll: SLL, pollfd: POLLFD,
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
    'POLLOUT', 'POLLERR', 'CLONE_FILES'] as const;
  for (const n of names) assert.equal((K as Record<string, number>)[n], num(n), n);
  assert.equal(MAX_PAYLOAD, num('IP_MAXPACKET') - 40 - 20 - 40);
});

test('IPv4 header is byte for byte the selftest setup_iph', () => {
  const b = new Uint8Array(20);
  buildIPv4Header(b, 0, parseIPv4('192.168.1.1')!, parseIPv4('192.168.1.2')!, 65435);
  assert.deepEqual([...b], facts.get('iph')!.split(' ').map(Number));
});
