/** The reslab executable (bin/reslab.js imports this file): run the program, set the exit code. */
import '@reslab/engine/node';
import { main } from './program.js';
import { enableRelaxedSimd } from './relaxed.js';

enableRelaxedSimd();

// NOTE: exitCode instead of process.exit(): a pending stdout write to a pipe (a large --json result) is never cut off.
process.exitCode = await main();
