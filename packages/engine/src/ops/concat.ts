import { cols2, gradAcc, OpNode, recordList, reuseNode, rows2, shape2, type Tensor } from '../tensor.js';

class ConcatNode extends OpNode {
  xs: readonly Tensor[] = [];
  axis: 0 | 1 = 1;
  backward(): void {
    const y = this.y;
    // each input's block of dy into its gradient
    forBlocks(this, (x, at, r, c) => {
      if (x.requiresGrad) x.b.k.copyRect(y.grad + at, y.shape[1], x.grad, c, r, c, gradAcc(x));
    });
  }
}

/** Calls fn for every input with the byte offset of its block in y and its rows and columns. */
function forBlocks(n: ConcatNode, fn: (x: Tensor, at: number, rows: number, cols: number) => void): void {
  const cols = n.y.shape[1];
  let off = 0;
  for (const x of n.xs) {
    const r = rows2('concat', x);
    const c = cols2('concat', x);
    fn(x, (n.axis === 0 ? off * cols : off) << x.b.shift, r, c);
    off += n.axis === 0 ? r : c;
  }
}

/** Concatenate 2-D tensors along axis 0 (rows) or 1 (columns). */
export function concat(xs: readonly Tensor[], axis: 0 | 1 = 1): Tensor {
  if (xs.length === 0) throw new Error('concat: no tensors');
  const be = xs[0].b;
  const across = (t: Tensor): number => (axis === 0 ? cols2('concat', t) : rows2('concat', t));
  let total = 0;
  for (const x of xs) {
    if (across(x) !== across(xs[0])) throw new Error(`concat: shapes [${xs.map((x) => `[${x.shape}]`)}] do not match off axis ${axis}`);
    total += axis === 0 ? rows2('concat', x) : cols2('concat', x);
  }
  const n = reuseNode(be, ConcatNode);
  n.xs = xs;
  n.axis = axis;
  const y = n.y.retarget(shape2(n.y.shape, axis === 0 ? total : rows2('concat', xs[0]), axis === 1 ? total : cols2('concat', xs[0])));
  forBlocks(n, (x, at, r, c) => be.k.copyRect(x.ptr, c, y.ptr + at, y.shape[1], r, c, 0));
  return recordList(y, n.backwardFn, xs);
}
