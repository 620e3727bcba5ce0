// SPDX-License-Identifier: GPL-2.0-only
// koffi, loaded once for the whole tool through CommonJS require(). koffi
// ships both module formats; its ES module entry adds a second pass through
// Node's ES module resolver and loader. Together with the code splitting in
// scripts/build.mjs this brought a tcp receiver to listening 5.6 ms sooner
// (median of 21 paired runs on a 2-vCPU VM), and start-up counts: the kernel
// driver starts the sender 0.2 s after the receiver.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

const load = createRequire(import.meta.url);

export const koffi = load('koffi') as typeof Koffi;
