// SPDX-License-Identifier: GPL-2.0-only
// "Did you mean …?" for a mistyped word: the candidates closest by edit
// distance (insertions, deletions, substitutions and swaps of neighbours).

/** Optimal string alignment distance between a and b. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest candidates (ties kept, in their order), when close enough to be a typo; else []. */
export function closest(word: string, candidates: readonly string[]): string[] {
  const w = word.toLowerCase();
  let best = Infinity;
  let out: string[] = [];
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase());
    // A typo changes at most about a third of the word (and at least one letter may change).
    if (dist > Math.max(1, Math.floor(c.length / 3))) continue;
    if (dist < best) {
      best = dist;
      out = [c];
    } else if (dist === best) {
      out.push(c);
    }
  }
  return out;
}

/** " (did you mean x?)" / " (did you mean x or y?)", or ''. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c.length ? `did you mean ${c.join(' or ')}?` : '';
}
