// SPDX-License-Identifier: GPL-2.0-only
// koffi, loaded once for the whole tool through CommonJS require(). koffi
// ships both module formats; its ES module entry adds a second pass through
// Node's ES module resolver and loader. Together with the code splitting in
// scripts/build.mjs this brought a tcp receiver to listening 5.6 ms sooner
// (median of 21 paired runs on a 2-vCPU VM), and start-up counts: the kernel
// driver starts the sender 0.2 s after the receiver.
//
// koffi's entry then looks for its native module at every start (which
// package for this platform, glibc or musl read from node's own ELF header):
// about 19 ms of CPU on top of the 7 ms the native module's own load takes
// (2-vCPU AMD EPYC guest). The build (scripts/build.mjs) records which file
// that entry loaded and its version; requiring that file directly gives the
// very object the entry wraps (Node keeps one module per path, so both ways
// share it), checked by its version. Run from source, on another platform,
// after an upgrade of koffi, or if anything fails: koffi's entry, as before.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

declare const __MZC_KOFFI_NATIVE__: { request: string; version: string } | null | undefined;

const load = createRequire(import.meta.url);

function loadKoffi(): typeof Koffi {
  const recorded = typeof __MZC_KOFFI_NATIVE__ === 'object' ? __MZC_KOFFI_NATIVE__ : undefined;
  if (recorded) {
    try {
      const native = load(recorded.request) as typeof Koffi & { version?: string };
      if (native.version === recorded.version) return native;
    } catch {
      // not there, or not loadable here: koffi's own entry decides
    }
  }
  return load('koffi') as typeof Koffi;
}

export const koffi = loadKoffi();
