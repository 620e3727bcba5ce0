// SPDX-License-Identifier: GPL-2.0-only
// Report files (--report FILE.html, --csv FILE.csv): the path is checked when
// the option is read, so a typo fails before minutes of measuring, and each
// file is written whole (to a temporary name, then renamed).

import { accessSync, constants, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
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
  // access() says yes to root everywhere (/proc, /sys, a read-only mount): create the temporary file writeWhole will
  try {
    writeFileSync(tmpName(path), '', { flag: 'wx' });
    unlinkSync(tmpName(path));
  } catch (e) {
    throw new Error(`${flag}: cannot create a file in ${dir} (${why(e)})`);
  }
  return path;
}

const tmpName = (path: string): string => join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);

/** An fs error's cause in words, without the paths it names. */
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left',
    EDQUOT: 'disk quota exceeded', ENOENT: 'no such file or folder', EEXIST: 'a temporary file of this process is in the way',
  };
  return (code && words[code]) ?? code ?? (e instanceof Error ? e.message : String(e));
}

/** Write a file whole: a temporary file beside it, then rename. Errors name `path`, never the temporary name. */
export function writeWhole(path: string, text: string): void {
  const tmp = tmpName(path);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* never created */ }
    throw new Error(`cannot write ${path} (${why(e)})`);
  }
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
      errors.push(`${f.flag}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { written, errors };
}
