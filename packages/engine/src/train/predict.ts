import type { Model } from '../nn/model.js';
import { noGrad, tensor } from '../tensor.js';

/**
 * The model's outputs (eval mode, no grad) for `x` (rows x inputDim, row-major):
 * logits for classification (softmax probabilities with `softmax`), or targets.
 * Runs in chunks inside the arena and leaves it as it was (callable between steps).
 */
export function predict(model: Model, x: ArrayLike<number>, opts: { softmax?: boolean; chunk?: number } = {}): Float32Array {
  const d = model.io.inputDim;
  const o = model.io.outputDim;
  if (x.length % d !== 0) throw new Error(`predict: ${x.length} values are not a whole number of rows of ${d}`);
  const rows = x.length / d;
  const out = new Float32Array(rows * o);
  const b = model.backend;
  const chunk = opts.chunk ?? 1024;
  const wasTraining = model.training;
  model.eval();
  const top = b.arenaTop();
  try {
    noGrad(() => {
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const n = Math.min(chunk, rows - r0);
        const xs = Array.prototype.slice.call(x, r0 * d, (r0 + n) * d) as number[];
        const y = model.forward(tensor(b, xs, [n, d]));
        const f = b.f;
        const p = y.ptr >> b.shift;
        for (let i = 0; i < n * o; i++) out[r0 * o + i] = f[p + i];
        b.arenaRestore(top);
      }
    });
  } finally {
    b.arenaRestore(top);
    model.train(wasTraining);
  }
  if (opts.softmax) {
    for (let r = 0; r < rows; r++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < o; j++) m = Math.max(m, out[r * o + j]);
      let s = 0;
      for (let j = 0; j < o; j++) s += Math.exp(out[r * o + j] - m);
      for (let j = 0; j < o; j++) out[r * o + j] = Math.exp(out[r * o + j] - m) / s;
    }
  }
  return out;
}
