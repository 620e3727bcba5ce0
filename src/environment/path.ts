// SPDX-License-Identifier: GPL-2.0-only
// The path a send to an address takes, hop by hop: the route in this
// namespace, the egress device, and, when that device is one end of a veth
// pair whose other end lives in a namespace we can open (/run/netns, as
// `ip netns add` makes them), what that namespace does with the packet
// (delivers it locally, forwards it out of another device, drops it). The
// walk enters a peer namespace only to open a netlink and an ethtool socket
// there (setns on this thread and straight back, synchronously).
import { closeSync, openSync, readdirSync } from 'node:fs';
import { CLONE_NEWNET, IFF_LOOPBACK, RTN_LOCAL, RTN_UNICAST } from '../libc/constants.js';
import { setns } from '../libc/libc.js';
import { Ethtool, type DriverInfo, type Feature } from './ethtool.js';
import { readLine } from './host.js';
import { NetlinkError, Rtnl, type Link } from './netlink.js';

export type DeviceKind = 'loopback' | 'veth' | 'ifb' | 'bridge' | 'tunnel' | 'vlan' | 'bond' | 'physical' | 'virtual';

/** What decides copying on a device, from its active ethtool features (null: not readable). */
export interface CopyFeatures {
  sg: boolean | null;
  /** tx checksum for this family: tx-checksum-ip-generic, or -ipv4 / -ipv6. */
  txCsum: boolean | null;
  tso: boolean | null;
  gso: boolean | null;
}

export interface Device {
  name: string;
  index: number;
  kind: DeviceKind;
  /** IFLA_INFO_KIND as the kernel names it, or null. */
  linkKind: string | null;
  driver: string | null;
  version: string | null;
  firmware: string | null;
  bus: string | null;
  mtu: number | null;
  qdisc: string | null;
  copy: CopyFeatures;
  /** Every active feature's name (sorted), for the environment block. */
  features: string[];
}

export interface Hop {
  /** The namespace the hop is in: null for ours, else its name under /run/netns. */
  netns: string | null;
  /** What the route lookup there said: local delivery, out of a device, or nothing. */
  route: 'local' | 'unicast' | 'other';
  routeType: number;
  gateway: string | null;
  device: Device | null;
  /** Forwarding sysctl of the namespace (hops after the first). */
  forwarding: number | null;
}

export interface PathWalk {
  hops: Hop[];
  /** How the walk ended: local delivery, a device that sends the packet off the host, or where we could not see further. */
  end: 'local' | 'egress' | 'unseen' | 'dropped';
  /** Why the walk stopped where it did, for 'unseen' and 'dropped'. */
  note: string | null;
}

/** The route to the address could not be found: the line for it. */
export class Unreachable extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

function deviceKind(l: Link, drv: DriverInfo | null): DeviceKind {
  if (l.type === 772 || (l.flags & IFF_LOOPBACK) !== 0) return 'loopback';
  const k = l.kind ?? drv?.driver ?? null;
  switch (k) {
    case 'veth': case 'ifb': case 'bridge': case 'vlan': case 'bond': return k;
    case 'ipip': case 'gre': case 'gretap': case 'sit': case 'ip6tnl': case 'ip6gre': case 'vxlan': case 'geneve': case 'wireguard':
    case 'tun': case 'ipvlan': case 'macvlan':
      return k === 'ipvlan' || k === 'macvlan' ? 'virtual' : 'tunnel';
    default:
      break;
  }
  if (l.kind) return 'virtual';
  // No link kind: a physical device has a bus behind it.
  return readLine(`/sys/class/net/${l.name}/device/uevent`) !== null || (drv?.bus && drv.bus !== 'N/A' && drv.bus !== '') ? 'physical' : 'virtual';
}

export function copyFeatures(f: Map<string, Feature> | null, family: 4 | 6): CopyFeatures {
  if (!f) return { sg: null, txCsum: null, tso: null, gso: null };
  const on = (n: string): boolean => f.get(n)?.active ?? false;
  return {
    sg: on('tx-scatter-gather'),
    txCsum: on('tx-checksum-ip-generic') || on('tx-checksum-hw') || on(family === 4 ? 'tx-checksum-ipv4' : 'tx-checksum-ipv6'),
    tso: on(family === 4 ? 'tx-tcp-segmentation' : 'tx-tcp6-segmentation'),
    gso: on('tx-generic-segmentation'),
  };
}

export function describeDevice(l: Link, eth: Ethtool, family: 4 | 6): Device {
  const d = eth.driverInfo(l.name);
  const drv = typeof d === 'number' ? null : d;
  const f = eth.features(l.name);
  const feats = typeof f === 'number' ? null : f;
  return {
    name: l.name,
    index: l.index,
    kind: deviceKind(l, drv),
    linkKind: l.kind,
    driver: drv?.driver || null,
    version: drv?.version || null,
    firmware: drv?.firmware || null,
    bus: drv?.bus || null,
    mtu: l.mtu,
    qdisc: l.qdisc,
    copy: copyFeatures(feats, family),
    features: feats ? [...feats].filter(([, v]) => v.active).map(([k]) => k).sort() : [],
  };
}

const addrText = (b: Uint8Array | null): string | null => {
  if (!b) return null;
  if (b.length === 4) return [...b].join('.');
  const w: string[] = [];
  for (let i = 0; i < 16; i += 2) w.push(((b[i] << 8) | b[i + 1]).toString(16));
  return w.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
};

/** A namespace we can look into: its name and the sockets opened inside it. */
interface Seen {
  name: string | null;
  rtnl: Rtnl;
  eth: Ethtool;
  forwarding: number | null;
}

/**
 * Open a netlink and an ethtool socket inside the namespace at `path` (and
 * read its forwarding sysctl there), then come straight back to ours.
 */
function enter(path: string, name: string, family: 4 | 6): Seen | null {
  const home = openSync('/proc/thread-self/ns/net', 'r');
  let there = -1;
  let seen: Seen | null = null;
  let moved = false;
  try {
    there = openSync(path, 'r');
    moved = setns(there, CLONE_NEWNET) === 0;
    if (moved) {
      const rtnl = new Rtnl();
      const eth = new Ethtool();
      const fwd = readLine(family === 4 ? '/proc/sys/net/ipv4/ip_forward' : '/proc/sys/net/ipv6/conf/all/forwarding');
      seen = { name, rtnl, eth, forwarding: fwd === null ? null : Number(fwd) };
    }
  } catch {
    seen = null;
  }
  // Back home before anything else runs on this thread.
  const back = !moved || setns(home, CLONE_NEWNET) === 0;
  if (there >= 0) closeSync(there);
  closeSync(home);
  if (!back) throw new Error('setns: could not return to the original network namespace');
  return seen;
}

/** The named namespace whose id (as seen from `rtnl`'s namespace) is `nsid`. */
function findNamespace(rtnl: Rtnl, nsid: number, family: 4 | 6): Seen | null {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return null;
  }
  for (const n of names) {
    let fd = -1;
    try {
      fd = openSync(`/run/netns/${n}`, 'r');
      if (rtnl.nsid(fd) === nsid) return enter(`/run/netns/${n}`, n, family);
    } catch {
      /* not ours to open, or gone */
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  return null;
}

const MAX_HOPS = 4;

/** Walk the path to `dst` from this namespace. Throws Unreachable when there is no route. */
export function walkPath(family: 4 | 6, dst: Uint8Array): PathWalk {
  const home: Seen = { name: null, rtnl: new Rtnl(), eth: new Ethtool(), forwarding: null };
  const opened: Seen[] = [home];
  const hops: Hop[] = [];
  try {
    let ns = home;
    let iif: number | undefined;
    let src: Uint8Array | null = null;
    for (let i = 0; i < MAX_HOPS; i++) {
      let r;
      try {
        r = ns.rtnl.route(family, dst, iif, src);
        // Beyond the first hop the packet arrives from the sender's source address.
        if (i === 0) src = r.prefsrc;
      } catch (e) {
        if (!(e instanceof NetlinkError)) throw e;
        if (i === 0) throw new Unreachable(e.errno, 'no route');
        return { hops, end: 'dropped', note: `namespace ${ns.name} has no route onward (errno ${e.errno}${ns.forwarding === 0 ? ', forwarding is off' : ''})` };
      }
      const local = r.type === RTN_LOCAL;
      const dev = r.oif !== null ? describeDevice(ns.rtnl.link(r.oif), ns.eth, family) : null;
      hops.push({
        netns: ns.name, route: local ? 'local' : r.type === RTN_UNICAST ? 'unicast' : 'other', routeType: r.type,
        gateway: addrText(r.gateway), device: dev, forwarding: i === 0 ? null : ns.forwarding,
      });
      if (local) return { hops, end: 'local', note: null };
      if (r.type !== RTN_UNICAST || !dev) {
        if (i === 0) throw new Unreachable(0, `route type ${r.type}`);
        return { hops, end: 'dropped', note: `route type ${r.type} in namespace ${ns.name}` };
      }
      if (dev.kind === 'loopback') return { hops, end: 'local', note: null };
      if (dev.kind !== 'veth') {
        const seen = dev.kind === 'physical' || dev.kind === 'ifb';
        return { hops, end: seen ? 'egress' : 'unseen', note: seen ? null : `what a ${dev.kind} device (${dev.linkKind ?? dev.driver ?? '?'}) does with a zerocopy packet is not modelled` };
      }
      const link = ns.rtnl.link(r.oif!);
      if (link.peerIndex === null) return { hops, end: 'unseen', note: `the peer of ${dev.name} is not known` };
      let next: Seen | null = ns;
      if (link.peerNetnsid !== null) {
        next = findNamespace(ns.rtnl, link.peerNetnsid, family);
        if (next) opened.push(next);
      }
      if (!next) return { hops, end: 'unseen', note: `the peer of ${dev.name} lives in a namespace this host does not name (not under /run/netns)` };
      ns = next;
      iif = link.peerIndex;
    }
    return { hops, end: 'unseen', note: `more than ${MAX_HOPS} hops` };
  } finally {
    for (const s of opened) {
      s.rtnl.close();
      s.eth.close();
    }
  }
}
