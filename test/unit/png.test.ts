// SPDX-License-Identifier: GPL-2.0-only
// The test helper that reads screenshots: a PNG made here byte by byte (every
// filter type) decodes to the pixels it was made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { colourCounts, decodePng, rgbAt } from '../support/png.js';

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** A 3×5 RGB image; row y uses filter y (0 none, 1 sub, 2 up, 3 average, 4 Paeth). */
function makePng(pixels: number[][][]): Buffer {
  const h = pixels.length;
  const w = pixels[0].length;
  const raw: number[] = [];
  const px = (x: number, y: number, c: number): number => (x < 0 || y < 0 ? 0 : pixels[y][x][c]);
  for (let y = 0; y < h; y++) {
    const f = y % 5;
    raw.push(f);
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const v = px(x, y, c);
        const a = px(x - 1, y, c);
        const b = px(x, y - 1, c);
        const cc = px(x - 1, y - 1, c);
        const p = a + b - cc;
        const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - cc) ? a : Math.abs(p - b) <= Math.abs(p - cc) ? b : cc;
        const pred = [0, a, b, (a + b) >> 1, paeth][f];
        raw.push((v - pred) & 0xff);
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(raw))), chunk('IEND', Buffer.alloc(0))]);
}

test('PNG decoder: every filter type gives back the pixels', () => {
  const pixels = Array.from({ length: 5 }, (_, y) => Array.from({ length: 3 }, (_, x) => [(x * 90 + y * 7) % 256, (y * 60 + 200) % 256, (x * y * 37 + 13) % 256]));
  const img = decodePng(makePng(pixels));
  assert.equal(img.width, 3);
  assert.equal(img.height, 5);
  assert.equal(img.channels, 3);
  for (let y = 0; y < 5; y++) for (let x = 0; x < 3; x++) assert.deepEqual(rgbAt(img, x, y), pixels[y][x], `${x},${y}`);
  assert.equal(colourCounts(img).size, 15);
  assert.throws(() => decodePng(Buffer.from('not a png at all')), /not a PNG/);
});
