import { gradAcc, OpNode, record, reuseNode, type Tensor } from '../tensor.js';
import { SCALAR } from './softmax_xent.js';

/** Sum of all elements (a scalar). */
export function sum(x: Tensor): Tensor {
  return reduce(x, 1);
}

class ReduceNode extends OpNode {
  x!: Tensor;
  c = 1;
  backward(): void {
    const { x, y } = this;
    const be = x.b;
    const acc = gradAcc(x);
    be.k.addScalar(x.grad, this.c * be.f[y.grad >> be.shift], x.size, acc);
  }
}

/** c * sum(x): the shared body of sum and mean. */
export function reduce(x: Tensor, c: number): Tensor {
  const be = x.b;
  const n = reuseNode(be, ReduceNode);
  n.x = x;
  n.c = c;
  const y = n.y.retarget(SCALAR);
  be.f[y.ptr >> be.shift] = c * be.k.sum(x.ptr, x.size);
  return record(y, n.backwardFn, x);
}
