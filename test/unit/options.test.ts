// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClassicArgs } from '../../src/flags/classic.js';
import { parseInteger } from '../../src/core/numbers.js';
import { UsageError } from '../../src/core/errors.js';

const res = { ifindex: (name: string) => (name === 'veth0' ? 7 : 0) };
const parse = (...argv: string[]) => parseClassicArgs(argv, res);
const rejects = (argv: string[], pattern: RegExp) => {
  assert.throws(() => parse(...argv), (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    assert.equal(e.exitCode, 1);
    assert.match(e.line, pattern);
    assert.ok(!e.line.includes('\n'), 'one line');
    return true;
  });
};

test('defaults match the selftest', () => {
  const c = parse('-4', '-D', '192.168.1.2', 'tcp');
  assert.equal(c.family, 4);
  assert.equal(c.test, 'tcp');
  assert.equal(c.port, 8000);
  assert.equal(c.payloadLen, 65435);
  assert.equal(c.runtimeMs, 4200);
  assert.equal(c.notificationLimit, 32);
  assert.equal(c.cork, 0);
  assert.equal(c.cpu, null);
  assert.equal(c.ifindex, 1);
  assert.equal(c.verbose, 0);
  assert.equal(c.zerocopy, false);
  assert.equal(c.expectZerocopy, -1);
  assert.equal(c.rx, false);
  assert.equal(c.payloadOffset, 0x1a0); // where the selftest's static payload lies in its page
  assert.deepEqual([...c.src], [0, 0, 0, 0]);
  assert.deepEqual([...c.dst], [192, 168, 1, 2]);
});

test('every flag, as the namespace driver passes them', () => {
  const c = parse('-6', '-i', 'veth0', '-t', '2', '-C', '3', '-S', 'fd::1', '-D', 'fd::2', '-z', '-r', '-l', '64',
    '-p', '9000', '-s', '1000', '-v', '-Z', '1', '--json', 'udp');
  assert.equal(c.family, 6);
  assert.equal(c.ifindex, 7);
  assert.equal(c.runtimeMs, 2200);
  assert.equal(c.cpu, 3);
  assert.equal(c.src[15], 1);
  assert.equal(c.dst[15], 2);
  assert.equal(c.zerocopy, true);
  assert.equal(c.rx, true);
  assert.equal(c.notificationLimit, 64);
  assert.equal(c.port, 9000);
  assert.equal(c.payloadLen, 1000);
  assert.equal(c.verbose, 1);
  assert.equal(c.expectZerocopy, 1);
  assert.equal(c.json, true);
});

test('--payload-offset places the payload within a page', () => {
  assert.equal(parse('-4', '-D', '1.1.1.1', '--payload-offset', '0', 'tcp').payloadOffset, 0);
  assert.equal(parse('-4', '-D', '1.1.1.1', '--payload-offset=0x800', 'tcp').payloadOffset, 2048);
});

test('--shared-fd-table keeps the table shared; the default asks for a private one', () => {
  assert.equal(parse('-4', '-D', '1.1.1.1', 'udp').sharedFdTable, false);
  assert.equal(parse('-4', '-D', '1.1.1.1', '--shared-fd-table', 'udp').sharedFdTable, true);
});

test('grouped flags, attached values, any order, 0x numbers', () => {
  const c = parse('udp', '-zvv', '-t1', '-4', '-D192.168.1.2', '-c', '0x4', '-m', '-s0x100');
  assert.equal(c.verbose, 2);
  assert.equal(c.zerocopy, true);
  assert.equal(c.runtimeMs, 1200);
  assert.equal(c.cork, 4);
  assert.equal(c.corkMixed, true);
  assert.equal(c.payloadLen, 256);
  assert.equal(c.test, 'udp');
  const d = parse('-4zr', '-D', '127.0.0.1', 'tcp');
  assert.equal(d.family, 4);
  assert.equal(d.zerocopy, true);
  assert.equal(d.rx, true);
  assert.equal(parse('-4', '-D', '1.1.1.1', '-s', '010', 'udp').payloadLen, 8); // strtoul base 0: octal
  assert.equal(parse('-4', '-D', '1.1.1.1', '-s', '0', 'udp').payloadLen, 0); // as the C tool: empty sends
});

test('parseNumber follows strtol base 0 and rejects junk', () => {
  assert.equal(parseInteger('0x1F', 'x', 0, 100), 31);
  assert.equal(parseInteger('017', 'x', 0, 100), 15);
  assert.equal(parseInteger('0', 'x', 0, 100), 0);
  assert.equal(parseInteger('09', 'x', 0, 100, true), 9);
  assert.throws(() => parseInteger('12abc', 'x', 0, 100), /not a number/);
  assert.throws(() => parseInteger('-1', 'x', 0, 100), /negative/);
  assert.throws(() => parseInteger('101', 'x', 0, 100), /out of range/);
});

test('usage errors: one line, exit status 1', () => {
  rejects(['-D', '1.2.3.4', 'tcp'], /Pass one of -4 or -6/);
  rejects(['-4', '-6', '-D', '1.2.3.4', 'tcp'], /Pass one of -4 or -6/);
  rejects(['-4', '-4', '-D', '1.2.3.4', 'tcp'], /Pass one of -4 or -6/);
  rejects(['-4', 'tcp'], /-D <addr> is required/);
  rejects(['-4', '-D', 'fd::1', 'tcp'], /ipv4 parse error: fd::1/);
  rejects(['-6', '-D', '10.0.0.1', 'tcp'], /ipv6 parse error: 10\.0\.0\.1/);
  rejects(['-4', '-D', '1.2.3.4', '-S', 'nope', 'tcp'], /ipv4 parse error: nope/);
  rejects(['-4', '-D', '1.2.3.4', 'sctp'], /unknown cfg_test sctp/);
  rejects(['-4', '-D', '1.2.3.4'], /Usage: msg-zerocopy \[options\] <test>/);
  rejects(['-4', '-D', '1.2.3.4', 'tcp', 'udp'], /too many arguments/);
  rejects(['-4', '-D', '1.2.3.4', '-p', '0', 'tcp'], /-p: 0 is out of range.*1 to 65535/);
  rejects(['-4', '-D', '1.2.3.4', '-p', '70000', 'tcp'], /-p: 70000 is out of range/);
  rejects(['-4', '-D', '1.2.3.4', '-s', '65436', 'tcp'], /-s: 65436 is out of range.*0 to 65435/);
  rejects(['-4', '-D', '1.2.3.4', '-t', 'x', 'tcp'], /-t: not a number/);
  rejects(['-4', '-D', '1.2.3.4', '-l', '-5', 'tcp'], /-l: negative value/);
  rejects(['-4', '-D', '1.2.3.4', '-m', 'udp'], /-m: cork_mixed requires corking and zerocopy/);
  rejects(['-4', '-D', '1.2.3.4', '-m', '-c', '4', 'udp'], /-m: cork_mixed requires corking and zerocopy/);
  rejects(['-4', '-D', '1.2.3.4', '-c', '4', 'tcp'], /can only cork udp sockets/);
  rejects(['-4', '-D', '1.2.3.4', '-c', '4', 'packet'], /can only cork udp sockets/);
  rejects(['-4', '-D', '1.2.3.4', '-i', 'nosuch0', 'packet'], /invalid iface: nosuch0/);
  rejects(['-4', '-D', '1.2.3.4', '-Z', '2', 'udp'], /-Z: expected 0 or 1/);
  rejects(['-4', '-D', '1.2.3.4', '-q', 'udp'], /unknown option '-q'/);
  rejects(['-4', '-D', '1.2.3.4', '--payload-offset', '4096', 'udp'], /--payload-offset: 4096 is out of range.*0 to 4095/);
  rejects(['-4', '-D', '1.2.3.4', 'udp', '-t'], /argument missing/);
});
