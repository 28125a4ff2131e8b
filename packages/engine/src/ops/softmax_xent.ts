import type { Backend, Ptr } from '../backend.js';
import { dims2, empty, isGradEnabled, passGrad, record, type Tensor } from '../tensor.js';

/** Int32 class labels in the backend's memory. */
export class Labels {
  constructor(
    readonly b: Backend,
    readonly ptr: Ptr,
    readonly size: number,
  ) {}
}
/** Labels in the step arena. */
export function labels(b: Backend, data: ArrayLike<number>): Labels {
  const p = b.allocI32(data.length);
  b.i32.set(data, p >> 2);
  return new Labels(b, p, data.length);
}

/**
 * Mean softmax cross-entropy of logits (B x C) against int labels (a scalar).
 * The gradient (softmax - onehot) / B is computed in the same pass as the loss.
 */
export function softmaxCrossEntropy(logits: Tensor, y: Labels): Tensor {
  const [B, C] = dims2('softmaxCrossEntropy', logits);
  if (y.size !== B) throw new Error(`softmaxCrossEntropy: ${y.size} labels for ${B} rows`);
  const be = logits.b;
  const want = isGradEnabled() && logits.requiresGrad;
  const d = want ? be.alloc(logits.size) : 0;
  const loss = empty(be, [1]);
  be.f[loss.ptr >> be.shift] = be.k.softmaxXent(logits.ptr, y.ptr, B, C, d, 1);
  return record(loss, [logits], () => {
    const g = be.f[loss.grad >> be.shift];
    if (g !== 1) be.k.axpby(g, d, 0, d, logits.size);
    passGrad(logits, d);
  });
}
