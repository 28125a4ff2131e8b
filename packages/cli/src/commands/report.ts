import { join, resolve } from 'node:path';
import type { JobRecord } from '@reslab/engine';
import type { Command } from 'commander';
import { ensureWritableDir, RESULTS_FILE, readJsonLines, STUDY_FILE, writeJsonAtomic } from '../output.js';
import { colorEnabled } from '../render/color.js';
import { folderPlan, loadStudyFolder } from '../runner.js';
import { emit, rebuildResult, renderStudy } from './shared.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .argument('<results-dir>', 'a folder written by reslab study, sweep or train')
    .summary('rebuild the tables, verdict and report.html from saved results')
    .description(
      'Re-read study.json and results.jsonl of a results folder, analyse them again, print the tables and the verdict, and rewrite ' +
        'table.csv, runs.csv, summary.json and report.html (in the folder itself, or in --out). Works on an interrupted study too.',
    )
    .option('--out <dir>', 'write the rebuilt files here instead of into the results folder')
    .option('--json', 'print the machine-readable result on stdout')
    .option('--no-charts', 'no terminal loss charts')
    .option('--debug', 'show stack traces on errors')
    .addHelpText(
      'after',
      '\nExamples:\n  $ reslab report reslab-results/skip-20250101-120000\n  $ reslab report results/skip --out /tmp/skip-report --json',
    )
    .action((dir: string, flags: { out?: string; json?: boolean; charts?: boolean }) => {
      const src = resolve(dir);
      const { def, folder } = loadStudyFolder(src);
      const plan = folderPlan(def, folder);
      const records = readJsonLines<JobRecord>(join(src, RESULTS_FILE));
      const outDir = flags.out ? resolve(flags.out) : src;
      ensureWritableDir(outDir);
      if (outDir !== src) writeJsonAtomic(join(outDir, STUDY_FILE), folder);
      const result = rebuildResult(outDir, def, plan, records);
      emit(flags, result, (r, c) => renderStudy(r, c, flags.charts !== false && colorEnabled(process.stdout)));
    });
}
