import type { Ptr } from '../backend.js';
import type { Rng } from '../rng.js';
import { gradAcc, OpNode, record, reuseNode, type Tensor } from '../tensor.js';

class DropoutNode extends OpNode {
  x!: Tensor;
  /** the kept-and-scaled mask (0 or 1/(1-p) per element) */
  mask: Ptr = 0;
  backward(): void {
    const { x, y } = this;
    const acc = gradAcc(x);
    // dx (+)= dy * mask
    x.b.k.mulBackward(0, this.mask, y.grad, x.grad, 0, x.size, acc, 0);
  }
}

/**
 * Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p). Identity when !training or
 * p = 0. Element i is dropped when the i-th of the next x.size draws of `rng` (uniform()) is below p; the core
 * kernel makes those draws itself, from the state `rng.advance` hands over.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!training || p === 0) return x;
  if (!(p > 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  const be = x.b;
  const n = x.size;
  const node = reuseNode(be, DropoutNode);
  node.x = x;
  node.mask = be.alloc(n);
  const y = node.y.retarget(x.shape);
  be.k.dropout(x.ptr, y.ptr, node.mask, n, p, rng.advance(n));
  return record(y, node.backwardFn, x);
}
