/**
 * Every op: gradients vs central finite differences in float64 (js64), and the
 * float32 backends (js, wasm) agree with float64 on values and gradients.
 */
import { ACT_NAMES, Act } from '@reslab/core-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Backend, createBackend } from '../src/backend.js';
import * as ops from '../src/ops/index.js';
import { Rng } from '../src/rng.js';
import { buffer, type Tensor, tensor } from '../src/tensor.js';
import { gradCheck, param, randn } from './helpers.js';

/** What ops/index.ts exports besides ops (no tensor out, nothing to differentiate). */
const NOT_OPS: readonly string[] = ['actCode', 'labels', 'Labels'];
const isOp = (name: string): boolean => typeof (ops as Record<string, unknown>)[name] === 'function' && !NOT_OPS.includes(name);
/** the ops the cases call (directly: `weighted` below uses `ops`, and an op calling another is not counted) */
const called = new Set<string>();
/** ops/index.ts with every op call noted in `called` */
const op = Object.fromEntries(
  Object.entries(ops).map(([name, v]) => [
    name,
    isOp(name)
      ? (...a: unknown[]) => {
          called.add(name);
          return (v as (...a: unknown[]) => unknown)(...a);
        }
      : v,
  ]),
) as typeof ops;

/** A scalar that depends on every element of y: sum(y * R), R fixed. */
function weighted(y: Tensor, seed = 99): Tensor {
  const r = tensor(y.b, randn(new Rng(seed), y.size), y.shape);
  return ops.sum(ops.mul(y, r));
}

interface Case {
  name: string;
  shapes: number[][];
  f: (x: Tensor[], b: Backend) => Tensor;
  /** make inputs away from kinks/ties: a positive shift etc. */
  std?: number;
}

const acts = ACT_NAMES.map((a) => [a, Act[a]] as const);
const cases: Case[] = [
  ...[
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ].map(([ta, tb]) => ({
    name: `matmul ta=${ta} tb=${tb}`,
    shapes: [ta ? [4, 3] : [3, 4], tb ? [5, 4] : [4, 5]],
    f: (x: Tensor[]) => weighted(op.matmul(x[0], x[1], ta, tb)),
  })),
  ...acts.map(([n, c]) => ({
    name: `linear ${n}`,
    shapes: [[3, 4], [5, 4], [5]],
    f: (x: Tensor[]) => weighted(op.linear(x[0], x[1], x[2], c, 0.1)),
  })),
  {
    name: 'linear no bias',
    shapes: [
      [3, 4],
      [5, 4],
    ],
    f: (x) => weighted(op.linear(x[0], x[1], null, Act.tanh)),
  },
  ...acts.map(([n, c]) => ({ name: `biasAct ${n}`, shapes: [[3, 4], [4]], f: (x: Tensor[]) => weighted(op.biasAct(x[0], x[1], c, 0.1)) })),
  ...acts.map(([n]) => ({ name: `activation ${n}`, shapes: [[2, 5]], f: (x: Tensor[]) => weighted(op.activation(x[0], n, 0.2)) })),
  ...(['relu', 'sigmoid', 'tanh'] as const).map((n) => ({ name: n, shapes: [[2, 5]], f: (x: Tensor[]) => weighted(op[n](x[0])) })),
  ...acts.map(([n, c]) => ({
    name: `linearResidualPost ${n} learnable s`,
    shapes: [[3, 4], [5, 4], [5], [3, 5], [1]],
    f: (x: Tensor[]) => weighted(op.linearResidualPost(x[0], x[1], x[2], x[3], x[4], c, 0.1)),
  })),
  {
    name: 'linearResidualPost no bias, const s',
    shapes: [
      [3, 4],
      [5, 4],
      [3, 5],
    ],
    f: (x) => weighted(op.linearResidualPost(x[0], x[1], null, x[2], 0.8, Act.tanh)),
  },
  {
    name: 'add',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (x) => weighted(op.add(x[0], x[1])),
  },
  {
    name: 'sub',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (x) => weighted(op.sub(x[0], x[1])),
  },
  {
    name: 'mul',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (x) => weighted(op.mul(x[0], x[1])),
  },
  { name: 'scale', shapes: [[3, 4]], f: (x) => weighted(op.scale(x[0], -0.7, 1)) },
  ...acts.map(([n, c]) => ({
    name: `residualPost ${n} const s`,
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (x: Tensor[]) => weighted(op.residualPost(x[0], x[1], 0.6, c, 0.1)),
  })),
  ...acts.map(([n, c]) => ({
    name: `residualPost ${n} learnable s`,
    shapes: [[3, 4], [3, 4], [1]],
    f: (x: Tensor[]) => weighted(op.residualPost(x[0], x[1], x[2], c, 0.1)),
  })),
  {
    name: 'residualAdd const s',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (x) => weighted(op.residualAdd(x[0], x[1], -1.3)),
  },
  { name: 'residualAdd learnable s', shapes: [[3, 4], [3, 4], [1]], f: (x) => weighted(op.residualAdd(x[0], x[1], x[2])) },
  { name: 'sum', shapes: [[3, 4]], f: (x) => op.sum(op.mul(x[0], x[0])) },
  { name: 'mean', shapes: [[3, 4]], f: (x) => op.mean(op.mul(x[0], x[0])) },
  { name: 'reshape', shapes: [[3, 4]], f: (x) => weighted(op.activation(op.reshape(x[0], [2, 6]), 'tanh')) },
  {
    name: 'concat axis 1',
    shapes: [
      [3, 2],
      [3, 4],
    ],
    f: (x) => weighted(op.concat([x[0], x[1]], 1)),
  },
  {
    name: 'concat axis 0',
    shapes: [
      [2, 3],
      [4, 3],
    ],
    f: (x) => weighted(op.concat([x[0], x[1]], 0)),
  },
  { name: 'slice axis 0', shapes: [[5, 3]], f: (x) => weighted(op.slice(x[0], 0, 1, 4)) },
  { name: 'slice axis 1', shapes: [[3, 5]], f: (x) => weighted(op.slice(x[0], 1, 2, 5)) },
  {
    name: 'softmaxCrossEntropy',
    shapes: [[4, 5]],
    f: (x, b) => op.softmaxCrossEntropy(x[0], op.labels(b, [0, 4, 2, 2])),
  },
  {
    name: 'softmaxCrossEntropy (scaled upstream)',
    shapes: [[4, 5]],
    f: (x, b) => op.scale(op.softmaxCrossEntropy(x[0], op.labels(b, [1, 3, 0, 2])), 3),
  },
  {
    name: 'mse',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (x) => op.mse(x[0], x[1]),
  },
  { name: 'dropout', shapes: [[4, 6]], f: (x) => weighted(op.dropout(x[0], 0.3, new Rng(5), true)) },
  {
    name: 'batchNorm train',
    shapes: [[6, 4], [4], [4]],
    f: (x, b) =>
      weighted(
        op.batchNorm(x[0], x[1], x[2], { runningMean: buffer(b, [4]), runningVar: buffer(b, [4], 1), momentum: 0.1, eps: 1e-5 }, true),
      ),
  },
  {
    name: 'batchNorm eval',
    shapes: [[6, 4], [4], [4]],
    f: (x, b) =>
      weighted(
        op.batchNorm(
          x[0],
          x[1],
          x[2],
          { runningMean: buffer(b, [4], 0.3), runningVar: buffer(b, [4], 2), momentum: 0.1, eps: 1e-5 },
          false,
        ),
      ),
  },
  { name: 'layerNorm', shapes: [[3, 5], [5], [5]], f: (x) => weighted(op.layerNorm(x[0], x[1], x[2])) },
];

let js64: Backend;
let js: Backend;
let wasm: Backend;
beforeAll(async () => {
  [js64, js, wasm] = await Promise.all([createBackend('js64'), createBackend('js'), createBackend('wasm')]);
});

function run(b: Backend, c: Case, seed: number): { loss: number; grads: number[][] } {
  const rng = new Rng(seed);
  const xs = c.shapes.map((s) => param(b, s, rng, c.std ?? 1));
  b.resetArena();
  const l = c.f(xs, b);
  const loss = l.item();
  l.backward();
  const grads = xs.map((x) => x.gradArray());
  b.resetArena();
  return { loss, grads };
}

const relNorm = (a: number[], b: number[]): number => {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += a[i] ** 2 + b[i] ** 2;
  }
  return Math.sqrt(d) / (Math.sqrt(n) + 1e-12);
};

describe('ops: gradients vs finite differences (float64, js64)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const rng = new Rng(11);
    const xs = c.shapes.map((s) => param(js64, s, rng, c.std ?? 1));
    const { worst } = gradCheck(js64, xs, () => c.f(xs, js64));
    expect(worst).toBeLessThan(1e-6);
  });
});

describe('ops: float32 backends agree with float64', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_n, c) => {
    const ref = run(js64, c, 7);
    for (const b of [js, wasm]) {
      const r = run(b, c, 7);
      expect(Math.abs(r.loss - ref.loss) / (Math.abs(ref.loss) + 1e-3), `${b.kind} loss`).toBeLessThan(1e-4);
      r.grads.forEach((g, i) => {
        expect(relNorm(g, ref.grads[i]), `${b.kind} grad ${i}`).toBeLessThan(1e-4);
      });
    }
  });
});

describe('coverage', () => {
  it('every op that ops/index.ts exports is called by a case above (so it has a gradient check)', () => {
    for (const name of NOT_OPS)
      expect(typeof (ops as Record<string, unknown>)[name], `${name} is an export of ops/index.ts`).toBe('function');
    const exported = Object.keys(ops).filter(isOp);
    expect(exported.length).toBeGreaterThan(20);
    called.clear();
    for (const c of cases) {
      const rng = new Rng(1);
      const xs = c.shapes.map((s) => param(js64, s, rng));
      js64.resetArena();
      c.f(xs, js64);
      js64.resetArena();
    }
    expect(exported.filter((name) => !called.has(name))).toEqual([]);
  });
});

describe('dropout', () => {
  it.each(['wasm', 'js', 'js64'] as const)(
    '%s: the mask is the next x.size uniform() draws of the Rng, and the Rng moves on by as many',
    async (kind) => {
      const b = kind === 'wasm' ? wasm : kind === 'js' ? js : js64;
      for (const [n, p] of [
        [1, 0.5],
        [7, 0.3],
        [1001, 0.25],
      ] as const) {
        const x = tensor(
          b,
          Array.from({ length: n }, (_, i) => i - n / 2),
        );
        const rng = new Rng(42);
        const y = op.dropout(x, p, rng, true).toArray();
        const expected = new Rng(42);
        const keep = 1 / (1 - p);
        const want = x.toArray().map((v) => (expected.uniform() < p ? 0 : keep) * v);
        expect(y).toEqual(b.bytes === 4 ? want.map(Math.fround) : want);
        expect(rng.nextU32()).toBe(expected.nextU32());
        b.resetArena();
      }
    },
  );
});

describe('autograd', () => {
  it('fan-out accumulates: d/dx sum(x*x + x) = 2x + 1', () => {
    const x = param(js64, [5], new Rng(1));
    const y = op.sum(op.add(op.mul(x, x), x));
    y.backward();
    const v = x.toArray();
    x.gradArray().forEach((g, i) => {
      expect(g).toBeCloseTo(2 * v[i] + 1, 12);
    });
    js64.resetArena();
  });

  it("the skip path: d/da of sum(a + tanh(a)) = 1 + tanh'(a), through residualAdd and residualPost", () => {
    for (const useAdd of [true, false]) {
      const a = param(js64, [2, 3], new Rng(2));
      const f = op.activation(a, 'tanh');
      const y = useAdd ? op.residualAdd(a, f, 1) : op.residualPost(a, f, 1, Act.identity);
      op.sum(y).backward();
      const v = a.toArray();
      a.gradArray().forEach((g, i) => {
        expect(g).toBeCloseTo(1 + (1 - Math.tanh(v[i]) ** 2), 12);
      });
      js64.resetArena();
    }
  });

  it('gradients of parameters accumulate over two backward passes until zeroed', () => {
    const x = param(js64, [3], new Rng(3));
    op.sum(x).backward();
    op.sum(op.scale(x, 2)).backward();
    expect(x.gradArray()).toEqual([3, 3, 3]);
    x.gradReady = false;
    op.sum(x).backward();
    expect(x.gradArray()).toEqual([1, 1, 1]);
    js64.resetArena();
  });

  it('noGrad records nothing; backward needs a scalar that requires grad', async () => {
    const { noGrad } = await import('../src/tensor.js');
    const x = param(js64, [2, 2], new Rng(4));
    const y = noGrad(() => op.sum(op.mul(x, x)));
    expect(y.requiresGrad).toBe(false);
    expect(js64.tape.length).toBe(0);
    expect(() => y.backward()).toThrow(/does not depend/);
    expect(() => op.mul(x, x).backward()).toThrow(/needs a scalar/);
    js64.resetArena();
  });

  it('shape errors are clear', () => {
    const a = param(js64, [2, 3], new Rng(5));
    const b = param(js64, [3, 2], new Rng(6));
    expect(() => op.add(a, b)).toThrow(/add: shapes \[2,3\] and \[3,2\] differ/);
    expect(() => op.matmul(a, a)).toThrow(/inner dimensions/);
    expect(() => op.reshape(a, [4])).toThrow(/cannot become/);
    js64.resetArena();
  });
});
