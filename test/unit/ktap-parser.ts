// SPDX-License-Identifier: GPL-2.0-only
// A small, strict KTAP v1 parser (Documentation/dev-tools/ktap.rst) for the
// tests: version line, plan, result lines with optional directive, and
// diagnostic lines. It throws on anything a kselftest runner would reject.

export interface KtapResult {
  ok: boolean;
  number: number;
  name: string;
  directive: 'SKIP' | 'TODO' | null;
  reason: string | null;
  /** Diagnostic lines ("# …") seen since the previous result line. */
  diagnostics: string[];
}

export interface KtapDocument {
  version: number;
  plan: number;
  results: KtapResult[];
  /** Diagnostics after the last result line (e.g. "# Totals: …"). */
  trailer: string[];
  totals: Record<string, number> | null;
}

export function parseKtap(text: string): KtapDocument {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let i = 0;
  const next = (): string | undefined => lines[i++];

  const first = next();
  const v = /^KTAP version (\d+)$/.exec(first ?? '');
  if (!v) throw new Error(`line 1: expected "KTAP version 1", got ${JSON.stringify(first)}`);
  const planLine = next();
  const p = /^1\.\.(\d+)$/.exec(planLine ?? '');
  if (!p) throw new Error(`line 2: expected a plan "1..N", got ${JSON.stringify(planLine)}`);

  const doc: KtapDocument = { version: Number(v[1]), plan: Number(p[1]), results: [], trailer: [], totals: null };
  let diags: string[] = [];
  for (let line = next(); line !== undefined; line = next()) {
    if (line.startsWith('#')) {
      diags.push(line.replace(/^#\s?/, ''));
      continue;
    }
    const m = /^(ok|not ok) (\d+)(?: ([^#]*?))?\s*(?:# (SKIP|TODO)(?: (.*))?)?$/.exec(line);
    if (!m) throw new Error(`line ${i}: not a KTAP result or diagnostic: ${JSON.stringify(line)}`);
    const number = Number(m[2]);
    const expected = doc.results.length + 1;
    if (number !== expected) throw new Error(`line ${i}: test number ${number}, expected ${expected}`);
    doc.results.push({
      ok: m[1] === 'ok',
      number,
      name: (m[3] ?? '').trim(),
      directive: (m[4] as 'SKIP' | 'TODO' | undefined) ?? null,
      reason: m[5] ?? null,
      diagnostics: diags,
    });
    diags = [];
  }
  doc.trailer = diags;
  if (doc.results.length !== doc.plan) {
    throw new Error(`plan says ${doc.plan} tests, ${doc.results.length} result lines`);
  }
  const totals = doc.trailer.map((l) => /^Totals: (.*)$/.exec(l)).find(Boolean);
  if (totals) {
    doc.totals = {};
    for (const kv of totals[1].trim().split(/\s+/)) {
      const [k, val] = kv.split(':');
      doc.totals[k] = Number(val);
    }
  }
  return doc;
}
