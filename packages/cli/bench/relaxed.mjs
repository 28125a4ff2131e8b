#!/usr/bin/env node
// Relaxed SIMD end to end: the same small study with the CLI's default (the relaxed-SIMD build of the core:
// fused multiply-add in gemm; the CLI enables it on Node 20 with a V8 flag) and with RESLAB_RELAXED_SIMD=0
// (the plain SIMD build), interleaved, as separate CLI processes with --workers 1. Prints CPU and wall times,
// the ratio, which build each run used, and how far the numbers of the two builds are apart.
//
//   node bench/relaxed.mjs [--rounds 2] [--quick] [--json]   (needs npm run build)
import { loadavg } from 'node:os';
import { cliCoreBuild, median, runStudyOnce } from './study-run.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const rounds = Number(argv.includes('--rounds') ? argv[argv.indexOf('--rounds') + 1] : quick ? '1' : '2');
const STUDY = [
  'study',
  'skip',
  '--depth',
  '48',
  '--variants',
  'plain,post-1,post-2',
  '--act',
  'relu',
  '--seeds',
  '2',
  '--lr-grid',
  '0.001',
  '--steps',
  quick ? '100' : '300',
  '--data-size',
  '3000',
  '--workers',
  '1',
  '--quiet',
  '--no-charts',
];
const r2 = (x) => Math.round(x * 100) / 100;
const load0 = loadavg();
const runs = { relaxed: [], plain: [] };
for (let r = 0; r < rounds; r++) {
  for (const [k, env] of [
    ['relaxed', {}],
    ['plain', { RESLAB_RELAXED_SIMD: '0' }],
  ]) {
    const x = runStudyOnce(STUDY, env);
    runs[k].push(x);
    process.stderr.write(`  round ${r + 1}/${rounds} ${k}: ${(x.cpuMs / 1000).toFixed(1)} s CPU, ${(x.wallMs / 1000).toFixed(1)} s wall\n`);
  }
}
const m = (k, f) => median(runs[k].map(f));
const cpuR = m('relaxed', (x) => x.cpuMs);
const cpuP = m('plain', (x) => x.cpuMs);
const wallR = m('relaxed', (x) => x.wallMs);
const wallP = m('plain', (x) => x.wallMs);
// how far apart the two builds' numbers are: max |final train loss difference| over the runs
const a = runs.relaxed[0].records;
const b = new Map(runs.plain[0].records.map((r) => [r.id, r]));
const diffs = [];
for (const r of a) {
  const q = b.get(r.id);
  if (r.result?.finalTrainLoss != null && q?.result?.finalTrainLoss != null)
    diffs.push(Math.abs(r.result.finalTrainLoss - q.result.finalTrainLoss) / Math.max(Math.abs(q.result.finalTrainLoss), 1e-12));
}
const lossRelDiff = { median: median(diffs), max: diffs.length ? Math.max(...diffs) : null };
const sameWithin = (k) => runs[k].every((x) => x.numbers === runs[k][0].numbers);
const result = {
  bench: 'relaxed',
  title: `relaxed SIMD end to end: reslab study skip (${runs.relaxed[0].jobs} jobs, depth 48, --workers 1), default (relaxed) vs RESLAB_RELAXED_SIMD=0 (plain SIMD)`,
  rounds,
  load: [load0, loadavg()].map((l) => l.map(r2)),
  cpuMs: { relaxed: cpuR, plain: cpuP },
  wallMs: { relaxed: wallR, plain: wallP },
  speedup: cpuP / cpuR,
  builds: { relaxed: cliCoreBuild(), plain: cliCoreBuild({ RESLAB_RELAXED_SIMD: '0' }) },
  deterministic: { relaxed: sameWithin('relaxed'), plain: sameWithin('plain') },
  finalTrainLossRelDiff: lossRelDiff,
};
result.text = [
  result.title,
  `  CPU time: relaxed ${(cpuR / 1000).toFixed(1)} s, plain ${(cpuP / 1000).toFixed(1)} s: relaxed SIMD is ${result.speedup.toFixed(2)}x faster (wall ${(wallR / 1000).toFixed(1)} s vs ${(wallP / 1000).toFixed(1)} s)`,
  `  the core build the CLI picks (main thread / worker threads): default ${result.builds.relaxed.main}/${result.builds.relaxed.worker}, RESLAB_RELAXED_SIMD=0 ${result.builds.plain.main}/${result.builds.plain.worker}`,
  `  each build repeats its own numbers exactly: relaxed ${result.deterministic.relaxed ? 'yes' : 'NO'}, plain ${result.deterministic.plain ? 'yes' : 'NO'}; between the builds the final train losses differ (a fused multiply-add rounds once, and training amplifies it): median ${lossRelDiff.median === null ? '-' : (100 * lossRelDiff.median).toFixed(2)}%, max ${lossRelDiff.max === null ? '-' : (100 * lossRelDiff.max).toFixed(1)}% relative`,
  `  medians of ${rounds} round(s); load average ${result.load[0][0]} -> ${result.load[1][0]}`,
].join('\n');
if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
else console.log(result.text);
