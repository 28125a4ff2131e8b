import { dims2, empty, gradAcc, recordList, type Tensor } from '../tensor.js';

/** Concatenate 2-D tensors along axis 0 (rows) or 1 (columns). */
export function concat(xs: readonly Tensor[], axis: 0 | 1 = 1): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const be = xs[0].b;
  const ds = xs.map((x) => dims2('concat', x));
  const other = 1 - axis;
  for (const d of ds)
    if (d[other] !== ds[0][other]) throw new Error(`concat: shapes [${xs.map((x) => `[${x.shape}]`)}] do not match off axis ${axis}`);
  const total = ds.reduce((s, d) => s + d[axis], 0);
  const rows = axis === 0 ? total : ds[0][0];
  const cols = axis === 1 ? total : ds[0][1];
  const y = empty(be, [rows, cols]);
  // forward copies x_i into its block of y; backward adds that block of dy into dx_i
  const copy = (dir: 'fwd' | 'bwd', i: number, acc: number): void => {
    const f = be.f;
    const [r, c] = ds[i];
    const off = xs.slice(0, i).reduce((s, _, j) => s + ds[j][axis], 0);
    const X = (dir === 'fwd' ? xs[i].ptr : xs[i].grad) >> be.shift;
    const Y = (dir === 'fwd' ? y.ptr : y.grad) >> be.shift;
    for (let a = 0; a < r; a++) {
      for (let b = 0; b < c; b++) {
        const yi = axis === 0 ? (off + a) * cols + b : a * cols + off + b;
        const xi = a * c + b;
        if (dir === 'fwd') f[Y + yi] = f[X + xi];
        else f[X + xi] = acc ? f[X + xi] + f[Y + yi] : f[Y + yi];
      }
    }
  };
  for (let i = 0; i < xs.length; i++) copy('fwd', i, 0);
  return recordList(
    y,
    () => {
      for (let i = 0; i < xs.length; i++) if (xs[i].requiresGrad) copy('bwd', i, gradAcc(xs[i]));
    },
    xs,
  );
}
