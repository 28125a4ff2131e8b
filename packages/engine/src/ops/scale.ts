import { empty, gradAcc, record, type Tensor } from '../tensor.js';

/** y = alpha * x + beta (constants); scale(x, -1, 1) = 1 - x. */
export function scale(x: Tensor, alpha: number, beta = 0): Tensor {
  const be = x.b;
  const y = empty(be, x.shape);
  be.k.axpby(alpha, x.ptr, 0, y.ptr, y.size);
  if (beta !== 0) {
    const f = be.f;
    const Y = y.ptr >> be.shift;
    for (let i = 0; i < y.size; i++) f[Y + i] += beta;
  }
  return record(y, [x], () => {
    const acc = gradAcc(x);
    be.k.axpby(alpha, y.grad, acc, x.grad, y.size);
  });
}
