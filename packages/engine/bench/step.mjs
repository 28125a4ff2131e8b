#!/usr/bin/env node
// ms per training step of the foundation benchmark's residual MLP — batch 128, 784 -> 256,
// 16 two-layer post-addition blocks (ReLU), 10 classes, softmax cross-entropy, SGD — on
// reslab's wasm and js backends and on TensorFlow.js (wasm backend: SIMD, 1 thread; cpu backend).
//
// Wasm code runs at one of two speeds per process, so every implementation is measured in
// `--rounds` separate processes, interleaved (A B C D A B C D ...), and the medians are compared.
// Usage: node bench/step.mjs [--rounds 3] [--only wasm,js,tfjs-wasm,tfjs-cpu]   (needs `npm run build`)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const B = 128;
const IN = 784;
const W = 256;
const BLOCKS = 16;
const OUT = 10;
const LR = 0.01;
/** steps timed per implementation (after warm-up), chosen so each takes a few seconds at most */
const STEPS = { wasm: 30, js: 3, 'tfjs-wasm': 6, 'tfjs-cpu': 3 };
const WARMUP = { wasm: 5, js: 1, 'tfjs-wasm': 2, 'tfjs-cpu': 1 };
const IMPLS = Object.keys(STEPS);

const here = fileURLToPath(import.meta.url);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

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

function time(step, warm, n) {
  for (let i = 0; i < warm; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) step();
  return (performance.now() - t0) / n;
}

async function reslab(kind) {
  const e = await import('../dist/index.js');
  const b = await e.createBackend(kind);
  const spec = { block: 'post', skip: 2, depth: 2 * BLOCKS, width: W, activation: 'relu' };
  const model = e.buildModel(spec, { inputDim: IN, outputDim: OUT }, 1, b);
  const opt = new e.SGD(model.parameters(), { lr: LR });
  const { x, y } = data();
  const step = () => {
    const xt = e.tensor(b, x, [B, IN]);
    const loss = e.softmaxCrossEntropy(model.forward(xt), e.labels(b, y));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    b.resetArena();
  };
  const ms = time(step, WARMUP[kind === 'wasm' ? 'wasm' : 'js'], STEPS[kind === 'wasm' ? 'wasm' : 'js']);
  return { ms, params: model.numParameters() };
}

async function tfjs(backend) {
  // NOTE: drop tfjs's banner suggesting tfjs-node (IS_TEST would hide it, but it also turns on leak checks
  // that fail softmaxCrossEntropy).
  const warn = console.warn;
  console.warn = (...a) => (String(a[0]).includes('tfjs-node') ? undefined : warn(...a));
  const tf = await import('@tensorflow/tfjs');
  if (backend === 'wasm') {
    const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(here);
    tfwasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
    tfwasm.setThreadsCount?.(1);
  }
  await tf.setBackend(backend);
  await tf.ready();
  // NOTE: tfjs silently stays on another backend when wasm fails to initialise.
  if (tf.getBackend() !== backend) throw new Error(`tfjs backend is ${tf.getBackend()}, not ${backend}`);
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
  const step = () => tf.tidy(() => opt.minimize(loss, false, vars));
  const key = `tfjs-${backend}`;
  const ms = time(step, WARMUP[key], STEPS[key]);
  return { ms, params: vars.reduce((s, v) => s + v.size, 0) };
}

async function child(impl) {
  const r = impl === 'wasm' || impl === 'js' ? await reslab(impl) : await tfjs(impl.slice(5));
  process.stdout.write(JSON.stringify(r));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const rounds = Number(arg('rounds', '3'));
  const only = arg('only', IMPLS.join(',')).split(',');
  const res = Object.fromEntries(only.map((k) => [k, []]));
  let params = 0;
  for (let r = 0; r < rounds; r++) {
    for (const impl of only) {
      const out = execFileSync(process.execPath, [here, '--child', impl], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      const v = JSON.parse(out);
      res[impl].push(v.ms);
      params = v.params;
      process.stderr.write(`round ${r + 1}/${rounds} ${impl}: ${v.ms.toFixed(1)} ms/step\n`);
    }
  }
  const flops = 2 * B * (IN * W + 2 * BLOCKS * W * W + W * OUT) * 3 - 2 * B * IN * W; // fwd + dW + dX (no dX for the input)
  console.log(`training step: batch ${B}, ${IN}->${W}, ${BLOCKS} two-layer post blocks (ReLU), ${OUT} classes, SGD; ${params} parameters`);
  console.log(`${(flops / 1e9).toFixed(2)} GFLOP of gemm per step; medians over ${rounds} processes each\n`);
  const m = Object.fromEntries(only.map((k) => [k, median(res[k])]));
  const rows = only.map((k) => ({ impl: k, 'ms/step': m[k].toFixed(1), 'GFLOP/s': (flops / 1e6 / m[k]).toFixed(1) }));
  console.table(rows);
  if (m.wasm)
    for (const k of only.filter((k) => k !== 'wasm')) console.log(`reslab wasm is ${(m[k] / m.wasm).toFixed(1)}x faster than ${k}`);
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await main();
