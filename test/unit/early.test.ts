// SPDX-License-Identifier: GPL-2.0-only
// The early receiver step's reading of argv (src/startup/early.ts): it takes
// only classic receivers, and for every argv it takes it finds the socket the
// command line itself (commander, parseClassicArgs) asks for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { LONG_WITH_VALUE, LONG_WITHOUT_VALUE, planEarly, WITH_VALUE, WITHOUT_VALUE } from '../../src/startup/early.js';
import { addClassicOptions, addFlowOptions, parseClassicArgs } from '../../src/flags/classic.js';

const res = { ifindex: () => 1 };

/** Receivers as scripts write them: the kernel driver's, grouped flags, attached values, long options, any order. */
const TAKEN: string[][] = [
  ['-4', '-i', 'veth0', '-t', '2', '-C', '2', '-S', '192.168.1.1', '-D', '192.168.1.2', '-r', 'tcp'],
  ['-6', '-i', 'veth0', '-t', '2', '-C', '2', '-S', 'fd::1', '-D', 'fd::2', '-z', '-r', 'udp'],
  ['-4', '-t', '0', '-p', '12100', '-D', '127.0.0.1', '-r', 'tcp'],
  ['-4rD', '10.0.0.1', '-p0x1f40', 'udp'],
  ['tcp', '-r', '-4', '-D127.0.0.1', '-p', '9000', '-vv', '--json'],
  ['-4', '-D', '127.0.0.1', '-r', '--interval', '0.5', '--payload-offset=0', 'raw'],
  ['-4', '-D', '127.0.0.1', '-r', '-I0.5', '-s', '1000', 'udp'],
];

/** Not a classic receiver, or not one this step may open alone. */
const REFUSED: string[][] = [
  ['-4', '-D', '127.0.0.1', 'tcp'], // a sender
  ['-4', '-D', '127.0.0.1', '-r', 'packet'], // refused by the receiver itself
  ['-4', '-D', '127.0.0.1', '-r', 'raw_hdrincl'],
  ['-4', '-D', '127.0.0.1', '-r', '-P', '2', 'tcp'], // flows: children of their own
  ['-4', '-D', '127.0.0.1', '-r', '--flows', '2', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-r', '--shared-fd-table', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-r', '--help', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-r', '-h', 'tcp'],
  ['-4', '-6', '-D', '127.0.0.1', '-r', 'tcp'],
  ['-D', '127.0.0.1', '-r', 'tcp'],
  ['-4', '-r', 'tcp'],
  ['-4', '-D', 'fd::1', '-r', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-p', '0', '-r', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-p', 'x', '-r', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-r', '--bogus', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-r', '-q', 'tcp'],
  ['-4', '-D', '127.0.0.1', '-r', 'tcp', 'udp'],
  ['-4', '-D', '127.0.0.1', '-r', '-p'],
  ['serve', '-4', '-D', '127.0.0.1'],
  ['pair', '-4', '-D', '127.0.0.1', '-r', 'tcp'],
  [],
];

test('the flags it reads past are exactly the classic command\'s, less those it stands aside for', () => {
  const cmd = addFlowOptions(addClassicOptions(new Command('msg-zerocopy')));
  // -P and --shared-fd-table change how the run starts; the receive modes, checks and peer filter added
  // since (--rx, --expect-mapped, --gso, --validate, --peer, --pattern-seed; --hugepages and --bind are a
  // sender's) change what the receiver does with its socket, so the step leaves those receivers to the
  // full command line rather than guess (planEarly returns null for them).
  const standAside = new Set(['--flows', '--cpus', '--shared-fd-table', '--rx', '--expect-mapped', '--gso', '--validate',
    '--hugepages', '--peer', '--pattern-seed', '--bind']);
  const short = { value: new Set<string>(), flag: new Set<string>() };
  const long = { value: new Set<string>(), flag: new Set<string>() };
  for (const o of cmd.options) {
    if ((o.long && standAside.has(o.long)) || o.short === '-P') continue;
    const takes = o.required || o.optional;
    if (o.short) (takes ? short.value : short.flag).add(o.short.slice(1));
    if (o.long && !/^--\d$/.test(o.long)) (takes ? long.value : long.flag).add(o.long);
  }
  // commander names -4 and -6 by their long form only
  for (const o of cmd.options) if (o.long && /^--\d$/.test(o.long)) short.flag.add(o.long.slice(2));
  assert.deepEqual([...WITH_VALUE].sort(), [...short.value].sort());
  assert.deepEqual([...WITHOUT_VALUE].sort(), [...short.flag].sort());
  assert.deepEqual([...LONG_WITH_VALUE].sort(), [...long.value].sort());
  assert.deepEqual([...LONG_WITHOUT_VALUE].sort(), [...long.flag].sort());
});

test('the receivers scripts start are taken, with the socket the command line asks for', () => {
  for (const argv of TAKEN) {
    const plan = planEarly(argv);
    assert.ok(plan, argv.join(' '));
    const cfg = parseClassicArgs(argv, res);
    assert.equal(cfg.rx, true);
    assert.deepEqual([plan.family, plan.test, [...plan.dst], plan.port], [cfg.family, cfg.test, [...cfg.dst], cfg.port], argv.join(' '));
  }
});

test('anything else is left to the normal path', () => {
  for (const argv of REFUSED) assert.equal(planEarly(argv), null, argv.join(' '));
});

test('the receiver takes an early socket only if it is its own; any other is closed', async () => {
  const { AF_INET, SOCK_DGRAM, SOCK_STREAM } = await import('../../src/libc/constants.js');
  const F_GETFD = 1; // <fcntl.h>: fails with EBADF once the descriptor is closed
  const { socket } = await import('../../src/libc/libc.js');
  const { BUILD_ID, publishEarlySocket, takeEarlySocket } = await import('../../src/net/early.js');
  const { koffi } = await import('../../src/libc/koffi.js');
  const fcntl = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number;
  const tcp = { domain: AF_INET, type: SOCK_STREAM, protocol: 0 };
  const dst = new Uint8Array([127, 0, 0, 1]);
  const early = (over: Partial<Parameters<typeof publishEarlySocket>[0]> = {}) => {
    const fd = socket(AF_INET, SOCK_STREAM, 0);
    assert.ok(fd >= 0);
    publishEarlySocket({ build: BUILD_ID, fd, kind: tcp, family: 4, dst: [...dst], port: 9000, ...over });
    return fd;
  };
  const open = (fd: number) => fcntl(fd, F_GETFD, 0) !== -1;

  const mine = early();
  assert.equal(takeEarlySocket(tcp, 4, dst, 9000), mine);
  assert.ok(open(mine));
  assert.equal(takeEarlySocket(tcp, 4, dst, 9000), null, 'taken once');

  for (const [what, over, ask] of [
    ['another port', {}, [tcp, 4, dst, 9001]],
    ['another address', {}, [tcp, 4, new Uint8Array([127, 0, 0, 2]), 9000]],
    ['another kind', {}, [{ ...tcp, type: SOCK_DGRAM }, 4, dst, 9000]],
    ['another build', { build: 'another' }, [tcp, 4, dst, 9000]],
  ] as const) {
    const fd = early(over);
    assert.equal(takeEarlySocket(...(ask as Parameters<typeof takeEarlySocket>)), null, what);
    assert.equal(open(fd), false, `${what}: closed`);
  }
});
