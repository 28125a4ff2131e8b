import { getStudy, STUDIES } from '@reslab/engine';
import type { Command } from 'commander';
import { addStudyOptions, type StudyFlags, studyCommand } from './shared.js';

export function registerStudy(program: Command): void {
  const cmd = program
    .command('study')
    .argument('[name]', `the study to run: ${STUDIES.map((s) => s.name).join(', ')} (see reslab list)`)
    .summary('run a named study (the main job: reslab study skip)')
    .description(
      'Run a named study: every cell of its grid at every seed and learning rate of its grid, on a pool of worker threads; ' +
        'then print the tables, the gradient profiles, the algebra checks and a verdict computed from the numbers, and write ' +
        'results.jsonl, table.csv, runs.csv, summary.json, report.html and study.json to the output folder.',
    );
  addStudyOptions(cmd)
    .addHelpText(
      'after',
      `
Examples:
  $ reslab study skip                                  the main job (a few minutes on 2 cores)
  $ reslab study skip --depth 12 --act relu,tanh --seeds 2 --steps 200
  $ reslab study skip --variants plain,post-1,post-2 --dataset spiral --data-size 1000
  $ reslab study fold --workers 1 --out results/fold
  $ reslab study skip --dry-run                        list the runs without running them
  $ reslab study --resume reslab-results/skip-20250101-120000   continue after Ctrl-C
  $ reslab study skip --json > skip.json               machine-readable result on stdout`,
    )
    .action(async (name: string | undefined, flags: StudyFlags) => {
      const def = name === undefined ? null : getStudy(name);
      await studyCommand('study', def, true, flags);
    });
}
