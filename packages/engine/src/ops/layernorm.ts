import { gradAcc, record, type Tensor } from '../tensor.js';
import { affineGrads, lineMean, lineVariance, normFrame } from './shared/normalise.js';

/** Layer normalisation of each row of x (B x C): y = gamma * (x - mean) / sqrt(var + eps) + beta. Same in train and eval. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const frame = normFrame('layerNorm', x, gamma, beta, 'rows');
  const { B, C, y, X, XH, IV, Y, G, Bt } = frame;
  const be = x.b;
  const f = be.f;
  const s = be.shift;
  for (let i = 0; i < B; i++) {
    const mu = lineMean(f, X + i * C, 1, C);
    const v = lineVariance(f, X + i * C, 1, C, mu);
    const is = 1 / Math.sqrt(v + eps);
    f[IV + i] = is;
    for (let j = 0; j < C; j++) {
      const k = i * C + j;
      const h = (f[X + k] - mu) * is;
      f[XH + k] = h;
      f[Y + k] = f[G + j] * h + f[Bt + j];
    }
  }
  return record(
    y,
    () => {
      if (gamma.requiresGrad || beta.requiresGrad) affineGrads(y, gamma, beta, frame);
      if (!x.requiresGrad) return;
      const accX = gradAcc(x);
      const f = be.f;
      const D = y.grad >> s;
      const DX = x.grad >> s;
      for (let i = 0; i < B; i++) {
        // dxhat = dy * gamma; dx = inv / C * (C dxhat - sum(dxhat) - xhat sum(dxhat xhat))
        let s1 = 0;
        let s2 = 0;
        for (let j = 0; j < C; j++) {
          const k = i * C + j;
          const dh = f[D + k] * f[G + j];
          s1 += dh;
          s2 += dh * f[XH + k];
        }
        const is = f[IV + i];
        for (let j = 0; j < C; j++) {
          const k = i * C + j;
          const g = (is * (C * f[D + k] * f[G + j] - s1 - f[XH + k] * s2)) / C;
          f[DX + k] = accX ? f[DX + k] + g : g;
        }
      }
    },
    x,
    gamma,
    beta,
  );
}
