import type { Ptr } from '../backend.js';
import type { Rng } from '../rng.js';
import { gradAcc, OpNode, record, reuseNode, type Tensor } from '../tensor.js';

class DropoutNode extends OpNode {
  x!: Tensor;
  /** the kept-and-scaled mask (0 or 1/(1-p) per element) */
  mask: Ptr = 0;
  backward(): void {
    const { x, y } = this;
    const be = x.b;
    const n = x.size;
    const acc = gradAcc(x);
    const f = be.f;
    const M = this.mask >> be.shift;
    const D = y.grad >> be.shift;
    const DX = x.grad >> be.shift;
    for (let i = 0; i < n; i++) f[DX + i] = acc ? f[DX + i] + f[M + i] * f[D + i] : f[M + i] * f[D + i];
  }
}

/** Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p). Identity when !training or p = 0. */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!training || p === 0) return x;
  if (!(p > 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  const be = x.b;
  const n = x.size;
  const node = reuseNode(be, DropoutNode);
  node.x = x;
  node.mask = be.alloc(n);
  const y = node.y.retarget(x.shape);
  const f = be.f;
  const M = node.mask >> be.shift;
  const X = x.ptr >> be.shift;
  const Y = y.ptr >> be.shift;
  const keep = 1 / (1 - p);
  for (let i = 0; i < n; i++) {
    const m = rng.uniform() < p ? 0 : keep;
    f[M + i] = m;
    f[Y + i] = m * f[X + i];
  }
  return record(y, node.backwardFn, x);
}
