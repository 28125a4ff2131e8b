import { empty, gradAcc, isGradEnabled, passGrad, record, sameShape, type Tensor } from '../tensor.js';

/** Mean squared error over all elements (a scalar); the target may require a gradient too. */
export function mse(pred: Tensor, target: Tensor): Tensor {
  sameShape('mse', pred, target);
  const be = pred.b;
  const n = pred.size;
  const want = isGradEnabled() && (pred.requiresGrad || target.requiresGrad);
  const d = want ? be.alloc(n) : 0;
  const loss = empty(be, [1]);
  be.f[loss.ptr >> be.shift] = be.k.mse(pred.ptr, target.ptr, n, d, 1);
  return record(loss, [pred, target], () => {
    const g = be.f[loss.grad >> be.shift];
    if (target.requiresGrad) {
      const acc = gradAcc(target);
      be.k.axpby(-g, d, acc, target.grad, n);
    }
    if (pred.requiresGrad) {
      if (g !== 1) be.k.axpby(g, d, 0, d, n);
      passGrad(pred, d);
    }
  });
}
