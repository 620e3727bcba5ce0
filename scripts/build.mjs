// SPDX-License-Identifier: GPL-2.0-only
// Build the executable's JavaScript: an ESM bundle of src/cli/main.ts at
// dist/cli/msg-zerocopy.mjs (koffi stays external: it is a native addon).
// A bundle loads faster than some forty modules, and start-up matters: the
// kernel driver starts the sender 0.2 s after the receiver. Code splitting
// keeps what main.ts imports dynamically (the classic run, the subcommands)
// in chunks beside it, loaded only when asked for, together with the Node
// built-in modules only they use (net, crypto, fs/promises, url; commander
// itself still loads child_process). Entry and
// chunks sit two folders below the repository, like the sources, so the
// modules that find bin/msg-zerocopy from import.meta.url resolve the same path.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
rmSync(`${root}/dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { 'msg-zerocopy': 'src/cli/main.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  splitting: true,
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
