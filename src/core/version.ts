// SPDX-License-Identifier: GPL-2.0-only
// The tool's version, from package.json (the bundle inlines it at build time).
import pkg from '../../package.json' with { type: 'json' };

export const TOOL_VERSION: string = pkg.version;
