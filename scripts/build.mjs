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
//
// A second, small CommonJS bundle, dist/cli/early.cjs (src/startup/early.ts),
// is what bin/msg-zerocopy runs first: a classic receiver binds and listens
// before the ES module loader, commander and the rest load. Both bundles
// carry the same build id, so the receiver takes an early socket only from
// its own build (src/net/early.ts); a missing early.cjs, or one from another
// build, leaves everything to the normal path.
import { build } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The native module koffi's entry loads on this machine, as a request
 * relative to node_modules, and its version (src/libc/koffi.ts requires it
 * directly, and falls back to koffi's entry if it is not there or differs).
 */
function koffiNative() {
  try {
    const require = createRequire(`${root}/package.json`);
    const koffi = require('koffi');
    const file = Object.keys(require.cache).find((f) => f.endsWith('.node') && f.includes('koffi'));
    const at = file?.lastIndexOf('/node_modules/') ?? -1;
    if (!file || at < 0 || typeof koffi.version !== 'string') return undefined;
    return { request: file.slice(at + '/node_modules/'.length), version: koffi.version };
  } catch {
    return undefined;
  }
}

const buildId = randomUUID();
const define = { __MZC_BUILD_ID__: JSON.stringify(buildId), __MZC_KOFFI_NATIVE__: JSON.stringify(koffiNative() ?? null) };
rmSync(`${root}/dist`, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { early: 'src/startup/early.ts' },
  outdir: 'dist/cli',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['koffi'],
  // src/libc/koffi.ts finds koffi from import.meta.url; a CommonJS file has __filename.
  define: { ...define, 'import.meta.url': '__filename' },
  legalComments: 'inline',
  logLevel: 'warning',
});
await build({
  define,
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
// Last, once both bundles are there: early.cjs opens a socket only beside the CLI of its own build.
writeFileSync(`${root}/dist/cli/build-id`, `${buildId}\n`);
