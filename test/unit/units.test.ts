// SPDX-License-Identifier: GPL-2.0-only
// Units: SI in text (kB = 1000 B, GB/s = 1e9 B/s, Gbit/s), iperf3's size
// suffixes on input (K = 1024).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBitRate, formatByteRate, formatBytes, formatSize, parseSize, sig } from '../../src/core/units.js';

test('SI bytes and rates', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(8080000000), '8.08 GB');
  assert.equal(formatBytes(65435), '65.4 kB');
  assert.equal(formatBytes(1048576), '1.0 MB', 'MB is 1e6 bytes here, not 2^20');
  assert.equal(formatBytes(null), '-');
  assert.equal(formatByteRate(6.73e9), '6.73 GB/s');
  assert.equal(formatByteRate(120.44e6), '120.4 MB/s');
  assert.equal(formatByteRate(999), '999 B/s');
  assert.equal(formatBitRate(6.73e9 * 8), '53.8 Gbit/s');
  assert.equal(formatBitRate(963e6), '963 Mbit/s');
  assert.equal(formatBitRate(null), '-');
  assert.equal(formatSize(1000), '1 kB');
  assert.equal(formatSize(65435), '65.4 kB');
  assert.equal(formatSize(500), '500 B');
  assert.equal(sig(0.045234), '0.0452');
});

test('sizes follow iperf3: K, M, G are powers of 1024, either case', () => {
  assert.equal(parseSize('--sizes', '64K', 1, 1 << 30), 65536);
  assert.equal(parseSize('--sizes', '4k', 1, 65435), 4096);
  assert.equal(parseSize('--sizes', '1.5K', 1, 65435), 1536);
  assert.equal(parseSize('--sizes', '1M', 1, 1 << 30), 1048576);
  assert.equal(parseSize('--sizes', '1g', 1, 2 ** 31), 1073741824);
  assert.equal(parseSize('--sizes', '4000', 1, 65435), 4000, 'no suffix: bytes');
  assert.equal(parseSize('--sizes', '0x10', 1, 65435), 16);
  assert.throws(() => parseSize('--sizes', '64K', 1, 65435), /^Error: --sizes: '64K' \(65536 bytes\) is out of range 1\.\.65435$/);
  assert.throws(() => parseSize('--sizes', '0.1K', 1, 65435), /102\.4 bytes, not a whole number/);
  assert.throws(() => parseSize('--sizes', '4kb', 1, 65435), /not a size/);
  assert.throws(() => parseSize('--sizes', '-1', 1, 65435), /not a size/);
  assert.throws(() => parseSize('--sizes', '0', 1, 65435), /out of range/);
});
