import type { Ptr } from '../backend.js';
import { dims2, empty, gradAcc, record, type Tensor } from '../tensor.js';

/**
 * Fused linear layer: y = g(x Wᵀ + b), x: B x in, W: out x in (PyTorch layout), b: out or null.
 * One gemm + one biasAct forward; backward: biasActBackward, colSum, two gemms.
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null, act = 0, slope = 0): Tensor {
  const [B, nin] = dims2('linear', x);
  const [nout, win] = dims2('linear', w);
  if (win !== nin) throw new Error(`linear: input has ${nin} features, weight expects ${win} ([${w.shape}])`);
  if (bias && bias.size !== nout) throw new Error(`linear: bias has ${bias.size} values, expected ${nout}`);
  const be = x.b;
  const k = be.k;
  const z = empty(be, [B, nout]);
  k.gemm(0, 1, B, nout, nin, 1, x.ptr, w.ptr, 0, z.ptr);
  // NOTE: identity works in place (its backward needs neither z nor y).
  const y = act === 0 ? z : empty(be, [B, nout]);
  const bp = bias ? bias.ptr : 0;
  k.biasAct(act, z.ptr, bp, y.ptr, B, nout, slope);
  const inputs = bias ? [x, w, bias] : [x, w];
  return record(y, inputs, () => {
    let dz: Ptr = y.grad;
    if (act !== 0) {
      dz = be.alloc(y.size);
      k.biasActBackward(act, z.ptr, bp, y.ptr, y.grad, dz, B, nout, slope, 0);
    }
    if (bias?.requiresGrad) {
      const acc = gradAcc(bias);
      k.colSum(dz, B, nout, bias.grad, acc);
    }
    if (w.requiresGrad) {
      const acc = gradAcc(w);
      k.gemm(1, 0, nout, nin, B, 1, dz, x.ptr, acc, w.grad);
    }
    if (x.requiresGrad) {
      const acc = gradAcc(x);
      k.gemm(0, 0, B, nin, nout, 1, dz, w.ptr, acc, x.grad);
    }
  });
}
