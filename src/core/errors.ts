// SPDX-License-Identifier: GPL-2.0-only
// Errors that end a run with a one-line message and a fixed exit status:
// 1 for bad input (as the selftest), 2 when the kernel refuses.

export class ToolError extends Error {
  /** What a run had counted when this ended it (a sender's sends, bytes, completions), for its --json report. */
  counters?: Record<string, number>;
  constructor(message: string, readonly exitCode: 1 | 2, readonly hint?: string) {
    super(message);
  }
  /** The line printed: "<message> (<hint>)". */
  get line(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export class UsageError extends ToolError {
  constructor(message: string, hint?: string) {
    super(message, 1, hint);
  }
}

/** A failure of the run itself that the selftest exits 1 for (data mismatch, short datagram, no peer). */
export class RunError extends ToolError {
  constructor(message: string, hint?: string) {
    super(message, 1, hint);
  }
}

export class KernelError extends ToolError {
  constructor(message: string, readonly errno: number, hint?: string) {
    super(message, 2, hint);
  }
}
