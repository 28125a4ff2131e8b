#!/usr/bin/env node
// Small networks, the main job's shapes: width 64, batch 64, MNIST-sized inputs (784 -> 10),
// Adam, depth 24/48, several block variants. Training steps per second of reslab (wasm core,
// plain SIMD and relaxed SIMD) next to TensorFlow.js (wasm backend: SIMD, 1 thread; cpu),
// plus, for reslab, what bounds the step: the gemm-only lower bound (the step's gemm calls
// timed on their own), kernel calls per step and JS bytes allocated per step.
//
// --norm batch|layer puts that normalisation in every block (reslab only: the TensorFlow.js peer has none).
//
//   node bench/small.mjs [--rounds 3] [--quick] [--json] [--only reslab,tfjs-wasm] [--norm batch]   (needs npm run build)
import { fileURLToPath } from 'node:url';
import { args, gemmLowerBound, interleaved, load, median, msPerCall, RELAXED_FLAG, recordGemms, stepFn } from './lib.mjs';

const here = fileURLToPath(import.meta.url);
const B = 64;
const IN = 784;
const OUT = 10;
const WIDTH = 64;
const LR = 1e-3;
const CONFIGS = [
  { variant: 'post-2', activation: 'relu', depth: 48 },
  { variant: 'plain', activation: 'tanh', depth: 48 },
  { variant: 'preact-1', activation: 'sigmoid', depth: 24 },
];
const IMPLS = [
  { name: 'reslab', flags: ['--expose-gc', '--max-semi-space-size=64'] },
  { name: 'reslab-relaxed', flags: ['--expose-gc', '--max-semi-space-size=64', RELAXED_FLAG] },
  { name: 'tfjs-wasm', flags: [] },
  { name: 'tfjs-cpu', flags: [] },
];

function data() {
  let s = 12345;
  const r = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return { x: new Float32Array(B * IN).map(r), y: new Int32Array(B).map(() => Math.floor(r() * OUT)) };
}

const NORMS = ['none', 'batch', 'layer'];

async function reslab(cfgs, minMs, norm) {
  const e = await import('../dist/index.js');
  const { jsBytesPerCall } = await import('../dist/node/index.js');
  const b = await e.createBackend('wasm');
  const { relaxedSimdSupported } = await import('@reslab/core-wasm');
  const { x, y } = data();
  const rows = [];
  for (const c of cfgs) {
    const mark = b.mark();
    const { block, skip } = e.parseVariant(c.variant);
    const model = e.buildModel(
      { block, skip, depth: c.depth, width: WIDTH, activation: c.activation, norm },
      { inputDim: IN, outputDim: OUT },
      1,
      b,
    );
    const opt = new e.Adam(model.parameters(), { lr: LR });
    const step = stepFn(e, b, model, opt, x, y, [B, IN]);
    const ms = msPerCall(step, { warm: 20, minMs });
    // JS allocation first, while the step's code is hot and stable (the counting wrappers below deoptimise it)
    const jsBytesPerStep = await jsBytesPerCall(step, 300, { windows: 3 });
    // kernel calls per step
    let kcalls = 0;
    const saved = { ...b.k };
    for (const name of Object.keys(saved)) {
      if (typeof saved[name] !== 'function') continue;
      b.k[name] = (...a) => {
        kcalls++;
        return saved[name](...a);
      };
    }
    step();
    Object.assign(b.k, saved);
    const gemms = recordGemms(b, step);
    const lb = gemmLowerBound(b, gemms);
    rows.push({
      ...c,
      ms,
      lowerBoundMs: lb.ms,
      gemmFlops: lb.flops,
      gemmCalls: lb.calls,
      kernelCalls: kcalls,
      jsBytesPerStep,
    });
    b.release(mark);
  }
  return { rows, relaxed: relaxedSimdSupported() };
}

async function tfjs(backend, cfgs, minMs) {
  const { loadTf, buildMlp } = await import('../../../bench/e2e/tfjs_model.mjs');
  const tf = await loadTf(backend);
  const { x: xd, y: yd } = data();
  const x = tf.tensor2d(xd, [B, IN]);
  const onehot = tf.oneHot(tf.tensor1d(yd, 'int32'), OUT);
  const rows = [];
  for (const c of cfgs) {
    const m = buildMlp(tf, { ...c, width: WIDTH, inputDim: IN, outputDim: OUT });
    const opt = tf.train.adam(LR, 0.9, 0.999, 1e-8);
    const step = () => tf.tidy(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, m.forward(x)), true, m.vars)).dataSync();
    const ms = msPerCall(step, { warm: 3, minMs });
    rows.push({ ...c, ms });
    for (const v of m.vars) v.dispose();
    opt.dispose();
  }
  return { rows };
}

async function child(impl, quick, norm) {
  const cfgs = quick ? CONFIGS.slice(0, 1) : CONFIGS;
  const minMs = quick ? 400 : 1200;
  const r = impl.startsWith('reslab')
    ? await reslab(cfgs, minMs, norm)
    : await tfjs(impl.slice(5), cfgs, impl === 'tfjs-cpu' ? minMs / 2 : minMs);
  r.summary = r.rows.map((row) => `${row.variant}/${row.activation}/d${row.depth} ${row.ms.toFixed(2)} ms`).join(', ');
  process.stdout.write(JSON.stringify(r));
}

async function main() {
  const a = args();
  const quick = a.has('quick');
  const rounds = Number(a.get('rounds', quick ? '1' : '3'));
  const only = a.get('only', IMPLS.map((i) => i.name).join(',')).split(',');
  const impls = IMPLS.filter((i) => only.includes(i.name));
  const norm = a.get('norm', 'none');
  if (!NORMS.includes(norm)) fail(`--norm must be one of ${NORMS.join(', ')} (got '${norm}')`);
  if (norm !== 'none' && impls.some((i) => !i.name.startsWith('reslab')))
    fail('--norm: the TensorFlow.js nets have no normalisation; add --only reslab,reslab-relaxed');
  const load0 = load();
  process.stderr.write(
    `small networks${norm === 'none' ? '' : `, ${norm} norm`}: ${impls.map((i) => i.name).join(', ')}, ${rounds} round(s)\n`,
  );
  const res = interleaved(here, impls, rounds, { childArgs: [...(quick ? ['--quick'] : []), '--norm', norm] });
  const cfgs = quick ? CONFIGS.slice(0, 1) : CONFIGS;
  const rows = cfgs.map((c, i) => {
    const m = (impl, key) => median((res[impl] ?? []).map((r) => r.rows[i][key]));
    const row = { config: `${c.variant} ${c.activation} depth ${c.depth}${norm === 'none' ? '' : ` ${norm} norm`}`, ...c, norm };
    for (const impl of impls) row[impl.name] = { msPerStep: m(impl.name, 'ms'), stepsPerSec: 1000 / m(impl.name, 'ms') };
    for (const k of ['reslab', 'reslab-relaxed'])
      if (row[k])
        Object.assign(row[k], {
          lowerBoundMs: m(k, 'lowerBoundMs'),
          kernelCalls: m(k, 'kernelCalls'),
          gemmCalls: m(k, 'gemmCalls'),
          jsBytesPerStep: m(k, 'jsBytesPerStep'),
          gemmFlops: m(k, 'gemmFlops'),
        });
    return row;
  });
  const result = {
    bench: 'small',
    title: `small networks: width ${WIDTH}, batch ${B}, ${IN} -> ${OUT}, Adam (the skip study's shapes)${norm === 'none' ? '' : `, ${norm} norm`}`,
    rounds,
    load: [load0, load()],
    relaxedAvailable: res['reslab-relaxed']?.[0]?.relaxed ?? null,
    rows,
  };
  result.text = renderSmall(result);
  if (a.has('json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.log(result.text);
}

export function renderSmall(r) {
  const f = (x, d = 1) => (x === null || x === undefined ? '-' : x.toFixed(d));
  const lines = [`${r.title}; medians of ${r.rounds} process(es) each; load ${r.load.map((l) => l[0]).join(' -> ')}`];
  for (const row of r.rows) {
    const base = row['reslab-relaxed']?.msPerStep && r.relaxedAvailable ? 'reslab-relaxed' : 'reslab';
    const me = row[base] ?? row.reslab;
    const parts = Object.keys(row)
      .filter((k) => typeof row[k] === 'object' && row[k]?.msPerStep)
      .map((k) => `${k} ${f(row[k].stepsPerSec, 0)} steps/s (${f(row[k].msPerStep, 2)} ms)`);
    lines.push(`  ${row.config}: ${parts.join(', ')}`);
    if (me) {
      for (const k of ['tfjs-wasm', 'tfjs-cpu'])
        if (row[k]) lines.push(`    ${base} is ${f(row[k].msPerStep / me.msPerStep)}x faster than ${k}`);
      if (me.lowerBoundMs)
        lines.push(
          `    gemm-only lower bound ${f(me.lowerBoundMs, 2)} ms = ${f((100 * me.lowerBoundMs) / me.msPerStep, 0)}% of the step; ${me.kernelCalls} kernel calls (${me.gemmCalls} gemm), ~${f(me.jsBytesPerStep / 1024, 1)} KiB of JS objects per step`,
        );
    }
  }
  return lines.join('\n');
}

function fail(message) {
  process.stderr.write(`small: ${message}\n`);
  process.exit(2);
}

const a0 = process.argv.slice(2);
if (a0[0] === '--child') await child(a0[1], a0.includes('--quick'), args(a0).get('norm', 'none'));
else await main();
