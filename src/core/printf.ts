// SPDX-License-Identifier: GPL-2.0-only
// Numbers as C's printf prints them, for the lines of the kernel programs we stand in for.

/** %g: six significant digits by default, as printf prints a double. */
export function formatG(x: number, precision = 6): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const [m, ex] = x.toExponential(precision - 1).split('e');
  const e = Number(ex);
  const strip = (t: string): string => (t.includes('.') ? t.replace(/\.?0+$/, '') : t);
  if (e < -4 || e >= precision) return `${strip(m)}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return strip(x.toFixed(precision - 1 - e));
}
