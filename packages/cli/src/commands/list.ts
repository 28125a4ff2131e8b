import { expandStudy, STUDIES } from '@reslab/engine';
import type { Command } from 'commander';
import { emit } from './shared.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .summary('list the named studies')
    .description('List the named studies with their question, their grid and how many runs each budget makes.')
    .option('--json', 'print the list as JSON on stdout')
    .option('--debug', 'show stack traces on errors')
    .addHelpText('after', '\nExamples:\n  $ reslab list\n  $ reslab list --json')
    .action((flags: { json?: boolean }) => {
      const result = STUDIES.map((s) => ({
        name: s.name,
        title: s.title,
        question: s.question,
        finding: s.finding,
        grid: s.grid,
        seeds: s.seeds,
        lrGrid: s.lrGrid,
        runs: { cli: expandStudy(s, {}, 'cli').jobs.length, browser: expandStudy(s, {}, 'browser').jobs.length },
      }));
      // the name column is as wide as the longest name
      const w = Math.max(8, ...result.map((s) => s.name.length));
      const pad = ' '.repeat(w + 1);
      emit(flags, { studies: result }, (r, c) =>
        r.studies
          .map((s) =>
            [
              `${c.bold(s.name.padEnd(w))} ${s.title}`,
              `${pad}${s.question}`,
              `${pad}grid: ${Object.entries(s.grid)
                .map(([k, v]) => `${k} ${v.join('|')}`)
                .join('; ')}; ${s.seeds.length} seeds; lr ${s.lrGrid.join('|')}`,
              `${pad}${s.runs.cli} jobs at the cli budget, ${s.runs.browser} at the browser budget; run: reslab study ${s.name}`,
            ].join('\n'),
          )
          .join('\n\n'),
      );
    });
}
