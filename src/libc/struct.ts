// SPDX-License-Identifier: GPL-2.0-only
// How the layout files declare a struct: koffi's struct, sizeof and offsetof,
// and the offsets of named fields as plain numbers (layout.ts says why).
import { koffi as ffi } from './koffi.js';

// koffi keeps one registry of type names per process, and two bundles load
// this module (dist/cli/early.cjs, then the CLI; see src/startup/early.ts):
// the structs are declared anonymously, their names kept as documentation.
export const koffi = {
  struct: (_name: string, def: Record<string, Parameters<typeof ffi.sizeof>[0]>) => ffi.struct(def),
  array: (type: Parameters<typeof ffi.array>[0], length: number) => ffi.array(type, length),
  sizeof: (type: Parameters<typeof ffi.sizeof>[0]) => ffi.sizeof(type),
  offsetof: (type: Parameters<typeof ffi.offsetof>[0], field: string) => ffi.offsetof(type, field),
};

/** Offsets and sizes as plain numbers, looked up once at load time. */
export function offsets<T extends string>(type: Parameters<typeof koffi.sizeof>[0], fields: readonly T[]): Record<T, number> & { size: number } {
  const out: Record<string, number> = { size: koffi.sizeof(type) };
  for (const f of fields) out[f] = koffi.offsetof(type, f);
  return out as Record<T, number> & { size: number };
}

