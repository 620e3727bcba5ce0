// SPDX-License-Identifier: GPL-2.0-only
// End to end: --gso on the classic udp sender in the namespace lab, with the
// lab's path at MTU 1500 (both ends of the veth pair and the egress device),
// as a NIC has. Out of the egress device (tx-only) every notification says
// not copied, and the segment counts add up: the report's segments are the
// sends times ceil(-s / --gso), each send reached the egress device as one
// GSO packet of -s payload bytes, and with segmentation offload off on the
// sender's veth the device counts exactly that many datagrams. Bad input
// gets one line each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run as labRun } from '../../src/lab/exec.js';
import { describe as show, ours, parseJson, type ProcResult } from '../support/proc.js';
import { useLab } from '../support/lab.js';

// The lab at MTU 1500 (createLab's mtu: the veth pair and the egress device), as suite --mtu 1500 makes it.
const lab = useLab({ mtu: 1500 });

/** The MTU really set on the three devices: checked once, by the first test that asks. */
let mtuChecked: Promise<void> | null = null;
function mtu1500(): Promise<void> {
  mtuChecked ??= (async () => {
    const l = lab();
    for (const [ns, dev] of [[l.txNs, 'veth0'], [l.rxNs, 'veth0'], [l.rxNs, l.egressDev]]) {
      const info = JSON.parse(await labRun(['ip', '-n', ns, '-j', 'link', 'show', 'dev', dev]))[0];
      assert.equal(info.mtu, 1500, `${ns} ${dev} mtu`);
    }
  })();
  return mtuChecked;
}

/** Packets and bytes a device has counted (ip -s -j). */
async function counters(ns: string, dev: string): Promise<{ txPackets: number; txBytes: number; rxPackets: number; rxBytes: number }> {
  const s = JSON.parse(await labRun(['ip', '-n', ns, '-s', '-j', 'link', 'show', 'dev', dev]))[0].stats64;
  return { txPackets: s.tx.packets, txBytes: s.tx.bytes, rxPackets: s.rx.packets, rxBytes: s.rx.bytes };
}

type Json = Record<string, unknown> & {
  packets: number; bytes: number; completions: number; copiedCompletions: number; zerocopiedCompletions: number;
  expectedCompletions: number; segments: number; segmentsPerCall: number; segmentsPerSecond: number; gsoSize: number;
  pathMtu: number; payloadLen: number; dataMs: number; zc: string;
};

async function txOnly(args: string[]): Promise<{ r: ProcResult; j: Json }> {
  await mtu1500();
  const r = await ours(lab().txNs, ['-4', '-D', lab().addr[4].txOnly, '-t', '1', '--json', ...args, 'udp'], { timeoutMs: 30_000 }).done;
  const j = parseJson(r.stdout) as Json | null;
  assert.ok(j, `no JSON report\n${show(r)}`);
  return { r, j };
}

/** Tolerance for the few packets that are not ours (ARP, neighbour discovery) on a device. */
const NOISE = 10;

test('MTU 1500, udp tx-only --gso 1472 -z -Z 1: not copied, and the segments add up', { timeout: 60_000 }, async () => {
  await mtu1500();
  const eg0 = await counters(lab().rxNs, lab().egressDev);
  const { r, j } = await txOnly(['--gso', '1472', '-z', '-Z', '1']);
  const eg1 = await counters(lab().rxNs, lab().egressDev);
  assert.equal(r.code, 0, show(r));
  assert.match(r.stderr, /^tx=\d+ \(\d+ MB\) txc=\d+ zc=y$/m, `the classic line, zc=y\n${show(r)}`);
  assert.match(r.stderr, /^gso: 1472-byte segments, 45 per call, \d+ segments \(\d+\/s\), path MTU 1500$/m, show(r));
  assert.ok(j.packets > 100, `sent ${j.packets}`);
  assert.equal(j.gsoSize, 1472);
  assert.equal(j.pathMtu, 1500);
  assert.equal(j.payloadLen, 65435);
  assert.equal(j.segmentsPerCall, Math.ceil(65435 / 1472));
  assert.equal(j.segments, j.packets * 45);
  assert.ok(Math.abs(j.segmentsPerSecond - j.segments / (j.dataMs / 1000)) < 1e-6 * j.segmentsPerSecond);
  // Every send acknowledged, none copied: the same tracker as without --gso.
  assert.equal(j.expectedCompletions, j.packets);
  assert.equal(j.completions, j.packets);
  assert.equal(j.copiedCompletions, 0);
  assert.equal(j.zerocopiedCompletions, j.packets);
  assert.equal(j.zc, 'y');
  // Each send reached the egress device as one GSO packet: -s bytes of payload behind Ethernet, IPv4 and UDP headers.
  const packets = eg1.rxPackets - eg0.rxPackets;
  assert.ok(packets >= j.packets && packets <= j.packets + NOISE, `egress device saw ${packets} packets for ${j.packets} sends`);
  const perSend = 14 + 20 + 8 + 65435;
  const bytes = eg1.rxBytes - eg0.rxBytes;
  assert.ok(bytes >= j.packets * perSend && bytes <= j.packets * perSend + NOISE * 100, `egress bytes ${bytes} for ${j.packets} sends`);
});

test('segmented in software (UDP segmentation offload off on the sender veth): the device counts each segment', { timeout: 60_000 }, async () => {
  await mtu1500();
  const tx = lab().txNs;
  await labRun(['ip', 'netns', 'exec', tx, 'ethtool', '-K', 'veth0', 'tx-udp-segmentation', 'off']);
  try {
    const v0 = await counters(tx, 'veth0');
    const { r, j } = await txOnly(['--gso', '1472', '-s', '14720', '-z']);
    const v1 = await counters(tx, 'veth0');
    assert.equal(r.code, 0, show(r));
    assert.equal(j.segmentsPerCall, 10);
    assert.equal(j.segments, j.packets * 10);
    const datagrams = v1.txPackets - v0.txPackets;
    assert.ok(datagrams >= j.segments && datagrams <= j.segments + NOISE, `veth sent ${datagrams} datagrams for ${j.segments} segments`);
    assert.equal(j.completions, j.packets, 'every send acknowledged');
  } finally {
    await labRun(['ip', 'netns', 'exec', tx, 'ethtool', '-K', 'veth0', 'tx-udp-segmentation', 'on']);
  }
});

test('bad --gso input: one line each, exit 1', { timeout: 60_000 }, async () => {
  await mtu1500();
  const cases: Array<[string[], RegExp]> = [
    [['--gso', '1500'], /^msg-zerocopy: --gso 1500 is over the MTU's payload: the path to 192\.168\.2\.2 has MTU 1500, which leaves 1472 bytes for a UDP segment over IPv4 \(use --gso 1472 or less\)$/],
    // This kernel (6.18) takes up to 128 segments a send (UDP_MAX_SEGMENTS).
    [['--gso', '500'], /^msg-zerocopy: --gso 500: -s 65435 makes 131 segments, above the kernel's 128 per send \(use --gso 512 or more, or -s 64000 or less\)$/],
    [['--gso', '1472', '-c', '2'], /^msg-zerocopy: --gso and -c: .+\(drop -c or --gso\)$/],
  ];
  for (const [args, re] of cases) {
    const r = await ours(lab().txNs, ['-4', '-D', lab().addr[4].txOnly, '-t', '0', ...args, 'udp'], { timeoutMs: 30_000 }).done;
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr.trim(), re, show(r));
    assert.equal(r.stderr.trim().split('\n').length, 1, show(r));
  }
  const t = await ours(lab().txNs, ['-4', '-D', lab().addr[4].dst, '-t', '0', '--gso', '1448', 'tcp'], { timeoutMs: 30_000 }).done;
  assert.equal(t.code, 1, show(t));
  assert.equal(t.stderr.trim(), 'msg-zerocopy: --gso: UDP segmentation offload applies to udp only, not tcp (run the udp test, or drop --gso)');
});
