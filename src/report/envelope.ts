// SPDX-License-Identifier: GPL-2.0-only
// The common head of every JSON document the tool prints, built in one
// place: a run's report starts with who wrote it, a command's document
// (suite, sweep, compare) also with the command, the kernel and when.
import { TOOL_VERSION } from '../core/version.js';

export const TOOL = 'msg-zerocopy' as const;

/** Who wrote the document: { tool, toolVersion }. */
export const toolHead = () => ({ tool: TOOL, toolVersion: TOOL_VERSION });

/** The head of a command's document: { tool, toolVersion, command, kernel, startedAt, durationMs }. */
export function commandHead<C extends string>(command: C, kernel: string, startedAt: number, durationMs: number) {
  return { ...toolHead(), command, kernel, startedAt: new Date(startedAt).toISOString(), durationMs };
}
