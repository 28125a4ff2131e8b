import { empty, gradAcc, passGrad, record, sameShape, type Tensor } from '../tensor.js';

/** y = a + b (same shapes). */
export function add(a: Tensor, b: Tensor): Tensor {
  sameShape('add', a, b);
  const be = a.b;
  const y = empty(be, a.shape);
  be.k.residualAdd(a.ptr, b.ptr, 1, y.ptr, y.size);
  return record(
    y,
    () => {
      if (b.requiresGrad) {
        const acc = gradAcc(b);
        be.k.axpby(1, y.grad, acc, b.grad, y.size);
      }
      if (a.requiresGrad) passGrad(a, y.grad);
    },
    a,
    b,
  );
}
