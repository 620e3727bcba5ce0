// SPDX-License-Identifier: GPL-2.0-only
// What a suite run is asked: the options the command line gives the
// orchestrator (suite.ts) and its views (format.ts) read, here so that
// neither imports the other for them.
import type { Program } from '../run/launch.js';
import type { Api, SuiteFamily, SuiteTest } from './cases.js';
import type { RxMode } from '../core/vocabulary.js';

export type SuiteOutput = 'table' | 'json' | 'ktap';

export interface SuiteOptions {
  /** Send interfaces whose plans run (default: msg, the msg_zerocopy.sh plan). */
  apis?: Api[];
  families: SuiteFamily[];
  tests: SuiteTest[];
  /** Sender -t in seconds (receiver: +1). */
  duration: number;
  size: number | null;
  port: number;
  extra: string[];
  bin: Program;
  output: SuiteOutput;
  /** Show a progress line on stderr (only when it is a terminal). */
  progress: boolean;
  /** Time a child may overrun its own run time before it is killed. */
  slackMs: number;
  /** Namespace prefix (default mzc-). */
  prefix?: string;
  /** -P for every sender and receiver (absent or 1: one flow). */
  flows?: number;
  /** --report: the HTML report's path. */
  report?: string;
  /** --rx: how the tcp receivers read (absent or trunc: the selftest's MSG_TRUNC). */
  rx?: RxMode;
}
