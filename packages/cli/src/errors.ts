/**
 * One error handler for every command. Bad input (UsageError, the engine's
 * SpecError, commander's parse errors) is one line on stderr and exit code 2;
 * anything else is an internal error, exit code 1. `--debug` adds the stack.
 */
import { CommanderError } from 'commander';

/** Invalid user input: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The user stopped the command (Ctrl-C): exit code 130, nothing else to say. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

export const EXIT_USAGE = 2;

const isSpecError = (e: unknown): e is Error => e instanceof Error && e.name === 'SpecError';

export const debugRequested = (argv: readonly string[] = process.argv): boolean =>
  argv.includes('--debug') || process.env.RESLAB_DEBUG === '1';

/** Collapse a multi-line message into one line. */
const oneLine = (s: string): string =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ');

export function exitCodeFor(e: unknown): number {
  if (e instanceof Interrupted) return 130;
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
  if (e instanceof UsageError || isSpecError(e)) return EXIT_USAGE;
  return 1;
}

/** Print the error the way its kind asks for and return the exit code. */
export function reportError(e: unknown, debug = debugRequested()): number {
  const code = exitCodeFor(e);
  if (e instanceof CommanderError) {
    // commander has already printed its message (see configureOutput); nothing more unless debugging
    if (debug && code !== 0) process.stderr.write(`${e.stack}\n`);
    return code;
  }
  if (e instanceof Interrupted) {
    process.stderr.write(`${e.message}\n`);
    return code;
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (code === EXIT_USAGE) process.stderr.write(`reslab: ${oneLine(msg)}\n`);
  else process.stderr.write(`reslab: internal error: ${oneLine(msg)}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
  if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  return code;
}
