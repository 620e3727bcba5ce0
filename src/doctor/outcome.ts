// SPDX-License-Identifier: GPL-2.0-only
// The outcome line of a zerocopy run, on its own so that a run whose
// completions were all zerocopy prints it without loading the doctor.

/**
 * `zerocopy: Z of N completions not copied`, and with copies
 * `; copied because …`. null when there were no completions.
 */
export function outcomeLine(completions: number, copied: number, because: string | null): string | null {
  if (completions <= 0) return null;
  const head = `zerocopy: ${completions - copied} of ${completions} completions not copied`;
  return copied > 0 && because ? `${head}; copied because ${because}` : head;
}
