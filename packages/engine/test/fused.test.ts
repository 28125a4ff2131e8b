/**
 * linearResidualPost (gemm, then bias + shortcut + activation in one pass) must give the numbers of the two ops it
 * replaces, residualPost(a, linear(x, W, b), s, g), bit for bit: outputs and every gradient, on every backend.
 */
import { ACT_NAMES, Act } from '@reslab/core-wasm';
import { describe, expect, it } from 'vitest';
import { BACKEND_KINDS, type Backend, createBackend } from '../src/backend.js';
import { linear, linearResidualPost } from '../src/ops/linear.js';
import { mul } from '../src/ops/mul.js';
import { residualPost } from '../src/ops/residual_post.js';
import { sum } from '../src/ops/sum.js';
import { Rng } from '../src/rng.js';
import { parameter, type Tensor } from '../src/tensor.js';
import { randn } from './helpers.js';

const B = 5;
const W = 6;

function setup(b: Backend, seed: number) {
  const r = new Rng(seed);
  return {
    x: parameter(b, [B, W], randn(r, B * W)),
    a: parameter(b, [B, W], randn(r, B * W)),
    w: parameter(b, [W, W], randn(r, W * W, 0.5)),
    bias: parameter(b, [W], randn(r, W, 0.3)),
    s: parameter(b, [1], [0.7]),
  };
}
type Set = ReturnType<typeof setup>;

/** Forward with `f`, backward of sum(y * c) for a fixed c (so every output gets a different weight). */
function run(b: Backend, t: Set, f: (t: Set) => Tensor): { y: number[]; grads: number[][] } {
  for (const p of Object.values(t)) p.gradReady = false;
  b.resetArena();
  const y = f(t);
  const c = parameter(
    b,
    y.shape.slice() as number[],
    Array.from({ length: y.size }, (_, i) => Math.cos(i)),
  );
  c.requiresGrad = false;
  const out = y.toArray();
  sum(mul(y, c)).backward();
  return { y: out, grads: Object.values(t).map((p) => p.gradArray()) };
}

describe('linearResidualPost equals residualPost(a, linear(...)) bit for bit', () => {
  for (const kind of BACKEND_KINDS) {
    it(`${kind}: every activation, constant and learnable scale, shortcut = the layer's input (post-1) or not`, async () => {
      const b = await createBackend(kind);
      for (const name of ACT_NAMES) {
        const act = Act[name];
        for (const learnable of [false, true]) {
          for (const sameInput of [false, true]) {
            const t = setup(b, act * 7 + (learnable ? 1 : 0));
            const sc = (u: Set) => (sameInput ? u.x : u.a);
            const sv = (u: Set) => (learnable ? u.s : 0.7);
            const fused = run(b, t, (u) => linearResidualPost(u.x, u.w, u.bias, sc(u), sv(u), act, 0.1));
            const twoOps = run(b, t, (u) => residualPost(sc(u), linear(u.x, u.w, u.bias), sv(u), act, 0.1));
            const what = `${kind} ${name} learnable=${learnable} sameInput=${sameInput}`;
            expect(fused.y, what).toEqual(twoOps.y);
            expect(fused.grads, what).toEqual(twoOps.grads);
            expect(fused.y.every(Number.isFinite), what).toBe(true);
            // the gradients are really there: x, W and the bias get non-zero gradients
            const [gx, , gw, gb] = fused.grads;
            expect(
              [gx, gw, gb].every((g) => g.some((v) => v !== 0)),
              what,
            ).toBe(true);
          }
        }
      }
    });
  }

  it('rejects a shortcut of another shape with one clear message', async () => {
    const b = await createBackend('js');
    const t = setup(b, 1);
    const wide = parameter(b, [B, W + 1]);
    expect(() => linearResidualPost(t.x, t.w, t.bias, wide, 1, Act.relu)).toThrow(/linearResidualPost: shapes \[5,7\] and \[5,6\] differ/);
  });
});
