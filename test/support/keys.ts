// SPDX-License-Identifier: GPL-2.0-only
// The shape of a JSON document without its values: for every object in it,
// its path (array elements as []) and its keys in order. Two documents of
// the same kind have the same shape when their writers are unchanged, so the
// golden test compares shapes, not numbers that differ from run to run.

/** path → the key lists seen there, in first-seen order (elements of one array may differ: an error entry, a missing side). */
export type Shape = Record<string, string[][]>;

export function shapeOf(doc: unknown): Shape {
  const out: Shape = {};
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      for (const e of v) walk(e, `${path}[]`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const keys = Object.keys(v);
    const seen = (out[path] ??= []);
    if (!seen.some((k) => k.join('\0') === keys.join('\0'))) seen.push(keys);
    for (const k of keys) walk((v as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`);
  };
  walk(doc, '');
  return out;
}

/**
 * Where `now` departs from `golden`: every key list `now` has at a path must
 * be one the golden document had there, and every path of the golden
 * document must still be there (a renamed or lost object). Lines, empty when
 * the shapes agree.
 */
export function shapeDiff(golden: Shape, now: Shape): string[] {
  const out: string[] = [];
  const show = (p: string) => (p === '' ? '(top)' : p);
  for (const [path, lists] of Object.entries(now)) {
    const want = golden[path];
    if (!want) {
      out.push(`${show(path)}: new object`);
      continue;
    }
    for (const keys of lists) {
      if (!want.some((w) => w.join('\0') === keys.join('\0'))) {
        out.push(`${show(path)}: keys [${keys.join(', ')}], golden [${want.map((w) => w.join(', ')).join('] or [')}]`);
      }
    }
  }
  for (const path of Object.keys(golden)) if (!now[path]) out.push(`${show(path)}: missing`);
  return out;
}
