// SPDX-License-Identifier: GPL-2.0-only
// The JSON key order of every report, against golden shapes: one report of
// each kind (classic sender and receiver, with intervals, an error report,
// uring, -P flows, pair and serve, suite, sweep, compare) run now, its shape
// (every object's path and keys in order, no values: test/support/keys.ts)
// compared with the shape recorded in test/fixtures/golden-keys before the
// sources were reorganised. Scripts read these keys in this order: a writer
// that moves, renames or reorders one fails here. All traffic stays inside
// the lab this file creates and removes; every process has a deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { shapeDiff, shapeOf, type Shape } from '../support/keys.js';
import { describe as show, ours, sleep, type ProcResult } from '../support/proc.js';
import { useServeLab } from './serve-helpers.js';

const { lab, servers, secret } = useServeLab('mzc-gk-', { writeSecret: true });
const DEADLINE_MS = 60_000;
let nextPort = 9640;

const fixture = (kind: string): Shape =>
  JSON.parse(readFileSync(new URL(`../fixtures/golden-keys/${kind}.json`, import.meta.url), 'utf8')) as Shape;

/**
 * The golden shape of a kind; wherever a report sits in it (a key list
 * starting with role), a run that failed (a child refused under load) may
 * hold an error report instead: the classic or the uring one, themselves golden.
 */
function golden(kind: string): Shape {
  const shape = fixture(kind);
  const errors = [...fixture('error')[''], ...fixture('uring-error')['']];
  for (const lists of Object.values(shape)) {
    if (lists.some((keys) => keys[0] === 'role')) lists.push(...errors);
  }
  return shape;
}

/** The last line of stdout as JSON (pair prints its own lines before it on stderr only, but be safe). */
function lastJson(r: ProcResult): unknown {
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length && lines[lines.length - 1].startsWith('{'), `no JSON on stdout: ${show(r)}`);
  return JSON.parse(lines[lines.length - 1]);
}

function same(kind: string, r: ProcResult): void {
  // MZC_GOLDEN_UPDATE=1: record the shape of this run as the new golden one (after a deliberate change of a
  // report's keys; review the fixtures' diff: keys should only be added, never moved).
  if (process.env.MZC_GOLDEN_UPDATE === '1') {
    writeFileSync(new URL(`../fixtures/golden-keys/${kind}.json`, import.meta.url), `${JSON.stringify(shapeOf(lastJson(r)), null, 2)}\n`);
    return;
  }
  const diff = shapeDiff(golden(kind), shapeOf(lastJson(r)));
  assert.deepEqual(diff, [], `${kind}: the JSON shape differs from test/fixtures/golden-keys/${kind}.json; ${show(r)}`);
}

/** Receiver first, the sender 0.2 s later, as the kernel driver starts them. */
async function txRx(rxArgs: string[], txArgs: string[]): Promise<{ rx: ProcResult; tx: ProcResult }> {
  const port = String(nextPort);
  nextPort += 4;
  const dst = lab().addr[4].dst;
  const rx = ours(lab().rxNs, ['-4', '-r', '-D', dst, '-p', port, '-t', '2', ...rxArgs], { timeoutMs: DEADLINE_MS });
  await sleep(200);
  const tx = ours(lab().txNs, [...txArgs.slice(0, -1), '-4', '-D', dst, '-p', port, '-t', '1', txArgs[txArgs.length - 1]],
    { timeoutMs: DEADLINE_MS });
  const [r, t] = await Promise.all([rx.done, tx.done]);
  return { rx: r, tx: t };
}

test('classic sender and receiver --json keep their keys and order', async () => {
  const { rx, tx } = await txRx(['--json', 'udp'], ['-z', '--json', 'udp']);
  same('sender', tx);
  same('receiver', rx);
});

test('-I with --json: the intervals array keeps its keys', async () => {
  const { rx, tx } = await txRx(['-I', '0.5', '--json', 'tcp'], ['-z', '-I', '0.5', '--json', 'tcp']);
  same('sender-intervals', tx);
  same('receiver-intervals', rx);
});

test('error reports (classic and uring) keep their keys', async () => {
  const dst = lab().addr[4].dst;
  same('error', await ours(lab().txNs, ['-4', '-D', dst, '-t', '0', '-z', '--json', 'raw'], { timeoutMs: DEADLINE_MS }).done);
  same('uring-error', await ours(lab().txNs, ['uring', '-4', '-D', dst, '-p', '9639', '-t', '0', '--json', 'tcp'],
    { timeoutMs: DEADLINE_MS }).done);
});

test('uring --json keeps its keys', async () => {
  const { tx } = await txRx(['tcp'], ['uring', '--json', 'tcp']);
  same('uring', tx);
});

test('-P 2 --json (flows) keeps its keys on both sides', async () => {
  const { rx, tx } = await txRx(['-P', '2', '--json', 'tcp'], ['-P', '2', '--json', 'tcp']);
  same('flows-sender', tx);
  same('flows-receiver', rx);
});

test('pair --json and serve --json keep their keys, one flow and -P 2', async () => {
  const dst = lab().addr[4].dst;
  for (const [kind, test, extra] of [['', 'udp', []], ['-flows', 'tcp', ['-P', '2']]] as const) {
    const port = String(nextPort);
    nextPort += 4;
    const serve = await servers.start(['-4', '-D', dst, '-p', port, '--secret-file', secret(), '--once', '--json'], DEADLINE_MS);
    const pair = await ours(lab().txNs, ['pair', '-4', '-D', dst, '-p', port, '-t', '1', '--secret-file', secret(), ...extra, '--json', test],
      { timeoutMs: DEADLINE_MS }).done;
    const s = await serve.done;
    same(`pair${kind}`, pair);
    same(`serve${kind}`, s);
  }
});

test('suite --json keeps its keys (msg and uring plans)', async () => {
  const suite = (api: string) => ours(null, ['suite', '--json', '--tests', 'udp', '--family', '4', '-t', '0', '--api', api,
    '--no-progress'], { timeoutMs: DEADLINE_MS }).done;
  same('suite', await suite('msg'));
  same('suite-uring', await suite('uring'));
});

test('sweep --json and compare --json keep their keys', async () => {
  const run = (args: string[]) => ours(null, [...args, '--json', '-t', '0', '--no-progress'], { timeoutMs: DEADLINE_MS }).done;
  same('sweep', await run(['sweep', '--reps', '1', '--sizes', '1000']));
  same('sweep-uring', await run(['sweep', '--reps', '1', '--sizes', '1000', '--api', 'msg,uring']));
  same('compare', await run(['compare', '--reps', '2', '-s', '1000']));
});
