// SPDX-License-Identifier: GPL-2.0-only
// koffi, loaded once for the whole tool through CommonJS require(). koffi
// ships both module formats; its ES module entry goes through Node's
// asynchronous module loader and took 31 ms to load on a 2-vCPU VM where the
// CommonJS one takes 10 ms, and start-up counts: the kernel driver starts the
// sender 0.2 s after the receiver.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';

const load = createRequire(import.meta.url);

export const koffi = load('koffi') as typeof Koffi;
