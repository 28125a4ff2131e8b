import type { Backend } from '../backend.js';
import { batchNorm } from '../ops/batchnorm.js';
import { layerNorm } from '../ops/layernorm.js';
import { buffer, parameter, type Tensor } from '../tensor.js';
import { Module } from './module.js';

const ones = (n: number): number[] => new Array(n).fill(1);

/** Batch norm over a batch of feature vectors; parameters 'weight' (gamma) and 'bias' (beta), running statistics. */
export class BatchNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  constructor(
    b: Backend,
    readonly features: number,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.registerParameter('weight', parameter(b, [features], ones(features)));
    this.bias = this.registerParameter('bias', parameter(b, [features]));
    this.runningMean = this.registerBuffer('runningMean', buffer(b, [features], 0));
    this.runningVar = this.registerBuffer('runningVar', buffer(b, [features], 1));
  }
  forward(x: Tensor): Tensor {
    return batchNorm(x, this.weight, this.bias, this, this.training);
  }
}

/** Layer norm over the features of each example; parameters 'weight' (gamma), 'bias' (beta). */
export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(
    b: Backend,
    readonly features: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.registerParameter('weight', parameter(b, [features], ones(features)));
    this.bias = this.registerParameter('bias', parameter(b, [features]));
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
