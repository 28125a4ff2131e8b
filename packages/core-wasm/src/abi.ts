/**
 * The kernel ABI of reslab's core: every kernel the wasm module exports, with
 * its exact signature. This file is the contract between the AssemblyScript
 * core (assembly/), its TypeScript reference (src/reference.ts) and the
 * engine's backends.
 *
 * Conventions (all kernels):
 * - Pointers (`Ptr`) are BYTE offsets into the module's linear memory; data is
 *   float32 unless named `labels` (int32). Matrices are row-major, contiguous.
 * - Kernels allocate nothing and never grow memory; the caller owns layout.
 * - `acc` flags: 0 = overwrite the destination, 1 = add into it (gradients
 *   accumulate, which is how fan-out, i.e. the skip path, gets its gradient).
 * - A pointer argument of 0 means "absent" where the doc says so (e.g. no bias).
 * - Kernels marked "float64 inside" read float32, compute in float64 in a fixed order and round once on store,
 *   the way the plain reference does over a Float32Array: the wasm core gives the reference's float32 numbers
 *   bit for bit.
 * - Activation codes are the `Act` enum below; `slope` is the leaky-ReLU slope
 *   (ignored by the other activations). GELU is the tanh approximation
 *   0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); sigmoid and tanh must not
 *   overflow for large |x|.
 */
export type Ptr = number;

export const Act = {
  identity: 0,
  relu: 1,
  leaky_relu: 2,
  sigmoid: 3,
  tanh: 4,
  gelu: 5,
} as const;
export type ActName = keyof typeof Act;
export type ActCode = (typeof Act)[ActName];
export const ACT_NAMES = Object.keys(Act) as ActName[];

export interface CoreKernels {
  /** First free byte after the module's static data (pack buffers etc). */
  heapBase(): Ptr;

  /**
   * C = alpha * op(A) * op(B) + beta * C, op(A) is M x K, op(B) is K x N, C is M x N.
   * transA = 1: A is stored K x M. transB = 1: B is stored N x K.
   * beta = 0 never reads C (so NaN in C does not propagate).
   */
  gemm(transA: number, transB: number, M: number, N: number, K: number, alpha: number, a: Ptr, b: Ptr, beta: number, c: Ptr): void;

  /** y[i,j] = g(x[i,j] + bias[j]); bias = 0 means no bias. y may equal x (in place). */
  biasAct(act: number, x: Ptr, bias: Ptr, y: Ptr, rows: number, cols: number, slope: number): void;
  /**
   * dx (+)= dy * g'(x + bias); x and bias are the forward inputs, y the forward output
   * (kernels may use whichever is cheaper). bias = 0 means no bias.
   */
  biasActBackward(act: number, x: Ptr, bias: Ptr, y: Ptr, dy: Ptr, dx: Ptr, rows: number, cols: number, slope: number, acc: number): void;

  /** Post-addition residual: y = g(z + s * a), n elements. */
  residualPost(act: number, z: Ptr, a: Ptr, s: number, y: Ptr, n: number, slope: number): void;
  /**
   * A residual unit's end in one pass over its branch f (rows x cols, the last layer's x Wᵀ): f[i,j] += bias[j]
   * (in place, so f holds the layer's output for the backward), then y = g(a + s * f), a the shortcut.
   * bias = 0: no bias, f is not written (then it is residualPost(act, a, f, s, ...)).
   */
  biasResidualPost(act: number, f: Ptr, bias: Ptr, a: Ptr, s: number, y: Ptr, rows: number, cols: number, slope: number): void;
  /**
   * Backward of residualPost. With p = g'(z + s*a) * dy:
   * dz (+)= p (accZ), da (+)= s * p (accA); dz = 0 or da = 0 skips that output.
   * Returns ds = sum(p * a) (the gradient of the scalar s).
   */
  residualPostBackward(
    act: number,
    z: Ptr,
    a: Ptr,
    s: number,
    y: Ptr,
    dy: Ptr,
    dz: Ptr,
    da: Ptr,
    n: number,
    slope: number,
    accZ: number,
    accA: number,
  ): number;
  /** Addition outside the activation: y = a + s * f, n elements. */
  residualAdd(a: Ptr, f: Ptr, s: number, y: Ptr, n: number): void;
  /** Backward of residualAdd: da (+)= dy, df (+)= s * dy (0 pointers skip); returns ds = sum(dy * f). */
  residualAddBackward(f: Ptr, s: number, dy: Ptr, da: Ptr, df: Ptr, n: number, accA: number, accF: number): number;

  /** out[j] (+)= sum_i x[i,j] (bias gradients). */
  colSum(x: Ptr, rows: number, cols: number, out: Ptr, acc: number): void;
  /** sum of x[i]^2 over n elements (accumulated in float64). */
  sumSq(x: Ptr, n: number): number;

  /**
   * Mean softmax cross-entropy over rows; labels are int32 class indices.
   * If dlogits != 0: dlogits = scale * (softmax(logits) - onehot) / rows.
   * Returns the mean loss. NOTE: max-subtracted, so large logits do not overflow.
   */
  softmaxXent(logits: Ptr, labels: Ptr, rows: number, cols: number, dlogits: Ptr, scale: number): number;
  /** Mean squared error over n elements; if dpred != 0: dpred = scale * 2 (pred - target) / n. */
  mse(pred: Ptr, target: Ptr, n: number, dpred: Ptr, scale: number): number;

  /**
   * SGD with momentum, Nesterov and (coupled, L2) weight decay, PyTorch semantics:
   * g' = g + wd * w; m = mu * m + g'; step = nesterov ? g' + mu * m : m (mu = 0: step = g'); w -= lr * step.
   * m may be 0 when mu = 0.
   */
  sgdStep(w: Ptr, g: Ptr, m: Ptr, n: number, lr: number, momentum: number, weightDecay: number, nesterov: number): void;
  /**
   * Adam / AdamW, PyTorch semantics. decoupled = 0 (Adam): g' = g + wd * w.
   * decoupled = 1 (AdamW): w -= lr * wd * w first. Then m = b1 m + (1-b1) g',
   * v = b2 v + (1-b2) g'^2, w -= lr * (m / bc1) / (sqrt(v / bc2) + eps),
   * with bc1 = 1 - b1^t and bc2 = 1 - b2^t passed in by the caller.
   */
  adamStep(
    w: Ptr,
    g: Ptr,
    m: Ptr,
    v: Ptr,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: number,
    bc1: number,
    bc2: number,
  ): void;

  /** y = a * b, n elements. */
  mul(a: Ptr, b: Ptr, y: Ptr, n: number): void;
  /**
   * Backward of mul, float64 inside: da (+)= dy * b (accA), then db (+)= dy * a (accB); da = 0 or db = 0 skips that
   * output (and a or b is then not read). Element by element da is written before db is read, so da may equal db
   * (the gradient of mul(x, x)).
   */
  mulBackward(a: Ptr, b: Ptr, dy: Ptr, da: Ptr, db: Ptr, n: number, accA: number, accB: number): void;
  /** The sum of x[0], x[1], ... in this order, in float64. */
  sum(x: Ptr, n: number): number;
  /** x[i] (+)= value for n elements; value is float64 and x + value is rounded once. */
  addScalar(x: Ptr, value: number, n: number, acc: number): void;
  /**
   * dst[i * dstStride + j] (+)= src[i * srcStride + j] for i < rows, j < cols (strides in elements): a block of rows
   * or columns copied or added (slice, concat and their backward).
   */
  copyRect(src: Ptr, srcStride: number, dst: Ptr, dstStride: number, rows: number, cols: number, acc: number): void;
  /**
   * Inverted dropout, float64 inside. The draws are mulberry32's (the engine's Rng.nextU32) from `state`, the
   * generator's state before them: u_i = (the (i+1)-th output) / 2^32, mask[i] = u_i < p ? 0 : 1 / (1 - p), and
   * y[i] = mask[i] * x[i] with the unrounded 1 / (1 - p). The caller moves its generator n draws on.
   */
  dropout(x: Ptr, y: Ptr, mask: Ptr, n: number, p: number, state: number): void;

  /**
   * Batch normalisation of x (rows x cols) per column, float64 inside: y = gamma xhat + beta, xhat = (x - mean) inv,
   * inv = 1 / sqrt(var + eps) (written, one per column). training = 1: the column's mean and biased variance (sums
   * over rows in order), and the running statistics move: runMean = (1 - momentum) runMean + momentum mean, runVar
   * likewise with the unbiased variance (PyTorch); training = 0: mean and var are runMean and runVar.
   */
  batchNorm(
    x: Ptr,
    gamma: Ptr,
    beta: Ptr,
    runMean: Ptr,
    runVar: Ptr,
    xhat: Ptr,
    inv: Ptr,
    y: Ptr,
    rows: number,
    cols: number,
    training: number,
    momentum: number,
    eps: number,
  ): void;
  /**
   * Backward of batchNorm, float64 inside. Per column: sd = sum_i dy, sdh = sum_i dy * xhat; dgamma (+)= sdh,
   * dbeta (+)= sd; dx (+)= gamma inv (rows dy - sd - xhat sdh) / rows (training) or gamma inv dy. A 0 pointer skips
   * that output.
   */
  batchNormBackward(
    dy: Ptr,
    xhat: Ptr,
    gamma: Ptr,
    inv: Ptr,
    dgamma: Ptr,
    dbeta: Ptr,
    dx: Ptr,
    rows: number,
    cols: number,
    training: number,
    accG: number,
    accB: number,
    accX: number,
  ): void;
  /** Layer normalisation of each row of x (rows x cols), float64 inside; as batchNorm with the statistics of the row. */
  layerNorm(x: Ptr, gamma: Ptr, beta: Ptr, xhat: Ptr, inv: Ptr, y: Ptr, rows: number, cols: number, eps: number): void;
  /**
   * Backward of layerNorm, float64 inside: dgamma, dbeta as in batchNormBackward; per row, with dh = dy * gamma,
   * dx (+)= inv (cols dh - sum_j dh - xhat sum_j dh xhat) / cols. A 0 pointer skips that output.
   */
  layerNormBackward(
    dy: Ptr,
    xhat: Ptr,
    gamma: Ptr,
    inv: Ptr,
    dgamma: Ptr,
    dbeta: Ptr,
    dx: Ptr,
    rows: number,
    cols: number,
    accG: number,
    accB: number,
    accX: number,
  ): void;

  /** y = alpha * x + beta * y (beta = 0 never reads y), n elements. */
  axpby(alpha: number, x: Ptr, beta: number, y: Ptr, n: number): void;
  /** x[i] = value for n elements. */
  fill(x: Ptr, value: number, n: number): void;
}

/**
 * Every kernel of CoreKernels (heapBase is no kernel), by name: a Record, so the compiler rejects a kernel declared
 * above and left out here (it would escape the coverage tests) as it rejects a name that is not declared.
 */
const KERNELS: Record<Exclude<keyof CoreKernels, 'heapBase'>, true> = {
  gemm: true,
  biasAct: true,
  biasActBackward: true,
  residualPost: true,
  biasResidualPost: true,
  residualPostBackward: true,
  residualAdd: true,
  residualAddBackward: true,
  colSum: true,
  sumSq: true,
  softmaxXent: true,
  mse: true,
  sgdStep: true,
  adamStep: true,
  mul: true,
  mulBackward: true,
  sum: true,
  addScalar: true,
  copyRect: true,
  dropout: true,
  batchNorm: true,
  batchNormBackward: true,
  layerNorm: true,
  layerNormBackward: true,
  axpby: true,
  fill: true,
};
export type KernelName = keyof typeof KERNELS;
/** Names of every kernel in the ABI, in declaration order, for coverage tests. */
export const KERNEL_NAMES = Object.keys(KERNELS) as readonly KernelName[];
