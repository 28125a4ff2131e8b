import { dims2, empty, gradAcc, record, type Tensor } from '../tensor.js';

/** y = op(a) op(b), op = transpose when the flag is set. a: M x K (stored K x M if transA), b: K x N (N x K if transB). */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const [ar, ac] = dims2('matmul', a);
  const [br, bc] = dims2('matmul', b);
  const [M, K] = transA ? [ac, ar] : [ar, ac];
  const [K2, N] = transB ? [bc, br] : [br, bc];
  if (K !== K2) throw new Error(`matmul: inner dimensions differ ([${a.shape}]${transA ? 'ᵀ' : ''} x [${b.shape}]${transB ? 'ᵀ' : ''})`);
  const be = a.b;
  const y = empty(be, [M, N]);
  const tA = transA ? 1 : 0;
  const tB = transB ? 1 : 0;
  be.k.gemm(tA, tB, M, N, K, 1, a.ptr, b.ptr, 0, y.ptr);
  return record(
    y,
    () => {
      // dA = dY op(B)^T (stored as A is), dB = op(A)^T dY (stored as B is)
      if (a.requiresGrad) {
        const acc = gradAcc(a);
        if (transA) be.k.gemm(tB, 1, K, M, N, 1, b.ptr, y.grad, acc, a.grad);
        else be.k.gemm(0, tB ? 0 : 1, M, K, N, 1, y.grad, b.ptr, acc, a.grad);
      }
      if (b.requiresGrad) {
        const acc = gradAcc(b);
        if (transB) be.k.gemm(1, tA, N, K, M, 1, y.grad, a.ptr, acc, b.grad);
        else be.k.gemm(tA ? 0 : 1, 0, K, N, M, 1, a.ptr, y.grad, acc, b.grad);
      }
    },
    a,
    b,
  );
}
