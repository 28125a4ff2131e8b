import { parseStudyFile } from '@reslab/engine';
import type { Command } from 'commander';
import { readJsonFile } from '../output.js';
import { addStudyOptions, type StudyFlags, studyCommand } from './shared.js';

export function registerSweep(program: Command): void {
  const cmd = program
    .command('sweep')
    .summary('run any grid over model/training fields from a study file')
    .description(
      'Run a user-written study file: the same JSON format as the built-in studies (name, base, grid, seeds, lrGrid, budgets, layout, checks). ' +
        'Grid keys are "variant" or model.<field>, train.<field>, data.<field>; the file is validated before anything runs.',
    )
    .option('--grid <file>', 'the study file (JSON)');
  addStudyOptions(cmd)
    .addHelpText(
      'after',
      `
A study file:
  {
    "name": "widths",
    "base": { "model": { "depth": 8, "activation": "tanh" }, "train": { "maxSteps": 300, "epochs": 1000 }, "data": { "name": "spiral" } },
    "grid": { "variant": ["plain", "post-2"], "model.width": [16, 64] },
    "seeds": 3,
    "lrGrid": [0.001, 0.003],
    "layout": { "tables": "model.width" }
  }

Examples:
  $ reslab sweep --grid widths.json
  $ reslab sweep --grid widths.json --seeds 1 --steps 50 --workers 2 --out results/widths
  $ reslab sweep --resume results/widths`,
    )
    .action(async (flags: StudyFlags & { grid?: string }) => {
      const def = flags.grid ? parseStudyFile(readJsonFile(flags.grid, 'study file'), flags.grid) : null;
      await studyCommand('sweep', def, false, flags);
    });
}
