// SPDX-License-Identifier: GPL-2.0-only
// Report files (--report FILE.html, --csv FILE.csv): the path is checked when
// the option is read, so a typo fails before minutes of measuring, and each
// file is written whole (to a temporary name, then renamed).

import { accessSync, constants, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The absolute path of an output file whose folder exists and is writable; throws a one-line reason otherwise. */
export function outputPath(flag: string, text: string): string {
  const path = resolve(text.trim());
  if (!text.trim()) throw new Error(`${flag}: give a file name`);
  const dir = dirname(path);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new Error(`${flag}: folder ${dir} does not exist`);
  }
  if (!isDir) throw new Error(`${flag}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new Error(`${flag}: folder ${dir} is not writable`);
  }
  try {
    if (statSync(path).isDirectory()) throw new Error(`${flag}: ${path} is a folder`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return path;
}

/** Write a file whole: a temporary file beside it, then rename. */
export function writeWhole(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export interface ReportFile {
  /** The option that asked for it, for messages. */
  flag: string;
  path: string;
  /** Makes the content (called only when the file is asked for). */
  make: () => string;
}

/** Write each file; one line per file written or failed. */
export function writeReportFiles(files: ReportFile[]): { written: string[]; errors: string[] } {
  const written: string[] = [];
  const errors: string[] = [];
  for (const f of files) {
    try {
      writeWhole(f.path, f.make());
      written.push(f.path);
    } catch (e) {
      errors.push(`${f.flag} ${f.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { written, errors };
}
