// SPDX-License-Identifier: GPL-2.0-only
// The one child each side of a host pair starts (serve: the receiver, pair:
// the sender): our own classic executable, its argv and deadline from the
// run layer, spawned by src/lab/child.ts (which makes it die with its
// parent, so a serve or pair killed with SIGKILL leaves nothing running), in
// a process group of its own (a terminal's Ctrl-C reaches it only through
// us, once).
import { spawnChild, type Child } from '../lab/child.js';
import { classicArgv, deadlineFor, type ClassicSpec } from '../run/classic.js';
import { ownProgram, programArgv } from '../run/run.js';

/** Start our classic executable for `spec`. `args`: its classic argv (without the executable). */
export function startClassic(spec: ClassicSpec, slackMs: number, onStderrLine: (line: string) => void): { child: Child; args: string[] } {
  const args = classicArgv(spec);
  const child = spawnChild(programArgv(ownProgram(), args), { deadlineMs: deadlineFor(spec, slackMs), detached: true, onStderrLine });
  return { child, args };
}
