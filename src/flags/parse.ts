// SPDX-License-Identifier: GPL-2.0-only
// Value parsers for commander shared by every command: our parsers' errors
// become commander's own, which the command line prints as one line.
import { CommanderError, InvalidArgumentError, type Command } from 'commander';
import { MAX_PAYLOAD } from '../libc/layout.js';
import { ToolError, UsageError } from '../core/errors.js';
import { parseInteger } from '../core/numbers.js';

/** Count how often a flag was given (-v, -vv; -4 twice is an error the parser names). */
export const count = (_: string, prev: number): number => prev + 1;

/**
 * A commander value parser from one of ours: a ToolError (or any Error) it
 * throws becomes commander's own error, which main.ts prints as one line.
 */
export const optionParser = <T>(parse: (text: string) => T) => (text: string, _prev?: unknown): T => {
  try {
    return parse(text);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof ToolError ? e.line : (e as Error).message);
  }
};

/** A whole number from min to max with the C tool's rules, as a commander value parser. */
export const intOption = (flag: string, min: number, max: number) => optionParser((t) => parseInteger(t, flag, min, max));

/** The ranges of the classic numeric flags, for every command that passes them on. */
export const LIMITS = {
  port: [1, 65535],
  size: [0, MAX_PAYLOAD],
  secs: [0, 1e6],
} as const;

/**
 * commander's "error: x" text as one line, and its "(Did you mean --y?)"
 * as a hint (null when it has none).
 */
export function commanderMessage(text: string): [string, string | null] {
  const lines = text.trim().split('\n');
  const guess = /^\(Did you mean (.+)\?\)$/.exec(lines.find((l) => l.startsWith('(Did you mean')) ?? '');
  return [lines[0].replace(/^error: /, ''), guess ? `did you mean ${guess[1]}?` : null];
}

/**
 * Parse `argv` (after the command word) with a command's flags, outside the
 * program (for tests and the run layer): commander prints nothing, and its
 * error becomes one UsageError line. Returns the command, parsed.
 */
export function parseQuietly(cmd: Command, argv: string[]): Command {
  let message = '';
  cmd.exitOverride().configureOutput({ writeErr: (s) => { message += s; }, writeOut: () => {} });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) throw new UsageError((message || e.message).trim().split('\n')[0].replace(/^error: /, ''));
    throw e;
  }
  return cmd;
}
