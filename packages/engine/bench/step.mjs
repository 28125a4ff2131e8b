#!/usr/bin/env node
// ms per training step of the foundation benchmark's residual MLP — batch 128, 784 -> 256,
// 16 two-layer post-addition blocks (ReLU), 10 classes, softmax cross-entropy, SGD — on
// reslab's wasm backend (plain SIMD and relaxed SIMD) and js backend, and on TensorFlow.js
// (wasm backend: SIMD, 1 thread; cpu backend). For reslab also the gemm-only lower bound:
// the step's gemm calls timed on their own in the same process; the rest of the step
// (elementwise kernels, bookkeeping) is what the lower bound does not cover.
//
// Every implementation is measured in `--rounds` separate processes, interleaved
// (A B C D A B C D ...), and the medians are compared; times are CPU time of the process.
// Usage: node bench/step.mjs [--rounds 3] [--quick] [--json] [--only wasm,wasm-relaxed,js,tfjs-wasm,tfjs-cpu]   (needs npm run build)
import { fileURLToPath } from 'node:url';
import { args, gemmLowerBound, interleaved, load, median, msPerCall, RELAXED_FLAG, recordGemms, stepFn } from './lib.mjs';

const B = 128;
const IN = 784;
const W = 256;
const BLOCKS = 16;
const OUT = 10;
const LR = 0.01;
/** CPU ms each implementation is timed for (after warm-up) */
const MIN_MS = { wasm: 1500, 'wasm-relaxed': 1500, js: 3000, 'tfjs-wasm': 3000, 'tfjs-cpu': 4000 };
const IMPLS = [
  { name: 'wasm', flags: [] },
  { name: 'wasm-relaxed', flags: [RELAXED_FLAG] },
  { name: 'js', flags: [] },
  { name: 'tfjs-wasm', flags: [] },
  { name: 'tfjs-cpu', flags: [] },
];
const QUICK = ['wasm', 'wasm-relaxed', 'tfjs-wasm', 'tfjs-cpu'];

const here = fileURLToPath(import.meta.url);

function data() {
  // deterministic pseudo-random inputs in [0, 1) and labels
  let s = 12345;
  const r = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const x = new Float32Array(B * IN).map(r);
  const y = new Int32Array(B).map(() => Math.floor(r() * OUT));
  return { x, y };
}

async function reslab(kind, minMs) {
  const e = await import('../dist/index.js');
  const { relaxedSimdSupported } = await import('@reslab/core-wasm');
  const b = await e.createBackend(kind);
  const spec = { block: 'post', skip: 2, depth: 2 * BLOCKS, width: W, activation: 'relu' };
  const model = e.buildModel(spec, { inputDim: IN, outputDim: OUT }, 1, b);
  const opt = new e.SGD(model.parameters(), { lr: LR, momentum: 0 });
  const { x, y } = data();
  const step = stepFn(e, b, model, opt, x, y, [B, IN]);
  const ms = msPerCall(step, { warm: kind === 'wasm' ? 5 : 1, minMs });
  const out = { ms, params: model.numParameters(), relaxed: kind === 'wasm' && relaxedSimdSupported() };
  if (kind === 'wasm') {
    const lb = gemmLowerBound(b, recordGemms(b, step));
    Object.assign(out, { lowerBoundMs: lb.ms, gemmFlops: lb.flops, gemmCalls: lb.calls, isolatedGflops: lb.gflops });
  }
  return out;
}

async function tfjs(backend, minMs) {
  const { loadTf } = await import('../../../bench/e2e/tfjs_model.mjs');
  const tf = await loadTf(backend);
  const he = (i, o) => tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / i)));
  const zb = (o) => tf.variable(tf.zeros([o]));
  const Win = he(IN, W);
  const bin = zb(W);
  const blocks = Array.from({ length: BLOCKS }, () => [he(W, W), zb(W), he(W, W), zb(W)]);
  const Wout = he(W, OUT);
  const bout = zb(OUT);
  const vars = [Win, bin, ...blocks.flat(), Wout, bout];
  const { x: xd, y: yd } = data();
  const x = tf.tensor2d(xd, [B, IN]);
  const onehot = tf.oneHot(tf.tensor1d(yd, 'int32'), OUT);
  const opt = tf.train.sgd(LR);
  const loss = () => {
    let h = tf.relu(tf.add(tf.matMul(x, Win), bin));
    for (const [W1, b1, W2, b2] of blocks) {
      const z = tf.relu(tf.add(tf.matMul(h, W1), b1));
      h = tf.relu(tf.add(tf.add(tf.matMul(z, W2), b2), h));
    }
    return tf.losses.softmaxCrossEntropy(onehot, tf.add(tf.matMul(h, Wout), bout));
  };
  // NOTE: read the loss back every step, as reslab does (and as any training loop that logs it must).
  const step = () => tf.tidy(() => opt.minimize(loss, true, vars)).dataSync();
  const ms = msPerCall(step, { warm: 2, minMs });
  return { ms, params: vars.reduce((s, v) => s + v.size, 0) };
}

async function child(impl, quick) {
  const minMs = MIN_MS[impl] / (quick ? 3 : 1);
  const r =
    impl.startsWith('wasm') || impl === 'js' ? await reslab(impl === 'js' ? 'js' : 'wasm', minMs) : await tfjs(impl.slice(5), minMs);
  r.summary = `${r.ms.toFixed(1)} ms/step`;
  process.stdout.write(JSON.stringify(r));
}

async function main() {
  const a = args();
  const quick = a.has('quick');
  const rounds = Number(a.get('rounds', quick ? '1' : '3'));
  const only = a.get('only', (quick ? QUICK : IMPLS.map((i) => i.name)).join(',')).split(',');
  const impls = IMPLS.filter((i) => only.includes(i.name));
  const load0 = load();
  process.stderr.write(`training step: ${impls.map((i) => i.name).join(', ')}, ${rounds} round(s)\n`);
  const res = interleaved(here, impls, rounds, { childArgs: quick ? ['--quick'] : [] });
  const flops = 2 * B * (IN * W + 2 * BLOCKS * W * W + W * OUT) * 3 - 2 * B * IN * W; // fwd + dW + dX (no dX for the input)
  const m = {};
  for (const i of impls) m[i.name] = median(res[i.name].map((r) => r.ms));
  const lbOf = (k) => (res[k] ? median(res[k].map((r) => r.lowerBoundMs)) : null);
  const relaxedAvailable = res['wasm-relaxed']?.[0]?.relaxed ?? null;
  // the build the engine picks where the runtime allows it
  const best = relaxedAvailable && m['wasm-relaxed'] ? 'wasm-relaxed' : 'wasm';
  const result = {
    bench: 'step',
    title: `training step: batch ${B}, ${IN}->${W}, ${BLOCKS} two-layer post blocks (ReLU), ${OUT} classes, SGD`,
    rounds,
    load: [load0, load()],
    params: res[impls[0].name][0].params,
    gemmFlops: flops,
    relaxedAvailable,
    best,
    impls: Object.fromEntries(
      impls.map((i) => [i.name, { msPerStep: m[i.name], gflops: flops / 1e6 / m[i.name], lowerBoundMs: lbOf(i.name) }]),
    ),
    ratios: Object.fromEntries(impls.filter((i) => !i.name.startsWith('wasm')).map((i) => [i.name, m[i.name] / m[best]])),
    lowerBoundFraction: lbOf(best) && m[best] ? lbOf(best) / m[best] : null,
    targets: { 'tfjs-wasm': 10, 'tfjs-cpu': 40, lowerBoundFraction: 0.7 },
  };
  result.text = renderStep(result);
  if (a.has('json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.log(result.text);
}

function renderStep(r) {
  const f = (x, d = 1) => (x === null || x === undefined ? '-' : x.toFixed(d));
  const lines = [
    `${r.title}; ${r.params} parameters; ${(r.gemmFlops / 1e9).toFixed(2)} GFLOP of gemm per step`,
    `CPU ms per step, medians over ${r.rounds} process(es) each; load ${r.load[0][0]} -> ${r.load[1][0]}`,
  ];
  for (const [k, v] of Object.entries(r.impls))
    lines.push(
      `  ${k.padEnd(13)} ${f(v.msPerStep).padStart(8)} ms/step  ${f(v.gflops).padStart(6)} GFLOP/s${k === r.best ? '  <- the build the engine picks' : ''}`,
    );
  for (const [k, x] of Object.entries(r.ratios))
    lines.push(
      `  reslab ${r.best} is ${f(x)}x faster than ${k}${r.targets[k] ? ` (target ${r.targets[k]}x: ${x >= r.targets[k] ? 'met' : 'NOT met'})` : ''}`,
    );
  if (r.lowerBoundFraction !== null) {
    const lb = r.impls[r.best].lowerBoundMs;
    lines.push(
      `  gemm-only lower bound ${f(lb)} ms (the step's gemm calls timed alone) = ${f(100 * r.lowerBoundFraction, 0)}% of the step (target >= 70%: ${r.lowerBoundFraction >= 0.7 ? 'met' : 'NOT met'})`,
    );
  }
  return lines.join('\n');
}

const a0 = process.argv.slice(2);
if (a0[0] === '--child') await child(a0[1], a0.includes('--quick'));
else await main();
