/**
 * The reslab program. Every command computes a result object, then renders it
 * as text or (--json) as JSON on stdout; errors go through one handler
 * (errors.ts): bad input is one line and exit code 2.
 */
import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerFold } from './commands/fold.js';
import { registerList } from './commands/list.js';
import { registerMerge } from './commands/merge.js';
import { registerReport } from './commands/report.js';
import { registerStudy } from './commands/study.js';
import { registerSweep } from './commands/sweep.js';
import { registerTrain } from './commands/train.js';
import { reportError } from './errors.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('reslab');
  program
    .version(VERSION)
    .description(
      'A laboratory for residual (skip) connections: train block variants side by side on real data, look at what flows through them, and check the algebra.',
    )
    .exitOverride()
    .configureOutput({
      // commander's parse errors: one line, pointing at --help
      writeErr: (s) =>
        process.stderr.write(
          s.startsWith('error: ')
            ? `reslab: ${s
                .slice(7)
                .trim()
                .replace(/\s*\n\s*/g, ' ')} (see --help)\n`
            : s,
        ),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ reslab study skip                  the main job: one- vs two-layer skips per activation, on MNIST
  $ reslab list                        the named studies
  $ reslab train --variant post-2 --depth 24 --act tanh --steps 300
  $ reslab sweep --grid my-study.json
  $ reslab fold post1.json             fold a saved post-1 net into a plain one and compare
  $ reslab report reslab-results/skip-20250101-120000
  $ reslab bench --list

Every computing command takes --json (result on stdout, nothing else there), --out DIR and --debug.
Exit codes: 0 ok, 1 internal error, 2 bad input, 130 interrupted (resume studies with --resume DIR).`,
    );
  registerStudy(program);
  registerTrain(program);
  registerSweep(program);
  registerFold(program);
  registerBench(program);
  registerReport(program);
  registerMerge(program);
  registerList(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}
