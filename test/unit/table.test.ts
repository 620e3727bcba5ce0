// SPDX-License-Identifier: GPL-2.0-only
// Tables that fit the terminal: natural width when it fits, wrapped cells,
// dropped columns, broken words as a last resort; never a line too long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { droppedNote, fitTable, fitText, outputWidth, wrapText, type Column } from '../../src/render/table.js';

const cols: Column[] = [
  { title: 'name' },
  { title: 'value', align: 'right' },
  { title: 'range of values', align: 'right', drop: 1 },
  { title: 'comment' },
];
const rows = [
  ['alpha', '1.5', '1.2–1.9', 'a rather long comment that goes on'],
  ['beta', '22', '20–24', 'short'],
];
const longest = (lines: string[]): number => Math.max(...lines.map((l) => [...l].length));

test('natural width when it fits: one line per row, numbers right-aligned', () => {
  const t = fitTable(cols, rows);
  assert.deepEqual(t.dropped, []);
  assert.deepEqual(t.lines, [
    'name   value  range of values  comment',
    'alpha    1.5          1.2–1.9  a rather long comment that goes on',
    'beta      22            20–24  short',
  ]);
});

test('narrower: cells wrap at spaces, rows stay aligned, no line longer than the width', () => {
  const t = fitTable(cols, rows, { width: 50 });
  assert.ok(longest(t.lines) <= 50, t.lines.join('\n'));
  assert.deepEqual(t.dropped, []);
  assert.equal(t.lines[0], 'name   value  range of values  comment');
  const alpha = t.lines.findIndex((l) => l.startsWith('alpha'));
  // the comment continues on the next lines, in the same column
  const commentAt = t.lines[alpha].indexOf('a rather');
  assert.ok(commentAt > 0);
  assert.equal(t.lines[alpha + 1].search(/\S/), commentAt);
  assert.ok(t.lines[alpha + 1].startsWith(' '.repeat(commentAt)));
  assert.equal(t.lines.filter((l) => l.startsWith('beta')).length, 1);
});

test('too narrow to wrap: the droppable column goes first, and the note says so', () => {
  const t = fitTable(cols, rows, { width: 24 });
  assert.deepEqual(t.dropped, ['range of values']);
  assert.ok(longest(t.lines) <= 24, t.lines.join('\n'));
  assert.ok(!t.lines.join('\n').includes('1.2–1.9'));
  const note = droppedNote(t.dropped, 24)!;
  assert.equal(note.replace(/\n/g, ' '), '(left out to fit 24 columns: range of values; a wider terminal or --json shows them)');
  assert.ok(note.split('\n').every((l) => l.length <= 24), note);
  assert.equal(droppedNote([], 80), null);
});

test('last resort: words are broken, still within the width', () => {
  const t = fitTable([{ title: 'x' }, { title: 'y' }], [['abcdefghijklmnop', 'qrstuvwxyz0123456789']], { width: 12 });
  assert.deepEqual(t.lines, ['x      y', 'abcde  qrstu', 'fghij  vwxyz', 'klmno  01234', 'p      56789']);
});

test('wrapText and outputWidth', () => {
  assert.deepEqual(wrapText('one two three', 7), ['one two', 'three']);
  assert.deepEqual(wrapText('abcdefgh', 3), ['abc', 'def', 'gh']);
  assert.deepEqual(wrapText('', 5), ['']);
  assert.equal(outputWidth({ isTTY: true, columns: 93 }), 93);
  const saved = process.env.COLUMNS;
  try {
    delete process.env.COLUMNS;
    assert.equal(outputWidth({ isTTY: false }), Infinity);
    assert.equal(outputWidth({ isTTY: true, columns: 0 }), Infinity);
    process.env.COLUMNS = '61';
    assert.equal(outputWidth({ isTTY: false }), 61);
  } finally {
    if (saved === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved;
  }
});

test('a parenthesised group wraps as one word', () => {
  const t = fitTable([{ title: 'tx', align: 'right' }, { title: 'y' }], [['1.23M (80.78 GB)', 'ok']], { width: 16 });
  assert.deepEqual(t.lines, ['          tx  y', '       1.23M  ok', '  (80.78 GB)']);
});

test('fitText: long lines wrapped with an indent, short ones and no limit unchanged', () => {
  assert.equal(fitText('short\n' + 'word '.repeat(6).trim(), 12), 'short\nword word\n  word word\n  word word');
  assert.equal(fitText('a b c', Infinity), 'a b c');
});
