#!/usr/bin/env node
// End to end: the main job (`reslab study skip`) against what a researcher would use instead —
// the same study (variants, depths, widths, data, steps, batch, Adam, learning rates, seeds,
// evaluation schedule) written in PyTorch (torch_adapter.py: CPU, one thread per run, 2
// processes in parallel like reslab's 2 workers) and in TensorFlow.js wasm (tfjs_adapter.mjs:
// SIMD, 1 thread per process, 2 processes). Not part of reslab and not in CI.
//
//   node bench/e2e/run.mjs [--grid full|reduced] [--rounds 1] [--workers 2]
//                          [--torch-sample N] [--torch-refblas-sample N] [--tfjs-sample N]
//                          [--openblas DIR] [--skip torch,torch-refblas,tfjs] [--json]
//
// --grid full is the study as `reslab study skip` runs it (324 runs + 1 check); reduced keeps
// every variant, depth, width, the data, steps and batch but one seed and one learning rate
// (36 runs + 1 check). A peer given a sample size runs only that many runs of the grid
// (spread over it evenly) and its wall time for the whole grid is extrapolated from them in
// proportion to the runs' cost (steps x flops per example); the output says which numbers
// are extrapolated. Peers run interleaved with reslab (reslab, torch, ..., reslab, torch, ...).
//
// PyTorch: Debian's python3-torch (`apt-get install -y python3-torch`) calls the reference
// BLAS (libblas3) unless an optimised one is installed; `torch` runs it with OpenBLAS via
// LD_LIBRARY_PATH (the folder of libopenblas0-pthread: `apt-get install libopenblas0-pthread`,
// or unpack its .deb and pass --openblas DIR), `torch-refblas` as installed.
// Needs `npm run build` (reslab's CLI and engine).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepare } from './prepare.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const BIN = join(root, 'packages', 'cli', 'bin', 'reslab.js');
const CPU_PRELOAD = join(root, 'packages', 'cli', 'bench', 'cpu-preload.mjs');
const argv = process.argv.slice(2);
const get = (n, d) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : d);
const grid = get('grid', 'full');
const rounds = Number(get('rounds', '1'));
const workers = Number(get('workers', '2'));
const skip = new Set(get('skip', '').split(',').filter(Boolean));
const PYTHON = get('python', '/usr/bin/python3');
const OPENBLAS_DEFAULTS = ['/usr/lib/x86_64-linux-gnu/openblas-pthread', '/tmp/openblas/root/usr/lib/x86_64-linux-gnu/openblas-pthread'];
const openblas = get('openblas', OPENBLAS_DEFAULTS.find((d) => existsSync(join(d, 'libblas.so.3'))) ?? '');

const GRIDS = {
  full: { flags: [], overrides: {} },
  reduced: { flags: ['--seeds', '1', '--lr-grid', '0.001'], overrides: { seeds: 1, lrGrid: [0.001] } },
  // a smoke test of the harness: 2 runs
  tiny: {
    flags: ['--depth', '24', '--variants', 'plain,post-2', '--act', 'relu', '--seeds', '1', '--lr-grid', '0.001'],
    overrides: { grid: { 'model.depth': [24], variant: ['plain', 'post-2'], 'model.activation': ['relu'] }, seeds: 1, lrGrid: [0.001] },
  },
};
if (!GRIDS[grid]) {
  console.error(`--grid must be full, reduced or tiny, got '${grid}'`);
  process.exit(2);
}

const cost = (j) => j.train.steps * (j.model.width * 794 + j.model.depth * j.model.width ** 2);
const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};

/** `n` job indices spread evenly over the plan (every cell of the first axes is visited). */
function sample(jobs, n) {
  if (!n || n >= jobs.length) return jobs.map((_, i) => i);
  const out = [];
  for (let k = 0; k < n; k++) out.push(Math.floor(((k + 0.5) * jobs.length) / n));
  return [...new Set(out)];
}

function python(args, env) {
  const p = spawnSync(PYTHON, [join(here, 'torch_adapter.py'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 28,
  });
  if (p.status === 3) throw new Error(p.stderr.trim());
  if (p.status !== 0) throw new Error(`torch_adapter.py failed (exit ${p.status}): ${p.stderr}`);
  return JSON.parse(p.stdout);
}

function reslab(work) {
  const cpuFile = join(work, 'reslab-cpu.json');
  const out = join(work, `reslab-${Date.now()}`);
  const t0 = performance.now();
  const p = spawnSync(
    process.execPath,
    ['--import', CPU_PRELOAD, BIN, 'study', 'skip', ...GRIDS[grid].flags, '--workers', String(workers), '--out', out, '--quiet', '--json'],
    { encoding: 'utf8', env: { ...process.env, RESLAB_BENCH_CPU_FILE: cpuFile, NO_COLOR: '1' }, maxBuffer: 1 << 28 },
  );
  const wallMs = performance.now() - t0;
  if (p.status !== 0) throw new Error(`reslab study skip failed (exit ${p.status}): ${p.stderr}`);
  const cpu = JSON.parse(readFileSync(cpuFile, 'utf8'));
  const runs = readFileSync(join(out, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'train')
    .map((r) => ({ id: r.id, status: r.result?.status ?? 'error', finalTestAcc: r.result?.finalTestAcc ?? null }));
  rmSync(out, { recursive: true, force: true });
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, runs };
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'reslab-e2e-'));
  const load0 = loadavg();
  try {
    process.stderr.write(`e2e: preparing the skip study (${grid} grid) in ${work}\n`);
    const { jobs, checks } = await prepare(work, GRIDS[grid].overrides);
    const totalCost = jobs.reduce((s, j) => s + cost(j), 0);
    const peers = [];
    if (!skip.has('torch')) {
      if (openblas)
        peers.push({
          name: 'pytorch',
          label: `PyTorch + OpenBLAS (${openblas})`,
          env: { LD_LIBRARY_PATH: openblas },
          n: Number(get('torch-sample', '0')),
        });
      else process.stderr.write('e2e: no OpenBLAS found (give --openblas DIR): PyTorch runs with the BLAS it finds\n');
    }
    if (!skip.has('torch-refblas'))
      peers.push({
        name: 'pytorch-refblas',
        label: "PyTorch, Debian's default BLAS (reference libblas3)",
        env: {},
        n: Number(get('torch-refblas-sample', '12')),
      });
    if (!skip.has('tfjs'))
      peers.push({ name: 'tfjs-wasm', label: 'TensorFlow.js wasm (SIMD, 1 thread per process)', n: Number(get('tfjs-sample', '12')) });
    const res = { reslab: [] };
    for (const p of peers) res[p.name] = [];
    for (let r = 0; r < rounds; r++) {
      const x = reslab(work);
      res.reslab.push(x);
      process.stderr.write(
        `  round ${r + 1}/${rounds} reslab: ${(x.wallMs / 1000).toFixed(1)} s wall, ${(x.cpuMs / 1000).toFixed(1)} s CPU, ${x.runs.length} runs + ${checks} check(s)\n`,
      );
      for (const p of peers) {
        const idx = sample(jobs, p.n);
        const scale = totalCost / idx.reduce((s, i) => s + cost(jobs[i]), 0);
        const args = [work, '--procs', String(workers), ...(idx.length < jobs.length ? ['--jobs', idx.join(',')] : [])];
        let out;
        try {
          if (p.name.startsWith('pytorch')) out = python(args, p.env);
          else
            out = JSON.parse(
              execFileSync(process.execPath, [join(here, 'tfjs_adapter.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 }),
            );
        } catch (e) {
          process.stderr.write(`  ${p.name}: ${e.message}\n`);
          p.failed = e.message;
          continue;
        }
        const y = {
          wallMs: out.wallMs,
          cpuMs: out.cpuMs,
          runs: out.runs,
          sampled: idx.length,
          scale,
          fullWallMs: out.wallMs * scale,
          fullCpuMs: out.cpuMs * scale,
        };
        res[p.name].push(y);
        process.stderr.write(
          `  round ${r + 1}/${rounds} ${p.name}: ${idx.length} runs in ${(out.wallMs / 1000).toFixed(1)} s wall (${(out.cpuMs / 1000).toFixed(1)} s CPU)${idx.length < jobs.length ? `, whole grid ~${((out.wallMs * scale) / 1000).toFixed(0)} s (extrapolated x${scale.toFixed(1)})` : ''}\n`,
        );
      }
    }
    const acc = (runs) => median(runs.filter((r) => r.status === 'ok').map((r) => r.finalTestAcc));
    const R = {
      wallMs: median(res.reslab.map((x) => x.wallMs)),
      cpuMs: median(res.reslab.map((x) => x.cpuMs)),
      medianTestAcc: acc(res.reslab[0].runs),
      diverged: res.reslab[0].runs.filter((r) => r.status !== 'ok').length,
    };
    const result = {
      bench: 'e2e',
      title: `the main job end to end: the skip study (${grid} grid: ${jobs.length} training runs${checks ? `; reslab also runs ${checks} fold check(s) and fold-checks every trained post-1 net` : ''}) on ${workers} processes/workers`,
      grid,
      runs: jobs.length,
      rounds,
      cores: availableParallelism(),
      load: [load0, loadavg()].map((l) => l.map((v) => Math.round(v * 100) / 100)),
      reslab: R,
      peers: peers.map((p) => {
        const xs = res[p.name];
        if (!xs.length) return { name: p.name, label: p.label, failed: p.failed ?? 'not run' };
        const full = median(xs.map((x) => x.fullWallMs));
        return {
          name: p.name,
          label: p.label,
          sampledRuns: xs[0].sampled,
          extrapolated: xs[0].sampled < jobs.length,
          wallMs: full,
          cpuMs: median(xs.map((x) => x.fullCpuMs)),
          measuredWallMs: median(xs.map((x) => x.wallMs)),
          ratio: full / R.wallMs,
          cpuRatio: median(xs.map((x) => x.fullCpuMs)) / R.cpuMs,
          medianTestAcc: acc(xs[0].runs),
          /** same run id, both finished: |test accuracy difference| (percentage points); training is chaotic, only the distribution is comparable */
          accDiff: (() => {
            const mine = new Map(res.reslab[0].runs.map((q) => [q.id, q.finalTestAcc]));
            const d = xs[0].runs
              .filter((x) => x.finalTestAcc !== null && mine.get(x.id) != null)
              .map((x) => 100 * Math.abs(x.finalTestAcc - mine.get(x.id)));
            return { runs: d.length, median: median(d), over10: d.filter((v) => v > 10).length };
          })(),
          reslabTestAccSameRuns: acc(res.reslab[0].runs.filter((q) => xs[0].runs.some((x) => x.id === q.id))),
          diverged: xs[0].runs.filter((r) => r.status !== 'ok').length,
        };
      }),
      targets: { pytorch: 'reslab wall time <= PyTorch', 'tfjs-wasm': 'reslab >= 10x faster' },
    };
    result.text = render(result);
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
    else console.log(result.text);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function render(r) {
  const s = (ms) => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
  const pct = (x) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
  const lines = [
    r.title,
    `  reslab study skip: ${s(r.reslab.wallMs)} wall, ${s(r.reslab.cpuMs)} CPU; median test accuracy ${pct(r.reslab.medianTestAcc)}, ${r.reslab.diverged} diverged`,
  ];
  for (const p of r.peers) {
    if (p.failed) {
      lines.push(`  ${p.label}: not measured (${p.failed.split('\n')[0]})`);
      continue;
    }
    const ex = p.extrapolated ? ` (extrapolated from ${p.sampledRuns} runs: ${s(p.measuredWallMs)})` : '';
    let verdict = '';
    if (p.name === 'pytorch') verdict = ` -> target reslab <= PyTorch: ${p.ratio >= 1 ? 'met' : 'NOT met'}`;
    if (p.name === 'tfjs-wasm') verdict = ` -> target >= 10x: ${p.ratio >= 10 ? 'met' : 'NOT met'}`;
    lines.push(
      `  ${p.label}: ${s(p.wallMs)} wall${ex}, ${s(p.cpuMs)} CPU; reslab is ${p.ratio.toFixed(2)}x faster (CPU ${p.cpuRatio.toFixed(2)}x)${verdict}`,
      `    same training: median test accuracy ${pct(p.medianTestAcc)} (reslab on the same runs ${pct(p.reslabTestAccSameRuns)}), ${p.diverged} diverged; per run |difference| median ${p.accDiff.median === null ? '-' : p.accDiff.median.toFixed(1)} points, over 10 points in ${p.accDiff.over10} of ${p.accDiff.runs}`,
    );
  }
  lines.push(
    `  medians of ${r.rounds} round(s); ${r.cores} cores, load average ${r.load[0][0]} -> ${r.load[1][0]} (the cores are shared with other processes: wall times include their share)`,
  );
  return lines.join('\n');
}

await main();
