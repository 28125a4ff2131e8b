import { cols2, gradAcc, OpNode, record, reuseNode, rows2, shape2, type Tensor } from '../tensor.js';

class SliceNode extends OpNode {
  x!: Tensor;
  /** where the block starts in x (elements) */
  offset = 0;
  backward(): void {
    const { x, y } = this;
    const k = x.b.k;
    const acc = gradAcc(x);
    if (!acc) k.fill(x.grad, 0, x.size);
    k.copyRect(y.grad, y.shape[1], x.grad + (this.offset << x.b.shift), cols2('slice', x), y.shape[0], y.shape[1], 1);
  }
}

/** Rows (axis 0) or columns (axis 1) [start, end) of a 2-D tensor, copied. */
export function slice(x: Tensor, axis: 0 | 1, start: number, end: number): Tensor {
  const r = rows2('slice', x);
  const c = cols2('slice', x);
  const len = axis === 0 ? r : c;
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= len)) {
    throw new Error(`slice: [${start}, ${end}) is not a non-empty range inside 0..${len} on axis ${axis}`);
  }
  const be = x.b;
  const n = reuseNode(be, SliceNode);
  n.x = x;
  n.offset = axis === 0 ? start * c : start;
  const rows = axis === 0 ? end - start : r;
  const cols = axis === 1 ? end - start : c;
  const y = n.y.retarget(shape2(n.y.shape, rows, cols));
  be.k.copyRect(x.ptr + (n.offset << be.shift), c, y.ptr, cols, rows, cols, 0);
  return record(y, n.backwardFn, x);
}
