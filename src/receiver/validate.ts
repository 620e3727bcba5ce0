// SPDX-License-Identifier: GPL-2.0-only
// --validate: every byte of a received datagram checked against the
// sender's pattern ('a' + i % 26, from whichever letter the datagram starts
// with: a GSO segment starts mid-pattern), by comparing it with a copy of the
// pattern (memcmp speed); a mismatch is found byte by byte, counted, and its
// first few positions kept. The time spent is measured, so the report can
// show what validation costs.
import { fillPayload } from '../net/headers.js';

/** Mismatches remembered with their place (the count goes on). */
const KEEP = 8;

export interface Mismatch {
  /** Datagram number (from 0) and byte offset in it. */
  datagram: number;
  offset: number;
  got: number;
  want: number;
}

/** Where in the pattern a datagram starts: its first byte, unless the second says that one is wrong. */
function startLetter(buf: Uint8Array, len: number): number {
  const letter = (b: number): number => (b >= 0x61 && b <= 0x7a ? b - 0x61 : -1);
  const c0 = letter(buf[0]);
  const c1 = len > 1 ? letter(buf[1]) : -1;
  if (c1 >= 0 && (c0 < 0 || (c0 + 1) % 26 !== c1)) return (c1 + 25) % 26;
  return c0 >= 0 ? c0 : 0;
}

export class PatternValidator {
  datagrams = 0;
  bytes = 0;
  /** Datagrams with at least one wrong byte, and wrong bytes in all. */
  badDatagrams = 0;
  badBytes = 0;
  readonly first: Mismatch[] = [];
  /** Time spent validating, ns. */
  ns = 0;
  private readonly pattern: Buffer;

  constructor(maxLen: number) {
    this.pattern = Buffer.alloc(maxLen + 26);
    fillPayload(this.pattern, 0, this.pattern.length);
  }

  /** Check `len` bytes of `buf` (a view of the receive buffer, made once). */
  check(buf: Uint8Array, len: number): void {
    const t0 = performance.now();
    const n = this.datagrams++;
    this.bytes += len;
    if (len > 0) {
      const start = startLetter(buf, len);
      // pattern[start, start + len) against buf[0, len): memcmp, no allocation.
      if (this.pattern.compare(buf, 0, len, start, start + len) !== 0) this.slowPath(buf.subarray(0, len), start, n);
    }
    this.ns += (performance.now() - t0) * 1e6;
  }

  private slowPath(got: Uint8Array, start: number, datagram: number): void {
    this.badDatagrams++;
    for (let i = 0; i < got.length; i++) {
      const want = this.pattern[start + i];
      if (got[i] === want) continue;
      this.badBytes++;
      if (this.first.length < KEEP) this.first.push({ datagram, offset: i, got: got[i], want });
    }
  }

  /** `validate: 1203 datagrams, 74.4 MB checked, 0 wrong bytes; 0.21 ns/byte` and, on a mismatch, where. */
  line(): string {
    const mb = (this.bytes / 1e6).toFixed(1);
    const perByte = this.bytes > 0 ? (this.ns / this.bytes).toFixed(2) : '0';
    let s = `validate: ${this.datagrams} datagrams, ${mb} MB checked, ${this.badBytes} wrong bytes in ${this.badDatagrams} datagrams; ` +
      `${perByte} ns/byte (${(this.ns / 1e6).toFixed(1)} ms)`;
    const f = this.first[0];
    if (f) s += `; first: datagram ${f.datagram} offset ${f.offset}: 0x${f.got.toString(16)} != 0x${f.want.toString(16)}`;
    return s;
  }

  toJSON() {
    return {
      datagrams: this.datagrams, bytes: this.bytes, badDatagrams: this.badDatagrams, badBytes: this.badBytes,
      mismatches: this.first, ns: this.ns, nsPerByte: this.bytes > 0 ? this.ns / this.bytes : null,
    };
  }
}

/**
 * --validate on a tcp stream from the classic sender: each sendmsg sends the
 * payload from its start ('a'), so the stream is payloads of -s bytes one
 * after the other, except after a short send, where the next payload starts
 * over early. Compared in chunks against the pattern (memcmp); a byte that
 * breaks the pattern is a payload starting over when it is 'a' (counted as
 * a restart), else a mismatch (counted, placed by stream offset).
 */
export class StreamValidator {
  bytes = 0;
  badBytes = 0;
  restarts = 0;
  readonly first: Array<{ offset: number; got: number; want: number }> = [];
  ns = 0;
  /** Position within the current payload. */
  private pos = 0;
  private readonly pattern: Buffer;

  constructor(private readonly payloadLen: number) {
    this.pattern = Buffer.alloc(Math.max(payloadLen, 1));
    fillPayload(this.pattern, 0, this.pattern.length);
  }

  check(buf: Uint8Array, len: number): void {
    const t0 = performance.now();
    const L = this.payloadLen;
    let i = 0;
    while (i < len) {
      const n = Math.min(len - i, L - this.pos);
      if (this.pattern.compare(buf, i, i + n, this.pos, this.pos + n) === 0) {
        i += n;
        this.pos += n;
      } else {
        // Find the first differing byte, then decide what it is.
        while (buf[i] === this.pattern[this.pos]) {
          i++;
          this.pos++;
        }
        if (buf[i] === 0x61) {
          this.restarts++;
        } else {
          this.badBytes++;
          if (this.first.length < KEEP) this.first.push({ offset: this.bytes + i, got: buf[i], want: this.pattern[this.pos] });
        }
        this.pos = buf[i] === 0x61 ? 1 : this.pos + 1;
        i++;
      }
      if (this.pos >= L) this.pos = 0;
    }
    this.bytes += len;
    this.ns += (performance.now() - t0) * 1e6;
  }

  line(): string {
    const perByte = this.bytes > 0 ? (this.ns / this.bytes).toFixed(2) : '0';
    let s = `validate: ${(this.bytes / 1e6).toFixed(1)} MB checked, ${this.badBytes} wrong bytes, ${this.restarts} payloads started early; ` +
      `${perByte} ns/byte (${(this.ns / 1e6).toFixed(1)} ms)`;
    const f = this.first[0];
    if (f) s += `; first at stream offset ${f.offset}: 0x${f.got.toString(16)} != 0x${f.want.toString(16)}`;
    return s;
  }

  toJSON() {
    return { bytes: this.bytes, badBytes: this.badBytes, restarts: this.restarts, mismatches: this.first, ns: this.ns,
      nsPerByte: this.bytes > 0 ? this.ns / this.bytes : null };
  }
}
