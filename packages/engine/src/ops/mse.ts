import type { Ptr } from '../backend.js';
import { gradAcc, isGradEnabled, OpNode, passGrad, record, reuseNode, sameShape, type Tensor } from '../tensor.js';
import { SCALAR } from './softmax_xent.js';

class MseNode extends OpNode {
  pred!: Tensor;
  target!: Tensor;
  /** d loss / d pred, computed with the loss */
  d: Ptr = 0;
  backward(): void {
    const { pred, target, y: loss, d } = this;
    const be = pred.b;
    const n = pred.size;
    const g = be.f[loss.grad >> be.shift];
    if (target.requiresGrad) {
      const acc = gradAcc(target);
      be.k.axpby(-g, d, acc, target.grad, n);
    }
    if (pred.requiresGrad) {
      if (g !== 1) be.k.axpby(g, d, 0, d, n);
      passGrad(pred, d);
    }
  }
}

/** Mean squared error over all elements (a scalar); the target may require a gradient too. */
export function mse(pred: Tensor, target: Tensor): Tensor {
  sameShape('mse', pred, target);
  const be = pred.b;
  const want = isGradEnabled() && (pred.requiresGrad || target.requiresGrad);
  const n = reuseNode(be, MseNode);
  n.pred = pred;
  n.target = target;
  n.d = want ? be.alloc(pred.size) : 0;
  const loss = n.y.retarget(SCALAR);
  be.f[loss.ptr >> be.shift] = be.k.mse(pred.ptr, target.ptr, pred.size, n.d, 1);
  return record(loss, n.backwardFn, pred, target);
}
