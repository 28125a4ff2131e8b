#!/usr/bin/env node
// Parallel studies: the same small study (the skip study's variants on MNIST at a reduced grid)
// with --workers 1 and --workers 2, interleaved (1 2 1 2 ...), as separate CLI processes.
// Prints the wall times, their ratio, the CPU time each used, and whether the results are
// identical (every run's final numbers and loss history).
//
//   node bench/parallel.mjs [--rounds 3] [--quick] [--json] [--workers 2]   (needs npm run build)
import { availableParallelism, loadavg } from 'node:os';
import { median, runStudyOnce } from './study-run.mjs';

const argv = process.argv.slice(2);
const get = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const quick = argv.includes('--quick');
const rounds = Number(get('rounds', quick ? '1' : '3'));
const many = Number(get('workers', '2'));

// 3 variants x 3 activations x 4 seeds = 36 runs (+ 1 fold check) at depth 24, 300 steps (quick: 2 seeds, 150 steps)
const STUDY = [
  'study',
  'skip',
  '--depth',
  '24',
  '--variants',
  'plain,post-1,post-2',
  '--act',
  'relu,tanh,sigmoid',
  '--seeds',
  quick ? '2' : '4',
  '--lr-grid',
  '0.001',
  '--steps',
  quick ? '150' : '300',
  '--data-size',
  '3000',
  '--quiet',
  '--no-charts',
];

const r3 = (x) => Math.round(x * 100) / 100;

/**
 * What --workers n would take on n free cores: the pool's schedule (longest estimated job first, each job to the
 * first free worker) replayed with the job times of a --workers 1 run, plus that run's serial part (start-up,
 * writing the results). An estimate for a machine whose cores are not shared; the measured ratio is printed too.
 */
function predictedWall(run, n, jobCost) {
  const serial = run.wallMs - run.jobTimes.reduce((s, j) => s + j.ms, 0);
  const order = [...run.jobTimes].sort((a, b) => jobCost(b) - jobCost(a));
  const free = new Array(n).fill(0);
  for (const j of order) {
    const w = free.indexOf(Math.min(...free));
    free[w] += j.ms;
  }
  return serial + Math.max(...free);
}

const load0 = loadavg();
const runs = { 1: [], [many]: [] };
for (let r = 0; r < rounds; r++) {
  for (const w of [1, many]) {
    const x = runStudyOnce([...STUDY, '--workers', String(w)]);
    runs[w].push(x);
    process.stderr.write(
      `  round ${r + 1}/${rounds} --workers ${w}: ${(x.wallMs / 1000).toFixed(1)} s wall, ${(x.cpuMs / 1000).toFixed(1)} s CPU\n`,
    );
  }
}
const w1 = median(runs[1].map((x) => x.wallMs));
const wN = median(runs[many].map((x) => x.wallMs));
const c1 = median(runs[1].map((x) => x.cpuMs));
const cN = median(runs[many].map((x) => x.cpuMs));
const all = [...runs[1], ...runs[many]];
const identical = all.every((x) => x.numbers === all[0].numbers);
const speedup = w1 / wN;
const { jobCost } = await import('../dist/pool.js');
const idle = median(runs[1].map((x) => x.wallMs / predictedWall(x, many, jobCost)));
const result = {
  bench: 'parallel',
  title: `parallel study: reslab study skip (${all[0].jobs} jobs: depth 24, plain/post-1/post-2 x relu/tanh/sigmoid x ${quick ? 2 : 4} seeds, MNIST 3000) --workers 1 vs --workers ${many}`,
  rounds,
  cores: availableParallelism(),
  load: [load0, loadavg()].map((l) => l.map(r3)),
  workers: many,
  wallMs: { 1: w1, [many]: wN },
  cpuMs: { 1: c1, [many]: cN },
  speedup,
  /** CPU the --workers N run got on average (cores busy): at most N, less when other processes share the cores */
  coresUsed: cN / wN,
  identical,
  target: 1.8,
  /** the speedup the pool's schedule gives on free cores, from the --workers 1 job times (an estimate) */
  scheduleSpeedup: idle,
};
result.text = [
  result.title,
  `  --workers 1: ${(w1 / 1000).toFixed(1)} s wall (${(c1 / 1000).toFixed(1)} s CPU); --workers ${many}: ${(wN / 1000).toFixed(1)} s wall (${(cN / 1000).toFixed(1)} s CPU, ${result.coresUsed.toFixed(2)} cores busy on average)`,
  `  speedup ${speedup.toFixed(2)}x (target >= ${result.target}x on ${many} cores: ${speedup >= result.target ? 'met' : 'NOT met'}); results identical across runs and worker counts: ${identical ? 'yes' : 'NO'}`,
  `  on ${many} free cores the pool's schedule (replayed with the --workers 1 job times) would give ${idle.toFixed(2)}x (an estimate, not a measurement)`,
  `  medians of ${rounds} round(s); machine: ${result.cores} cores, load average ${result.load[0][0]} -> ${result.load[1][0]} (other processes on the same cores slow the ${many}-worker run most)`,
].join('\n');
if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
else console.log(result.text);
