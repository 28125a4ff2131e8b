import { dims2, empty, gradAcc, record, type Tensor } from '../tensor.js';

/** Layer normalisation of each row of x (B x C): y = gamma * (x - mean) / sqrt(var + eps) + beta. Same in train and eval. */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const [B, C] = dims2('layerNorm', x);
  if (gamma.size !== C || beta.size !== C) throw new Error(`layerNorm: ${C} features but gamma/beta have ${gamma.size}/${beta.size}`);
  const be = x.b;
  const xhat = be.alloc(x.size);
  const inv = be.alloc(B);
  const y = empty(be, x.shape);
  const f = be.f;
  const s = be.shift;
  const X = x.ptr >> s;
  const XH = xhat >> s;
  const IV = inv >> s;
  const Y = y.ptr >> s;
  const G = gamma.ptr >> s;
  const Bt = beta.ptr >> s;
  for (let i = 0; i < B; i++) {
    const r = X + i * C;
    let mu = 0;
    for (let j = 0; j < C; j++) mu += f[r + j];
    mu /= C;
    let v = 0;
    for (let j = 0; j < C; j++) {
      const d = f[r + j] - mu;
      v += d * d;
    }
    const is = 1 / Math.sqrt(v / C + eps);
    f[IV + i] = is;
    for (let j = 0; j < C; j++) {
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
    for (let j = 0; j < C && (accG >= 0 || accB >= 0); j++) {
      let sdh = 0;
      let sd = 0;
      for (let i = 0; i < B; i++) {
        sd += f[D + i * C + j];
        sdh += f[D + i * C + j] * f[XH + i * C + j];
      }
      if (accG >= 0) f[DG + j] = accG ? f[DG + j] + sdh : sdh;
      if (accB >= 0) f[DB + j] = accB ? f[DB + j] + sd : sd;
    }
    if (accX < 0) return;
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
  });
}
