/**
 * Plain TypeScript implementation of every CoreKernels kernel: the living spec
 * the wasm core must match, and the engine's `js` backend (float32 or float64).
 *
 * Same byte-offset ABI as the wasm module, over any memory that offers a float
 * view `f()` and an int32 view `i32()` of one buffer. Views are re-read on every
 * call (the memory may have grown). A float at byte offset p is `f()[p / f().BYTES_PER_ELEMENT]`;
 * an int32 label at byte offset p is `i32()[p / 4]`.
 *
 * Sums are accumulated in JS numbers (float64) whatever the storage type.
 */
import { Act, type CoreKernels, type Ptr } from './abi.js';

export interface ReferenceMemory {
  f(): Float32Array | Float64Array;
  i32(): Int32Array;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_K = 0.044715;

/** NOTE: stable for any |x|: exp is only taken of a non-positive number. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/**
 * g(x) for an activation code. GELU uses 0.5 (1 + tanh(u)) = sigmoid(2u), which
 * has no cancellation for very negative x.
 */
export function activate(act: number, x: number, slope: number): number {
  switch (act) {
    case Act.identity:
      return x;
    case Act.relu:
      return Math.max(x, 0);
    case Act.leaky_relu:
      return x > 0 ? x : slope * x;
    case Act.sigmoid:
      return sigmoid(x);
    case Act.tanh:
      return Math.tanh(x);
    case Act.gelu:
      return x * sigmoid(2 * GELU_C * (x + GELU_K * x * x * x));
    default:
      throw new RangeError(`unknown activation code ${act}`);
  }
}

/**
 * g'(x) given the pre-activation x and the output y = g(x). Sigmoid and tanh use y
 * (as the wasm core does); relu/leaky_relu/gelu use x. relu'(0) = 0.
 */
export function activateGrad(act: number, x: number, y: number, slope: number): number {
  switch (act) {
    case Act.identity:
      return 1;
    case Act.relu:
      return x > 0 ? 1 : 0;
    case Act.leaky_relu:
      return x > 0 ? 1 : slope;
    case Act.sigmoid:
      return y * (1 - y);
    case Act.tanh:
      return 1 - y * y;
    case Act.gelu: {
      const s = sigmoid(2 * GELU_C * (x + GELU_K * x * x * x));
      const du = GELU_C * (1 + 3 * GELU_K * x * x);
      return s + x * 2 * s * (1 - s) * du;
    }
    default:
      throw new RangeError(`unknown activation code ${act}`);
  }
}

/** mulberry32's increment: the engine's Rng adds it to its state before every draw. */
const MULBERRY32_STEP = 0x6d2b79f5;

/** mulberry32's output for the state s (after the increment), as the engine's Rng.nextU32 computes it. */
function mulberry32(s: number): number {
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** Mean of f[start], f[start + stride], ... (n values, summed in this order). */
function lineMean(f: Float32Array | Float64Array, start: number, stride: number, n: number): number {
  let mu = 0;
  for (let i = 0; i < n; i++) mu += f[start + i * stride];
  return mu / n;
}

/** Biased variance (divided by n) of the same values around `mu`. */
function lineVariance(f: Float32Array | Float64Array, start: number, stride: number, n: number, mu: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = f[start + i * stride] - mu;
    v += d * d;
  }
  return v / n;
}

export function createReferenceKernels(mem: ReferenceMemory): CoreKernels {
  /** Element index of a byte offset in the float view. */
  const at = (f: Float32Array | Float64Array, p: Ptr): number => p / f.BYTES_PER_ELEMENT;
  /** gemm's accumulator for one row of C (float64, grown on demand) */
  let row = new Float64Array(64);
  /** a normalisation backward's column sums: sd at j, sdh at cols + j (float64, grown on demand) */
  let sums = new Float64Array(128);

  /**
   * The affine part of a normalisation's backward, per column j: sd = sum_i dy, sdh = sum_i dy * xhat (in row
   * order), added to (or written into) dbeta and dgamma where present. Returns the sums.
   */
  const affineSums = (dy: Ptr, xhat: Ptr, dgamma: Ptr, dbeta: Ptr, rows: number, cols: number, accG: number, accB: number) => {
    const f = mem.f();
    const D = at(f, dy);
    const XH = at(f, xhat);
    const DG = at(f, dgamma);
    const DB = at(f, dbeta);
    if (sums.length < 2 * cols) sums = new Float64Array(2 * cols);
    for (let j = 0; j < cols; j++) {
      let sd = 0;
      let sdh = 0;
      for (let i = 0; i < rows; i++) {
        const k = i * cols + j;
        sd += f[D + k];
        sdh += f[D + k] * f[XH + k];
      }
      if (dgamma) f[DG + j] = accG ? f[DG + j] + sdh : sdh;
      if (dbeta) f[DB + j] = accB ? f[DB + j] + sd : sd;
      sums[j] = sd;
      sums[cols + j] = sdh;
    }
    return sums;
  };

  return {
    heapBase: () => 0,

    gemm(transA, transB, M, N, K, alpha, a, b, beta, c) {
      const f = mem.f();
      const A = at(f, a);
      const B = at(f, b);
      const C = at(f, c);
      if (row.length < N) row = new Float64Array(N);
      // NOTE: every C[i,j] is the float64 sum over k = 0, 1, ... in order, as in the plain triple loop;
      // only the loop order differs (for op(B) = B a row of C is accumulated from contiguous rows of B).
      for (let i = 0; i < M; i++) {
        row.fill(0, 0, N);
        // NOTE: alpha = 0 reads neither A nor B (BLAS semantics).
        if (alpha !== 0) {
          if (transB) {
            // four independent dot products at a time (each still summed in k order)
            const ai = transA ? A + i : A + i * K;
            const as = transA ? M : 1;
            let j = 0;
            for (; j + 4 <= N; j += 4) {
              const b0 = B + j * K;
              const b1 = b0 + K;
              const b2 = b1 + K;
              const b3 = b2 + K;
              let s0 = 0;
              let s1 = 0;
              let s2 = 0;
              let s3 = 0;
              for (let k = 0; k < K; k++) {
                const av = f[ai + k * as];
                s0 += av * f[b0 + k];
                s1 += av * f[b1 + k];
                s2 += av * f[b2 + k];
                s3 += av * f[b3 + k];
              }
              row[j] = s0;
              row[j + 1] = s1;
              row[j + 2] = s2;
              row[j + 3] = s3;
            }
            for (; j < N; j++) {
              const bj = B + j * K;
              let s = 0;
              for (let k = 0; k < K; k++) s += f[ai + k * as] * f[bj + k];
              row[j] = s;
            }
          } else {
            const ai = transA ? A + i : A + i * K;
            const as = transA ? M : 1;
            for (let k = 0; k < K; k++) {
              const av = f[ai + k * as];
              const bk = B + k * N;
              for (let j = 0; j < N; j++) row[j] += av * f[bk + j];
            }
          }
        }
        const ci = C + i * N;
        for (let j = 0; j < N; j++) {
          const s = alpha !== 0 ? row[j] * alpha : 0;
          // NOTE: beta = 0 never reads C, so NaN/garbage in C does not propagate.
          f[ci + j] = beta === 0 ? s : s + beta * f[ci + j];
        }
      }
    },

    biasAct(act, x, bias, y, rows, cols, slope) {
      const f = mem.f();
      const X = at(f, x);
      const Bi = at(f, bias);
      const Y = at(f, y);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const z = f[X + i * cols + j] + (bias ? f[Bi + j] : 0);
          f[Y + i * cols + j] = activate(act, z, slope);
        }
      }
    },

    biasActBackward(act, x, bias, y, dy, dx, rows, cols, slope, acc) {
      const f = mem.f();
      const X = at(f, x);
      const Bi = at(f, bias);
      const Y = at(f, y);
      const DY = at(f, dy);
      const DX = at(f, dx);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const k = i * cols + j;
          const z = f[X + k] + (bias ? f[Bi + j] : 0);
          const g = f[DY + k] * activateGrad(act, z, f[Y + k], slope);
          f[DX + k] = acc ? f[DX + k] + g : g;
        }
      }
    },

    residualPost(act, z, a, s, y, n, slope) {
      const f = mem.f();
      const Z = at(f, z);
      const A = at(f, a);
      const Y = at(f, y);
      for (let i = 0; i < n; i++) f[Y + i] = activate(act, f[Z + i] + s * f[A + i], slope);
    },

    biasResidualPost(act, fb, bias, a, s, y, rows, cols, slope) {
      const f = mem.f();
      const F = at(f, fb);
      const Bi = at(f, bias);
      const A = at(f, a);
      const Y = at(f, y);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const k = i * cols + j;
          if (bias) f[F + k] = f[F + k] + f[Bi + j];
          f[Y + k] = activate(act, f[A + k] + s * f[F + k], slope);
        }
      }
    },

    residualPostBackward(act, z, a, s, y, dy, dz, da, n, slope, accZ, accA) {
      const f = mem.f();
      const Z = at(f, z);
      const A = at(f, a);
      const Y = at(f, y);
      const DY = at(f, dy);
      const DZ = at(f, dz);
      const DA = at(f, da);
      let ds = 0;
      for (let i = 0; i < n; i++) {
        const av = f[A + i];
        const p = f[DY + i] * activateGrad(act, f[Z + i] + s * av, f[Y + i], slope);
        if (dz) f[DZ + i] = accZ ? f[DZ + i] + p : p;
        if (da) f[DA + i] = accA ? f[DA + i] + s * p : s * p;
        ds += p * av;
      }
      return ds;
    },

    residualAdd(a, fb, s, y, n) {
      const f = mem.f();
      const A = at(f, a);
      const F = at(f, fb);
      const Y = at(f, y);
      for (let i = 0; i < n; i++) f[Y + i] = f[A + i] + s * f[F + i];
    },

    residualAddBackward(fb, s, dy, da, df, n, accA, accF) {
      const f = mem.f();
      const F = at(f, fb);
      const DY = at(f, dy);
      const DA = at(f, da);
      const DF = at(f, df);
      let ds = 0;
      for (let i = 0; i < n; i++) {
        const g = f[DY + i];
        if (da) f[DA + i] = accA ? f[DA + i] + g : g;
        if (df) f[DF + i] = accF ? f[DF + i] + s * g : s * g;
        ds += g * f[F + i];
      }
      return ds;
    },

    colSum(x, rows, cols, out, acc) {
      const f = mem.f();
      const X = at(f, x);
      const O = at(f, out);
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let i = 0; i < rows; i++) s += f[X + i * cols + j];
        f[O + j] = acc ? f[O + j] + s : s;
      }
    },

    sumSq(x, n) {
      const f = mem.f();
      const X = at(f, x);
      let s = 0;
      for (let i = 0; i < n; i++) s += f[X + i] * f[X + i];
      return s;
    },

    softmaxXent(logits, labels, rows, cols, dlogits, scale) {
      const f = mem.f();
      const lab = mem.i32();
      const L = at(f, logits);
      const D = at(f, dlogits);
      const LB = labels / 4;
      let loss = 0;
      for (let i = 0; i < rows; i++) {
        const row = L + i * cols;
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j < cols; j++) max = Math.max(max, f[row + j]);
        // NOTE: max-subtracted: exp never overflows, the sum is >= 1.
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += Math.exp(f[row + j] - max);
        const y = lab[LB + i];
        // Labels outside [0, cols) make the loss NaN (the caller validates labels).
        loss += y >= 0 && y < cols ? Math.log(sum) + max - f[row + y] : Number.NaN;
        if (dlogits) {
          const k = scale / rows;
          for (let j = 0; j < cols; j++) {
            const p = Math.exp(f[row + j] - max) / sum;
            f[D + i * cols + j] = k * (j === y ? p - 1 : p);
          }
        }
      }
      return loss / rows;
    },

    mse(pred, target, n, dpred, scale) {
      const f = mem.f();
      const P = at(f, pred);
      const T = at(f, target);
      const D = at(f, dpred);
      let s = 0;
      for (let i = 0; i < n; i++) {
        const d = f[P + i] - f[T + i];
        s += d * d;
        if (dpred) f[D + i] = (scale * 2 * d) / n;
      }
      return s / n;
    },

    sgdStep(w, g, m, n, lr, momentum, weightDecay, nesterov) {
      const f = mem.f();
      const W = at(f, w);
      const G = at(f, g);
      const Mo = at(f, m);
      for (let i = 0; i < n; i++) {
        const gi = f[G + i] + weightDecay * f[W + i];
        let step = gi;
        if (momentum !== 0) {
          const mi = momentum * f[Mo + i] + gi;
          f[Mo + i] = mi;
          step = nesterov ? gi + momentum * mi : mi;
        }
        f[W + i] -= lr * step;
      }
    },

    adamStep(w, g, m, v, n, lr, beta1, beta2, eps, weightDecay, decoupled, bc1, bc2) {
      const f = mem.f();
      const W = at(f, w);
      const G = at(f, g);
      const Mo = at(f, m);
      const V = at(f, v);
      const sb2 = Math.sqrt(bc2);
      for (let i = 0; i < n; i++) {
        let wi = f[W + i];
        let gi = f[G + i];
        if (decoupled) wi -= lr * weightDecay * wi;
        else gi += weightDecay * wi;
        const mi = beta1 * f[Mo + i] + (1 - beta1) * gi;
        const vi = beta2 * f[V + i] + (1 - beta2) * gi * gi;
        f[Mo + i] = mi;
        f[V + i] = vi;
        f[W + i] = wi - (lr * (mi / bc1)) / (Math.sqrt(vi) / sb2 + eps);
      }
    },

    mul(a, b, y, n) {
      const f = mem.f();
      const A = at(f, a);
      const B = at(f, b);
      const Y = at(f, y);
      for (let i = 0; i < n; i++) f[Y + i] = f[A + i] * f[B + i];
    },

    mulBackward(a, b, dy, da, db, n, accA, accB) {
      const f = mem.f();
      const A = at(f, a);
      const B = at(f, b);
      const D = at(f, dy);
      const DA = at(f, da);
      const DB = at(f, db);
      for (let i = 0; i < n; i++) {
        const d = f[D + i];
        if (da) f[DA + i] = accA ? f[DA + i] + d * f[B + i] : d * f[B + i];
        if (db) f[DB + i] = accB ? f[DB + i] + d * f[A + i] : d * f[A + i];
      }
    },

    sum(x, n) {
      const f = mem.f();
      const X = at(f, x);
      let s = 0;
      for (let i = 0; i < n; i++) s += f[X + i];
      return s;
    },

    addScalar(x, value, n, acc) {
      const f = mem.f();
      const X = at(f, x);
      for (let i = 0; i < n; i++) f[X + i] = acc ? f[X + i] + value : value;
    },

    copyRect(src, srcStride, dst, dstStride, rows, cols, acc) {
      const f = mem.f();
      const S = at(f, src);
      const D = at(f, dst);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) {
          const k = D + i * dstStride + j;
          f[k] = acc ? f[k] + f[S + i * srcStride + j] : f[S + i * srcStride + j];
        }
      }
    },

    dropout(x, y, mask, n, p, state) {
      const f = mem.f();
      const X = at(f, x);
      const Y = at(f, y);
      const M = at(f, mask);
      const keep = 1 / (1 - p);
      let s = state | 0;
      for (let i = 0; i < n; i++) {
        s = (s + MULBERRY32_STEP) | 0;
        const m = mulberry32(s) / 4294967296 < p ? 0 : keep;
        f[M + i] = m;
        f[Y + i] = m * f[X + i];
      }
    },

    batchNorm(x, gamma, beta, runMean, runVar, xhat, inv, y, rows, cols, training, momentum, eps) {
      const f = mem.f();
      const X = at(f, x);
      const G = at(f, gamma);
      const Bt = at(f, beta);
      const RM = at(f, runMean);
      const RV = at(f, runVar);
      const XH = at(f, xhat);
      const IV = at(f, inv);
      const Y = at(f, y);
      for (let j = 0; j < cols; j++) {
        let mu: number;
        let v: number;
        if (training) {
          mu = lineMean(f, X + j, cols, rows);
          v = lineVariance(f, X + j, cols, rows, mu);
          f[RM + j] = (1 - momentum) * f[RM + j] + momentum * mu;
          f[RV + j] = (1 - momentum) * f[RV + j] + momentum * (rows > 1 ? (v * rows) / (rows - 1) : v);
        } else {
          mu = f[RM + j];
          v = f[RV + j];
        }
        const is = 1 / Math.sqrt(v + eps);
        f[IV + j] = is;
        for (let i = 0; i < rows; i++) {
          const k = i * cols + j;
          const h = (f[X + k] - mu) * is;
          f[XH + k] = h;
          f[Y + k] = f[G + j] * h + f[Bt + j];
        }
      }
    },

    batchNormBackward(dy, xhat, gamma, inv, dgamma, dbeta, dx, rows, cols, training, accG, accB, accX) {
      const s = affineSums(dy, xhat, dgamma, dbeta, rows, cols, accG, accB);
      if (!dx) return;
      const f = mem.f();
      const D = at(f, dy);
      const XH = at(f, xhat);
      const G = at(f, gamma);
      const IV = at(f, inv);
      const DX = at(f, dx);
      for (let j = 0; j < cols; j++) {
        const c = f[G + j] * f[IV + j];
        for (let i = 0; i < rows; i++) {
          const k = i * cols + j;
          // training: the batch statistics depend on x too
          const g = training ? (c * (rows * f[D + k] - s[j] - f[XH + k] * s[cols + j])) / rows : c * f[D + k];
          f[DX + k] = accX ? f[DX + k] + g : g;
        }
      }
    },

    layerNorm(x, gamma, beta, xhat, inv, y, rows, cols, eps) {
      const f = mem.f();
      const X = at(f, x);
      const G = at(f, gamma);
      const Bt = at(f, beta);
      const XH = at(f, xhat);
      const IV = at(f, inv);
      const Y = at(f, y);
      for (let i = 0; i < rows; i++) {
        const mu = lineMean(f, X + i * cols, 1, cols);
        const is = 1 / Math.sqrt(lineVariance(f, X + i * cols, 1, cols, mu) + eps);
        f[IV + i] = is;
        for (let j = 0; j < cols; j++) {
          const k = i * cols + j;
          const h = (f[X + k] - mu) * is;
          f[XH + k] = h;
          f[Y + k] = f[G + j] * h + f[Bt + j];
        }
      }
    },

    layerNormBackward(dy, xhat, gamma, inv, dgamma, dbeta, dx, rows, cols, accG, accB, accX) {
      if (dgamma || dbeta) affineSums(dy, xhat, dgamma, dbeta, rows, cols, accG, accB);
      if (!dx) return;
      const f = mem.f();
      const D = at(f, dy);
      const XH = at(f, xhat);
      const G = at(f, gamma);
      const IV = at(f, inv);
      const DX = at(f, dx);
      for (let i = 0; i < rows; i++) {
        let s1 = 0;
        let s2 = 0;
        // dx = inv / cols * (cols dh - sum(dh) - xhat sum(dh xhat)), dh = dy * gamma
        for (let j = 0; j < cols; j++) {
          const k = i * cols + j;
          const dh = f[D + k] * f[G + j];
          s1 += dh;
          s2 += dh * f[XH + k];
        }
        const is = f[IV + i];
        for (let j = 0; j < cols; j++) {
          const k = i * cols + j;
          const g = (is * (cols * f[D + k] * f[G + j] - s1 - f[XH + k] * s2)) / cols;
          f[DX + k] = accX ? f[DX + k] + g : g;
        }
      }
    },

    axpby(alpha, x, beta, y, n) {
      const f = mem.f();
      const X = at(f, x);
      const Y = at(f, y);
      for (let i = 0; i < n; i++) f[Y + i] = beta === 0 ? alpha * f[X + i] : alpha * f[X + i] + beta * f[Y + i];
    },

    fill(x, value, n) {
      const f = mem.f();
      const X = at(f, x);
      for (let i = 0; i < n; i++) f[X + i] = value;
    },
  };
}
