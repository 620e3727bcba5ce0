// SPDX-License-Identifier: GPL-2.0-only
// The set-up every namespace test file shares: a lab created in before()
// (once root and the file's own checks pass) and destroyed in after(), so
// that every namespace the file makes is removed however its tests end.
import { after, before } from 'node:test';
import { createLab, type CreateLabOptions, type Lab } from '../../src/lab/lab.js';
import { requireRoot } from './proc.js';

export interface UseLabOptions extends CreateLabOptions {
  /** Runs first in before() (default: requireRoot): a check that throws, or set-up done before the lab. */
  setUp?: () => void | Promise<void>;
  /** Runs first in after(): stop what may still run inside the lab. */
  stop?: () => void;
  /** Runs last in after(), once the lab is destroyed (given the lab, or undefined when it was never made). */
  tearDown?: (lab: Lab | undefined) => void;
}

/**
 * Registers the file's before() and after() hooks for one lab and returns it
 * as a getter (call it inside tests and hooks: the lab exists from before()).
 */
export function useLab(o: UseLabOptions = {}): () => Lab {
  const { setUp = requireRoot, stop, tearDown, ...labOptions } = o;
  let lab: Lab | undefined;
  before(async () => {
    await setUp();
    lab = await createLab(labOptions);
  });
  after(async () => {
    stop?.();
    await lab?.destroy();
    tearDown?.(lab);
  });
  return () => {
    if (!lab) throw new Error('no lab: the before() hook of useLab did not create one');
    return lab;
  };
}
