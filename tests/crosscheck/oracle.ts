/**
 * TensorFlow.js (cpu backend, float32) as an independent oracle for the engine.
 *
 * The network oracle below is written from the block equations of the model
 * spec (docs in packages/engine/src/nn/model.ts and block.ts, issue 3's table),
 * not from the engine's code: it only borrows the engine's parameter NAMES to
 * copy the weights over, and asserts that it consumed every one of them.
 */
import type { ModelSpec } from '@reslab/engine';
import * as tf from '@tensorflow/tfjs';

tf.env().set('IS_TEST', true);

let ready: Promise<void> | null = null;
/** Select the cpu backend once (and refuse to run on anything else). */
export function tfReady(): Promise<void> {
  ready ??= tf.setBackend('cpu').then((ok) => {
    if (!ok || tf.getBackend() !== 'cpu') throw new Error(`tfjs: cpu backend unavailable (got ${tf.getBackend()})`);
  });
  return ready;
}

export { tf };

export type ActName = ModelSpec['activation'];

/** When set, sees every activation input (diagnostics: how close to a kink the case runs). */
export const probes: { act: ((x: tf.Tensor, name: ActName) => void) | null } = { act: null };

/**
 * Run fn, measuring how near a kink (ReLU / leaky ReLU input at 0, where the gradient jumps) its activations come:
 * the minimum over those inputs of |x| / rms(that input).
 */
export function withKinkMargin<T>(fn: () => T): { result: T; kinkMargin: number } {
  let kinkMargin = Infinity;
  const prev = probes.act;
  probes.act = (t, name) => {
    if (name !== 'relu' && name !== 'leaky_relu') return;
    const v = t.dataSync();
    let ss = 0;
    let min = Infinity;
    for (const a of v) {
      ss += a * a;
      min = Math.min(min, Math.abs(a));
    }
    const rms = Math.sqrt(ss / v.length);
    if (rms > 0) kinkMargin = Math.min(kinkMargin, min / rms);
  };
  try {
    return { result: fn(), kinkMargin };
  } finally {
    probes.act = prev;
  }
}

/** g(x) from its definition; GELU is the tanh approximation (the kernel ABI's definition). */
export function act(x: tf.Tensor, name: ActName, slope: number): tf.Tensor {
  probes.act?.(x, name);
  switch (name) {
    case 'identity':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, slope);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'gelu': {
      const c = Math.sqrt(2 / Math.PI);
      const inner = tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
  }
}

export const NORM_EPS = 1e-5;

/** Batch norm: per column, with the given mean and variance. */
export function batchNormWith(
  x: tf.Tensor2D,
  mean: tf.Tensor,
  variance: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps = NORM_EPS,
): tf.Tensor2D {
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta) as tf.Tensor2D;
}
/** Batch norm in training mode: per column, batch mean and biased variance. */
export function batchNormTrain(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, eps = NORM_EPS): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 0, true);
  return batchNormWith(x, mean, variance, gamma, beta, eps);
}
export const BN_MOMENTUM = 0.1;
/** Running statistics after one training batch from (mean 0, var 1): PyTorch semantics, unbiased variance. */
export function runningAfterOne(x: tf.Tensor2D): { mean: tf.Tensor; variance: tf.Tensor } {
  const B = x.shape[0];
  const { mean, variance } = tf.moments(x, 0);
  const unbiased = B > 1 ? tf.mul(variance, B / (B - 1)) : variance;
  return { mean: tf.mul(mean, BN_MOMENTUM), variance: tf.add(1 - BN_MOMENTUM, tf.mul(unbiased, BN_MOMENTUM)) };
}
/** Layer norm: per row, mean and biased variance over the features. */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, eps = NORM_EPS): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta) as tf.Tensor2D;
}

/**
 * Mean softmax cross-entropy, mean_i lse_j(z_ij - z_iy), with the label column masked to an exact 0 that carries
 * no gradient. NOTE: the textbook lse(z) - z_y differentiates to softmax - onehot, i.e. p_y - 1, which float32
 * rounds to a multiple of 6e-8: for a confident row (loss ~ 1e-4) that alone made tfjs's parameter gradients
 * 6e-3 off float64 while the engine's were 2e-6 off. Here dz_j = p_j and dz_y = -sum_{j != y} p_j: no cancellation.
 */
export function softmaxXent(logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar {
  const C = logits.shape[1];
  const onehot = tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), C);
  const zy = tf.sum(tf.mul(logits, onehot), 1, true);
  const d = tf.mul(tf.sub(logits, zy), tf.sub(1, onehot));
  return tf.mean(tf.logSumExp(d, 1)) as tf.Scalar;
}

export function mseLoss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target))) as tf.Scalar;
}

/** Params by the engine's dotted names; `use` records which were read. */
export class ParamTable {
  readonly used = new Set<string>();
  constructor(readonly vars: ReadonlyMap<string, tf.Tensor>) {}
  get(name: string): tf.Tensor {
    const v = this.vars.get(name);
    if (!v)
      throw new Error(
        `oracle: the spec needs parameter '${name}' but the engine model has none (it has ${[...this.vars.keys()].join(', ')})`,
      );
    this.used.add(name);
    return v;
  }
  has(name: string): boolean {
    return this.vars.has(name);
  }
  unused(): string[] {
    return [...this.vars.keys()].filter((k) => !this.used.has(k));
  }
}

/**
 * The model of a spec, in training mode (batch norm uses batch statistics), dropout off:
 *
 *   h = in(x), then g unless preact
 *   per block i (p = `block${i}`), F_k = k Linear layers with g between, each followed by its norm N when normPlace
 *   is branch / after-linear / after-add (after-add: not the last Linear, whose norm moves after the addition):
 *     plain     h = g(N(W h + b))
 *     post-k    h = g(S h + s G F_k(h))              [normPlace post, after-add: g(N(S h + s G F_k(h)))]
 *     branch-k  h = S h + s G g(F_k(h))              [normPlace post, after-add: N(...)]
 *     preact-k  h = S h + s G F_k'(h), F_k' = k times (N, g, Linear)   [after-linear: (g, Linear, N); post, after-add: N(...)]
 *   S h: identity h | projection W_r h | scale c h | gate, shortcut-gate (1 - T) h with T = sigmoid(W_T h + b_T)
 *   G: T for 'gate' (exclusive gating), 1 otherwise
 *   s: 1 | fixed value | learnable scalar (ReZero 'alpha', Fixup 'scale')
 *   preact: then N_final (if norm) and g
 *   out = W_o h + b_o
 */
/**
 * Batch-norm mode: 'train' uses batch statistics and, if `running` is given, stores there (by norm name) the running
 * statistics one training batch leaves; 'eval' normalises with the statistics in `running`.
 */
export interface BnMode {
  training: boolean;
  running?: Map<string, { mean: tf.Tensor; variance: tf.Tensor }>;
}

export function oracleForward(spec: ModelSpec, P: ParamTable, x: tf.Tensor2D, bn: BnMode = { training: true }): tf.Tensor2D {
  const g = (t: tf.Tensor) => act(t, spec.activation, spec.slope) as tf.Tensor2D;
  const lin = (t: tf.Tensor2D, name: string, bias = true): tf.Tensor2D => {
    const y = tf.matMul(t, P.get(`${name}.weight`) as tf.Tensor2D, false, true);
    return (bias ? tf.add(y, P.get(`${name}.bias`)) : y) as tf.Tensor2D;
  };
  const norm = (t: tf.Tensor2D, name: string): tf.Tensor2D => {
    const gamma = P.get(`${name}.weight`);
    const beta = P.get(`${name}.bias`);
    if (spec.norm === 'layer') return layerNorm(t, gamma, beta);
    if (bn.training) {
      bn.running?.set(name, runningAfterOne(t));
      return batchNormTrain(t, gamma, beta);
    }
    const r = bn.running?.get(name);
    if (!r) throw new Error(`oracle: no running statistics for '${name}'`);
    return batchNormWith(t, r.mean, r.variance, gamma, beta);
  };
  const hasNorm = spec.norm !== 'none';
  const plain = spec.block === 'plain';
  const k = plain ? 1 : spec.skip;
  const nBlocks = plain ? spec.depth : spec.depth / spec.skip;
  const afterAdd = !plain && spec.normPlace === 'after-add';
  /** Linear l (1-based) has a branch norm: every place but 'post' (plain blocks: always); 'after-add' moves the last one after the addition. */
  const branchNormAt = (l: number): boolean => hasNorm && (spec.normPlace !== 'post' || plain) && !(afterAdd && l === k);
  const postNorm = hasNorm && !plain && (spec.normPlace === 'post' || afterAdd);

  let h = lin(x, 'in');
  if (spec.block !== 'preact') h = g(h);
  for (let i = 1; i <= nBlocks; i++) {
    const p = `block${i}`;
    /** Linear l (1-based) then its branch norm. */
    const layer = (t: tf.Tensor2D, l: number): tf.Tensor2D => {
      const z = lin(t, `${p}.fc${l}`);
      return branchNormAt(l) ? norm(z, `${p}.norm${l}`) : z;
    };
    if (spec.block === 'plain') {
      h = g(layer(h, 1));
      continue;
    }
    const gated = spec.shortcut === 'gate' || spec.shortcut === 'shortcut-gate';
    const T = gated ? tf.sigmoid(lin(h, `${p}.gate`)) : null;
    let S: tf.Tensor2D = h;
    if (spec.shortcut === 'projection') S = lin(h, `${p}.proj`, false);
    else if (spec.shortcut === 'scale') S = tf.mul(h, spec.shortcutScale);
    else if (T) S = tf.mul(tf.sub(1, T), h);
    let s: tf.Tensor | number = 1;
    if (spec.branchScale === 'fixed') s = spec.branchScaleValue;
    else if (spec.branchScale === 'rezero') s = P.get(`${p}.alpha`);
    else if (spec.branchScale === 'fixup') s = P.get(`${p}.scale`);
    const gate = (t: tf.Tensor2D): tf.Tensor2D => (T && spec.shortcut === 'gate' ? tf.mul(T, t) : t);
    const addS = (t: tf.Tensor2D): tf.Tensor2D => tf.add(S, tf.mul(s, gate(t)));

    let t = h;
    if (spec.block === 'post') {
      for (let l = 1; l < k; l++) t = g(layer(t, l));
      const u = addS(layer(t, k));
      h = g(postNorm ? norm(u, `${p}.norm`) : u);
    } else if (spec.block === 'branch') {
      for (let l = 1; l <= k; l++) t = g(layer(t, l));
      const u = addS(t);
      h = postNorm ? norm(u, `${p}.norm`) : u;
    } else {
      for (let l = 1; l <= k; l++) {
        if (spec.normPlace === 'after-linear') {
          t = lin(g(t), `${p}.fc${l}`);
          if (branchNormAt(l)) t = norm(t, `${p}.norm${l}`);
        } else {
          if (branchNormAt(l)) t = norm(t, `${p}.norm${l}`);
          t = lin(g(t), `${p}.fc${l}`);
        }
      }
      const u = addS(t);
      h = postNorm ? norm(u, `${p}.norm`) : u;
    }
  }
  if (spec.block === 'preact') {
    if (hasNorm) h = norm(h, 'final');
    h = g(h);
  }
  return lin(h, 'out');
}

/** ||got - want||_2 <= rtol ||want||_2 + atol; returns a message on failure, '' when close. Non-finite values always fail. */
export function closeness(what: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol = 0): string {
  if (got.length !== want.length) return `${what}: ${got.length} values, oracle has ${want.length}`;
  let d = 0;
  let n = 0;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i]) || !Number.isFinite(want[i])) return `${what}[${i}]: ${got[i]} vs oracle ${want[i]}`;
    const e = got[i] - want[i];
    d += e * e;
    n += want[i] * want[i];
    if (Math.abs(e) > worst) {
      worst = Math.abs(e);
      at = i;
    }
  }
  const err = Math.sqrt(d);
  const bound = rtol * Math.sqrt(n) + atol;
  if (err <= bound) return '';
  return `${what}: ||diff|| ${err.toExponential(3)} > bound ${bound.toExponential(3)} (||oracle|| ${Math.sqrt(n).toExponential(3)}); worst at [${at}]: ${got[at]} vs oracle ${want[at]}`;
}

/** Normwise relative error ||got - want|| / max(||want||, tiny). */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < want.length; i++) {
    d += (got[i] - want[i]) ** 2;
    n += want[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}

export const norm2 = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
};
