// SPDX-License-Identifier: GPL-2.0-only
// One unit convention for everything new (the classic tx=/rx= lines keep the
// C tool's MB = 2^20): rates and sizes in text are SI (1 kB = 1000 B, GB/s =
// 1e9 bytes/s, Gbit/s = 1e9 bits/s); size arguments follow iperf3, where the
// suffixes K, M and G are powers of 1024 (64K = 65536).

const trim = (v: number, digits: number): string => String(Number(v.toFixed(digits)));

/** Three significant digits, without exponent for ordinary values. */
export function sig(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return v.toFixed(0);
  if (a >= 0.001) return String(Number(v.toPrecision(3)));
  return v.toExponential(1);
}

/** Bytes in SI units: "512 B", "8.1 kB", "65.4 kB", "8.08 GB". */
export function formatBytes(n: number | null): string {
  if (n === null) return '-';
  const a = Math.abs(n);
  if (a >= 1e12) return `${(n / 1e12).toFixed(2)} TB`;
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** Bytes per second in SI units: "6.73 GB/s", "120.4 MB/s", "3.2 kB/s". */
export function formatByteRate(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null) return '-';
  const a = Math.abs(bytesPerSecond);
  if (a >= 1e9) return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
  if (a >= 1e6) return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  if (a >= 1e3) return `${(bytesPerSecond / 1e3).toFixed(1)} kB/s`;
  return `${trim(bytesPerSecond, 0)} B/s`;
}

/** Bits per second in SI units: "53.8 Gbit/s", "963 Mbit/s". */
export function formatBitRate(bitsPerSecond: number | null): string {
  if (bitsPerSecond === null) return '-';
  const a = Math.abs(bitsPerSecond);
  if (a >= 1e9) return `${sig(bitsPerSecond / 1e9)} Gbit/s`;
  if (a >= 1e6) return `${sig(bitsPerSecond / 1e6)} Mbit/s`;
  if (a >= 1e3) return `${sig(bitsPerSecond / 1e3)} kbit/s`;
  return `${sig(bitsPerSecond)} bit/s`;
}

/** A payload size for an axis or a label: "500 B", "1 kB", "65.4 kB" (SI). */
export function formatSize(bytes: number): string {
  if (bytes >= 1e6) return `${trim(bytes / 1e6, 1)} MB`;
  if (bytes >= 1e3) return `${trim(bytes / 1e3, 1)} kB`;
  return `${trim(bytes, 0)} B`;
}

const POWERS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A byte count as iperf3 reads one: a whole number (decimal or 0x hex) or a
 * number with the suffix K, M or G (either case), which multiply by 1024,
 * 1024² and 1024³ ("64K" = 65536, "1.5K" = 1536). The result must be a whole
 * number from min to max. `name` starts the error message.
 */
export function parseSize(name: string, text: string, min: number, max: number): number {
  const t = text.trim();
  let v: number;
  const m = /^(\d+(?:\.\d+)?)([kmg])$/i.exec(t);
  if (m) v = Number(m[1]) * POWERS[m[2].toLowerCase()];
  else if (/^0x[0-9a-f]+$/i.test(t)) v = parseInt(t, 16);
  else if (/^\d+$/.test(t)) v = Number(t);
  else throw new Error(`${name}: '${text}' is not a size (a whole number of bytes, or with K, M, G = 1024, 1024², 1024³)`);
  if (!Number.isInteger(v)) throw new Error(`${name}: '${text}' is ${v} bytes, not a whole number`);
  if (v < min || v > max) {
    throw new Error(`${name}: '${text}'${m ? ` (${v} bytes)` : ''} is out of range ${min}..${max}`);
  }
  return v;
}
