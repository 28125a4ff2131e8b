// Preloaded (node --import) by bench/parallel.mjs: writes the process's CPU time (all threads, worker threads
// included) to $RESLAB_BENCH_CPU_FILE when the process exits.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.RESLAB_BENCH_CPU_FILE) writeFileSync(process.env.RESLAB_BENCH_CPU_FILE, JSON.stringify(process.cpuUsage()));
});
