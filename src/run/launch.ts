// SPDX-License-Identifier: GPL-2.0-only
// Starting one child of a run, for every command (suite, sweep, compare,
// flows, pair, serve, the benchmark and the compatibility tests): which
// program (ours or the C selftest), its argv from the spec (classic.ts),
// inside which namespace, its deadline, the spawn (child.ts) and, for a
// receiver when asked, the wait until its own sockets are bound (ready.ts).
import { readFileSync } from 'node:fs';
import { nsExecArgv } from '../lab/exec.js';
import { ownBinPath, spawnChild, type Child } from './child.js';
import { deadlineFor, specArgv, type AnySenderSpec, type ReceiverSpec } from './classic.js';
import { waitReady, type Readiness } from './ready.js';

/** The msg_zerocopy executable a run starts: ours, or another (the C selftest). */
export interface Program {
  path: string;
  /** Run with Node (our CLI, which takes --json); false for a native binary. */
  node: boolean;
  /** Pass -Z (the expectation); false for C releases before it existed (6.12). */
  expectFlag: boolean;
}

/** Our own executable. */
export const ownProgram = (): Program => ({ path: ownBinPath(), node: true, expectFlag: true });

/** Decide how to run an executable: a Node script (shebang node, .js) or native. */
export function programAt(path: string): Program {
  if (/\.(c|m)?js$/.test(path)) return { path, node: true, expectFlag: true };
  try {
    const head = readFileSync(path, { encoding: 'latin1', flag: 'r' }).slice(0, 128);
    return { path, node: head.startsWith('#!') && /\bnode\b/.test(head.split('\n')[0]), expectFlag: true };
  } catch {
    return { path, node: false, expectFlag: true };
  }
}

/** argv that runs `program` with `args`, inside network namespace `ns` when given. */
export function programArgv(program: Program, args: string[], ns?: string): string[] {
  const exe = program.node ? [process.execPath, program.path, ...args] : [program.path, ...args];
  return ns ? nsExecArgv(ns, exe) : exe;
}

/** Waiting for a receiver's own sockets: at most `maxMs`, or until `aborted`. */
export interface ReadyWait {
  maxMs: number;
  aborted?: () => boolean;
}

export interface LaunchSpec {
  /** What to start: a classic sender or receiver, or the io_uring sender. */
  spec: AnySenderSpec | ReceiverSpec;
  /** Default: our own executable. */
  program?: Program;
  /** Run inside this network namespace. */
  ns?: string;
  /** Time the child may overrun its own run before it is killed. */
  slackMs: number;
  /** Called with every complete stderr line as it arrives. */
  onStderrLine?: (line: string) => void;
  /** Own process group (a terminal's Ctrl-C reaches it only through us, once). */
  detached?: boolean;
  /** Wrap the program's argv, inside the namespace (a flow's CPU pinning, a timer around the benchmark's sender). */
  wrap?: (argv: string[]) => string[];
}

export interface Launched {
  child: Child;
  /** The argv spawned (namespace, program, arguments). */
  argv: string[];
  /** The program's own arguments (the classic or uring argv). */
  args: string[];
}

/** The argv `launch` spawns for `l`, and the program's own arguments in it. */
export function launchArgv(l: LaunchSpec): { argv: string[]; args: string[] } {
  const args = specArgv(l.spec);
  const exe = programArgv(l.program ?? ownProgram(), args);
  const wrapped = l.wrap ? l.wrap(exe) : exe;
  return { argv: l.ns ? nsExecArgv(l.ns, wrapped) : wrapped, args };
}

/**
 * Start one child. With `ready` (receivers): `ready` resolves once the
 * receiver's own sockets are bound; when it is not ready ('exited',
 * 'timeout', 'aborted') it is being stopped: wait for `child.done`.
 */
export function launch(l: LaunchSpec & { spec: ReceiverSpec; ready: ReadyWait }): Launched & { ready: Promise<Readiness> };
export function launch(l: LaunchSpec): Launched;
export function launch(l: LaunchSpec & { ready?: ReadyWait }): Launched & { ready?: Promise<Readiness> } {
  const { argv, args } = launchArgv(l);
  const child = spawnChild(argv, { deadlineMs: deadlineFor(l.spec, l.slackMs), onStderrLine: l.onStderrLine, detached: l.detached });
  const s = l.spec;
  if (!l.ready || s.role !== 'receiver') return { child, argv, args };
  const w = l.ready;
  const ready = waitReady(child, { family: s.family, test: s.test, port: s.port, flows: s.flows, maxMs: w.maxMs, aborted: w.aborted })
    .then((r) => {
      if (r !== 'ready') child.kill();
      return r;
    });
  return { child, argv, args, ready };
}
