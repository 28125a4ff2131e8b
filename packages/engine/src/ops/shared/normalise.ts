/**
 * What batchNorm and layerNorm share (not an op): the checks and buffers of
 * y = gamma * xhat + beta over x (B x C), the mean and biased variance along one
 * line of x, and the gamma/beta gradients (column sums of dy * xhat and dy).
 */
import { dims2, empty, gradAcc, type Tensor } from '../../tensor.js';

/** Buffers of a normalisation and their float indices (pointer >> shift) into `x.b.f`. */
export interface NormFrame {
  B: number;
  C: number;
  y: Tensor;
  X: number;
  /** xhat, B x C, kept for the backward pass. */
  XH: number;
  /** 1 / sqrt(var + eps), one per normalised line (`lines` of them). */
  IV: number;
  Y: number;
  G: number;
  Bt: number;
}

export function normFrame(op: string, x: Tensor, gamma: Tensor, beta: Tensor, lines: 'rows' | 'cols'): NormFrame {
  const [B, C] = dims2(op, x);
  if (gamma.size !== C || beta.size !== C) throw new Error(`${op}: ${C} features but gamma/beta have ${gamma.size}/${beta.size}`);
  const be = x.b;
  const xhat = be.alloc(x.size);
  const inv = be.alloc(lines === 'rows' ? B : C);
  const y = empty(be, x.shape);
  const s = be.shift;
  return { B, C, y, X: x.ptr >> s, XH: xhat >> s, IV: inv >> s, Y: y.ptr >> s, G: gamma.ptr >> s, Bt: beta.ptr >> s };
}

/** Mean of f[start], f[start + stride], ... (n values). */
export function lineMean(f: ArrayLike<number>, start: number, stride: number, n: number): number {
  let mu = 0;
  for (let i = 0; i < n; i++) mu += f[start + i * stride];
  return mu / n;
}

/** Biased variance (divided by n) of the same values around `mu`. */
export function lineVariance(f: ArrayLike<number>, start: number, stride: number, n: number, mu: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = f[start + i * stride] - mu;
    v += d * d;
  }
  return v / n;
}

/**
 * Backward of the affine part: per column j, sd[j] = sum_i dy and sdh[j] = sum_i dy * xhat,
 * the gradients of beta and gamma, added to (or written into) those that require one.
 * Returns the sums for callers that need them again (batch normalisation's dx).
 */
export function affineGrads(y: Tensor, gamma: Tensor, beta: Tensor, frame: NormFrame): { sd: Float64Array; sdh: Float64Array } {
  const { B, C, XH } = frame;
  const accG = gamma.requiresGrad ? gradAcc(gamma) : -1;
  const accB = beta.requiresGrad ? gradAcc(beta) : -1;
  const be = y.b;
  const f = be.f;
  const s = be.shift;
  const D = y.grad >> s;
  const DG = gamma.grad >> s;
  const DB = beta.grad >> s;
  const sd = new Float64Array(C);
  const sdh = new Float64Array(C);
  for (let j = 0; j < C; j++) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < B; i++) {
      const k = i * C + j;
      a += f[D + k];
      b += f[D + k] * f[XH + k];
    }
    if (accG >= 0) f[DG + j] = accG ? f[DG + j] + b : b;
    if (accB >= 0) f[DB + j] = accB ? f[DB + j] + a : a;
    sd[j] = a;
    sdh[j] = b;
  }
  return { sd, sdh };
}
