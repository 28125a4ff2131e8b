import { empty, gradAcc, record, type Tensor } from '../tensor.js';

/** Sum of all elements (a scalar). */
export function sum(x: Tensor): Tensor {
  return reduce(x, 1);
}

/** c * sum(x): the shared body of sum and mean. */
export function reduce(x: Tensor, c: number): Tensor {
  const be = x.b;
  const n = x.size;
  const y = empty(be, [1]);
  let s = 0;
  const f = be.f;
  const X = x.ptr >> be.shift;
  for (let i = 0; i < n; i++) s += f[X + i];
  f[y.ptr >> be.shift] = c * s;
  return record(
    y,
    () => {
      const acc = gradAcc(x);
      const f = be.f;
      const g = c * f[y.grad >> be.shift];
      const D = x.grad >> be.shift;
      for (let i = 0; i < n; i++) f[D + i] = acc ? f[D + i] + g : g;
    },
    x,
  );
}
