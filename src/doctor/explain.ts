// SPDX-License-Identifier: GPL-2.0-only
// After a zerocopy run: the outcome in one line and, when completions were
// copied, why, from the doctor's own analysis of the path the run took.
// Printed on stderr after the selftest's lines (parsers of the classic line
// are not disturbed); the same reason goes into --json as copiedBecause.
// Loaded after the measured loop, only by runs that need it.
import { Unreachable, walkPath, type PathWalk } from '../environment/path.js';
import { gatherFacts, type Question } from './facts.js';
import { diagnose, type Diagnosis } from './rules.js';

export { outcomeLine } from './outcome.js';

/** A run as the doctor asks about it: the facts' question and the destination's bytes. */
export interface RunShape extends Question {
  dst: Uint8Array;
}

export interface Explained {
  diagnosis: Diagnosis | null;
  walk: PathWalk | null;
}

/** The doctor's diagnosis of the run's path (null when the path cannot be walked now). */
export async function explain(run: RunShape): Promise<Explained> {
  let walk: PathWalk;
  try {
    walk = walkPath(run.family, run.dst);
  } catch (e) {
    if (e instanceof Unreachable) return { diagnosis: null, walk: null };
    throw e;
  }
  const facts = await gatherFacts(run, walk, { uring: run.api === 'uring' });
  return { diagnosis: diagnose(facts), walk };
}

/** Why completions were copied, in one phrase: the doctor's reason, or that it found none. */
export function copiedBecause(d: Diagnosis | null): string {
  if (!d) return 'unknown: the path to the destination could not be walked after the run';
  if (d.prediction === 'copied') return d.reason;
  const why = d.prediction === 'zerocopy' ? 'every check on the path allows zero copy' : d.reason;
  return `not a cause the doctor knows (it predicted ${d.prediction}: ${why})`;
}
