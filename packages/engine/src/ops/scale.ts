import { gradAcc, OpNode, record, reuseNode, type Tensor } from '../tensor.js';

class ScaleNode extends OpNode {
  x!: Tensor;
  alpha = 1;
  backward(): void {
    const { x, y } = this;
    const acc = gradAcc(x);
    x.b.k.axpby(this.alpha, y.grad, acc, x.grad, y.size);
  }
}

/** y = alpha * x + beta (constants); scale(x, -1, 1) = 1 - x. */
export function scale(x: Tensor, alpha: number, beta = 0): Tensor {
  const be = x.b;
  const n = reuseNode(be, ScaleNode);
  n.x = x;
  n.alpha = alpha;
  const y = n.y.retarget(x.shape);
  be.k.axpby(alpha, x.ptr, 0, y.ptr, y.size);
  if (beta !== 0) be.k.addScalar(y.ptr, beta, y.size, 1);
  return record(y, n.backwardFn, x);
}
