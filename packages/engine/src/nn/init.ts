import type { Rng } from '../rng.js';
import { type ModelSpec, resolveInit } from '../spec.js';
import type { Tensor } from '../tensor.js';

/** Standard deviation of a weight of fan-in `nin`, fan-out `nout` under the spec's scheme. */
export function initStd(spec: Pick<ModelSpec, 'init' | 'initStd' | 'activation'>, nin: number, nout: number): number {
  switch (resolveInit(spec)) {
    case 'he':
      return Math.sqrt(2 / nin);
    case 'xavier':
      return Math.sqrt(2 / (nin + nout));
    case 'normal':
      return spec.initStd;
  }
}

/** Fill a weight (out x in) with N(0, (gain * std)^2) drawn from rng, in row-major order. */
export function initNormal(w: Tensor, std: number, rng: Rng): void {
  // written straight into backend memory (each value rounded to the backend's precision on the store)
  const f = w.b.f;
  const o = w.ptr >> w.b.shift;
  for (let i = 0; i < w.size; i++) f[o + i] = std * rng.normal();
}
