// SPDX-License-Identifier: GPL-2.0-only
// rtnetlink through koffi: the route the kernel would take to an address
// (RTM_GETROUTE), a link's name, kind, MTU, qdisc and peer namespace
// (RTM_GETLINK), and the id a namespace has as seen from ours (RTM_GETNSID).
// One request, one answer, on a socket of the namespace it was opened in.
// Used by `doctor` and the reports' environment block, never in a measured loop.
import {
  AF_INET, AF_INET6, AF_NETLINK, IFLA_IFNAME, IFLA_INFO_KIND, IFLA_LINK, IFLA_LINKINFO, IFLA_LINK_NETNSID, IFLA_MTU,
  IFLA_QDISC, NETLINK_ROUTE, NETNSA_FD, NETNSA_NSID, NLMSG_DONE, NLMSG_ERROR, NLM_F_REQUEST, RTA_DST, RTA_GATEWAY, RTA_IIF,
  RTA_OIF, RTA_PREFSRC, RTA_SRC, RTM_GETLINK, RTM_GETNSID, RTM_GETROUTE, SOCK_RAW,
} from '../libc/constants.js';
import { IFINFOMSG, NLMSGERR, NLMSGHDR, RTATTR, RTGENMSG, RTMSG } from '../libc/layout.js';
import { allocNative, close, errno, recv, send, socket, type NativeBlock } from '../libc/libc.js';

const SOCK_CLOEXEC = 0o2000000;
const BUF = 16384;
const align4 = (n: number): number => (n + 3) & ~3;

export interface Route {
  /** RTN_* (1 unicast, 2 local, 3 broadcast, 6 blackhole, 7 unreachable, 8 prohibit). */
  type: number;
  oif: number | null;
  gateway: Uint8Array | null;
  prefsrc: Uint8Array | null;
}

export interface Link {
  index: number;
  name: string;
  mtu: number | null;
  qdisc: string | null;
  /** IFLA_INFO_KIND: veth, ifb, bridge, vlan, …; null for a physical device and loopback. */
  kind: string | null;
  /** ARPHRD_* (772 loopback). */
  type: number;
  flags: number;
  /** veth and other paired devices: the peer's index (in its own namespace). */
  peerIndex: number | null;
  /** The peer's namespace as an id of ours (IFLA_LINK_NETNSID), or null when it is ours. */
  peerNetnsid: number | null;
}

/** A failed request: the kernel's errno (ENETUNREACH, ENODEV, …). */
export class NetlinkError extends Error {
  constructor(readonly errno: number, what: string) {
    super(`${what}: errno ${errno}`);
  }
}

/** Attributes of one message body, by type (nested ones left as raw bytes). */
function attributes(u8: Uint8Array, from: number, to: number): Map<number, Uint8Array> {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const m = new Map<number, Uint8Array>();
  let at = from;
  while (at + RTATTR.size <= to) {
    const len = dv.getUint16(at + RTATTR.rta_len, true);
    if (len < RTATTR.size || at + len > to) break;
    m.set(dv.getUint16(at + RTATTR.rta_type, true) & 0x3fff, u8.slice(at + RTATTR.size, at + len));
    at += align4(len);
  }
  return m;
}

const u32 = (b: Uint8Array | undefined): number | null =>
  b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true) : null;
const i32 = (b: Uint8Array | undefined): number | null =>
  b && b.length >= 4 ? new DataView(b.buffer, b.byteOffset, b.byteLength).getInt32(0, true) : null;
const cstr = (b: Uint8Array | undefined): string | null => {
  if (!b) return null;
  const end = b.indexOf(0);
  return Buffer.from(b.subarray(0, end < 0 ? b.length : end)).toString('latin1');
};

/** A NETLINK_ROUTE socket; close() it when done. */
export class Rtnl {
  private readonly fd: number;
  private readonly buf: NativeBlock = allocNative(BUF);
  private seq = 1;

  constructor() {
    this.fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (this.fd < 0) throw new NetlinkError(errno(), 'netlink socket');
  }

  close(): void {
    close(this.fd);
  }

  /** Send one request (header + fixed body + attributes) and return the first answer's type and bytes. */
  private request(type: number, body: Uint8Array, attrs: Array<[number, Uint8Array]>, what: string): { type: number; msg: Uint8Array } {
    let len = NLMSGHDR.size + align4(body.length);
    for (const [, v] of attrs) len += align4(RTATTR.size + v.length);
    const { u8, dv, addr } = this.buf;
    u8.fill(0, 0, len);
    const seq = this.seq++;
    dv.setUint32(NLMSGHDR.nlmsg_len, len, true);
    dv.setUint16(NLMSGHDR.nlmsg_type, type, true);
    dv.setUint16(NLMSGHDR.nlmsg_flags, NLM_F_REQUEST, true);
    dv.setUint32(NLMSGHDR.nlmsg_seq, seq, true);
    u8.set(body, NLMSGHDR.size);
    let at = NLMSGHDR.size + align4(body.length);
    for (const [t, v] of attrs) {
      dv.setUint16(at + RTATTR.rta_len, RTATTR.size + v.length, true);
      dv.setUint16(at + RTATTR.rta_type, t, true);
      u8.set(v, at + RTATTR.size);
      at += align4(RTATTR.size + v.length);
    }
    if (send(this.fd, addr, len, 0) !== len) throw new NetlinkError(errno(), what);
    for (;;) {
      const n = recv(this.fd, addr, BUF, 0);
      if (n < 0) throw new NetlinkError(errno(), what);
      let off = 0;
      while (off + NLMSGHDR.size <= n) {
        const mlen = dv.getUint32(off + NLMSGHDR.nlmsg_len, true);
        const mtype = dv.getUint16(off + NLMSGHDR.nlmsg_type, true);
        const mseq = dv.getUint32(off + NLMSGHDR.nlmsg_seq, true);
        if (mlen < NLMSGHDR.size || off + mlen > n) break;
        if (mseq === seq) {
          if (mtype === NLMSG_ERROR) {
            const err = dv.getInt32(off + NLMSGHDR.size + NLMSGERR.error, true);
            if (err !== 0) throw new NetlinkError(-err, what);
          } else if (mtype !== NLMSG_DONE) {
            return { type: mtype, msg: u8.slice(off, off + mlen) };
          }
        }
        off += align4(mlen);
      }
    }
  }

  /** RTM_GETROUTE: the route to `dst` (4 or 16 bytes); with `iif` (and `src`), as a packet from `src` arriving on that device would be routed. */
  route(family: 4 | 6, dst: Uint8Array, iif?: number, src?: Uint8Array | null): Route {
    const body = new Uint8Array(RTMSG.size);
    body[RTMSG.rtm_family] = family === 4 ? AF_INET : AF_INET6;
    body[RTMSG.rtm_dst_len] = dst.length * 8;
    const attrs: Array<[number, Uint8Array]> = [[RTA_DST, dst]];
    // An input lookup needs a source address: the kernel refuses 0.0.0.0 as a martian (EINVAL).
    if (src) attrs.push([RTA_SRC, src]);
    if (iif !== undefined) attrs.push([RTA_IIF, le32(iif)]);
    const { msg } = this.request(RTM_GETROUTE, body, attrs, 'route');
    const a = attributes(msg, NLMSGHDR.size + RTMSG.size, msg.length);
    return {
      type: msg[NLMSGHDR.size + RTMSG.rtm_type],
      oif: u32(a.get(RTA_OIF)),
      gateway: a.get(RTA_GATEWAY) ?? null,
      prefsrc: a.get(RTA_PREFSRC) ?? null,
    };
  }

  /** RTM_GETLINK by index. */
  link(index: number): Link {
    const body = new Uint8Array(IFINFOMSG.size);
    new DataView(body.buffer).setInt32(IFINFOMSG.ifi_index, index, true);
    const { msg } = this.request(RTM_GETLINK, body, [], 'link');
    const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const a = attributes(msg, NLMSGHDR.size + IFINFOMSG.size, msg.length);
    const info = a.get(IFLA_LINKINFO);
    const kind = info ? cstr(attributes(info, 0, info.length).get(IFLA_INFO_KIND)) : null;
    const link = u32(a.get(IFLA_LINK));
    const nsid = i32(a.get(IFLA_LINK_NETNSID));
    return {
      index,
      name: cstr(a.get(IFLA_IFNAME)) ?? `if${index}`,
      mtu: u32(a.get(IFLA_MTU)),
      qdisc: cstr(a.get(IFLA_QDISC)),
      kind,
      type: dv.getUint16(NLMSGHDR.size + IFINFOMSG.ifi_type, true),
      flags: dv.getUint32(NLMSGHDR.size + IFINFOMSG.ifi_flags, true),
      // IFLA_LINK equal to our own index names a peer only when it lives in another namespace (both ends are often index 2).
      peerIndex: link !== null && (link !== index || (nsid !== null && nsid >= 0)) ? link : null,
      peerNetnsid: nsid !== null && nsid >= 0 ? nsid : null,
    };
  }

  /** RTM_GETNSID: the id the namespace open on `nsFd` has in ours, or null when it has none. */
  nsid(nsFd: number): number | null {
    const body = new Uint8Array(align4(RTGENMSG.size));
    const { msg } = this.request(RTM_GETNSID, body, [[NETNSA_FD, le32(nsFd)]], 'nsid');
    const id = i32(attributes(msg, NLMSGHDR.size + align4(RTGENMSG.size), msg.length).get(NETNSA_NSID));
    return id !== null && id >= 0 ? id : null;
  }
}

function le32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
