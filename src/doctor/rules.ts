// SPDX-License-Identifier: GPL-2.0-only
// The doctor's rules: from the facts of a path and a host, one check per
// question, each with a verdict and the fix, and a prediction. Pure: the
// facts are gathered elsewhere (facts.ts), so every rule is unit-tested
// without a namespace. The rules are the kernel's (SPEC 13), read in
// net/ipv4/ip_output.c, net/ipv4/tcp.c, net/core/skbuff.c and net/core/dev.c:
//  - delivery to a local socket copies (skb_orphan_frags_rx at delivery);
//  - udp builds zerocopy frags only when the route's device has
//    scatter-gather and tx checksum offload and the datagram fits the MTU
//    (ip_append_data: otherwise uarg->zerocopy = 0); tcp only when the
//    socket's route caps have scatter-gather (which needs a checksum
//    feature); a device further along without them linearizes, which copies;
//  - a packet socket that taps the device (tcpdump) gets a clone whose
//    frags are copied (deliver_skb), and that marks the send copied;
//  - before the 2025 change "net: preserve MSG_ZEROCOPY with forwarding"
//    every received skb was orphaned in __netif_receive_skb_core, so
//    forwarding (across a veth into another namespace) copied: linux 6.12
//    still does, 6.18 (this project's kernel) does not; between: unknown;
//  - each zerocopy send allocates a notification skb charged to the
//    socket's optmem (SKB_TRUESIZE(0) = 576 bytes checked, about 768
//    charged) until the error queue is read, and pins (len >> 12) + 2 pages
//    charged to the user's locked memory unless CAP_IPC_LOCK: either one
//    short is ENOBUFS.
// Where the path leaves what this host can see, the verdict is unknown.
import type { PathWalk, Device } from '../environment/path.js';
import type { Sysctls } from '../environment/host.js';
import { NOTIFY_CHARGED, NOTIFY_CHECKED, pinnedPages } from '../net/budget.js';

export type Verdict = 'ok' | 'will copy' | 'will fail' | 'slower' | 'unknown';
export type Prediction = 'zerocopy' | 'copied' | 'fails' | 'unknown';

export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix: string | null;
  /** An unknown that is about failing (a budget that may run short), which outranks a certain copy. */
  mayFail?: boolean;
}

export interface Facts {
  family: 4 | 6;
  dstText: string;
  test: string;
  api: 'msg' | 'uring';
  payloadLen: number;
  notificationLimit: number;
  cork: number;
  walk: PathWalk;
  sysctls: Sysctls;
  memlock: { limitBytes: number | null; exempt: boolean };
  kernelRelease: string;
  kernel: [number, number];
  /** setsockopt(SO_ZEROCOPY) on a socket of the test's kind: 0 when accepted, else the errno. */
  soZerocopy: number;
  /** io_uring: null when not probed; else whether a ring could be set up, and SEND_ZC supported. */
  uring: { setupErrno: number; sendZc: boolean | null } | null;
  iommu: { present: boolean; mode: string | null };
  hugePages: { thp: string | null; total: number | null };
  cpu: { count: number; allowedCount: number; allowed: string | null };
  /** Packet sockets in this namespace: proto (host order) and ifindex (0: every device). */
  packetSockets: Array<{ proto: number; ifindex: number }>;
}

const PAGE = 4096;
const EOPNOTSUPP = 95;
const ENOPROTOOPT = 92;
const ETH_P_ALL = 3;


/** Sends that can be in flight at once: the socket's send buffer (SO_SNDBUF 2 MiB, capped by wmem_max, doubled) over one send. */
export function inFlightSends(len: number, wmemMax: number | null): number {
  const asked = 1 << 21;
  const sndbuf = 2 * Math.min(asked, wmemMax ?? asked);
  // Each send is charged its payload and about one notification's worth of skb overhead.
  return Math.ceil(sndbuf / (Math.max(len, 1) + NOTIFY_CHARGED)) + 1;
}

const kib = (b: number): string => `${Math.round(b / 1024)} KiB`;
const atLeast = (k: [number, number], maj: number, min: number): boolean => k[0] > maj || (k[0] === maj && k[1] >= min);

function deviceText(d: Device): string {
  const drv = [d.driver && `driver ${d.driver}`, d.version && `version ${d.version}`, d.firmware && `firmware ${d.firmware}`,
    d.bus && `bus ${d.bus}`].filter(Boolean).join(', ');
  return `${d.name} (${d.kind}${drv ? `; ${drv}` : ''})`;
}

const where = (ns: string | null): string => (ns ? ` in namespace ${ns}` : '');

export function routeCheck(f: Facts): Check {
  const w = f.walk;
  const path = w.hops.map((h) => `${h.device ? h.device.name : '?'}${where(h.netns)}${h.gateway ? ` via ${h.gateway}` : ''}`).join(' -> ');
  const last = w.hops[w.hops.length - 1];
  if (w.end === 'local') {
    return {
      name: 'route', verdict: 'will copy',
      detail: `${f.dstText} is delivered to a local socket${where(last.netns)} (${path}): local delivery always copies (deferred copy)`,
      fix: 'measure zero copy on traffic that leaves through a device: a receiver on another host, or the tx-only path out of an egress device',
    };
  }
  if (w.end === 'egress') return { name: 'route', verdict: 'ok', detail: `${f.dstText} leaves the host by ${path}`, fix: null };
  if (w.end === 'dropped') return { name: 'route', verdict: 'unknown', detail: `${path}: ${w.note}`, fix: 'check the routes and forwarding along the path' };
  return { name: 'route', verdict: 'unknown', detail: `${path}: ${w.note}`, fix: 'run doctor where the next hop is, or measure' };
}

export function deviceChecks(f: Facts): Check[] {
  return f.walk.hops.filter((h) => h.device && h.route !== 'local').map((h) => {
    const d = h.device!;
    const known = d.kind === 'physical' || d.kind === 'ifb' || d.kind === 'veth' || d.kind === 'loopback';
    return {
      name: `device ${d.name}${where(h.netns)}`,
      verdict: known ? 'ok' as const : 'unknown' as const,
      detail: `${deviceText(d)}, mtu ${d.mtu ?? '?'}, qdisc ${d.qdisc ?? '?'}`,
      fix: known ? null : `a ${d.kind} device is not modelled: measure`,
    };
  });
}

/** Scatter-gather and tx checksum on every device that transmits the packet; TSO/GSO for speed. */
export function featureChecks(f: Facts): Check[] {
  const out: Check[] = [];
  for (const h of f.walk.hops) {
    const d = h.device;
    if (!d || h.route === 'local' || d.kind === 'loopback') continue;
    const name = `features ${d.name}${where(h.netns)}`;
    const ns = h.netns ? `ip netns exec ${h.netns} ` : '';
    if (d.copy.sg === null) {
      out.push({ name, verdict: 'unknown', detail: 'the device does not report its features (ETHTOOL_GFEATURES)', fix: null });
      continue;
    }
    if (!d.copy.sg) {
      out.push({ name, verdict: 'will copy', detail: `scatter-gather (tx-scatter-gather) is off on ${d.name}: zerocopy pages cannot be sent as fragments`,
        fix: `${ns}ethtool -K ${d.name} sg on` });
      continue;
    }
    if (!d.copy.txCsum) {
      out.push({ name, verdict: 'will copy', detail: `tx checksum offload is off on ${d.name}: the kernel must read the payload to checksum it`,
        fix: `${ns}ethtool -K ${d.name} tx on` });
      continue;
    }
    if (f.test === 'tcp' && (!d.copy.tso || !d.copy.gso)) {
      out.push({ name, verdict: 'slower', detail: `scatter-gather and tx checksum on; ${!d.copy.tso ? 'TSO' : 'GSO'} off: more, smaller packets per send`,
        fix: `${ns}ethtool -K ${d.name} ${!d.copy.tso ? 'tso' : 'gso'} on` });
      continue;
    }
    out.push({ name, verdict: 'ok', detail: `scatter-gather, tx checksum${f.test === 'tcp' ? ', TSO and GSO' : ''} on`, fix: null });
  }
  return out;
}

/** MTU: a udp datagram larger than the first device's MTU is fragmented, and fragments are built by copying. */
export function mtuCheck(f: Facts): Check | null {
  const first = f.walk.hops[0];
  if (!first?.device || first.route === 'local' || first.device.mtu === null) return null;
  const mtu = first.device.mtu;
  if (f.test !== 'udp') {
    return { name: 'mtu', verdict: 'ok', detail: `${first.device.name} mtu ${mtu}${f.test === 'tcp' ? ': tcp segments to fit' : ''}`, fix: null };
  }
  const datagram = f.payloadLen + 8 + (f.family === 4 ? 20 : 40);
  if (f.cork) return { name: 'mtu', verdict: 'unknown', detail: `corked datagrams (-c): whether they fit mtu ${mtu} is not modelled`, fix: null };
  if (datagram > mtu) {
    return {
      name: 'mtu', verdict: 'will copy',
      detail: `a ${f.payloadLen}-byte udp payload makes a ${datagram}-byte datagram, over ${first.device.name}'s mtu ${mtu}: fragmented datagrams are copied`,
      fix: `send at most ${mtu - 8 - (f.family === 4 ? 20 : 40)} bytes (-s), or raise the mtu (ip link set dev ${first.device.name} mtu 65535; the suite uses 65535)`,
    };
  }
  // Further along, a smaller MTU means fragmenting a forwarded datagram: not modelled.
  const later = f.walk.hops.slice(1).find((h) => h.device && h.route !== 'local' && h.device.mtu !== null && datagram > h.device.mtu);
  if (later) {
    return { name: 'mtu', verdict: 'unknown', detail: `the ${datagram}-byte datagram is over ${later.device!.name}'s mtu ${later.device!.mtu}${where(later.netns)}: fragmenting a forwarded zerocopy datagram is not modelled`,
      fix: `raise that mtu or lower -s` };
  }
  return { name: 'mtu', verdict: 'ok', detail: `${datagram}-byte datagrams fit ${first.device.name}'s mtu ${mtu}`, fix: null };
}

export function qdiscCheck(f: Facts): Check | null {
  const d = f.walk.hops[0]?.device;
  if (!d || f.walk.hops[0].route === 'local') return null;
  return { name: 'qdisc', verdict: 'ok', detail: `${d.name}: ${d.qdisc ?? 'unknown'}`, fix: null };
}

/** Forwarding: the namespaces the packet crosses must forward, and the kernel must keep zero copy when it does. */
export function forwardingCheck(f: Facts): Check {
  const fwdHops = f.walk.hops.slice(1).filter((h) => h.route === 'unicast');
  const sysctl = f.family === 4 ? 'net.ipv4.ip_forward' : 'net.ipv6.conf.all.forwarding';
  if (fwdHops.length === 0) {
    const own = f.family === 4 ? f.sysctls.ipv4_forward : f.sysctls.ipv6_forwarding;
    return { name: 'forwarding', verdict: 'ok', detail: `no forwarding on this path (${sysctl} = ${own ?? '?'} here)`, fix: null };
  }
  const off = fwdHops.find((h) => h.forwarding === 0);
  if (off) {
    return { name: 'forwarding', verdict: 'unknown', detail: `namespace ${off.netns} would forward but ${sysctl} = 0 there: the packets are dropped`,
      fix: `ip netns exec ${off.netns} sysctl -w ${sysctl}=1` };
  }
  const names = fwdHops.map((h) => h.netns ?? 'this namespace').join(', ');
  if (atLeast(f.kernel, 6, 18)) {
    return { name: 'forwarding', verdict: 'ok', detail: `forwarded by ${names}; linux ${f.kernelRelease} keeps zero copy when forwarding`, fix: null };
  }
  if (!atLeast(f.kernel, 6, 13)) {
    return { name: 'forwarding', verdict: 'will copy', detail: `forwarded by ${names}; linux ${f.kernelRelease} copies every forwarded zerocopy packet (before "net: preserve MSG_ZEROCOPY with forwarding")`,
      fix: 'a kernel with that change (6.18 has it), or a path without forwarding' };
  }
  return { name: 'forwarding', verdict: 'unknown', detail: `forwarded by ${names}; whether linux ${f.kernelRelease} has "net: preserve MSG_ZEROCOPY with forwarding" is not known here`, fix: null };
}

export function tapCheck(f: Facts): Check | null {
  const d = f.walk.hops[0]?.device;
  if (!d || f.walk.hops[0].route === 'local') return null;
  const taps = f.packetSockets.filter((p) => p.proto === ETH_P_ALL && (p.ifindex === 0 || p.ifindex === d.index));
  if (taps.length === 0) return { name: 'packet taps', verdict: 'ok', detail: `no packet socket taps ${d.name}`, fix: null };
  return { name: 'packet taps', verdict: 'will copy', detail: `${taps.length} packet socket(s) (tcpdump and the like) tap every frame on ${d.name}: a tapped zerocopy frame is copied`,
    fix: 'stop the capture (ss -0 -p lists them) while measuring' };
}

/**
 * The socket's notification budget: net.core.optmem_max against the
 * notifications outstanding (msg only). -l sends' notifications wait on the
 * error queue between drains; sends still in flight hold theirs too. A path
 * that ends in local delivery or in an ifb releases a send within the send
 * call's softirq, so only -l counts there; a physical device (tx completion
 * is batched), or fragments waiting in reassembly, may hold up to a send
 * buffer's worth.
 */
export function optmemCheck(f: Facts): Check {
  const optmem = f.sysctls.optmem_max;
  if (f.api === 'uring') return { name: 'optmem_max', verdict: 'ok', detail: `io_uring notifications are not charged to optmem (optmem_max ${optmem ?? '?'})`, fix: null };
  if (optmem === null) return { name: 'optmem_max', verdict: 'unknown', detail: 'net.core.optmem_max is not readable', fix: null };
  const fragmented = mtuCheck(f)?.verdict === 'will copy';
  const last = f.walk.hops[f.walk.hops.length - 1]?.device;
  const releasedAtOnce = !fragmented && (f.walk.end === 'local' || (f.walk.end === 'egress' && last?.kind === 'ifb'));
  const inflight = releasedAtOnce ? 1 : inFlightSends(f.payloadLen, f.sysctls.wmem_max);
  const need = (f.notificationLimit + inflight) * NOTIFY_CHARGED;
  const held = releasedAtOnce ? `-l ${f.notificationLimit} (the path releases each send at once)`
    : `-l ${f.notificationLimit} plus up to ${inflight} sends in flight${fragmented ? ' (fragments wait in reassembly)' : ''}`;
  if (optmem < NOTIFY_CHECKED) {
    return { name: 'optmem_max', verdict: 'will fail',
      detail: `net.core.optmem_max ${optmem} is below one notification (${NOTIFY_CHECKED} bytes): the first zerocopy send fails with ENOBUFS`,
      fix: `sysctl -w net.core.optmem_max=${Math.max(need, 131072)}` };
  }
  if (optmem < need) {
    return { name: 'optmem_max', verdict: 'unknown', mayFail: true,
      detail: `net.core.optmem_max ${optmem} holds ${Math.floor(optmem / NOTIFY_CHARGED)} outstanding notifications; ${held} may need ${need}: ENOBUFS when they do not coalesce`,
      fix: `sysctl -w net.core.optmem_max=${Math.max(need, 1000000)} (the suite sets 1000000), or lower -l` };
  }
  return { name: 'optmem_max', verdict: 'ok', detail: `net.core.optmem_max ${optmem} >= ${need} for ${held}`, fix: null };
}

/** RLIMIT_MEMLOCK against the pages each send pins (root and CAP_IPC_LOCK exempt). */
export function memlockCheck(f: Facts): Check {
  const { limitBytes, exempt } = f.memlock;
  const per = pinnedPages(f.payloadLen);
  if (exempt) return { name: 'memlock', verdict: 'ok', detail: 'CAP_IPC_LOCK: pinned pages are not charged to RLIMIT_MEMLOCK', fix: null };
  if (limitBytes === null) return { name: 'memlock', verdict: 'ok', detail: 'RLIMIT_MEMLOCK unlimited', fix: null };
  const limitPages = Math.floor(limitBytes / PAGE);
  const inflight = inFlightSends(f.payloadLen, f.sysctls.wmem_max);
  const want = per * inflight;
  if (limitPages < per) {
    return { name: 'memlock', verdict: 'will fail',
      detail: `RLIMIT_MEMLOCK ${kib(limitBytes)} is below what one ${f.payloadLen}-byte zerocopy send pins (${per} pages, ${kib(per * PAGE)}): ENOBUFS`,
      fix: `ulimit -l ${Math.ceil((want * PAGE) / 1024)} (KiB), or run with CAP_IPC_LOCK` };
  }
  if (limitPages < want) {
    return { name: 'memlock', verdict: 'unknown', mayFail: true,
      detail: `RLIMIT_MEMLOCK ${kib(limitBytes)} holds ${Math.floor(limitPages / per)} sends of ${per} pages; up to ${inflight} may be in flight (and the limit is shared by this user's processes): ENOBUFS when they are`,
      fix: `ulimit -l ${Math.ceil((want * PAGE) / 1024)} (KiB), or run with CAP_IPC_LOCK` };
  }
  return { name: 'memlock', verdict: 'ok', detail: `RLIMIT_MEMLOCK ${kib(limitBytes)} >= ${inflight} sends in flight of ${per} pages (shared by this user's processes)`, fix: null };
}

/** SO_ZEROCOPY on the test's socket, and io_uring SEND_ZC, by probe; REPORT_USAGE by version. */
export function kernelChecks(f: Facts): Check[] {
  const out: Check[] = [];
  if (f.soZerocopy === 0) {
    out.push({ name: 'SO_ZEROCOPY', verdict: 'ok', detail: `linux ${f.kernelRelease} accepts SO_ZEROCOPY on a ${f.test} socket (probed)`, fix: null });
  } else if (f.soZerocopy === EOPNOTSUPP) {
    out.push({ name: 'SO_ZEROCOPY', verdict: 'will fail', detail: `linux ${f.kernelRelease} refuses SO_ZEROCOPY on ${f.test} sockets (EOPNOTSUPP): only tcp and udp`,
      fix: `run ${f.test} without -z, or use tcp or udp` });
  } else if (f.soZerocopy === ENOPROTOOPT) {
    out.push({ name: 'SO_ZEROCOPY', verdict: 'will fail', detail: `linux ${f.kernelRelease} has no SO_ZEROCOPY (ENOPROTOOPT; it came with 4.14)`, fix: 'a newer kernel' });
  } else {
    out.push({ name: 'SO_ZEROCOPY', verdict: 'unknown', detail: `the probe socket could not be tried (errno ${f.soZerocopy})`, fix: f.test.startsWith('raw') || f.test.startsWith('packet') ? 'run as root' : null });
  }
  if (f.uring) {
    const u = f.uring;
    const need = f.api === 'uring';
    if (u.setupErrno !== 0) {
      const disabled = f.sysctls.io_uring_disabled;
      out.push({ name: 'io_uring', verdict: need ? 'will fail' : 'ok',
        detail: `io_uring_setup fails (errno ${u.setupErrno}${disabled ? `, kernel.io_uring_disabled = ${disabled}` : ''})${need ? '' : ': only msg-zerocopy uring needs it'}`,
        fix: disabled ? 'sysctl -w kernel.io_uring_disabled=0' : null });
    } else if (!u.sendZc) {
      out.push({ name: 'io_uring', verdict: need ? 'will fail' : 'ok', detail: `io_uring works but has no SEND_ZC (linux 6.0+)${need ? '' : ': only msg-zerocopy uring needs it'}`, fix: need ? 'a newer kernel' : null });
    } else {
      const usage = atLeast(f.kernel, 6, 2);
      out.push({ name: 'io_uring', verdict: 'ok',
        detail: `io_uring available, SEND_ZC supported (probed); copied-or-not reports (IORING_SEND_ZC_REPORT_USAGE) ${usage ? 'available (linux 6.2+)' : 'missing (before linux 6.2)'}`,
        fix: null });
    }
  }
  return out;
}

/** IOMMU, huge pages, THP: they change the cost of zero copy out of a physical device, not whether it happens. */
export function memoryChecks(f: Facts): Check[] {
  const phys = f.walk.hops.some((h) => h.device?.kind === 'physical' && h.route !== 'local');
  const io = f.iommu;
  const translated = io.present && io.mode !== null && io.mode !== 'identity';
  const thp = f.hugePages.thp;
  const out: Check[] = [];
  out.push({
    name: 'iommu', verdict: phys && translated ? 'slower' : 'ok',
    detail: io.present ? `IOMMU on (default domain ${io.mode ?? '?'})` : 'no IOMMU groups',
    fix: phys && translated ? 'every zerocopy page is mapped for DMA per send: huge pages help (published: ~55 -> ~100 Gbit/s), or iommu=pt' : null,
  });
  out.push({
    name: 'huge pages', verdict: phys && translated && thp === 'never' ? 'slower' : 'ok',
    detail: `transparent huge pages ${thp ?? '?'}, ${f.hugePages.total ?? '?'} reserved huge pages`,
    fix: phys && translated && thp === 'never' ? 'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled' : null,
  });
  return out;
}

export function cpuCheck(f: Facts): Check {
  const c = f.cpu;
  return {
    name: 'cpus', verdict: c.allowedCount < 2 ? 'slower' : 'ok',
    detail: `${c.count} CPUs, ${c.allowedCount} allowed (${c.allowed ?? '?'})`,
    fix: c.allowedCount < 2 ? 'sender and receiver share one CPU: allow more (taskset) or pin them apart (-C)' : null,
  };
}

export interface Diagnosis {
  prediction: Prediction;
  reason: string;
  checks: Check[];
}

/** Every check, in the order the issue lists them, and the prediction they make. */
export function diagnose(f: Facts): Diagnosis {
  const checks: Check[] = [routeCheck(f), ...deviceChecks(f), ...featureChecks(f)];
  const mtu = mtuCheck(f);
  if (mtu) checks.push(mtu);
  const q = qdiscCheck(f);
  if (q) checks.push(q);
  const tap = tapCheck(f);
  if (tap) checks.push(tap);
  checks.push(forwardingCheck(f), optmemCheck(f), memlockCheck(f), ...kernelChecks(f), ...memoryChecks(f), cpuCheck(f));
  return { ...predict(checks), checks };
}

export function predict(checks: readonly Check[]): { prediction: Prediction; reason: string } {
  const first = (p: (c: Check) => boolean): Check | undefined => checks.find(p);
  const fail = first((c) => c.verdict === 'will fail');
  if (fail) return { prediction: 'fails', reason: fail.detail };
  const mayFail = first((c) => c.verdict === 'unknown' && !!c.mayFail);
  if (mayFail) return { prediction: 'unknown', reason: mayFail.detail };
  const copy = first((c) => c.verdict === 'will copy');
  if (copy) return { prediction: 'copied', reason: copy.detail };
  const unknown = first((c) => c.verdict === 'unknown');
  if (unknown) return { prediction: 'unknown', reason: unknown.detail };
  return { prediction: 'zerocopy', reason: 'every check on the path allows zero copy' };
}

/** The doctor's bottom line. */
export function bottomLine(d: { prediction: Prediction; reason: string }): string {
  switch (d.prediction) {
    case 'zerocopy': return 'zero copy will happen';
    case 'copied': return `will be copied because ${d.reason}`;
    case 'fails': return `will fail because ${d.reason}`;
    case 'unknown': return `cannot tell: ${d.reason}`;
  }
}
