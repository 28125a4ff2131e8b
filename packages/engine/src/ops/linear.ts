import type { Backend, Ptr } from '../backend.js';
import { cols2, gradAcc, OpNode, record, reuseNode, rows2, shape2, Tensor } from '../tensor.js';

class LinearNode extends OpNode {
  x!: Tensor;
  w!: Tensor;
  bias: Tensor | null = null;
  act = 0;
  slope = 0;
  /** pre-activation x Wᵀ (+ b before biasAct); the output itself when act = identity */
  readonly z: Tensor;
  readonly y: Tensor;
  constructor(b: Backend) {
    super();
    this.z = new Tensor(b, [], 0);
    this.y = new Tensor(b, [], 0);
  }
  backward(): void {
    const { x, w, bias, act, slope, z } = this;
    const y = act === 0 ? z : this.y;
    const be = x.b;
    const k = be.k;
    const B = z.shape[0];
    const nout = z.shape[1];
    const nin = w.shape[1];
    let dz: Ptr = y.grad;
    if (act !== 0) {
      dz = be.alloc(y.size);
      k.biasActBackward(act, z.ptr, bias ? bias.ptr : 0, y.ptr, y.grad, dz, B, nout, slope, 0);
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
  }
}

/**
 * Fused linear layer: y = g(x Wᵀ + b), x: B x in, W: out x in (PyTorch layout), b: out or null.
 * One gemm + one biasAct forward; backward: biasActBackward, colSum, two gemms.
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null, act = 0, slope = 0): Tensor {
  const B = rows2('linear', x);
  const nin = cols2('linear', x);
  const nout = rows2('linear', w);
  if (cols2('linear', w) !== nin) throw new Error(`linear: input has ${nin} features, weight expects ${cols2('linear', w)} ([${w.shape}])`);
  if (bias && bias.size !== nout) throw new Error(`linear: bias has ${bias.size} values, expected ${nout}`);
  const be = x.b;
  const k = be.k;
  const n = reuseNode(be, LinearNode);
  n.x = x;
  n.w = w;
  n.bias = bias;
  n.act = act;
  n.slope = slope;
  const shape = shape2(n.z.shape, B, nout);
  const z = n.z.retarget(shape);
  k.gemm(0, 1, B, nout, nin, 1, x.ptr, w.ptr, 0, z.ptr);
  // NOTE: identity works in place (its backward needs neither z nor y).
  const y = act === 0 ? z : n.y.retarget(shape);
  k.biasAct(act, z.ptr, bias ? bias.ptr : 0, y.ptr, B, nout, slope);
  return record(y, n.backwardFn, x, w, bias);
}
