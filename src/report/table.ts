// SPDX-License-Identifier: GPL-2.0-only
// Text tables that fit a width (the terminal's): columns as wide as their
// content when that fits; otherwise cells (and headers) wrap at spaces, then
// the least important columns are left out (and the caller is told which),
// and as a last resort words are broken. A row is never broken across the
// terminal's own line wrap: every line is at most `width` columns.

export interface Column {
  title: string;
  /** Numbers right, text left (default). */
  align?: 'left' | 'right';
  /** Left out when the table does not fit, lowest number first; never when absent. */
  drop?: number;
}

export interface FitOptions {
  /** Columns available; Infinity (the default) for no limit. */
  width?: number;
  /** Spaces between columns (default 2). */
  gap?: number;
}

export interface FittedTable {
  lines: string[];
  /** Titles of the columns left out to fit. */
  dropped: string[];
}

/** Display width of a string (code points: the tables use no wide characters). */
export const textWidth = (s: string): number => [...s].length;

/** The width to fit: a terminal's columns, else $COLUMNS, else no limit. */
export function outputWidth(stream: { columns?: number; isTTY?: boolean } = process.stdout): number {
  if (stream.isTTY && stream.columns && stream.columns > 0) return stream.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : Infinity;
}

const words = (s: string): string[] => s.split(' ').filter(Boolean);

/** Greedy word wrap to `width`; words longer than the width are broken. */
export function wrapText(s: string, width: number): string[] {
  if (textWidth(s) <= width) return [s];
  const out: string[] = [];
  let line = '';
  for (const w of words(s)) {
    let word = w;
    while (textWidth(word) > width) {
      if (line) { out.push(line); line = ''; }
      const cp = [...word];
      out.push(cp.slice(0, width).join(''));
      word = cp.slice(width).join('');
    }
    if (!word) continue;
    if (!line) line = word;
    else if (textWidth(line) + 1 + textWidth(word) <= width) line += ` ${word}`;
    else { out.push(line); line = word; }
  }
  if (line) out.push(line);
  return out.length ? out : [''];
}

/** Lay out a table within o.width. Rows have one cell per column. */
export function fitTable(columns: Column[], rows: string[][], o: FitOptions = {}): FittedTable {
  const width = o.width ?? Infinity;
  const gap = o.gap ?? 2;
  let keep = columns.map((_, i) => i);
  const dropped: string[] = [];
  const cells = (i: number): string[] => [columns[i].title, ...rows.map((r) => r[i] ?? '')];
  const natural = (i: number): number => Math.max(...cells(i).map(textWidth));
  const longestWord = (i: number): number => Math.max(1, ...cells(i).flatMap(words).map(textWidth));
  const total = (w: number[]): number => w.reduce((a, b) => a + b, 0) + gap * Math.max(0, w.length - 1);

  let widths = keep.map(natural);
  for (;;) {
    widths = keep.map(natural);
    if (total(widths) <= width) break;
    const mins = keep.map(longestWord);
    if (total(mins) <= width) {
      // wrap: narrow the column with the most room above its longest word, one column at a time
      while (total(widths) > width) {
        let best = -1;
        for (let j = 0; j < widths.length; j++) {
          if (widths[j] > mins[j] && (best < 0 || widths[j] - mins[j] > widths[best] - mins[best])) best = j;
        }
        widths[best]--;
      }
      break;
    }
    const candidates = keep.filter((i) => columns[i].drop !== undefined);
    if (!candidates.length) {
      // last resort: break words, narrowing the widest column (never below 1)
      while (total(widths) > width) {
        let best = 0;
        for (let j = 1; j < widths.length; j++) if (widths[j] > widths[best]) best = j;
        if (widths[best] <= 1) break;
        widths[best]--;
      }
      break;
    }
    const out = candidates.reduce((a, b) => (columns[b].drop! < columns[a].drop! ? b : a));
    dropped.push(columns[out].title);
    keep = keep.filter((i) => i !== out);
  }

  const render = (texts: string[], header: boolean): string[] => {
    const wrapped = texts.map((t, j) => wrapText(t, widths[j]));
    const height = Math.max(...wrapped.map((w) => w.length));
    const lines: string[] = [];
    for (let k = 0; k < height; k++) {
      lines.push(wrapped.map((w, j) => {
        // headers sit on their last line, cells start on the first
        const at = header ? k - (height - w.length) : k;
        const t = at >= 0 && at < w.length ? w[at] : '';
        const pad = ' '.repeat(Math.max(0, widths[j] - textWidth(t)));
        return columns[keep[j]].align === 'right' ? pad + t : t + pad;
      }).join(' '.repeat(gap)).trimEnd());
    }
    return lines;
  };
  const lines = render(keep.map((i) => columns[i].title), true);
  for (const r of rows) lines.push(...render(keep.map((i) => r[i] ?? ''), false));
  return { lines, dropped };
}

/** A note under a table that had to leave columns out (wrapped to the width), or null. */
export function droppedNote(dropped: string[], width: number): string | null {
  if (!dropped.length) return null;
  const note = `(left out to fit ${width} columns: ${dropped.join(', ')}; a wider terminal or --json shows them)`;
  return wrapText(note, width).join('\n');
}
