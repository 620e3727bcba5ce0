// SPDX-License-Identifier: GPL-2.0-only
// The command line as a user meets it: --version, help for every command,
// and a typo's suggestion instead of a classic run's complaint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ours, REPO_ROOT } from '../support/proc.js';

const run = (args: string[]) => ours(null, args, { timeoutMs: 20000 }).done;
const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const COMMANDS = ['suite', 'sweep', 'compare', 'serve', 'pair', 'merge'];

test('--version prints the package version and exits 0', async () => {
  const r = await run(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${version}\n`);
});

test('help, help <command> and <command> --help work for every command', async () => {
  const top = await run(['help']);
  assert.equal(top.code, 0, top.stderr);
  for (const c of COMMANDS) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'), `help lists ${c}`);
  for (const c of COMMANDS) {
    for (const args of [['help', c], [c, '--help']]) {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: msg-zerocopy ${c} `, 'm'), args.join(' '));
    }
  }
});

test('a mistyped command is one line with a suggestion, exit 1 (not "Pass one of -4 or -6")', async () => {
  for (const [typo, want] of [['suit', 'suite'], ['comapre', 'compare'], ['sweeep', 'sweep'], ['tpc', 'tcp']]) {
    const r = await run([typo]);
    assert.equal(r.code, 1, typo);
    assert.equal(r.stderr, `msg-zerocopy: unknown command or test '${typo}' (did you mean ${want}?)\n`);
    assert.equal(r.stdout, '');
  }
  const opt = await run(['sweep', '--repz', '3']);
  assert.equal(opt.code, 1);
  assert.equal(opt.stderr, "msg-zerocopy: unknown option '--repz' (did you mean --reps?)\n");
});
