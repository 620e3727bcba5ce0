// SPDX-License-Identifier: GPL-2.0-only
// CSV (RFC 4180): a header line, then one line per row; fields with a comma,
// a quote or a line break are quoted, quotes doubled; null is an empty field;
// numbers at full precision.

export type CsvValue = string | number | boolean | null;

export function csvField(v: CsvValue): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CRLF line ends, as RFC 4180 says. */
export function toCsv(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
