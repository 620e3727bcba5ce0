// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy mmap [options]`: a drop-in for the kernel's tcp_mmap (the
// TCP_ZEROCOPY_RECEIVE reference program): the same flags, defaults, lines
// and exit status 0, with --json, --bytes and --connections of our own.
// Bad input is one line and exit status 1; a kernel refusal one line and 2.
import { basename } from 'node:path';
import { Command } from 'commander';
import { ToolError } from '../core/errors.js';
import { addMmapOptions, toMmapConfig, type MmapRawOptions } from '../flags/mmap.js';

/** Add the `mmap` subcommand; its exit status goes to `done`. */
export function registerMmapCommand(program: Command, done: (code: number) => void): void {
  program.enablePositionalOptions();
  const cmd = addMmapOptions(new Command('mmap'))
    .usage('[-4|-6] [-s] [-z] [-H host] [-p port] [options]')
    .description("Receive with TCP_ZEROCOPY_RECEIVE (mmap of the socket): the kernel's tcp_mmap. " +
      'Server: -s [-z]; client: -H host [-z] (sends 32 GiB, or --bytes).')
    .allowExcessArguments(false)
    .action(async (opts: MmapRawOptions) => {
      const prog = basename(process.argv[1] ?? 'msg-zerocopy');
      const i = process.argv.indexOf('mmap');
      const argv = i >= 0 ? process.argv.slice(i + 1) : [];
      try {
        const cfg = toMmapConfig(opts, argv);
        if (cfg.server) {
          const { runMmapServer } = await import('../mmap/server.js');
          done(runMmapServer(cfg));
        } else {
          const { runMmapClient } = await import('../mmap/client.js');
          done(runMmapClient(cfg));
        }
      } catch (e) {
        if (!(e instanceof ToolError)) throw e;
        process.stderr.write(`${prog}: ${e.line}\n`);
        done(e.exitCode);
      }
    });
  program.addCommand(cmd);
}
