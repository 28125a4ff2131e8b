/** Test helpers: finite differences on the float64 js backend, random data. */
import type { Backend } from '../src/backend.js';
import { Rng } from '../src/rng.js';
import { noGrad, parameter, type Tensor } from '../src/tensor.js';

export function randn(rng: Rng, n: number, std = 1): number[] {
  return Array.from({ length: n }, () => std * rng.normal());
}

/** A persistent tensor that requires a gradient, filled with N(0, std^2). */
export function param(b: Backend, shape: number[], rng: Rng, std = 1): Tensor {
  return parameter(
    b,
    shape,
    randn(
      rng,
      shape.reduce((a, c) => a * c, 1),
      std,
    ),
  );
}

/**
 * Compare backward() with central differences for every element of `wrt`.
 * Returns the worst normwise relative error ||analytic - numeric|| / (||analytic|| + ||numeric|| + 1e-3 ||all analytic||) over the tensors.
 */
export function gradCheck(b: Backend, wrt: Tensor[], loss: () => Tensor, eps = 1e-6): { worst: number; name: number } {
  for (const t of wrt) t.gradReady = false;
  b.resetArena();
  loss().backward();
  const analytic = wrt.map((t) => t.gradArray());
  b.resetArena();
  let worst = 0;
  let name = -1;
  const G = Math.sqrt(analytic.flat().reduce((s, v) => s + v * v, 0));
  wrt.forEach((t, ti) => {
    const v = t.toArray();
    const num: number[] = [];
    for (let i = 0; i < v.length; i++) {
      const at = (x: number): number => {
        v[i] = x;
        t.set(v);
        const l = noGrad(() => loss().item());
        b.resetArena();
        return l;
      };
      const x0 = v[i];
      const lp = at(x0 + eps);
      const lm = at(x0 - eps);
      at(x0);
      num.push((lp - lm) / (2 * eps));
    }
    const a = analytic[ti];
    let d = 0;
    let na = 0;
    let nn = 0;
    for (let i = 0; i < a.length; i++) {
      d += (a[i] - num[i]) ** 2;
      na += a[i] ** 2;
      nn += num[i] ** 2;
    }
    // NOTE: the floor (relative to the whole gradient) keeps gradients that are truly zero (a bias before
    // BatchNorm) from comparing rounding noise with rounding noise.
    const rel = Math.sqrt(d) / (Math.sqrt(na) + Math.sqrt(nn) + 1e-3 * G + 1e-12);
    if (rel > worst) {
      worst = rel;
      name = ti;
    }
  });
  return { worst, name };
}

export const seeded = (seed: number): Rng => new Rng(seed);
