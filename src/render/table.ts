// SPDX-License-Identifier: GPL-2.0-only
// Text tables that fit a width (the terminal's): columns as wide as their
// content when that fits; otherwise cells (and headers) wrap at spaces
// (a parenthesised group stays on one line), then
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

/** Words to wrap at: spaces split them, except inside parentheses ("(8.08 GB)" stays whole). */
export function words(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ' ' && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Greedy word wrap to `width`; words longer than the width are broken. Prose (groups: false) wraps at every space. */
export function wrapText(s: string, width: number, groups = true): string[] {
  if (textWidth(s) <= width) return [s];
  const out: string[] = [];
  let line = '';
  // a group too long for the width wraps at its own spaces
  const split = (groups ? words(s) : s.split(' ')).flatMap((w) => (textWidth(w) > width && w.includes(' ') ? w.split(' ') : [w]));
  for (const w of split.filter(Boolean)) {
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
  const longestWord = (i: number, split: (t: string) => string[]): number => Math.max(1, ...cells(i).flatMap(split).map(textWidth));
  const total = (w: number[]): number => w.reduce((a, b) => a + b, 0) + gap * Math.max(0, w.length - 1);

  /** Narrow the columns, one step at a time, to the width or to `bound`: each step the column whose narrowing adds the fewest lines (the widest on a tie). */
  const narrow = (widths: number[], bound: number[]): void => {
    const texts = keep.map(cells);
    const height = (w: number[]): number => texts[0].reduce((sum, _, r) =>
      sum + Math.max(...texts.map((col, j) => wrapText(col[r], w[j]).length)), 0);
    while (total(widths) > width) {
      let best = -1;
      let bestCost = Infinity;
      const now = height(widths);
      for (let j = 0; j < widths.length; j++) {
        if (widths[j] <= bound[j]) continue;
        widths[j]--;
        const cost = height(widths) - now;
        widths[j]++;
        if (cost < bestCost || (cost === bestCost && widths[j] > widths[best])) { best = j; bestCost = cost; }
      }
      if (best < 0) return;
      widths[best]--;
    }
  };

  let widths = keep.map(natural);
  for (;;) {
    widths = keep.map(natural);
    if (total(widths) <= width) break;
    // 1. wrap cells at spaces outside parentheses
    const mins = keep.map((i) => longestWord(i, words));
    if (total(mins) <= width) { narrow(widths, mins); break; }
    // 2. leave out the least important column
    const candidates = keep.filter((i) => columns[i].drop !== undefined);
    if (candidates.length) {
      const out = candidates.reduce((a, b) => (columns[b].drop! < columns[a].drop! ? b : a));
      dropped.push(columns[out].title);
      keep = keep.filter((i) => i !== out);
      continue;
    }
    // 3. wrap at every space; 4. break words
    const plain = keep.map((i) => longestWord(i, (t) => t.split(' ')));
    narrow(widths, total(plain) <= width ? plain : keep.map(() => 1));
    break;
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
  return wrapText(note, width, false).join('\n');
}

/** Text fitted to a width: each longer line wrapped at spaces, its continuation lines indented. */
export function fitText(text: string, width: number, indent = 2): string {
  if (!Number.isFinite(width)) return text;
  return text.split('\n').flatMap((line) => {
    if (textWidth(line) <= width) return [line];
    const [first, ...rest] = wrapText(line, width, false);
    return rest.length ? [first, ...wrapText(rest.join(' '), width - indent, false).map((l) => ' '.repeat(indent) + l)] : [first];
  }).join('\n');
}
