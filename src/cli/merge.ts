// SPDX-License-Identifier: GPL-2.0-only
// `msg-zerocopy merge FILE...`: many pair, compare or sweep --json reports
// (or pod logs holding them) into one fleet report: text, --json, --csv and
// --report FILE.html. A file that is not a report of ours, or one from a
// release whose reports this one cannot read, refuses the merge with one
// line, and nothing is written.

import { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { optionParser } from '../flags/parse.js';
import { outputPath, writeReportFiles, type ReportFile } from '../render/files.js';
import { buildFleet } from '../merge/fleet.js';
import { readDocuments, RefusedFile } from '../merge/read.js';
import { fleetCsv, fleetDocument, fleetHtml, fleetText } from '../merge/render.js';

interface MergeCli {
  json?: boolean;
  report?: string;
  csv?: string;
}

export function registerMergeCommand(program: Command, done: (code: number) => void): void {
  program.addCommand(new Command('merge')
    .description('merge the --json reports of pair, compare and sweep (files, or pod logs holding one JSON line per run) into one ' +
      'fleet report: per group of options, test and payload size, a matrix of source × destination hosts with throughput, ' +
      'CPU per GB, the copied share and the verdict with its interval; reports whose tool version or options differ are ' +
      'grouped apart, never mixed')
    .usage('[options] <file...>')
    .argument('<file...>', 'reports to merge')
    .option('--json', 'print the fleet report as one JSON document instead of text')
    .option('--report <file.html>', 'also write a self-contained HTML report (matrices, charts, the JSON embedded)',
      optionParser((s) => outputPath('--report', s)))
    .option('--csv <file.csv>', 'also write CSV, one row per group, host pair, test, size and mode', optionParser((s) => outputPath('--csv', s)))
    .allowExcessArguments(false)
    .action((files: string[], o: MergeCli) => {
      let docs;
      try {
        docs = readDocuments(files);
      } catch (e) {
        if (e instanceof RefusedFile) throw new UsageError(e.message, 'nothing was merged');
        throw e;
      }
      const doc = fleetDocument(buildFleet(docs), files, docs.length);
      process.stdout.write(o.json ? `${JSON.stringify(doc, null, 1)}\n` : fleetText(doc));
      const wanted: ReportFile[] = [];
      if (o.report) wanted.push({ flag: '--report', path: o.report, make: () => fleetHtml(doc) });
      if (o.csv) wanted.push({ flag: '--csv', path: o.csv, make: () => fleetCsv(doc) });
      const out = writeReportFiles(wanted);
      for (const line of [...out.written.map((f) => `wrote ${f}`), ...out.errors]) process.stderr.write(`msg-zerocopy merge: ${line}\n`);
      done(out.errors.length ? 1 : 0);
    }));
}
