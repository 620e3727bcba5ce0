// SPDX-License-Identifier: GPL-2.0-only
// Subcommands beyond the selftest. Each registers itself on the program and
// reports its exit status through `done`.
import type { Command } from 'commander';
import { registerPairCommands } from './pair.js';
import { registerSuiteCommand } from './suite.js';
import { registerSweepCommands } from './sweep.js';
import { registerDoctorCommand } from './doctor.js';

/**
 * After a run (classic or io_uring): the doctor's explanation of copies and the environment block. Through this
 * chunk, which a run loads only after its measured loop, so that they add no file to what a run loads at start-up.
 */
export { copiedBecause, explain } from '../doctor/explain.js';
export { collectEnvironment } from '../environment/environment.js';

/** -P n (src/flows), here because it shares the subcommands' modules: see main.ts. */
export { runFlows } from './flows.js';

export function registerSubcommands(program: Command, done: (code: number) => void): void {
  registerSuiteCommand(program, done);
  registerSweepCommands(program, done);
  registerPairCommands(program, done);
  registerDoctorCommand(program, done);
}
