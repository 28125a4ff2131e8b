/**
 * What batchNorm and layerNorm share (not an op): the record of y = gamma * xhat + beta over x (B x C), its checks,
 * the buffers the backward reads (xhat, and inv = 1 / sqrt(var + eps) per normalised line) and the gradients it
 * makes.
 */
import type { Ptr } from '../../backend.js';
import { cols2, gradAcc, OpNode, rows2, type Tensor } from '../../tensor.js';

/** t's gradient buffer for a kernel, 0 (skip) when t needs none */
export const gradOf = (t: Tensor): Ptr => (t.requiresGrad ? t.grad : 0);

export abstract class NormNode extends OpNode {
  x!: Tensor;
  gamma!: Tensor;
  beta!: Tensor;
  /** xhat, B x C */
  xhat: Ptr = 0;
  /** 1 / sqrt(var + eps), one per normalised line */
  inv: Ptr = 0;
  rows = 0;
  cols = 0;

  /** Check the shapes, keep the inputs, allocate xhat, inv (one per row or column) and y; returns y. */
  start(op: string, x: Tensor, gamma: Tensor, beta: Tensor, lines: 'rows' | 'cols'): Tensor {
    const B = rows2(op, x);
    const C = cols2(op, x);
    if (gamma.size !== C || beta.size !== C) throw new Error(`${op}: ${C} features but gamma/beta have ${gamma.size}/${beta.size}`);
    this.x = x;
    this.gamma = gamma;
    this.beta = beta;
    this.rows = B;
    this.cols = C;
    this.xhat = x.b.alloc(x.size);
    this.inv = x.b.alloc(lines === 'rows' ? B : C);
    return this.y.retarget(x.shape);
  }

  backward(): void {
    // gamma, beta, then x: the order their gradient buffers are made in
    const accG = this.gamma.requiresGrad ? gradAcc(this.gamma) : 0;
    const accB = this.beta.requiresGrad ? gradAcc(this.beta) : 0;
    const accX = this.x.requiresGrad ? gradAcc(this.x) : 0;
    this.backwardKernel(accG, accB, accX);
  }
  /** the op's backward kernel, given the acc flags of gamma, beta and x */
  abstract backwardKernel(accG: number, accB: number, accX: number): void;
}
