import { empty, gradAcc, record, sameShape, type Tensor } from '../tensor.js';

/**
 * Post-addition residual y = g(z + s * a), fused (one kernel each way).
 * s is a constant or a learnable scalar tensor (ReZero), whose gradient is sum(g'(.) dy * a).
 */
export function residualPost(z: Tensor, a: Tensor, s: number | Tensor, act: number, slope = 0): Tensor {
  sameShape('residualPost', z, a);
  const be = z.b;
  const sv = typeof s === 'number' ? s : s.item();
  const y = empty(be, z.shape);
  be.k.residualPost(act, z.ptr, a.ptr, sv, y.ptr, y.size, slope);
  const inputs = typeof s === 'number' ? [z, a] : [z, a, s];
  return record(y, inputs, () => {
    const accZ = z.requiresGrad ? gradAcc(z) : 0;
    const accA = a.requiresGrad ? gradAcc(a) : 0;
    const ds = be.k.residualPostBackward(
      act,
      z.ptr,
      a.ptr,
      sv,
      y.ptr,
      y.grad,
      z.requiresGrad ? z.grad : 0,
      a.requiresGrad ? a.grad : 0,
      y.size,
      slope,
      accZ,
      accA,
    );
    if (typeof s !== 'number' && s.requiresGrad) addScalarGrad(s, ds);
  });
}

/** s.grad (+)= v for a scalar tensor. */
export function addScalarGrad(s: Tensor, v: number): void {
  const acc = gradAcc(s);
  const i = s.grad >> s.b.shift;
  s.b.f[i] = acc ? s.b.f[i] + v : v;
}
