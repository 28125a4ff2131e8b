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

  /** y = alpha * x + beta * y (beta = 0 never reads y), n elements. */
  axpby(alpha: number, x: Ptr, beta: number, y: Ptr, n: number): void;
  /** x[i] = value for n elements. */
  fill(x: Ptr, value: number, n: number): void;
}

/** Names of every kernel in the ABI, for coverage tests. */
export const KERNEL_NAMES = [
  'gemm',
  'biasAct',
  'biasActBackward',
  'residualPost',
  'biasResidualPost',
  'residualPostBackward',
  'residualAdd',
  'residualAddBackward',
  'colSum',
  'sumSq',
  'softmaxXent',
  'mse',
  'sgdStep',
  'adamStep',
  'axpby',
  'fill',
] as const satisfies readonly (keyof CoreKernels)[];
export type KernelName = (typeof KERNEL_NAMES)[number];
