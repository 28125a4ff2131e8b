// The residual MLP of reslab's skip study written directly in TensorFlow.js, the way a
// researcher would write it: variables, tf.matMul, tf.train.adam, tf.tidy. Shared by the
// end-to-end adapter (tfjs_adapter.mjs) and the small-network step benchmark
// (packages/engine/bench/small.mjs). Not part of reslab.
//
//   x -> in (784 -> width, g; preact: no g) -> blocks -> [preact: g] -> out (width -> classes)
//   plain    a <- g(W a + b)
//   post-k   a <- g(F_k(a) + a)          F_k = k Linear layers with g between
//   branch-k a <- a + g(F_k(a))           (g after every layer of the branch)
//   preact-k a <- a + F_k(g(.))           (g before every layer)
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Load TensorFlow.js on `backend` ('wasm': SIMD, 1 thread; or 'cpu'), asserting it is really in use. */
export async function loadTf(backend) {
  // NOTE: drop the banner suggesting tfjs-node (IS_TEST would hide it but also turns on leak checks).
  const warn = console.warn;
  console.warn = (...a) => (String(a[0]).includes('tfjs-node') ? undefined : warn(...a));
  const require = createRequire(import.meta.url);
  const tf = await import(require.resolve('@tensorflow/tfjs'));
  if (backend === 'wasm') {
    const tfwasm = await import(require.resolve('@tensorflow/tfjs-backend-wasm'));
    tfwasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
    tfwasm.setThreadsCount?.(1);
  }
  await tf.setBackend(backend);
  await tf.ready();
  // NOTE: tfjs silently stays on another backend when wasm fails to initialise.
  if (tf.getBackend() !== backend) throw new Error(`tfjs backend is ${tf.getBackend()}, not ${backend}`);
  return tf;
}

const ACTS = { relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid' };

/** variant 'post-2' -> { block: 'post', k: 2 } */
export function parseVariant(v) {
  const m = /^(plain|post|branch|preact)(?:-(\d+))?$/.exec(v);
  if (!m) throw new Error(`unknown variant ${v}`);
  return { block: m[1], k: m[1] === 'plain' ? 1 : Number(m[2]) };
}

/**
 * A residual MLP; weights He-normal (std sqrt(2 / fan_in)), biases 0.
 * { vars, forward(x) -> logits, layers: [name, W][] }
 */
export function buildMlp(tf, { variant, depth, width, activation, inputDim, outputDim, seed = 1 }) {
  const { block, k } = parseVariant(variant);
  const g = (t) => tf[ACTS[activation]](t);
  let s = seed * 1000;
  const lin = (i, o) => ({
    W: tf.variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / i), 'float32', s++)),
    b: tf.variable(tf.zeros([o])),
  });
  const inL = lin(inputDim, width);
  const nBlocks = block === 'plain' ? depth : depth / k;
  const blocks = Array.from({ length: nBlocks }, () => Array.from({ length: k }, () => lin(width, width)));
  const outL = lin(width, outputDim);
  const dense = (h, l) => tf.add(tf.matMul(h, l.W), l.b);
  const forward = (x) => {
    let a = dense(x, inL);
    if (block !== 'preact') a = g(a);
    for (const fs of blocks) {
      if (block === 'plain') a = g(dense(a, fs[0]));
      else if (block === 'post') {
        let h = a;
        for (let l = 0; l < k - 1; l++) h = g(dense(h, fs[l]));
        a = g(tf.add(dense(h, fs[k - 1]), a));
      } else if (block === 'branch') {
        let h = a;
        for (let l = 0; l < k; l++) h = g(dense(h, fs[l]));
        a = tf.add(a, h);
      } else {
        let h = a;
        for (let l = 0; l < k; l++) h = dense(g(h), fs[l]);
        a = tf.add(a, h);
      }
    }
    if (block === 'preact') a = g(a);
    return dense(a, outL);
  };
  const all = [inL, ...blocks.flat(), outL];
  const vars = all.flatMap((l) => [l.W, l.b]);
  const layers = [['in', inL.W], ...blocks.flatMap((fs, i) => fs.map((l, j) => [`block${i + 1}.fc${j + 1}`, l.W])), ['out', outL.W]];
  return { vars, forward, layers };
}
