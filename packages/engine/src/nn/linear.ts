import type { Backend } from '../backend.js';
import { linear } from '../ops/linear.js';
import { parameter, type Tensor } from '../tensor.js';
import { Module } from './module.js';

/** y = g(x Wᵀ + b); W: out x in (PyTorch layout). Parameters 'weight', 'bias'; zero-initialised (see init.ts). */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  act: number;
  slope: number;
  constructor(
    b: Backend,
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; act?: number; slope?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', parameter(b, [outFeatures, inFeatures]));
    this.bias = opts.bias === false ? null : this.registerParameter('bias', parameter(b, [outFeatures]));
    this.act = opts.act ?? 0;
    this.slope = opts.slope ?? 0;
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, this.act, this.slope);
  }
}
