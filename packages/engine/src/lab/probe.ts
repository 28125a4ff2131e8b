/**
 * Probes: measurements a study makes on every grid run, beyond the training summary.
 *
 * - lesion (Veit et al. 2016): after training, delete blocks at test time (a deleted block is replaced by the
 *   identity; for a residual block only its identity shortcut remains, for a plain net the layer is gone) or swap
 *   neighbours, and measure the test accuracy of each lesioned net.
 * - shatter (Balduzzi et al. 2017): at initialisation, the gradient df/dx of the scalar output with respect to a
 *   1-D input at evenly spaced points, and the autocorrelation of that sequence over the points.
 */
import type { Backend } from '../backend.js';
import type { Dataset } from '../data/index.js';
import type { RunEvent, RunResult } from '../events.js';
import type { Model } from '../nn/model.js';
import { BatchNorm } from '../nn/norm.js';
import { sum } from '../ops/sum.js';
import { Rng } from '../rng.js';
import { SpecError } from '../spec.js';
import { noGrad, Tensor, tensor } from '../tensor.js';
import { Trainer, train } from '../train/trainer.js';
import type { TrainJob } from './expand.js';
import type { JobRecord, RunSummary } from './records.js';
import { quantile } from './stats.js';
import type { ProbeDef } from './study.js';

// ---------- lesion ----------

export interface LesionMeasure {
  /** 1 / number of classes. */
  chance: number;
  /** test examples scored. */
  nTest: number;
  /** deletable blocks (plain: hidden layers; residual: blocks of k layers). */
  blocks: number;
  /** test accuracy of the intact net. */
  full: number;
  /** test accuracy with block i deleted, i = 0 .. blocks-1. */
  single: number[];
  /** random deletions: for each k, the test accuracy of each draw of k distinct blocks. */
  multi: Array<{ k: number; accs: number[] }>;
  /** test accuracy with blocks i and i+1 swapped, i = 0 .. blocks-2. */
  swaps: number[];
}

const LESION_CHUNK = 512;

/**
 * Scores one set of examples under many lesions: the inputs are copied into the arena once, then each call of
 * `acc(order)` runs the net (eval mode, no grad) with the blocks applied in `order` (null: intact) and returns the
 * accuracy. `dispose()` frees the arena space.
 */
export function lesionScorer(
  model: Model,
  X: Float32Array,
  Y: ArrayLike<number>,
  n: number,
): { acc(order: readonly number[] | null): number; dispose(): void } {
  const b = model.backend;
  const d = model.io.inputDim;
  const C = model.io.outputDim;
  const top = b.arenaTop();
  const x = tensor(b, X.subarray(0, n * d), [n, d]);
  const base = b.arenaTop();
  const bytes = 1 << b.shift;
  return {
    acc(order) {
      const prev = model.blockOrder;
      const wasTraining = model.training;
      model.blockOrder = order;
      model.eval();
      let hits = 0;
      try {
        noGrad(() => {
          for (let r0 = 0; r0 < n; r0 += LESION_CHUNK) {
            const m = Math.min(LESION_CHUNK, n - r0);
            const out = model.forward(new Tensor(b, [m, d], x.ptr + r0 * d * bytes));
            const f = b.f;
            const o = out.ptr >> b.shift;
            for (let r = 0; r < m; r++) {
              let best = 0;
              for (let j = 1; j < C; j++) if (f[o + r * C + j] > f[o + r * C + best]) best = j;
              if (best === Y[r0 + r]) hits++;
            }
            b.arenaRestore(base);
          }
        });
      } finally {
        model.blockOrder = prev;
        model.train(wasTraining);
        b.arenaRestore(base);
      }
      return hits / n;
    },
    dispose() {
      b.arenaRestore(top);
    },
  };
}

/** Test accuracy of `model` on rows [0, n) of X with the blocks applied in `order` (null: intact). */
export function lesionAccuracy(model: Model, X: Float32Array, Y: ArrayLike<number>, n: number, order: readonly number[] | null): number {
  const s = lesionScorer(model, X, Y, n);
  try {
    return s.acc(order);
  } finally {
    s.dispose();
  }
}

/** The block order with the blocks in `drop` left out. */
export const withoutBlocks = (n: number, drop: readonly number[]): number[] => {
  const d = new Set(drop);
  return Array.from({ length: n }, (_, i) => i).filter((i) => !d.has(i));
};

/** The block order with blocks i and i+1 swapped. */
export const swappedBlocks = (n: number, i: number): number[] => {
  const o = Array.from({ length: n }, (_, j) => j);
  o[i] = i + 1;
  o[i + 1] = i;
  return o;
};

/** Every lesion of a trained classifier (the random draws from `new Rng(seed).fork('lesion')`). */
export function measureLesion(model: Model, ds: Dataset, probe: Extract<ProbeDef, { kind: 'lesion' }>, seed: number): LesionMeasure {
  if (ds.kind !== 'classification') throw new SpecError(`the lesion probe needs a classification dataset, got '${ds.name}'`);
  const n = model.blocks.length;
  const scorer = lesionScorer(model, ds.testX, ds.testY, ds.nTest);
  const acc = (order: readonly number[] | null) => scorer.acc(order);
  try {
    const rng = new Rng(seed).fork('lesion');
    const multi: LesionMeasure['multi'] = [];
    for (const k of probe.ks) {
      if (k >= n) continue;
      const accs: number[] = [];
      for (let d = 0; d < probe.draws; d++) accs.push(acc(withoutBlocks(n, Array.from(rng.permutation(n).subarray(0, k)))));
      multi.push({ k, accs });
    }
    return {
      chance: 1 / ds.outputDim,
      nTest: ds.nTest,
      blocks: n,
      full: acc(null),
      single: Array.from({ length: n }, (_, i) => acc(withoutBlocks(n, [i]))),
      multi,
      swaps: Array.from({ length: Math.max(0, n - 1) }, (_, i) => acc(swappedBlocks(n, i))),
    };
  } finally {
    scorer.dispose();
  }
}

// ---------- shatter ----------

export interface ShatterMeasure {
  /** evenly spaced inputs x_i = lo + (hi - lo) i / points. */
  points: number;
  lo: number;
  hi: number;
  /** df/dx at each point. */
  grads: number[];
  /** rho(k), k = 0 .. maxLag: the sample autocorrelation of the gradients over the points (rho(0) = 1). */
  autocorr: number[];
  /**
   * White-noise band for rho(1): the 95th percentile of |rho(1)| over 200 random shuffles of the same gradients
   * (shuffling keeps the values and destroys any order).
   */
  noiseBand: number;
  /** root mean square of the gradients. */
  rms: number;
}

/** rho(k) = sum_i (g_i - m)(g_{i+k} - m) / sum_i (g_i - m)^2 for k = 0..maxLag; a constant sequence counts as fully correlated (1). */
export function autocorrelation(g: ArrayLike<number>, maxLag: number): number[] {
  const n = g.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += g[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (g[i] - m) ** 2;
  const out: number[] = [];
  for (let k = 0; k <= Math.min(maxLag, n - 1); k++) {
    if (!(v > 0)) {
      out.push(1);
      continue;
    }
    let c = 0;
    for (let i = 0; i + k < n; i++) c += (g[i] - m) * (g[i + k] - m);
    out.push(c / v);
  }
  return out;
}

/** 95th percentile of |rho(1)| over `shuffles` random orders of g. */
export function whiteNoiseBand(g: readonly number[], rng: Rng, shuffles = 200): number {
  const r: number[] = [];
  for (let s = 0; s < shuffles; s++) {
    const p = rng.permutation(g.length);
    r.push(
      Math.abs(
        autocorrelation(
          Array.from(p, (i) => g[i]),
          1,
        )[1],
      ),
    );
  }
  return quantile(r, 0.95);
}

/**
 * df/dx of a model with one input and one output at `xs`, by backpropagation to the input. Batch norms use the
 * statistics of this batch of points, then frozen (eval mode with the running statistics set to them), so each
 * output depends on its own input only and the gradient of sum_i f(x_i) with respect to x_i is df/dx at x_i.
 */
export function inputGradient(model: Model, xs: readonly number[]): number[] {
  if (model.io.inputDim !== 1 || model.io.outputDim !== 1) {
    throw new SpecError(
      `the shatter probe needs a model with one input and one output (data 'sine'), got ${model.io.inputDim} -> ${model.io.outputDim}`,
    );
  }
  const b: Backend = model.backend;
  const wasTraining = model.training;
  const top = b.arenaTop();
  const bns = [...model.namedModules()].map(([, m]) => m).filter((m): m is BatchNorm => m instanceof BatchNorm);
  const saved = bns.map((m) => [m.runningMean.toArray(), m.runningVar.toArray()]);
  try {
    if (bns.length) {
      const hooks = bns.map((m) =>
        m.registerForwardHook((_m, x) => {
          const v = x.toArray();
          const C = m.features;
          const B = v.length / C;
          const mean = new Array(C).fill(0);
          const vr = new Array(C).fill(0);
          for (let i = 0; i < B; i++) for (let j = 0; j < C; j++) mean[j] += v[i * C + j] / B;
          for (let i = 0; i < B; i++) for (let j = 0; j < C; j++) vr[j] += (v[i * C + j] - mean[j]) ** 2 / B;
          m.runningMean.set(mean);
          m.runningVar.set(vr);
        }),
      );
      model.train();
      noGrad(() => model.forward(tensor(b, xs, [xs.length, 1])));
      for (const h of hooks) h.remove();
      b.arenaRestore(top);
    }
    model.eval();
    const x = tensor(b, xs, [xs.length, 1]);
    x.requiresGrad = true;
    sum(model.forward(x)).backward();
    return x.gradArray();
  } finally {
    bns.forEach((m, i) => {
      m.runningMean.set(saved[i][0]);
      m.runningVar.set(saved[i][1]);
    });
    model.zeroGrad();
    b.tape.length = 0;
    b.arenaRestore(top);
    model.train(wasTraining);
  }
}

export const shatterPoints = (p: Pick<Extract<ProbeDef, { kind: 'shatter' }>, 'points' | 'lo' | 'hi'>): number[] =>
  Array.from({ length: p.points }, (_, i) => p.lo + ((p.hi - p.lo) * i) / p.points);

export function measureShatter(model: Model, probe: Extract<ProbeDef, { kind: 'shatter' }>, seed: number): ShatterMeasure {
  if (!(probe.hi > probe.lo)) throw new SpecError(`shatter probe: hi (${probe.hi}) must be larger than lo (${probe.lo})`);
  const grads = inputGradient(model, shatterPoints(probe));
  if (!grads.every(Number.isFinite))
    throw new Error('shatter probe: the input gradient is not finite (the net overflows at initialisation)');
  return {
    points: probe.points,
    lo: probe.lo,
    hi: probe.hi,
    grads,
    autocorr: autocorrelation(grads, probe.maxLag),
    noiseBand: whiteNoiseBand(grads, new Rng(seed).fork('shatter-shuffle')),
    rms: Math.sqrt(grads.reduce((s, g) => s + g * g, 0) / grads.length),
  };
}

// ---------- running a probed job ----------

const summary = (r: RunResult & { model?: Model }): RunSummary => {
  const { spec: _spec, model: _model, ...rest } = r;
  return rest;
};

/** Run a grid job of a study with a probe: train then lesion, or build then measure the input gradient. */
export async function runProbeJob(
  job: TrainJob,
  probe: ProbeDef,
  b: Backend,
  ds: Dataset,
  o: { onEvent?: (e: RunEvent) => void; signal?: AbortSignal },
  rec: JobRecord,
): Promise<void> {
  const mark = b.mark();
  try {
    if (probe.kind === 'shatter') {
      const tr = new Trainer(job.spec, b, ds, o.onEvent);
      rec.result = summary(tr.finish());
      rec.shatter = measureShatter(tr.model, probe, job.seed);
      return;
    }
    const res = await train(job.spec, { backend: b, dataset: ds, onEvent: o.onEvent, signal: o.signal, keepModel: true });
    rec.result = summary(res);
    rec.lesion = res.status === 'ok' && res.model ? measureLesion(res.model, ds, probe, job.seed) : null;
  } finally {
    b.release(mark);
  }
}
