/**
 * Every engine op, forward and backward, against TensorFlow.js on shapes drawn
 * by fast-check, on both engine backends. The backward pass is driven by a
 * random upstream gradient R: loss = sum(op(inputs) * R), so every element of
 * every input gradient is checked (tf.valueAndGrads on the oracle side).
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  ACTIVATIONS,
  actCode,
  activation,
  add,
  type Backend,
  type BackendKind,
  batchNorm,
  biasAct,
  buffer,
  concat,
  createBackend,
  dropout,
  labels,
  layerNorm,
  linear,
  matmul,
  mean,
  mse,
  mul,
  parameter,
  Rng,
  relu,
  reshape,
  residualAdd,
  residualPost,
  scale,
  sigmoid,
  slice,
  softmaxCrossEntropy,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
} from '@reslab/engine';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ActName,
  act,
  batchNormWith,
  closeness,
  mseLoss,
  NORM_EPS,
  softmaxXent,
  tf,
  layerNorm as tfLayerNorm,
  tfReady,
} from './oracle.js';

/**
 * Bounds for one op in float32: ||engine - tf|| <= 2e-5 ||tf|| + 1e-6 mag sqrt(n) for values and for every
 * gradient, mag = the inputs' scale (a single op rounds a few times per element; 2e-5 is ~300 ulps, room for
 * different summation orders over at most 9 terms and for transcendental functions implemented differently; the
 * absolute part, ~16 ulps of the inputs' scale, covers results that are tiny by cancellation, e.g. the
 * cross-entropy of a confident logit row, lse(z) - z_y with |z| ~ 60).
 * Normalisations get >= 4 rows (batch) or features (layer): over 2 values the output is +-1 whatever the input
 * and the input gradient is pure cancellation, measured 1e-3 apart between float32 implementations.
 */
const RTOL = 2e-5;
const ATOL = 1e-6;
const RUNS = Number(process.env.RESLAB_CROSSCHECK_OP_RUNS ?? 20);
const SEED = Number(process.env.RESLAB_CROSSCHECK_SEED ?? 424242);
const BACKENDS: BackendKind[] = ['wasm', 'js'];

interface In {
  shape: number[];
  data: number[];
  /** default true: the input is a parameter whose gradient is checked */
  grad?: boolean;
}

const randn = (rng: Rng, n: number, std = 1): number[] => Array.from({ length: n }, () => std * rng.normal());
const input = (rng: Rng, shape: number[], std = 1, grad = true): In => ({
  shape,
  data: randn(
    rng,
    shape.reduce((a, b) => a * b, 1),
    std,
  ),
  grad,
});

/** Run op on the engine and on tfjs; return the list of mismatches ([] = close). */
function compare(
  b: Backend,
  seed: number,
  inputs: In[],
  engineOp: (ts: Tensor[]) => Tensor,
  oracleOp: (ts: tf.Tensor[]) => tf.Tensor,
  extra?: { engine: () => number[]; oracle: () => number[]; what: string } | null,
  /** magnitude of the inputs: absolute rounding errors grow with it (a saturated tanh' is 1 - y^2 with y rounded near 1) */
  mag = 1,
): string[] {
  const rng = new Rng(seed).fork('upstream');
  const mark = b.mark();
  let eY: number[];
  let eG: number[][];
  let eExtra: number[] = [];
  let R: number[];
  try {
    const ts = inputs.map((i) => (i.grad !== false ? parameter(b, i.shape, i.data) : tensor(b, i.data, i.shape)));
    const y = engineOp(ts);
    eY = y.toArray();
    R = randn(rng, y.size);
    const loss = sum(mul(y, tensor(b, R, y.shape)));
    loss.backward();
    eG = ts.map((t) => t.gradArray());
    if (extra) eExtra = extra.engine();
  } finally {
    b.release(mark);
  }
  const problems: string[] = [];
  tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.data, i.shape));
    const gi = inputs.flatMap((i, k) => (i.grad !== false ? [k] : []));
    const y = oracleOp(xs);
    const Rt = tf.tensor(R, y.shape);
    const f = (...gts: tf.Tensor[]) => {
      const all = xs.slice();
      gi.forEach((k, j) => {
        all[k] = gts[j];
      });
      return tf.sum(tf.mul(oracleOp(all), Rt)) as tf.Scalar;
    };
    const { grads } = tf.valueAndGrads(f)(gi.map((k) => xs[k]));
    const yv = y.dataSync();
    const push = (m: string) => m && problems.push(m);
    push(closeness('forward', eY, yv, RTOL, ATOL * mag * Math.sqrt(yv.length)));
    gi.forEach((k, j) => {
      const g = grads[j].dataSync();
      push(closeness(`grad of input ${k}`, eG[k], g, RTOL, ATOL * mag * Math.sqrt(g.length)));
    });
    if (extra) {
      const want = extra.oracle();
      push(closeness(extra.what, eExtra, want, RTOL, ATOL * mag * Math.sqrt(want.length)));
    }
  });
  return problems;
}

const dim = (max = 9) => fc.integer({ min: 1, max });
const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const actArb = fc.constantFrom(...ACTIVATIONS);
const slopeArb = fc.double({ min: 0, max: 0.5, noNaN: true });
/** input magnitude: 1, or large enough to saturate sigmoid/tanh and overflow a naive exp */
const magArb = fc.constantFrom(1, 1, 3, 60);

/** Every op file of the engine and the test case(s) that cover it. */
const COVERS: Record<string, string[]> = {
  add: ['add'],
  sub: ['sub'],
  mul: ['mul'],
  scale: ['scale'],
  matmul: ['matmul'],
  linear: ['linear'],
  bias_act: ['biasAct', 'activation'],
  residual_add: ['residualAdd'],
  residual_post: ['residualPost'],
  sum: ['sum'],
  mean: ['mean'],
  reshape: ['reshape'],
  concat: ['concat'],
  slice: ['slice'],
  softmax_xent: ['softmaxCrossEntropy'],
  mse: ['mse'],
  dropout: ['dropout'],
  batchnorm: ['batchNorm'],
  layernorm: ['layerNorm'],
};

describe.each(BACKENDS)('every op vs TensorFlow.js on the %s backend', (kind) => {
  let b: Backend;
  beforeAll(async () => {
    await tfReady();
    b = await createBackend(kind);
  });
  const prop = <T>(arb: fc.Arbitrary<T>, body: (p: T) => string[]) =>
    fc.assert(
      fc.property(arb, (p) => {
        const problems = body(p);
        if (problems.length) throw new Error(`${JSON.stringify(p)}\n  ${problems.join('\n  ')}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );

  it('matmul, all four transpose combinations', () =>
    prop(fc.record({ M: dim(), K: dim(), N: dim(), tA: fc.boolean(), tB: fc.boolean(), seed: seedArb }), ({ M, K, N, tA, tB, seed }) => {
      const rng = new Rng(seed);
      const A = input(rng, tA ? [K, M] : [M, K]);
      const B = input(rng, tB ? [N, K] : [K, N]);
      return compare(
        b,
        seed,
        [A, B],
        ([a, c]) => matmul(a, c, tA, tB),
        ([a, c]) => tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D, tA, tB),
      );
    }));

  it('add, sub, mul (same shapes)', () =>
    prop(fc.record({ r: dim(), c: dim(), op: fc.constantFrom('add', 'sub', 'mul'), seed: seedArb }), ({ r, c, op, seed }) => {
      const rng = new Rng(seed);
      const ops = { add: [add, tf.add], sub: [sub, tf.sub], mul: [mul, tf.mul] } as const;
      const [e, o] = ops[op];
      return compare(
        b,
        seed,
        [input(rng, [r, c]), input(rng, [r, c])],
        ([x, y]) => e(x, y),
        ([x, y]) => o(x, y),
      );
    }));

  it('scale: alpha x + beta', () =>
    prop(
      fc.record({
        r: dim(),
        c: dim(),
        alpha: fc.double({ min: -3, max: 3, noNaN: true }),
        beta: fc.double({ min: -2, max: 2, noNaN: true }),
        seed: seedArb,
      }),
      ({ r, c, alpha, beta, seed }) =>
        compare(
          b,
          seed,
          [input(new Rng(seed), [r, c])],
          ([x]) => scale(x, alpha, beta),
          ([x]) => tf.add(tf.mul(x, alpha), beta),
        ),
    ));

  it('biasAct and activation: every activation, with and without bias, large inputs too', () =>
    prop(
      fc.record({ r: dim(), c: dim(), a: actArb, slope: slopeArb, withBias: fc.boolean(), mag: magArb, seed: seedArb }),
      ({ r, c, a, slope, withBias, mag, seed }) => {
        const rng = new Rng(seed);
        const ins = [input(rng, [r, c], mag), ...(withBias ? [input(rng, [c])] : [])];
        return compare(
          b,
          seed,
          ins,
          ([x, bias]) => (withBias ? biasAct(x, bias, actCode(a), slope) : activation(x, a, slope)),
          ([x, bias]) => act(withBias ? tf.add(x, bias) : x, a as ActName, slope),
          null,
          mag,
        );
      },
    ));

  it('relu, sigmoid, tanh shorthands', () =>
    prop(fc.record({ r: dim(), c: dim(), which: fc.constantFrom('relu', 'sigmoid', 'tanh'), seed: seedArb }), ({ r, c, which, seed }) => {
      const e = { relu, sigmoid, tanh }[which];
      return compare(
        b,
        seed,
        [input(new Rng(seed), [r, c], 2)],
        ([x]) => e(x),
        ([x]) => act(x, which, 0),
      );
    }));

  it('linear: g(x W^T + b), fused, every activation, with and without bias', () =>
    prop(
      fc.record({ B: dim(), nin: dim(), nout: dim(), a: actArb, slope: slopeArb, withBias: fc.boolean(), seed: seedArb }),
      ({ B, nin, nout, a, slope, withBias, seed }) => {
        const rng = new Rng(seed);
        const ins = [input(rng, [B, nin]), input(rng, [nout, nin], 1 / Math.sqrt(nin)), ...(withBias ? [input(rng, [nout])] : [])];
        return compare(
          b,
          seed,
          ins,
          ([x, w, bias]) => linear(x, w, withBias ? bias : null, actCode(a), slope),
          ([x, w, bias]) => {
            const z = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true);
            return act(withBias ? tf.add(z, bias) : z, a, slope);
          },
        );
      },
    ));

  it('residualAdd: a + s f, s a constant or a learnable scalar', () =>
    prop(
      fc.record({ r: dim(), c: dim(), s: fc.double({ min: -2, max: 2, noNaN: true }), learn: fc.boolean(), seed: seedArb }),
      ({ r, c, s, learn, seed }) => {
        const rng = new Rng(seed);
        const ins = [input(rng, [r, c]), input(rng, [r, c]), ...(learn ? [{ shape: [1], data: [s] }] : [])];
        return compare(
          b,
          seed,
          ins,
          ([a, f, st]) => residualAdd(a, f, learn ? st : s),
          ([a, f, st]) => tf.add(a, tf.mul(learn ? st : s, f)),
        );
      },
    ));

  it('residualPost: g(z + s a), every activation, s constant or learnable', () =>
    prop(
      fc.record({
        r: dim(),
        c: dim(),
        a: actArb,
        slope: slopeArb,
        s: fc.double({ min: -2, max: 2, noNaN: true }),
        learn: fc.boolean(),
        mag: magArb,
        seed: seedArb,
      }),
      ({ r, c, a, slope, s, learn, mag, seed }) => {
        const rng = new Rng(seed);
        const ins = [input(rng, [r, c], mag), input(rng, [r, c], mag), ...(learn ? [{ shape: [1], data: [s] }] : [])];
        return compare(
          b,
          seed,
          ins,
          ([z, x, st]) => residualPost(z, x, learn ? st : s, actCode(a), slope),
          ([z, x, st]) => act(tf.add(z, tf.mul(learn ? st : s, x)), a, slope),
          null,
          mag,
        );
      },
    ));

  it('sum and mean', () =>
    prop(fc.record({ r: dim(), c: dim(), m: fc.boolean(), seed: seedArb }), ({ r, c, m, seed }) =>
      compare(
        b,
        seed,
        [input(new Rng(seed), [r, c])],
        ([x]) => (m ? mean(x) : sum(x)),
        ([x]) => tf.reshape(m ? tf.mean(x) : tf.sum(x), [1]),
      ),
    ));

  it('reshape (a view): gradients flow through', () =>
    prop(fc.record({ r: dim(), c: dim(), flat: fc.boolean(), seed: seedArb }), ({ r, c, flat, seed }) => {
      const shape = flat ? [r * c] : [c, r];
      return compare(
        b,
        seed,
        [input(new Rng(seed), [r, c])],
        ([x]) => mul(reshape(x, shape), reshape(x, shape)),
        ([x]) => tf.square(tf.reshape(x, shape)),
      );
    }));

  it('concat along rows and columns', () =>
    prop(
      fc.record({
        axis: fc.constantFrom(0 as const, 1 as const),
        shared: dim(),
        sizes: fc.array(dim(), { minLength: 1, maxLength: 3 }),
        seed: seedArb,
      }),
      ({ axis, shared, sizes, seed }) => {
        const rng = new Rng(seed);
        const ins = sizes.map((s) => input(rng, axis === 0 ? [s, shared] : [shared, s]));
        return compare(
          b,
          seed,
          ins,
          (ts) => concat(ts, axis),
          (ts) => tf.concat(ts as tf.Tensor2D[], axis),
        );
      },
    ));

  it('slice rows or columns', () =>
    prop(
      fc.record({
        r: dim(),
        c: dim(),
        axis: fc.constantFrom(0 as const, 1 as const),
        u: fc.double({ min: 0, max: 1, noNaN: true }),
        v: fc.double({ min: 0, max: 1, noNaN: true }),
        seed: seedArb,
      }),
      ({ r, c, axis, u, v, seed }) => {
        const len = axis === 0 ? r : c;
        const start = Math.min(len - 1, Math.floor(u * len));
        const end = start + 1 + Math.min(len - start - 1, Math.floor(v * (len - start)));
        return compare(
          b,
          seed,
          [input(new Rng(seed), [r, c])],
          ([x]) => mul(slice(x, axis, start, end), slice(x, axis, start, end)),
          ([x]) => tf.square(axis === 0 ? tf.slice(x, [start, 0], [end - start, c]) : tf.slice(x, [0, start], [r, end - start])),
        );
      },
    ));

  it('softmax cross-entropy, large logits included', () =>
    prop(fc.record({ B: dim(), C: fc.integer({ min: 2, max: 9 }), mag: magArb, seed: seedArb }), ({ B, C, mag, seed }) => {
      const rng = new Rng(seed);
      const y = Array.from({ length: B }, () => rng.int(C));
      return compare(
        b,
        seed,
        [input(rng, [B, C], mag)],
        ([z]) => softmaxCrossEntropy(z, labels(b, y)),
        ([z]) => tf.reshape(softmaxXent(z as tf.Tensor2D, y), [1]),
        null,
        mag,
      );
    }));

  it('mse, with and without a gradient for the target', () =>
    prop(fc.record({ r: dim(), c: dim(), tg: fc.boolean(), seed: seedArb }), ({ r, c, tg, seed }) => {
      const rng = new Rng(seed);
      return compare(
        b,
        seed,
        [input(rng, [r, c]), input(rng, [r, c], 1, tg)],
        ([p, t]) => mse(p, t),
        ([p, t]) => tf.reshape(mseLoss(p, t), [1]),
      );
    }));

  it('dropout: mask drawn from the given Rng, kept values scaled by 1/(1-p); identity in eval mode', () =>
    prop(
      fc.record({ r: dim(), c: dim(), p: fc.double({ min: 0.05, max: 0.9, noNaN: true }), training: fc.boolean(), seed: seedArb }),
      ({ r, c, p, training, seed }) => {
        // the oracle replays the documented draw: element i is dropped when the i-th uniform of the stream is < p
        const replay = new Rng(seed).fork('mask');
        const mask = Array.from({ length: r * c }, () => (replay.uniform() < p ? 0 : 1 / (1 - p)));
        return compare(
          b,
          seed,
          [input(new Rng(seed), [r, c])],
          ([x]) => dropout(x, p, new Rng(seed).fork('mask'), training),
          ([x]) => (training ? tf.mul(x, tf.tensor(mask, [r, c])) : x),
        );
      },
    ));

  it('batch norm: training (batch statistics, running statistics updated) and eval (running statistics)', () =>
    prop(
      fc.record({
        B: fc.integer({ min: 4, max: 9 }),
        C: dim(),
        training: fc.boolean(),
        momentum: fc.double({ min: 0.01, max: 0.9, noNaN: true }),
        seed: seedArb,
      }),
      ({ B, C, training, momentum, seed }) => {
        const rng = new Rng(seed);
        const x = input(rng, [B, C], 2);
        const gamma = { shape: [C], data: randn(rng, C).map((v) => 1 + 0.3 * v) };
        const beta = input(rng, [C], 0.3);
        const rm0 = randn(rng, C, 0.5);
        const rv0 = randn(rng, C).map((v) => 0.5 + v * v);
        let state: { runningMean: Tensor; runningVar: Tensor } | null = null;
        return compare(
          b,
          seed,
          [x, gamma, beta],
          ([xt, g, bt]) => {
            state = { runningMean: buffer(b, [C]).set(rm0), runningVar: buffer(b, [C]).set(rv0) };
            return batchNorm(xt, g, bt, { ...state, momentum, eps: NORM_EPS }, training);
          },
          ([xt, g, bt]) => {
            if (!training) return batchNormWith(xt as tf.Tensor2D, tf.tensor(rm0), tf.tensor(rv0), g, bt);
            const { mean: mu, variance } = tf.moments(xt, 0);
            return batchNormWith(xt as tf.Tensor2D, mu, variance, g, bt);
          },
          {
            what: 'running statistics',
            engine: () => [...state!.runningMean.toArray(), ...state!.runningVar.toArray()],
            oracle: () => {
              if (!training) return [...rm0, ...rv0];
              const { mean: mu, variance } = tf.moments(tf.tensor(x.data, x.shape), 0);
              const unbiased = tf.mul(variance, B / (B - 1));
              const rm = tf.add(tf.mul(1 - momentum, tf.tensor(rm0)), tf.mul(momentum, mu));
              const rv = tf.add(tf.mul(1 - momentum, tf.tensor(rv0)), tf.mul(momentum, unbiased));
              return [...rm.dataSync(), ...rv.dataSync()];
            },
          },
        );
      },
    ));

  it('layer norm', () =>
    prop(fc.record({ B: dim(), C: fc.integer({ min: 4, max: 9 }), seed: seedArb }), ({ B, C, seed }) => {
      const rng = new Rng(seed);
      const gamma = { shape: [C], data: randn(rng, C).map((v) => 1 + 0.3 * v) };
      return compare(
        b,
        seed,
        [input(rng, [B, C], 2), gamma, input(rng, [C], 0.3)],
        ([x, g, bt]) => layerNorm(x, g, bt, NORM_EPS),
        ([x, g, bt]) => tfLayerNorm(x as tf.Tensor2D, g, bt),
      );
    }));

  it('the check can fail: a wrong oracle (tanh for sigmoid) is caught', () => {
    const problems = compare(
      b,
      1,
      [input(new Rng(1), [3, 4])],
      ([x]) => activation(x, 'sigmoid'),
      ([x]) => tf.tanh(x),
    );
    expect(problems.length).toBeGreaterThan(0);
  });
});

describe('coverage', () => {
  it('every op file of the engine has a case above', () => {
    const entry = createRequire(import.meta.url).resolve('@reslab/engine');
    const opsDir = join(dirname(entry), 'ops');
    const files = readdirSync(opsDir)
      .filter((f) => f.endsWith('.js') && f !== 'index.js')
      .map((f) => f.slice(0, -3));
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((f) => !(f in COVERS))).toEqual([]);
  });
});
