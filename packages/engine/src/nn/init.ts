import type { Rng } from '../rng.js';
import type { ModelSpec } from '../spec.js';
import type { Tensor } from '../tensor.js';

/** Standard deviation of a weight of fan-in `nin`, fan-out `nout` under the spec's scheme. */
export function initStd(spec: Pick<ModelSpec, 'init' | 'initStd'>, nin: number, nout: number): number {
  switch (spec.init) {
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
  const v = new Float64Array(w.size);
  for (let i = 0; i < v.length; i++) v[i] = std * rng.normal();
  w.set(v);
}
