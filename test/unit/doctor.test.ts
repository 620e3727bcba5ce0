// SPDX-License-Identifier: GPL-2.0-only
// The doctor's rules on made-up facts: each kernel rule gives its verdict,
// the prediction follows the strongest one, and what the host cannot see is
// unknown, never ok. And the ENOBUFS hint names the budget that ran out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bottomLine, diagnose, predict, type Facts } from '../../src/doctor/rules.js';
import { copyFeatures, type Device, type Hop, type PathWalk } from '../../src/environment/path.js';
import { enobufsCause, pinnedPages } from '../../src/net/budget.js';
import { outcomeLine } from '../../src/doctor/outcome.js';
import { environmentDifferences, type Environment } from '../../src/environment/environment.js';

const dev = (name: string, kind: Device['kind'], over: Partial<Device['copy']> = {}, mtu = 65535): Device => ({
  name, index: 2, kind, linkKind: kind === 'physical' ? null : kind, driver: kind, version: '1', firmware: null, bus: null, mtu,
  qdisc: 'noqueue', copy: { sg: true, txCsum: true, tso: true, gso: true, ...over }, features: [],
});
const hop = (d: Device | null, route: Hop['route'], netns: string | null = null, forwarding: number | null = null): Hop =>
  ({ netns, route, routeType: route === 'local' ? 2 : 1, gateway: null, device: d, forwarding });

function facts(walk: PathWalk, over: Partial<Facts> = {}): Facts {
  return {
    family: 4, dstText: '192.0.2.9', test: 'udp', api: 'msg', payloadLen: 65435, notificationLimit: 32, cork: 0, walk,
    sysctls: { optmem_max: 1000000, wmem_max: 212992, rmem_max: 212992, tcp_wmem: [4096, 16384, 4194304], tcp_rmem: null,
      ipv4_forward: 0, ipv6_forwarding: 0, io_uring_disabled: 0 },
    memlock: { limitBytes: null, exempt: true }, kernelRelease: '6.18.0', kernel: [6, 18], soZerocopy: 0,
    uring: { setupErrno: 0, sendZc: true }, iommu: { present: false, mode: null }, hugePages: { thp: 'madvise', total: 0 },
    cpu: { count: 2, allowedCount: 2, allowed: '0-1' }, packetSockets: [], ...over,
  };
}

const egress = (d: Device): PathWalk => ({ hops: [hop(d, 'unicast')], end: 'egress', note: null });
const forwarded = (last: Device, fwd = 1): PathWalk => ({
  hops: [hop(dev('veth0', 'veth'), 'unicast'), hop(last, 'unicast', 'mzc-rx', fwd)], end: 'egress', note: null,
});

test('local delivery: copied', () => {
  const d = diagnose(facts({ hops: [hop(dev('lo', 'loopback'), 'local')], end: 'local', note: null }));
  assert.equal(d.prediction, 'copied');
  assert.match(bottomLine(d), /^will be copied because 192\.0\.2\.9 is delivered to a local socket/);
});

test('out of a device with every feature on: zero copy', () => {
  const d = diagnose(facts(egress(dev('eth0', 'physical'))));
  assert.equal(d.prediction, 'zerocopy');
  assert.equal(bottomLine(d), 'zero copy will happen');
});

test('scatter-gather or tx checksum off anywhere on the path: copied, with the ethtool fix for that namespace', () => {
  for (const off of [{ sg: false }, { txCsum: false }]) {
    const d = diagnose(facts(forwarded(dev('ifb0', 'ifb', off))));
    assert.equal(d.prediction, 'copied');
    const c = d.checks.find((x) => x.verdict === 'will copy')!;
    assert.match(c.fix!, /^ip netns exec mzc-rx ethtool -K ifb0 (sg|tx) on$/);
  }
  // TSO off is slower for tcp, not a copy.
  const tcp = diagnose(facts(egress(dev('eth0', 'physical', { tso: false })), { test: 'tcp' }));
  assert.equal(tcp.prediction, 'zerocopy');
  assert.ok(tcp.checks.some((c) => c.verdict === 'slower' && /TSO/.test(c.detail)));
});

test('udp over the first device\'s MTU: copied; at MTU - 28 it fits; tcp segments', () => {
  const path = egress(dev('eth0', 'physical', {}, 1500));
  assert.equal(diagnose(facts(path)).prediction, 'copied');
  assert.equal(diagnose(facts(path, { payloadLen: 1472 })).prediction, 'zerocopy');
  assert.equal(diagnose(facts(path, { payloadLen: 1473 })).prediction, 'copied');
  assert.equal(diagnose(facts(path, { payloadLen: 1452, family: 6 })).prediction, 'zerocopy');
  assert.equal(diagnose(facts(path, { payloadLen: 1453, family: 6 })).prediction, 'copied');
  assert.equal(diagnose(facts(path, { test: 'tcp' })).prediction, 'zerocopy');
});

test('forwarding: kept from 6.18, copied on 6.12, unknown between; off in the middle namespace: unknown', () => {
  const path = forwarded(dev('ifb0', 'ifb'));
  assert.equal(diagnose(facts(path)).prediction, 'zerocopy');
  assert.equal(diagnose(facts(path, { kernel: [6, 12], kernelRelease: '6.12.1' })).prediction, 'copied');
  assert.equal(diagnose(facts(path, { kernel: [6, 15], kernelRelease: '6.15.1' })).prediction, 'unknown');
  assert.equal(diagnose(facts(forwarded(dev('ifb0', 'ifb'), 0))).prediction, 'unknown');
});

test('what the host cannot see is unknown, never ok', () => {
  const unseen: PathWalk = { hops: [hop(dev('veth0', 'veth'), 'unicast')], end: 'unseen', note: 'the peer lives in a namespace this host does not name' };
  assert.equal(diagnose(facts(unseen)).prediction, 'unknown');
  const tunnel: PathWalk = { hops: [hop(dev('gre1', 'tunnel'), 'unicast')], end: 'unseen', note: 'not modelled' };
  assert.equal(diagnose(facts(tunnel)).prediction, 'unknown');
  assert.equal(diagnose(facts(egress(dev('eth0', 'physical', { sg: null, txCsum: null })))).prediction, 'unknown');
});

test('budgets: optmem_max below one notification fails; RLIMIT_MEMLOCK below one send fails unless exempt', () => {
  const path = egress(dev('ifb0', 'ifb'));
  const low = (o: number) => facts(path, { sysctls: { ...facts(path).sysctls, optmem_max: o } });
  assert.equal(diagnose(low(256)).prediction, 'fails');
  assert.equal(diagnose(low(131072)).prediction, 'zerocopy');
  // -l 32 alone needs 33 notifications outstanding: 20000 bytes is not enough.
  assert.equal(diagnose(low(20000)).prediction, 'unknown');
  const mem = (limitBytes: number | null, exempt: boolean) => facts(path, { memlock: { limitBytes, exempt } });
  assert.equal(diagnose(mem(64 * 1024, false)).prediction, 'fails');
  assert.match(diagnose(mem(64 * 1024, false)).reason, /RLIMIT_MEMLOCK 64 KiB is below what one 65435-byte zerocopy send pins \(17 pages/);
  assert.equal(diagnose(mem(64 * 1024, true)).prediction, 'zerocopy');
  assert.equal(diagnose(mem(null, false)).prediction, 'zerocopy');
  assert.equal(diagnose(mem(128 * 1024, false)).prediction, 'unknown');
  assert.equal(diagnose(mem(64 << 20, false)).prediction, 'zerocopy');
  // A failure outranks a certain copy.
  const local: PathWalk = { hops: [hop(dev('lo', 'loopback'), 'local')], end: 'local', note: null };
  assert.equal(diagnose(facts(local, { memlock: { limitBytes: 65536, exempt: false } })).prediction, 'fails');
});

test('SO_ZEROCOPY refused (raw, packet) and io_uring missing fail; io_uring only matters to --api uring', () => {
  const path = egress(dev('eth0', 'physical'));
  assert.equal(diagnose(facts(path, { test: 'raw', soZerocopy: 95 })).prediction, 'fails');
  assert.equal(diagnose(facts(path, { uring: { setupErrno: 1, sendZc: null } })).prediction, 'zerocopy');
  assert.equal(diagnose(facts(path, { api: 'uring', uring: { setupErrno: 1, sendZc: null } })).prediction, 'fails');
  assert.equal(diagnose(facts(path, { api: 'uring', uring: { setupErrno: 0, sendZc: false } })).prediction, 'fails');
});

test('a packet socket tapping the egress device copies', () => {
  const d = diagnose(facts(egress(dev('eth0', 'physical')), { packetSockets: [{ proto: 3, ifindex: 0 }] }));
  assert.equal(d.prediction, 'copied');
  assert.equal(diagnose(facts(egress(dev('eth0', 'physical')), { packetSockets: [{ proto: 0x88cc, ifindex: 2 }] })).prediction, 'zerocopy');
});

test('predict: fails > may fail > copy > unknown > zerocopy', () => {
  const c = (verdict: 'ok' | 'will copy' | 'will fail' | 'unknown', mayFail = false) => ({ name: verdict, verdict, detail: verdict, fix: null, mayFail });
  assert.equal(predict([c('ok')]).prediction, 'zerocopy');
  assert.equal(predict([c('unknown'), c('ok')]).prediction, 'unknown');
  assert.equal(predict([c('unknown'), c('will copy')]).prediction, 'copied');
  assert.equal(predict([c('unknown', true), c('will copy')]).prediction, 'unknown');
  assert.equal(predict([c('unknown', true), c('will fail')]).prediction, 'fails');
});

test('copyFeatures reads the names ETHTOOL_GSTRINGS gives', () => {
  const f = (names: Record<string, boolean>) => new Map(Object.entries(names).map(([k, v]) => [k, { available: true, active: v, requested: v, fixed: false }]));
  assert.deepEqual(copyFeatures(f({ 'tx-scatter-gather': true, 'tx-checksum-ip-generic': true, 'tx-tcp-segmentation': true,
    'tx-generic-segmentation': false }), 4), { sg: true, txCsum: true, tso: true, gso: false });
  assert.equal(copyFeatures(f({ 'tx-scatter-gather': true, 'tx-checksum-ipv4': true }), 6).txCsum, false);
  assert.equal(copyFeatures(f({ 'tx-scatter-gather': true, 'tx-checksum-ipv6': true }), 6).txCsum, true);
  assert.deepEqual(copyFeatures(null, 4), { sg: null, txCsum: null, tso: null, gso: null });
});

test('ENOBUFS names RLIMIT_MEMLOCK for an unprivileged user with ulimit -l 64, optmem_max for root', () => {
  assert.equal(pinnedPages(65435), 17);
  const user = enobufsCause({ payloadLen: 65435, notificationLimit: 32, exempt: false, memlockBytes: 64 * 1024, optmem: 131072 });
  assert.match(user, /^RLIMIT_MEMLOCK \(ulimit -l 64 KiB\) is below the 68 KiB one 65435-byte zerocopy send pins/);
  assert.doesNotMatch(user, /optmem/);
  const root = enobufsCause({ payloadLen: 65435, notificationLimit: 32, exempt: true, memlockBytes: 64 * 1024, optmem: 131072 });
  assert.match(root, /over net\.core\.optmem_max \(131072; .*CAP_IPC_LOCK\): raise net\.core\.optmem_max or lower -l \(now 32\)$/);
  assert.doesNotMatch(root, /ulimit/);
  const both = enobufsCause({ payloadLen: 65435, notificationLimit: 32, exempt: false, memlockBytes: 8192 * 1024, optmem: 131072 });
  assert.match(both, /RLIMIT_MEMLOCK .* or the notifications over net\.core\.optmem_max/);
  assert.match(enobufsCause({ payloadLen: 1000, notificationLimit: 32, exempt: true, memlockBytes: null, optmem: 100 }), /below one notification/);
});

test('the outcome line', () => {
  assert.equal(outcomeLine(220336, 0, null), 'zerocopy: 220336 of 220336 completions not copied');
  assert.equal(outcomeLine(10, 10, 'local delivery'), 'zerocopy: 0 of 10 completions not copied; copied because local delivery');
  assert.equal(outcomeLine(0, 0, null), null);
});

test('environmentDifferences names what differs and nothing else', () => {
  const base = {
    kernel: { release: '6.18', version: '#1', machine: 'x86_64', hostname: 'a' }, cpu: { model: 'm', count: 2, allowed: '0-1', allowedCount: 2, governor: null },
    egress: null, sysctls: facts(egress(dev('e', 'ifb'))).sysctls, memlock: { limitBytes: null, exempt: true },
    hugePages: { thp: 'madvise', total: 0, sizeKb: 2048 }, iommu: { present: false, mode: null, cmdline: null },
  } as unknown as Environment;
  assert.deepEqual(environmentDifferences(base, { ...base, runId: 'x' } as Environment), []);
  const d = environmentDifferences(base, { ...base, sysctls: { ...base.sysctls, optmem_max: 131072 } });
  assert.equal(d.length, 1);
  assert.match(d[0], /^sysctls:/);
});

test('noise: two groups in a series, a busy machine, runs in another environment', async () => {
  const { twoGroups, noiseWarnings } = await import('../../src/sweep/noise.js');
  assert.deepEqual(twoGroups([6.1, 6.0, 6.2, 8.4, 8.5, 8.3]), [6.1, 8.4]);
  assert.equal(twoGroups([6.1, 6.0, 6.2, 6.3, 6.15, 6.05]), null);
  assert.equal(twoGroups([6.0, 8.4, 8.5, 8.3]), null, 'one outlier is not a group');
  const env = { runId: 'a', kernel: { release: '6.18' } } as unknown as Environment;
  const run = (index: number, gbps: number, load: number, e: Environment | null = env) => ({
    index, size: 65435, mode: 'zerocopy', measured: true, throughputGBps: gbps, loadAverage: [load, 1, 1], environment: e,
  });
  const quiet = noiseWarnings([run(1, 6.1, 0.5), run(2, 6.0, 0.4), run(3, 6.2, 0.3), run(4, 6.1, 0.2)], 2);
  assert.deepEqual(quiet, []);
  const w = noiseWarnings([run(1, 6.1, 0.5), run(2, 6.0, 3.5), run(3, 8.4, 0.3), run(4, 8.5, 0.2),
    run(5, 8.3, 0.1, { ...env, runId: 'b', kernel: { release: '6.19' } } as unknown as Environment)], 2);
  assert.equal(w.length, 3, w.join('\n'));
  assert.match(w[0], /^65435 B zerocopy: the runs fell into two groups \(about 6\.05 and 8\.40 GB\/s\)/);
  assert.match(w[1], /^the machine was busy: load average above 2 .* after 1 of 5 runs \(up to 3\.50\)/);
  assert.match(w[2], /^run 5 ran in another environment than run 1: kernel: "6\.18" vs "6\.19"$/);
});

test('-C/--cpus for compare and sweep: one or two CPUs', async () => {
  const { parseCpuPair } = await import('../../src/cli/sweep.js');
  assert.deepEqual(parseCpuPair('1'), [1]);
  assert.deepEqual(parseCpuPair('0,1'), [0, 1]);
  for (const bad of ['', '0,1,2', 'a', '-1', '2048']) assert.throws(() => parseCpuPair(bad), /bad -C\/--cpus/);
});
