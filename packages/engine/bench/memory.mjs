#!/usr/bin/env node
// Memory over a long run: 10,000 training steps through the Trainer (the loop the CLI and the
// web lab run: batch copy, forward, backward, optimizer, arena reset, periodic evaluation)
// must leave the wasm memory and the JS heap flat. The heap is measured after a full GC
// (the child runs with --expose-gc) after warm-up and at the end; the wasm memory is the
// size of its buffer.
//
//   node bench/memory.mjs [--steps 10000] [--quick] [--json]   (needs npm run build)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { args, load } from './lib.mjs';

const here = fileURLToPath(import.meta.url);
/** the first evaluation (step 1000) sizes the arena for the eval batches: measure from there */
const WARM = 1000;
/** heap growth (bytes) between the end of warm-up and the last step that still counts as flat */
const HEAP_SLACK = 256 * 1024;

async function child(steps) {
  await import('../dist/node/index.js');
  const e = await import('../dist/index.js');
  const b = await e.createBackend('wasm');
  const spec = {
    model: { block: 'post', skip: 2, depth: 8, width: 64, activation: 'relu' },
    train: { optimizer: 'adam', lr: 1e-3, batchSize: 64, epochs: 10000, maxSteps: steps, evalEvery: 1000 },
    data: { name: 'mnist', size: 2000, trainRatio: 0.8 },
    seed: 1,
  };
  let events = 0;
  const tr = await e.Trainer.create(spec, { backend: b, onEvent: () => events++ });
  const snap = () => {
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    return {
      step: tr.step,
      heapUsed: m.heapUsed,
      wasmBytes: b.usage().capacity,
      arenaBytes: b.usage().arena,
      persistentBytes: b.usage().persistent,
    };
  };
  const at = [snap()];
  const t0 = performance.now();
  while (!tr.done) {
    tr.trainStep();
    if (tr.step === WARM || tr.step % 2500 === 0) at.push(snap());
  }
  if (at.at(-1).step !== tr.step) at.push(snap());
  const res = tr.finish();
  const warm = at.find((s) => s.step === WARM) ?? at[0];
  const end = at.at(-1);
  process.stdout.write(
    JSON.stringify({
      steps: tr.step,
      status: res.status,
      evals: res.history.length,
      events,
      wallMs: performance.now() - t0,
      snapshots: at,
      heapGrowth: end.heapUsed - warm.heapUsed,
      wasmGrowth: end.wasmBytes - warm.wasmBytes,
      summary: `heap ${(warm.heapUsed / 2 ** 20).toFixed(2)} -> ${(end.heapUsed / 2 ** 20).toFixed(2)} MiB, wasm ${(warm.wasmBytes / 2 ** 20).toFixed(2)} -> ${(end.wasmBytes / 2 ** 20).toFixed(2)} MiB`,
    }),
  );
}

async function main() {
  const a = args();
  const steps = Number(a.get('steps', a.has('quick') ? '3000' : '10000'));
  const load0 = load();
  process.stderr.write(`memory: ${steps} training steps in one process (--expose-gc)\n`);
  const out = JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', here, '--child', String(steps)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const flat = out.wasmGrowth === 0 && out.heapGrowth <= HEAP_SLACK;
  const result = {
    bench: 'memory',
    title: `memory over ${out.steps} training steps (Trainer, post-2 depth 8 width 64, batch 64, Adam, MNIST 2000, eval every 1000 steps)`,
    load: [load0, load()],
    ...out,
    heapSlack: HEAP_SLACK,
    flat,
  };
  const mib = (x) => `${(x / 2 ** 20).toFixed(2)} MiB`;
  const kib = (x) => `${(x / 1024).toFixed(1)} KiB`;
  result.text = [
    result.title,
    ...out.snapshots.map(
      (s) =>
        `  after step ${String(s.step).padStart(5)}: JS heap ${mib(s.heapUsed)}, wasm memory ${mib(s.wasmBytes)} (persistent ${kib(s.persistentBytes)})`,
    ),
    `  from step ${WARM} to step ${out.steps}: JS heap ${out.heapGrowth >= 0 ? '+' : ''}${kib(out.heapGrowth)} (${(out.heapGrowth / (out.steps - WARM)).toFixed(1)} B/step; the run keeps its ${out.evals} eval records by design), wasm memory ${out.wasmGrowth >= 0 ? '+' : ''}${kib(out.wasmGrowth)}: ${flat ? 'flat' : 'NOT flat'} (allowed: heap <= ${kib(HEAP_SLACK)}, wasm 0)`,
  ].join('\n');
  if (a.has('json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.log(result.text);
}

const a0 = process.argv.slice(2);
if (a0[0] === '--child') await child(Number(a0[1]));
else await main();
