import { gradAcc, record, type Tensor } from '../tensor.js';
import { affineGrads, lineMean, lineVariance, normFrame } from './shared/normalise.js';

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
  const frame = normFrame('batchNorm', x, gamma, beta, 'cols');
  const { B, C, y, X, XH, IV, Y, G, Bt } = frame;
  const be = x.b;
  const f = be.f;
  const s = be.shift;
  const RM = st.runningMean.ptr >> s;
  const RV = st.runningVar.ptr >> s;
  for (let j = 0; j < C; j++) {
    let mu: number;
    let v: number;
    if (training) {
      mu = lineMean(f, X + j, C, B);
      v = lineVariance(f, X + j, C, B, mu);
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
  return record(
    y,
    () => {
      const { sd, sdh } = affineGrads(y, gamma, beta, frame);
      if (!x.requiresGrad) return;
      const accX = gradAcc(x);
      const f = be.f;
      const D = y.grad >> s;
      const DX = x.grad >> s;
      for (let j = 0; j < C; j++) {
        const c = f[G + j] * f[IV + j];
        for (let i = 0; i < B; i++) {
          const k = i * C + j;
          // training: the batch statistics depend on x too
          const g = training ? (c * (B * f[D + k] - sd[j] - f[XH + k] * sdh[j])) / B : c * f[D + k];
          f[DX + k] = accX ? f[DX + k] + g : g;
        }
      }
    },
    x,
    gamma,
    beta,
  );
}
