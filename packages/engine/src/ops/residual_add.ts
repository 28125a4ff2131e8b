import { gradAcc, OpNode, passGrad, record, reuseNode, sameShape, type Tensor } from '../tensor.js';
import { addScalarGrad, setScale } from './residual_post.js';

class ResidualAddNode extends OpNode {
  a!: Tensor;
  f!: Tensor;
  /** the learnable scale, or null for a constant */
  s: Tensor | null = null;
  sv = 1;
  backward(): void {
    const { a, f, s, y } = this;
    const accF = f.requiresGrad ? gradAcc(f) : 0;
    const ds = a.b.k.residualAddBackward(f.ptr, this.sv, y.grad, 0, f.requiresGrad ? f.grad : 0, y.size, 0, accF);
    if (s?.requiresGrad) addScalarGrad(s, ds);
    // NOTE: the skip path: da = dy, handed over without a copy when possible.
    if (a.requiresGrad) passGrad(a, y.grad);
  }
}

/** Addition outside the activation: y = a + s * f, s a constant or a learnable scalar tensor. */
export function residualAdd(a: Tensor, f: Tensor, s: number | Tensor): Tensor {
  sameShape('residualAdd', a, f);
  const be = a.b;
  const n = reuseNode(be, ResidualAddNode);
  n.a = a;
  n.f = f;
  setScale(n, s);
  const y = n.y.retarget(a.shape);
  be.k.residualAdd(a.ptr, f.ptr, n.sv, y.ptr, y.size);
  return record(y, n.backwardFn, a, f, n.s);
}
