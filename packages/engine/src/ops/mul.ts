import { gradAcc, OpNode, record, reuseNode, sameShape, type Tensor } from '../tensor.js';

class MulNode extends OpNode {
  a!: Tensor;
  b!: Tensor;
  backward(): void {
    const { a, b, y } = this;
    const accA = a.requiresGrad ? gradAcc(a) : 0;
    // NOTE: mul(x, x): b is a, so b's gradient adds to a's (the kernel writes da before it reads db)
    const accB = b.requiresGrad ? gradAcc(b) : 0;
    a.b.k.mulBackward(a.ptr, b.ptr, y.grad, a.requiresGrad ? a.grad : 0, b.requiresGrad ? b.grad : 0, y.size, accA, accB);
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
  be.k.mul(a.ptr, b.ptr, y.ptr, y.size);
  return record(y, node.backwardFn, a, b);
}
