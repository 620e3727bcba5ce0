// SPDX-License-Identifier: GPL-2.0-only
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEthHeader, buildIPv4Header, buildIPv6Header, fillPayload, ipChecksum, matchesPayload } from '../../src/net/headers.js';
import { parseIPv4, parseIPv6 } from '../../src/net/address.js';

test('IPv4 checksum of a known header (RFC 1071 example from Wikipedia)', () => {
  const h = Uint8Array.from([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
    0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7]);
  assert.equal(ipChecksum(h, 0, 20), 0xb861);
  h[10] = 0xb8; h[11] = 0x61;
  assert.equal(ipChecksum(h, 0, 20), 0); // a header with its checksum sums to zero
});

test('checksum of an odd length pads with a zero byte', () => {
  assert.equal(ipChecksum(Uint8Array.of(0x01), 0, 1), 0xfeff);
});

test('IPv4 header fields', () => {
  const b = new Uint8Array(30);
  const n = buildIPv4Header(b, 4, parseIPv4('192.168.1.1')!, parseIPv4('192.168.1.2')!, 65435);
  assert.equal(n, 20);
  const h = b.subarray(4, 24);
  assert.equal(h[0], 0x45);
  assert.equal((h[2] << 8) | h[3], 65455);
  assert.equal(h[8], 2); // ttl
  assert.equal(h[9], 8); // IPPROTO_EGP
  assert.deepEqual([...h.subarray(12, 16)], [192, 168, 1, 1]);
  assert.deepEqual([...h.subarray(16, 20)], [192, 168, 1, 2]);
  assert.equal(ipChecksum(h, 0, 20), 0);
});

test('IPv6 header fields', () => {
  const b = new Uint8Array(40);
  buildIPv6Header(b, 0, parseIPv6('fd::1')!, parseIPv6('fd::2')!, 1000);
  assert.equal(b[0] >> 4, 6);
  assert.equal((b[4] << 8) | b[5], 1000);
  assert.equal(b[6], 8);
  assert.equal(b[7], 2);
  assert.equal(b[8], 0x00); assert.equal(b[9], 0xfd); assert.equal(b[23], 1);
  assert.equal(b[24], 0x00); assert.equal(b[25], 0xfd); assert.equal(b[39], 2);
});

test('Ethernet header', () => {
  const b = new Uint8Array(14);
  buildEthHeader(b, 0, 0x86dd);
  assert.deepEqual([...b], [6, 6, 6, 6, 6, 6, 2, 2, 2, 2, 2, 2, 0x86, 0xdd]);
});

test('payload pattern', () => {
  const b = new Uint8Array(60);
  fillPayload(b, 0, 60);
  assert.equal(String.fromCharCode(...b.subarray(0, 28)), 'abcdefghijklmnopqrstuvwxyzab');
  assert.equal(matchesPayload(b, 0, 60), true);
  b[59] = 0;
  assert.equal(matchesPayload(b, 0, 60), false);
});

test('address parsing follows inet_pton', () => {
  assert.deepEqual([...parseIPv4('10.0.0.255')!], [10, 0, 0, 255]);
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '', '1.2.3.4 ']) assert.equal(parseIPv4(bad), null, bad);
  assert.deepEqual([...parseIPv6('::')!], new Array(16).fill(0));
  assert.deepEqual([...parseIPv6('fd::2')!], [0, 0xfd, ...new Array(13).fill(0), 2]);
  assert.deepEqual([...parseIPv6('::ffff:1.2.3.4')!], [...new Array(10).fill(0), 0xff, 0xff, 1, 2, 3, 4]);
  assert.deepEqual([...parseIPv6('1:2:3:4:5:6:7:8')!], [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  for (const bad of ['1::2::3', ':::', '12345::', '1:2:3:4:5:6:7:8:9', 'fd::g', '192.168.1.1', '1:2:3:4:5:6:7']) {
    assert.equal(parseIPv6(bad), null, bad);
  }
});
