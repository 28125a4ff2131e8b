import { record, reuseNode, type Tensor } from '../tensor.js';
import { gradOf, NormNode } from './shared/normalise.js';

export interface BatchNormState {
  runningMean: Tensor;
  runningVar: Tensor;
  momentum: number;
  eps: number;
}

class BatchNormNode extends NormNode {
  training = 0;
  backwardKernel(accG: number, accB: number, accX: number): void {
    const { x, gamma, beta, y } = this;
    x.b.k.batchNormBackward(
      y.grad,
      this.xhat,
      gamma.ptr,
      this.inv,
      gradOf(gamma),
      gradOf(beta),
      gradOf(x),
      this.rows,
      this.cols,
      this.training,
      accG,
      accB,
      accX,
    );
  }
}

/**
 * Batch normalisation over the rows of x (B x C), per column: y = gamma * xhat + beta (core kernel batchNorm).
 * training: batch statistics (biased variance), running stats updated with the unbiased variance (PyTorch
 * semantics); eval: running statistics.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, st: BatchNormState, training: boolean): Tensor {
  const n = reuseNode(x.b, BatchNormNode);
  const y = n.start('batchNorm', x, gamma, beta, 'cols');
  n.training = training ? 1 : 0;
  x.b.k.batchNorm(
    x.ptr,
    gamma.ptr,
    beta.ptr,
    st.runningMean.ptr,
    st.runningVar.ptr,
    n.xhat,
    n.inv,
    y.ptr,
    n.rows,
    n.cols,
    n.training,
    st.momentum,
    st.eps,
  );
  return record(y, n.backwardFn, x, gamma, beta);
}
