// SPDX-License-Identifier: GPL-2.0-only
// Name lookups that need libc (kept out of option parsing so --help stays fast).
import { if_nametoindex } from '../libc/libc.js';

export const ifindex = (name: string): number => if_nametoindex(name);
