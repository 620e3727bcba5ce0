// SPDX-License-Identifier: GPL-2.0-only
// Build the executable's JavaScript: one ESM bundle of src/cli/main.ts at
// dist/cli/msg-zerocopy.mjs (koffi stays external: it is a native addon).
// One file loads faster than some forty modules, and start-up matters: the
// kernel driver starts the sender 0.2 s after the receiver. The bundle sits
// two folders below the repository, like the sources, so the modules that
// find bin/msg-zerocopy from import.meta.url resolve the same path.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli/msg-zerocopy.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  // CommonJS dependencies (commander) call require(); give the bundle one.
  banner: { js: "import { createRequire as __mzcRequire } from 'node:module'; const require = __mzcRequire(import.meta.url);" },
  legalComments: 'inline',
  logLevel: 'warning',
});
