import type { Backend, Ptr } from '../backend.js';
import { cols2, isGradEnabled, OpNode, passGrad, record, reuseNode, rows2, type Tensor } from '../tensor.js';

/** Int32 class labels in the backend's memory. */
export class Labels {
  constructor(
    readonly b: Backend,
    public ptr: Ptr,
    public size: number,
  ) {}
}
/** Labels in the step arena. */
export function labels(b: Backend, data: ArrayLike<number>): Labels {
  const p = b.allocI32(data.length);
  b.i32.set(data, p >> 2);
  return new Labels(b, p, data.length);
}

/** the shape of every scalar loss (shared, never changed) */
export const SCALAR: readonly number[] = Object.freeze([1]);

class SoftmaxXentNode extends OpNode {
  logits!: Tensor;
  /** the gradient (softmax - onehot) / B, computed with the loss */
  d: Ptr = 0;
  backward(): void {
    const { logits, y: loss, d } = this;
    const be = logits.b;
    const g = be.f[loss.grad >> be.shift];
    if (g !== 1) be.k.axpby(g, d, 0, d, logits.size);
    passGrad(logits, d);
  }
}

/**
 * Mean softmax cross-entropy of logits (B x C) against int labels (a scalar).
 * The gradient (softmax - onehot) / B is computed in the same pass as the loss.
 */
export function softmaxCrossEntropy(logits: Tensor, y: Labels): Tensor {
  const B = rows2('softmaxCrossEntropy', logits);
  const C = cols2('softmaxCrossEntropy', logits);
  if (y.size !== B) throw new Error(`softmaxCrossEntropy: ${y.size} labels for ${B} rows`);
  const be = logits.b;
  const want = isGradEnabled() && logits.requiresGrad;
  const n = reuseNode(be, SoftmaxXentNode);
  n.logits = logits;
  n.d = want ? be.alloc(logits.size) : 0;
  const loss = n.y.retarget(SCALAR);
  be.f[loss.ptr >> be.shift] = be.k.softmaxXent(logits.ptr, y.ptr, B, C, n.d, 1);
  return record(loss, n.backwardFn, logits);
}
