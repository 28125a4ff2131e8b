import { gradAcc, OpNode, record, reuseNode, sameShape, type Tensor } from '../tensor.js';

class ResidualPostNode extends OpNode {
  z!: Tensor;
  a!: Tensor;
  /** the learnable scale, or null for a constant */
  s: Tensor | null = null;
  sv = 1;
  act = 0;
  slope = 0;
  backward(): void {
    const { z, a, s, y } = this;
    const accZ = z.requiresGrad ? gradAcc(z) : 0;
    const accA = a.requiresGrad ? gradAcc(a) : 0;
    const ds = z.b.k.residualPostBackward(
      this.act,
      z.ptr,
      a.ptr,
      this.sv,
      y.ptr,
      y.grad,
      z.requiresGrad ? z.grad : 0,
      a.requiresGrad ? a.grad : 0,
      y.size,
      this.slope,
      accZ,
      accA,
    );
    if (s?.requiresGrad) addScalarGrad(s, ds);
  }
}

/**
 * Post-addition residual y = g(z + s * a), fused (one kernel each way).
 * s is a constant or a learnable scalar tensor (ReZero), whose gradient is sum(g'(.) dy * a).
 */
export function residualPost(z: Tensor, a: Tensor, s: number | Tensor, act: number, slope = 0): Tensor {
  sameShape('residualPost', z, a);
  const be = z.b;
  const n = reuseNode(be, ResidualPostNode);
  n.z = z;
  n.a = a;
  setScale(n, s);
  n.act = act;
  n.slope = slope;
  const y = n.y.retarget(z.shape);
  be.k.residualPost(act, z.ptr, a.ptr, n.sv, y.ptr, y.size, slope);
  return record(y, n.backwardFn, z, a, n.s);
}

/** s.grad (+)= v for a scalar tensor. */
export function addScalarGrad(s: Tensor, v: number): void {
  const acc = gradAcc(s);
  const i = s.grad >> s.b.shift;
  s.b.f[i] = acc ? s.b.f[i] + v : v;
}

/** A residual record's scale: the learnable scalar tensor (or null for a constant) and its current value. */
export function setScale(n: { s: Tensor | null; sv: number }, s: number | Tensor): void {
  n.s = typeof s === 'number' ? null : s;
  n.sv = typeof s === 'number' ? s : s.item();
}
