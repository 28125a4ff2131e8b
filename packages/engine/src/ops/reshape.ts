import { numel, passGrad, record, Tensor } from '../tensor.js';

/** Same data, new shape (a view: no copy). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (numel(shape) !== x.size) throw new Error(`reshape: [${x.shape}] (${x.size} values) cannot become [${shape}]`);
  const y = new Tensor(x.b, shape, x.ptr);
  return record(y, () => passGrad(x, y.grad), x);
}
