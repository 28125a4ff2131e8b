// Runs the built CLI once (`reslab <args> --out DIR --json`) as a separate process and returns its wall time,
// its CPU time (all threads, via cpu-preload.mjs), the per-job times and a fingerprint of every run's numbers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = join(here, '..', 'bin', 'reslab.js');

export function runStudyOnce(args, env = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'reslab-bench-study-'));
  try {
    const cpuFile = join(dir, 'cpu.json');
    const t0 = performance.now();
    const p = spawnSync(process.execPath, ['--import', join(here, 'cpu-preload.mjs'), BIN, ...args, '--out', join(dir, 'out'), '--json'], {
      encoding: 'utf8',
      env: { ...process.env, RESLAB_BENCH_CPU_FILE: cpuFile, NO_COLOR: '1', ...env },
      maxBuffer: 1 << 28,
    });
    const wallMs = performance.now() - t0;
    if (p.status !== 0) throw new Error(`reslab ${args.join(' ')} failed (exit ${p.status}): ${p.stderr}`);
    const cpu = JSON.parse(readFileSync(cpuFile, 'utf8'));
    const recs = readFileSync(join(dir, 'out', 'results.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const numbers = recs.map((r) => [
      r.id,
      r.result?.status,
      r.result?.finalTrainLoss,
      r.result?.finalTestAcc,
      r.result?.history.map((h) => h.trainLoss),
      r.fold?.maxAbsDiff ?? null,
    ]);
    const jobTimes = recs.map((r) => ({ kind: r.kind, spec: r.spec, trained: r.result !== null, ms: r.timeMs }));
    return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, jobs: recs.length, jobTimes, numbers: JSON.stringify(numbers), records: recs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Which build of the wasm core the CLI's engine picks under `env`: 'relaxed' or 'simd' (checked in a fresh process, as the CLI starts). */
export function cliCoreBuild(env = {}) {
  const cliDist = join(here, '..', 'dist');
  const code = `const { enableRelaxedSimd } = await import(${JSON.stringify(join(cliDist, 'relaxed.js'))});
enableRelaxedSimd();
const { createBackend } = await import('@reslab/engine');
const { Worker } = await import('node:worker_threads');
const main = (await createBackend('wasm')).relaxedSimd;
const w = new Worker("const { parentPort } = await import('node:worker_threads'); const e = await import('@reslab/engine'); parentPort.postMessage((await e.createBackend('wasm')).relaxedSimd);", { eval: true });
w.once('message', (inWorker) => { console.log(JSON.stringify({ main, inWorker })); w.terminate(); });`;
  const p = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: join(here, '..'),
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (p.status !== 0) throw new Error(`checking the core build failed: ${p.stderr}`);
  const r = JSON.parse(p.stdout);
  return { main: r.main ? 'relaxed' : 'simd', worker: r.inWorker ? 'relaxed' : 'simd' };
}
