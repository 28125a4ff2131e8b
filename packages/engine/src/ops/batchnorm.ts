import { dims2, empty, gradAcc, record, type Tensor } from '../tensor.js';

export interface BatchNormState {
  runningMean: Tensor;
  runningVar: Tensor;
  momentum: number;
  eps: number;
}

/**
 * Batch normalisation over the rows of x (B x C), per column: y = gamma * xhat + beta.
 * training: batch statistics (biased variance), running stats updated with the
 * unbiased variance (PyTorch semantics); eval: running statistics.
 */
export function batchNorm(x: Tensor, gamma: Tensor, beta: Tensor, st: BatchNormState, training: boolean): Tensor {
  const [B, C] = dims2('batchNorm', x);
  if (gamma.size !== C || beta.size !== C) throw new Error(`batchNorm: ${C} features but gamma/beta have ${gamma.size}/${beta.size}`);
  const be = x.b;
  const xhat = be.alloc(x.size);
  const inv = be.alloc(C);
  const y = empty(be, x.shape);
  const f = be.f;
  const s = be.shift;
  const X = x.ptr >> s;
  const XH = xhat >> s;
  const IV = inv >> s;
  const Y = y.ptr >> s;
  const G = gamma.ptr >> s;
  const Bt = beta.ptr >> s;
  const RM = st.runningMean.ptr >> s;
  const RV = st.runningVar.ptr >> s;
  for (let j = 0; j < C; j++) {
    let mu: number;
    let v: number;
    if (training) {
      mu = 0;
      for (let i = 0; i < B; i++) mu += f[X + i * C + j];
      mu /= B;
      v = 0;
      for (let i = 0; i < B; i++) {
        const d = f[X + i * C + j] - mu;
        v += d * d;
      }
      v /= B;
      const m = st.momentum;
      f[RM + j] = (1 - m) * f[RM + j] + m * mu;
      f[RV + j] = (1 - m) * f[RV + j] + m * (B > 1 ? (v * B) / (B - 1) : v);
    } else {
      mu = f[RM + j];
      v = f[RV + j];
    }
    const is = 1 / Math.sqrt(v + st.eps);
    f[IV + j] = is;
    for (let i = 0; i < B; i++) {
      const k = i * C + j;
      const h = (f[X + k] - mu) * is;
      f[XH + k] = h;
      f[Y + k] = f[G + j] * h + f[Bt + j];
    }
  }
  return record(y, [x, gamma, beta], () => {
    const accG = gamma.requiresGrad ? gradAcc(gamma) : -1;
    const accB = beta.requiresGrad ? gradAcc(beta) : -1;
    const accX = x.requiresGrad ? gradAcc(x) : -1;
    const f = be.f;
    const D = y.grad >> s;
    const DG = gamma.grad >> s;
    const DB = beta.grad >> s;
    const DX = x.grad >> s;
    for (let j = 0; j < C; j++) {
      let sd = 0;
      let sdh = 0;
      for (let i = 0; i < B; i++) {
        const k = i * C + j;
        sd += f[D + k];
        sdh += f[D + k] * f[XH + k];
      }
      if (accG >= 0) f[DG + j] = accG ? f[DG + j] + sdh : sdh;
      if (accB >= 0) f[DB + j] = accB ? f[DB + j] + sd : sd;
      if (accX < 0) continue;
      const c = f[G + j] * f[IV + j];
      for (let i = 0; i < B; i++) {
        const k = i * C + j;
        // training: the batch statistics depend on x too
        const g = training ? (c * (B * f[D + k] - sd - f[XH + k] * sdh)) / B : c * f[D + k];
        f[DX + k] = accX ? f[DX + k] + g : g;
      }
    }
  });
}
