#!/usr/bin/env node
// reslab's skip study written in TensorFlow.js (wasm backend: XNNPACK, SIMD, 1 thread), the
// way a researcher would write it. Not part of reslab: a peer for the end-to-end benchmark
// (bench/e2e/run.mjs writes the job list and the data, then times this script).
//
// Same work per job as torch_adapter.py: Adam, batch 64, the study's steps, evaluation of the
// first 4096 training digits and the test digits every evalEvery steps and at the end,
// per-layer gradient norms at initialisation, stop when the loss is not finite.
// `--procs` child processes run in parallel (one thread each), longest jobs first.
//
//   node tfjs_adapter.mjs WORKDIR [--procs 2] [--jobs i,j,...] [--backend wasm|cpu]
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMlp, loadTf } from './tfjs_model.mjs';

const EVAL_TRAIN_MAX = 4096;
const EVAL_CHUNK = 512;
const here = fileURLToPath(import.meta.url);

const cost = (j) => j.train.steps * (j.model.width * 794 + j.model.depth * j.model.width ** 2);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function loadData(dir) {
  const meta = JSON.parse(readFileSync(join(dir, 'data.json'), 'utf8'));
  const raw = readFileSync(join(dir, 'data.bin'));
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  const d = meta.inputDim;
  let off = 0;
  const take = (Ctor, n) => {
    const a = new Ctor(buf, off, n);
    off += n * 4;
    return a;
  };
  return {
    meta,
    trainX: take(Float32Array, meta.nTrain * d),
    trainY: take(Int32Array, meta.nTrain),
    testX: take(Float32Array, meta.nTest * d),
    testY: take(Int32Array, meta.nTest),
  };
}

/** A seeded permutation (mulberry32 + Fisher-Yates). */
function permutation(n, rnd) {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function runJobs(dir, indices, backend) {
  const tf = await loadTf(backend);
  const data = loadData(dir);
  const { meta } = data;
  const all = JSON.parse(readFileSync(join(dir, 'jobs.json'), 'utf8'));
  const d = meta.inputDim;
  const C = meta.outputDim;
  const trX = tf.tensor2d(data.trainX, [meta.nTrain, d]);
  const trY = tf.oneHot(tf.tensor1d(data.trainY, 'int32'), C);
  const teX = tf.tensor2d(data.testX, [meta.nTest, d]);
  const teY = tf.oneHot(tf.tensor1d(data.testY, 'int32'), C);
  const nEval = Math.min(meta.nTrain, EVAL_TRAIN_MAX);
  const score = (m, X, Y, n) => {
    let loss = 0;
    let hits = 0;
    for (let from = 0; from < n; from += EVAL_CHUNK) {
      const k = Math.min(EVAL_CHUNK, n - from);
      const [l, h] = tf.tidy(() => {
        const x = X.slice([from, 0], [k, d]);
        const y = Y.slice([from, 0], [k, C]);
        const out = m.forward(x);
        const l = tf.losses.softmaxCrossEntropy(y, out, undefined, undefined, tf.Reduction.SUM);
        const h = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), tf.argMax(y, 1)), 'int32'));
        return [l.dataSync()[0], h.dataSync()[0]];
      });
      loss += l;
      hits += h;
    }
    return { loss: loss / n, acc: hits / n };
  };
  const results = [];
  for (const i of indices) {
    const job = all[i];
    const t0 = performance.now();
    const t = job.train;
    const m = buildMlp(tf, { ...job.model, inputDim: d, outputDim: C, seed: job.seed });
    const opt = tf.train.adam(t.lr, t.beta1, t.beta2, t.eps);
    const batch = Math.min(t.batchSize, meta.nTrain);
    const perEpoch = Math.floor(meta.nTrain / batch);
    const rnd = mulberry32(job.seed);
    let perm = permutation(meta.nTrain, rnd);
    const batchOf = (pos) => {
      const idx = tf.tensor1d(perm.subarray(pos * batch, (pos + 1) * batch), 'int32');
      const r = [tf.gather(trX, idx), tf.gather(trY, idx)];
      idx.dispose();
      return r;
    };
    // gradient norms per layer at initialisation
    const initGradNorms = tf.tidy(() => {
      const [x, y] = batchOf(0);
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, m.forward(x)),
        m.layers.map(([, w]) => w),
      );
      return m.layers.map(([, w]) => tf.norm(grads[w.name]).dataSync()[0]);
    });
    const history = [];
    let status = 'ok';
    for (let step = 0; step < t.steps; step++) {
      const pos = step % perEpoch;
      if (pos === 0 && step > 0) perm = permutation(meta.nTrain, rnd);
      const lv = tf.tidy(() => {
        const [x, y] = batchOf(pos);
        return opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.forward(x)), true, m.vars).dataSync()[0];
      });
      if (!Number.isFinite(lv)) {
        status = 'diverged';
        break;
      }
      const n = step + 1;
      if (n === t.steps || n % t.evalEvery === 0) {
        const tr = score(m, trX, trY, nEval);
        const te = score(m, teX, teY, meta.nTest);
        if (!Number.isFinite(tr.loss) || !Number.isFinite(te.loss)) {
          status = 'diverged';
          break;
        }
        history.push({ step: n, trainLoss: tr.loss, trainAcc: tr.acc, testLoss: te.loss, testAcc: te.acc });
      }
    }
    const last = status === 'ok' ? history.at(-1) : null;
    results.push({
      id: job.id,
      status,
      steps: t.steps,
      finalTrainLoss: last?.trainLoss ?? null,
      finalTestAcc: last?.testAcc ?? null,
      initGradNorms,
      history,
      ms: performance.now() - t0,
    });
    for (const v of m.vars) v.dispose();
    opt.dispose();
  }
  return results;
}

async function main() {
  const argv = process.argv.slice(2);
  const get = (n, dflt) => (argv.includes(`--${n}`) ? argv[argv.indexOf(`--${n}`) + 1] : dflt);
  const dir = argv[0];
  const backend = get('backend', 'wasm');
  if (argv[1] === '--child') {
    const c0 = cpuMs();
    const runs = await runJobs(dir, get('jobs', '').split(',').map(Number), backend);
    process.stdout.write(JSON.stringify({ runs, cpuMs: cpuMs() - c0 }));
    return;
  }
  const procs = Number(get('procs', '2'));
  const all = JSON.parse(readFileSync(join(dir, 'jobs.json'), 'utf8'));
  const chosen = get('jobs', '') ? get('jobs', '').split(',').map(Number) : all.map((_, i) => i);
  // longest first, each to the least-loaded process (static: the children do not share a queue)
  const order = [...chosen].sort((a, b) => cost(all[b]) - cost(all[a]));
  const lists = Array.from({ length: procs }, () => ({ load: 0, jobs: [] }));
  for (const i of order) {
    const l = lists.reduce((m, x) => (x.load < m.load ? x : m));
    l.jobs.push(i);
    l.load += cost(all[i]);
  }
  const t0 = performance.now();
  const outs = await Promise.all(
    lists
      .filter((l) => l.jobs.length)
      .map(
        (l) =>
          new Promise((resolve, reject) =>
            execFile(
              process.execPath,
              [here, dir, '--child', '--jobs', l.jobs.join(','), '--backend', backend],
              { maxBuffer: 1 << 28 },
              (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
            ),
          ),
      ),
  );
  const wallMs = performance.now() - t0;
  const cpu = outs.reduce((s, o) => s + o.cpuMs, 0);
  process.stdout.write(`${JSON.stringify({ impl: `tfjs-${backend}`, procs, wallMs, cpuMs: cpu, runs: outs.flatMap((o) => o.runs) })}\n`);
}

await main();
