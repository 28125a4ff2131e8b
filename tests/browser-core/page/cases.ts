/**
 * The gemm cases the browser page runs, shared with the Node test that checks them. Inputs
 * are small multiples of 1/4, so every product and partial sum is exact in float32: the page
 * (wasm, any summation order, FMA or not) and the reference must agree bit for bit.
 */
export interface GemmCase {
  name: string;
  transA: 0 | 1;
  transB: 0 | 1;
  M: number;
  N: number;
  K: number;
  alpha: number;
  beta: number;
  a: number[];
  b: number[];
  c: number[];
}

const seq = (n: number, mul: number, mod: number) => Array.from({ length: n }, (_, i) => (((i * mul) % mod) - (mod >> 1)) / 4);

export const CASES: GemmCase[] = [
  { name: 'NN 5x11x33', transA: 0, transB: 0, M: 5, N: 11, K: 33, alpha: 1, beta: 0, a: seq(165, 7, 9), b: seq(363, 5, 7), c: [] },
  { name: 'NT 17x3x9', transA: 0, transB: 1, M: 17, N: 3, K: 9, alpha: 0.5, beta: 0, a: seq(153, 3, 11), b: seq(27, 4, 5), c: [] },
  { name: 'TN 9x20x4', transA: 1, transB: 0, M: 9, N: 20, K: 4, alpha: 2, beta: 1, a: seq(36, 5, 9), b: seq(80, 3, 7), c: seq(180, 2, 5) },
];
