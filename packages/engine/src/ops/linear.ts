import type { Backend, Ptr } from '../backend.js';
import { cols2, gradAcc, OpNode, record, reuseNode, rows2, sameShape, shape2, Tensor } from '../tensor.js';
import { addScalarGrad, setScale } from './residual_post.js';

/** Gradients of z = x Wᵀ + b given dz (B x nout): bias (column sums), W, then x; each only if it needs one. */
function linearBackward(x: Tensor, w: Tensor, bias: Tensor | null, dz: Ptr, B: number, nout: number): void {
  const k = x.b.k;
  const nin = w.shape[1];
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

/** Check the shapes of x (B x in) against W (out x in) and b (out). */
function checkLinear(op: string, x: Tensor, w: Tensor, bias: Tensor | null): void {
  const nin = cols2(op, x);
  if (cols2(op, w) !== nin) throw new Error(`${op}: input has ${nin} features, weight expects ${cols2(op, w)} ([${w.shape}])`);
  if (bias && bias.size !== rows2(op, w)) throw new Error(`${op}: bias has ${bias.size} values, expected ${rows2(op, w)}`);
}

class LinearNode extends OpNode {
  x!: Tensor;
  w!: Tensor;
  bias: Tensor | null = null;
  act = 0;
  slope = 0;
  /** pre-activation x Wᵀ (+ b before biasAct); the output itself when act = identity */
  readonly z: Tensor;
  constructor(b: Backend) {
    super(b);
    this.z = new Tensor(b, [], 0);
  }
  backward(): void {
    const { x, bias, act, z } = this;
    const y = act === 0 ? z : this.y;
    const be = x.b;
    const B = z.shape[0];
    const nout = z.shape[1];
    let dz: Ptr = y.grad;
    if (act !== 0) {
      dz = be.alloc(y.size);
      be.k.biasActBackward(act, z.ptr, bias ? bias.ptr : 0, y.ptr, y.grad, dz, B, nout, this.slope, 0);
    }
    linearBackward(x, this.w, bias, dz, B, nout);
  }
}

/**
 * Fused linear layer: y = g(x Wᵀ + b), x: B x in, W: out x in (PyTorch layout), b: out or null.
 * One gemm + one biasAct forward; backward: biasActBackward, colSum, two gemms.
 */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null, act = 0, slope = 0): Tensor {
  const n = reuseNode(x.b, LinearNode);
  const z = startLinear('linear', n, x, w, bias, act, slope);
  // NOTE: identity works in place (its backward needs neither z nor y).
  const y = act === 0 ? z : n.y.retarget(z.shape);
  x.b.k.biasAct(act, z.ptr, bias ? bias.ptr : 0, y.ptr, z.shape[0], z.shape[1], slope);
  return record(y, n.backwardFn, x, w, bias);
}

/** Check the shapes, fill the record's linear fields and run the gemm z = x Wᵀ (no bias yet); returns z. */
function startLinear(op: string, n: LinearNode, x: Tensor, w: Tensor, bias: Tensor | null, act: number, slope: number): Tensor {
  checkLinear(op, x, w, bias);
  n.x = x;
  n.w = w;
  n.bias = bias;
  n.act = act;
  n.slope = slope;
  const z = n.z.retarget(shape2(n.z.shape, rows2(op, x), rows2(op, w)));
  x.b.k.gemm(0, 1, z.shape[0], z.shape[1], cols2(op, x), 1, x.ptr, w.ptr, 0, z.ptr);
  return z;
}

class LinearResidualNode extends LinearNode {
  /** the shortcut */
  a!: Tensor;
  /** the learnable branch scale, or null for a constant */
  s: Tensor | null = null;
  sv = 1;
  override backward(): void {
    const { x, a, s, z: f, y } = this;
    const be = x.b;
    // NOTE: the residual first, then the layer, allocating in the same order as the two-op path
    // (residualPost(a, linear(x, W, b), s) then linear's backward): the same addresses, the same sums.
    const accA = a.requiresGrad ? gradAcc(a) : 0;
    const df = be.alloc(f.size);
    const ds = be.k.residualPostBackward(
      this.act,
      a.ptr,
      f.ptr,
      this.sv,
      y.ptr,
      y.grad,
      a.requiresGrad ? a.grad : 0,
      df,
      y.size,
      this.slope,
      accA,
      0,
    );
    if (s?.requiresGrad) addScalarGrad(s, ds);
    linearBackward(x, this.w, this.bias, df, f.shape[0], f.shape[1]);
  }
}

/**
 * A post-addition residual unit's last layer and its addition in one op: y = g(a + s (x Wᵀ + b)), a the shortcut,
 * s the branch scale (a constant or a learnable scalar tensor). The bias, the shortcut and the activation are
 * applied in one pass over the gemm's output (core kernel biasResidualPost); the numbers equal
 * residualPost(a, linear(x, W, b), s, g) bit for bit.
 */
export function linearResidualPost(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  a: Tensor,
  s: number | Tensor,
  act: number,
  slope = 0,
): Tensor {
  const n = reuseNode(x.b, LinearResidualNode);
  const f = startLinear('linearResidualPost', n, x, w, bias, act, slope);
  sameShape('linearResidualPost', a, f);
  n.a = a;
  setScale(n, s);
  const y = n.y.retarget(f.shape);
  x.b.k.biasResidualPost(act, f.ptr, bias ? bias.ptr : 0, a.ptr, n.sv, y.ptr, f.shape[0], f.shape[1], slope);
  return record(y, n.backwardFn, x, w, bias, a, n.s);
}
