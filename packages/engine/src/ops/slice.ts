import { dims2, empty, gradAcc, record, type Tensor } from '../tensor.js';

/** Rows (axis 0) or columns (axis 1) [start, end) of a 2-D tensor, copied. */
export function slice(x: Tensor, axis: 0 | 1, start: number, end: number): Tensor {
  const [r, c] = dims2('slice', x);
  const len = axis === 0 ? r : c;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= len)) {
    throw new Error(`slice: [${start}, ${end}) is not a non-empty range inside 0..${len} on axis ${axis}`);
  }
  const be = x.b;
  const rows = axis === 0 ? end - start : r;
  const cols = axis === 1 ? end - start : c;
  const y = empty(be, [rows, cols]);
  const xi = (a: number, b: number): number => (axis === 0 ? (start + a) * c + b : a * c + start + b);
  {
    const f = be.f;
    const X = x.ptr >> be.shift;
    const Y = y.ptr >> be.shift;
    for (let a = 0; a < rows; a++) for (let b = 0; b < cols; b++) f[Y + a * cols + b] = f[X + xi(a, b)];
  }
  return record(
    y,
    () => {
      const acc = gradAcc(x);
      const f = be.f;
      const X = x.grad >> be.shift;
      const Y = y.grad >> be.shift;
      if (!acc) f.fill(0, X, X + x.size);
      for (let a = 0; a < rows; a++) for (let b = 0; b < cols; b++) f[X + xi(a, b)] += f[Y + a * cols + b];
    },
    x,
  );
}
