/**
 * Engine pieces the studies rely on: the norm placements of He et al. 2016 Fig. 4b/4d, lesioned forwards
 * (Veit et al. 2016) and the input gradient of the shatter probe (Balduzzi et al. 2017).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Backend, createBackend } from '../src/backend.js';
import { autocorrelation, inputGradient, lesionAccuracy, shatterPoints, swappedBlocks, withoutBlocks } from '../src/lab/probe.js';
import { buildModel, type Model } from '../src/nn/model.js';
import { BatchNorm } from '../src/nn/norm.js';
import { labels, softmaxCrossEntropy } from '../src/ops/softmax_xent.js';
import { Rng } from '../src/rng.js';
import type { ModelSpecInput } from '../src/spec.js';
import { noGrad, tensor } from '../src/tensor.js';
import { predict } from '../src/train/predict.js';
import { gradCheck, randn } from './helpers.js';

let js64: Backend;
let wasm: Backend;
beforeAll(async () => {
  [js64, wasm] = await Promise.all([createBackend('js64'), createBackend('wasm')]);
});

/** Perturb every parameter (and the running statistics) so zero/one initialisations do not hide mistakes. */
function jiggle(m: Model, seed: number): void {
  const rng = new Rng(seed);
  for (const p of m.parameters()) p.set(p.toArray().map((v) => v + 0.3 * rng.normal()));
  for (const [name, t] of m.namedBuffers())
    t.set(t.toArray().map(() => (name.endsWith('runningVar') ? 0.5 + rng.uniform() : 0.2 * rng.normal())));
}

const relu = (v: number[]) => v.map((x) => Math.max(0, x));
const param = (m: Model, name: string): number[] => {
  const p = [...m.namedParameters(), ...m.namedBuffers()].find(([n]) => n === name);
  if (!p) throw new Error(`no parameter ${name}`);
  return p[1].toArray();
};
/** y = x W^T + b for one row x (W: out x in). */
const lin = (m: Model, name: string, x: number[]): number[] => {
  const w = param(m, `${name}.weight`);
  const b = param(m, `${name}.bias`);
  return b.map((bi, o) => bi + x.reduce((s, xi, i) => s + xi * w[o * x.length + i], 0));
};
/** batch norm in eval mode: gamma (x - mean) / sqrt(var + 1e-5) + beta. */
const bn = (m: Model, name: string, x: number[]): number[] => {
  const [g, b, mu, v] = ['weight', 'bias', 'runningMean', 'runningVar'].map((k) => param(m, `${name}.${k}`));
  return x.map((xi, j) => (g[j] * (xi - mu[j])) / Math.sqrt(v[j] + 1e-5) + b[j]);
};
const add = (a: number[], b: number[]) => a.map((x, i) => x + b[i]);
/** Outputs in eval mode at full backend precision (predict() rounds to float32). */
function outputs(m: Model, x: number[]): number[] {
  const top = m.backend.arenaTop();
  m.eval();
  const y = noGrad(() => m.forward(tensor(m.backend, x, [x.length / m.io.inputDim, m.io.inputDim])).toArray());
  m.backend.arenaRestore(top);
  m.train();
  return y;
}

describe('norm placements of He et al. 2016 Fig. 4 (b: BN after addition, d: ReLU-only pre-activation)', () => {
  const base = { skip: 2, depth: 2, width: 3, activation: 'relu', norm: 'batch' } as const;
  const io = { inputDim: 2, outputDim: 2 };

  it("after-add on post-2: a' = g(BN(a + W2 g(BN1(W1 a + b1)) + b2)); parameters norm1 and norm, no norm2", () => {
    const m = buildModel({ ...base, block: 'post', normPlace: 'after-add' }, io, new Rng(1), js64);
    jiggle(m, 2);
    const names = [...m.namedParameters()].map(([n]) => n);
    expect(names).toContain('block1.norm1.weight');
    expect(names).toContain('block1.norm.weight');
    expect(names).not.toContain('block1.norm2.weight');
    const x = [0.7, -1.3];
    const a = relu(lin(m, 'in', x));
    const f = lin(m, 'block1.fc2', relu(bn(m, 'block1.norm1', lin(m, 'block1.fc1', a))));
    const want = lin(m, 'out', relu(bn(m, 'block1.norm', add(a, f))));
    const got = outputs(m, x);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 12);
  });

  it("after-linear on preact-2: a' = a + BN2(W2 g(BN1(W1 g(a) + b1)) + b2), then the final BN and g", () => {
    const m = buildModel({ ...base, block: 'preact', normPlace: 'after-linear' }, io, new Rng(3), js64);
    jiggle(m, 4);
    const x = [-0.4, 0.9];
    const a = lin(m, 'in', x);
    const h = bn(m, 'block1.norm2', lin(m, 'block1.fc2', relu(bn(m, 'block1.norm1', lin(m, 'block1.fc1', relu(a))))));
    const want = lin(m, 'out', relu(bn(m, 'final', add(a, h))));
    const got = outputs(m, x);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 12);
  });

  it.each([
    ['post', 'after-add'],
    ['branch', 'after-add'],
    ['preact', 'after-add'],
    ['preact', 'after-linear'],
    ['post', 'after-linear'],
  ] as const)('%s-2 with %s: gradients match finite differences (js64, batch statistics)', (block, normPlace) => {
    const m = buildModel({ ...base, depth: 4, block, normPlace }, io, new Rng(5), js64);
    jiggle(m, 6);
    const x = randn(new Rng(7), 5 * io.inputDim);
    const { worst } = gradCheck(js64, m.parameters(), () =>
      softmaxCrossEntropy(m.forward(tensor(js64, x, [5, 2])), labels(js64, [0, 1, 1, 0, 1])),
    );
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('lesion: deleting and swapping blocks at test time', () => {
  const io = { inputDim: 3, outputDim: 4 };
  const x = randn(new Rng(11), 6 * io.inputDim);

  /** A net of the same kind with fewer blocks, its blocks copied from `order` of the big one. */
  function rebuilt(big: Model, spec: ModelSpecInput, order: number[]): Model {
    const per = spec.block === 'plain' ? 1 : (spec.skip ?? 2);
    const small = buildModel({ ...spec, depth: order.length * per }, io, new Rng(99), js64);
    const src = new Map([...big.namedParameters(), ...big.namedBuffers()].map(([n, t]) => [n, t]));
    for (const [n, t] of [...small.namedParameters(), ...small.namedBuffers()]) {
      const m = /^block(\d+)\.(.*)$/.exec(n);
      const from = m ? `block${order[Number(m[1]) - 1] + 1}.${m[2]}` : n;
      t.set(src.get(from)!.toArray());
    }
    return small;
  }

  it.each([
    { block: 'plain', skip: 1, depth: 5, width: 4, activation: 'tanh' },
    { block: 'preact', skip: 2, depth: 10, width: 4, activation: 'relu', norm: 'batch' },
    { block: 'post', skip: 2, depth: 10, width: 4, activation: 'relu', norm: 'batch' },
  ] as const)('$block-$skip: a lesioned net computes what a net built from the kept blocks computes', (spec) => {
    const big = buildModel(spec, io, new Rng(12), js64);
    jiggle(big, 13);
    const n = big.blocks.length;
    for (const order of [withoutBlocks(n, [1]), withoutBlocks(n, [0, n - 1]), swappedBlocks(n, 2)]) {
      big.blockOrder = order;
      const got = predict(big, x);
      big.blockOrder = null;
      const want = predict(rebuilt(big, spec, order), x);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 10);
    }
    // and the intact order is the intact net
    expect(Array.from(predict(big, x))).toEqual(Array.from(predict(rebuilt(big, spec, withoutBlocks(n, [])), x)));
  });

  it('a residual block whose branch is zero can be deleted or swapped without any effect; a plain layer cannot', () => {
    // zero-last: every branch ends in a zero layer, so each preact block is the identity at initialisation
    const res = buildModel(
      { block: 'preact', skip: 2, depth: 8, width: 6, branchScale: 'zero-last' },
      { inputDim: 3, outputDim: 4 },
      new Rng(3),
      wasm,
    );
    const plain = buildModel({ block: 'plain', depth: 4, width: 6 }, { inputDim: 3, outputDim: 4 }, new Rng(3), wasm);
    const X = new Float32Array(randn(new Rng(4), 200 * 3));
    const intact = predict(res, X);
    const Y = Int32Array.from({ length: 200 }, (_, r) => {
      let best = 0;
      for (let j = 1; j < 4; j++) if (intact[r * 4 + j] > intact[r * 4 + best]) best = j;
      return best;
    });
    // labels = the intact net's own predictions: intact accuracy 1, and every lesion of an identity block keeps it at 1
    expect(lesionAccuracy(res, X, Y, 200, null)).toBe(1);
    for (let i = 0; i < 4; i++) expect(lesionAccuracy(res, X, Y, 200, withoutBlocks(4, [i]))).toBe(1);
    expect(lesionAccuracy(res, X, Y, 200, swappedBlocks(4, 1))).toBe(1);
    const plainOut = predict(plain, X);
    const Yp = Int32Array.from({ length: 200 }, (_, r) => {
      let best = 0;
      for (let j = 1; j < 4; j++) if (plainOut[r * 4 + j] > plainOut[r * 4 + best]) best = j;
      return best;
    });
    expect(lesionAccuracy(plain, X, Yp, 200, null)).toBe(1);
    expect(lesionAccuracy(plain, X, Yp, 200, withoutBlocks(4, [1]))).toBeLessThan(1);
  });
});

describe('shatter: the input gradient', () => {
  it.each([
    ['plain, no norm', { block: 'plain', depth: 3 }],
    ['preact-1, batch norm (statistics of the batch, frozen)', { block: 'preact', skip: 1, depth: 3, norm: 'batch' }],
    ['plain, batch norm', { block: 'plain', depth: 3, norm: 'batch' }],
  ] as const)('%s: df/dx matches a central finite difference of f on js64', (_n, spec) => {
    const m = buildModel({ ...spec, width: 8, activation: 'tanh' }, { inputDim: 1, outputDim: 1 }, new Rng(21), js64);
    jiggle(m, 22);
    const xs = shatterPoints({ points: 16, lo: -2, hi: 2 });
    const g = inputGradient(m, xs);
    // f at shifted points, with the batch norms frozen at the statistics of the unshifted batch: what inputGradient differentiates
    const h = 1e-6;
    const f = (shift: number, i: number): number => {
      const pts = [...xs];
      pts[i] += shift;
      return sumOutputs(m, xs, pts);
    };
    for (let i = 0; i < xs.length; i++) {
      const fd = (f(h, i) - f(-h, i)) / (2 * h);
      expect(Math.abs(g[i] - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
    }
  });

  it('autocorrelation: 1 for a constant, -(n-1)/n for an alternating sequence, near 1 for a smooth one', () => {
    expect(autocorrelation([2, 2, 2, 2], 2)).toEqual([1, 1, 1]);
    const alt = Array.from({ length: 64 }, (_, i) => (i % 2 ? 1 : -1));
    expect(autocorrelation(alt, 1)[1]).toBeCloseTo(-63 / 64, 12);
    const smooth = Array.from({ length: 256 }, (_, i) => Math.sin((2 * Math.PI * i) / 256));
    expect(autocorrelation(smooth, 1)[1]).toBeGreaterThan(0.99);
  });
});

/** sum_i f(pts_i) with every batch norm frozen at the (biased) statistics of the batch `stats`: what inputGradient differentiates. */
function sumOutputs(m: Model, stats: number[], pts: number[]): number {
  const bns = [...m.namedModules()].map(([, mod]) => mod).filter((mod): mod is BatchNorm => mod instanceof BatchNorm);
  const saved = bns.map((b) => [b.runningMean.toArray(), b.runningVar.toArray()]);
  const hooks = bns.map((b) =>
    b.registerForwardHook((_m, x) => {
      const v = x.toArray();
      const C = b.features;
      const col = (j: number) => v.filter((_, k) => k % C === j);
      const mu = Array.from({ length: C }, (_, j) => col(j).reduce((s, a) => s + a, 0) / (v.length / C));
      b.runningMean.set(mu);
      b.runningVar.set(Array.from({ length: C }, (_, j) => col(j).reduce((s, a) => s + (a - mu[j]) ** 2, 0) / (v.length / C)));
    }),
  );
  m.train();
  noGrad(() => m.forward(tensor(m.backend, stats, [stats.length, 1])));
  m.backend.resetArena();
  for (const h of hooks) h.remove();
  const y = outputs(m, pts);
  bns.forEach((b, i) => {
    b.runningMean.set(saved[i][0]);
    b.runningVar.set(saved[i][1]);
  });
  return y.reduce((s, v) => s + v, 0);
}
