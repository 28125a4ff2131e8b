import { record, reuseNode, type Tensor } from '../tensor.js';
import { gradOf, NormNode } from './shared/normalise.js';

class LayerNormNode extends NormNode {
  backwardKernel(accG: number, accB: number, accX: number): void {
    const { x, gamma, beta, y } = this;
    x.b.k.layerNormBackward(
      y.grad,
      this.xhat,
      gamma.ptr,
      this.inv,
      gradOf(gamma),
      gradOf(beta),
      gradOf(x),
      this.rows,
      this.cols,
      accG,
      accB,
      accX,
    );
  }
}

/**
 * Layer normalisation of each row of x (B x C): y = gamma * (x - mean) / sqrt(var + eps) + beta (core kernel
 * layerNorm). Same in train and eval.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const n = reuseNode(x.b, LayerNormNode);
  const y = n.start('layerNorm', x, gamma, beta, 'rows');
  x.b.k.layerNorm(x.ptr, gamma.ptr, beta.ptr, n.xhat, n.inv, y.ptr, n.rows, n.cols, eps);
  return record(y, n.backwardFn, x, gamma, beta);
}
