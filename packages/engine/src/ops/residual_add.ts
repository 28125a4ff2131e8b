import { empty, gradAcc, passGrad, record, sameShape, type Tensor } from '../tensor.js';
import { addScalarGrad } from './residual_post.js';

/** Addition outside the activation: y = a + s * f, s a constant or a learnable scalar tensor. */
export function residualAdd(a: Tensor, f: Tensor, s: number | Tensor): Tensor {
  sameShape('residualAdd', a, f);
  const be = a.b;
  const sv = typeof s === 'number' ? s : s.item();
  const y = empty(be, a.shape);
  be.k.residualAdd(a.ptr, f.ptr, sv, y.ptr, y.size);
  const inputs = typeof s === 'number' ? [a, f] : [a, f, s];
  return record(y, inputs, () => {
    const accF = f.requiresGrad ? gradAcc(f) : 0;
    const ds = be.k.residualAddBackward(f.ptr, sv, y.grad, 0, f.requiresGrad ? f.grad : 0, y.size, 0, accF);
    if (typeof s !== 'number' && s.requiresGrad) addScalarGrad(s, ds);
    // NOTE: the skip path: da = dy, handed over without a copy when possible.
    if (a.requiresGrad) passGrad(a, y.grad);
  });
}
