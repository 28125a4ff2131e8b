import { gradAcc, OpNode, record, reuseNode, sameShape, type Tensor } from '../tensor.js';

class MulNode extends OpNode {
  a!: Tensor;
  b!: Tensor;
  backward(): void {
    const { a, b, y } = this;
    const be = a.b;
    const n = y.size;
    const ga = a.requiresGrad ? gradAcc(a) : -1;
    const gb = b.requiresGrad ? gradAcc(b) : -1;
    const f = be.f;
    const A = a.ptr >> be.shift;
    const B = b.ptr >> be.shift;
    const D = y.grad >> be.shift;
    const DA = a.grad >> be.shift;
    const DB = b.grad >> be.shift;
    for (let i = 0; i < n; i++) {
      const d = f[D + i];
      if (ga === 0) f[DA + i] = d * f[B + i];
      else if (ga === 1) f[DA + i] += d * f[B + i];
      if (gb === 0) f[DB + i] = d * f[A + i];
      else if (gb === 1) f[DB + i] += d * f[A + i];
    }
  }
}

/** y = a * b elementwise (same shapes). */
export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape('mul', a, b);
  const be = a.b;
  const node = reuseNode(be, MulNode);
  node.a = a;
  node.b = b;
  const y = node.y.retarget(a.shape);
  const n = a.size;
  const f = be.f;
  const A = a.ptr >> be.shift;
  const B = b.ptr >> be.shift;
  const Y = y.ptr >> be.shift;
  for (let i = 0; i < n; i++) f[Y + i] = f[A + i] * f[B + i];
  return record(y, node.backwardFn, a, b);
}
