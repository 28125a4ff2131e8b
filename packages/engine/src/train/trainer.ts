/**
 * The training loop as a stepper (the web lab drives play/pause/step with it)
 * and `train()`, which runs a whole spec and returns its RunResult.
 *
 * Determinism: one seed; init from rng.fork('init'), dropout from
 * rng.fork('dropout'), the per-epoch shuffles from rng.fork('data').
 * Batches: min(batchSize, nTrain) examples, floor(nTrain / batch) steps per
 * epoch (a last partial batch is dropped, so every step has the same shape).
 */
import { type Backend, type BackendKind, createBackend, type Ptr } from '../backend.js';
import { type Dataset, loadDataset } from '../data/index.js';
import type { LayerStats, RunEvent, RunResult } from '../events.js';
import { buildModel, type Model } from '../nn/model.js';
import { BatchNorm } from '../nn/norm.js';
import { mse } from '../ops/mse.js';
import { Labels, softmaxCrossEntropy } from '../ops/softmax_xent.js';
import { clipGradNorm, makeOptimizer, type Optimizer } from '../optim/optimizer.js';
import { lrAt } from '../optim/schedule.js';
import { Rng } from '../rng.js';
import { parseRunSpec, type RunSpec, type RunSpecInput, SpecError } from '../spec.js';
import { noGrad, shape2, Tensor } from '../tensor.js';
import { layerStats, StatsProbe } from './stats.js';

export interface TrainOptions {
  /** a backend kind (created for this run) or an existing backend (default 'wasm') */
  backend?: BackendKind | Backend;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /** use this dataset instead of loading spec.data */
  dataset?: Dataset;
  /** return the trained model (its memory is then not released) */
  keepModel?: boolean;
}

export type EvalRecord = Omit<Extract<RunEvent, { type: 'eval' }>, 'type'>;
export type StepEvent = Extract<RunEvent, { type: 'step' }>;
export type EvalEvent = Extract<RunEvent, { type: 'eval' }>;

/** Training-set loss/accuracy in eval events are measured on the first this-many training examples. */
export const EVAL_TRAIN_MAX = 4096;
const EVAL_CHUNK = 512;

function checkDataset(ds: Dataset): void {
  const bad = (m: string): never => {
    throw new SpecError(`dataset '${ds.name}': ${m}`);
  };
  if (!(ds.nTrain >= 1 && ds.nTest >= 1)) bad(`needs non-empty train and test sets (got ${ds.nTrain}/${ds.nTest})`);
  if (ds.trainX.length !== ds.nTrain * ds.inputDim || ds.testX.length !== ds.nTest * ds.inputDim)
    bad('X arrays do not match nTrain/nTest x inputDim');
  if (ds.kind === 'classification') {
    if (!(ds.trainY instanceof Int32Array && ds.testY instanceof Int32Array)) bad('classification labels must be Int32Array');
    for (const ys of [ds.trainY, ds.testY])
      for (let i = 0; i < ys.length; i++) if (!(ys[i] >= 0 && ys[i] < ds.outputDim)) bad(`label ${ys[i]} outside 0..${ds.outputDim - 1}`);
    if (ds.trainY.length !== ds.nTrain || ds.testY.length !== ds.nTest) bad('label arrays do not match nTrain/nTest');
  } else if (ds.trainY.length !== ds.nTrain * ds.outputDim || ds.testY.length !== ds.nTest * ds.outputDim) {
    bad('target arrays do not match nTrain/nTest x outputDim');
  }
}

/**
 * How many of rows [0, m) of the logits at float index o (m x C) have their largest logit at the label Y[from + r].
 * NOTE: a function of its own so that it is optimised once for all evaluations: inside the evaluation closure the
 * loop often ran unoptimised, boxing every float it read.
 */
function countHits(f: Float32Array | Float64Array, o: number, m: number, C: number, Y: ArrayLike<number>, from: number): number {
  let hits = 0;
  for (let r = 0; r < m; r++) {
    let best = 0;
    for (let j = 1; j < C; j++) if (f[o + r * C + j] > f[o + r * C + best]) best = j;
    if (best === Y[from + r]) hits++;
  }
  return hits;
}

/**
 * The loss of the best constant predictor: ln C for C classes (uniform probabilities), the mean variance of the
 * training targets for regression (predicting their mean; the loss is the mean squared error over all elements).
 */
export function chanceLoss(ds: Pick<Dataset, 'kind' | 'outputDim' | 'nTrain' | 'trainY'>): number {
  if (ds.kind === 'classification') return Math.log(ds.outputDim);
  const o = ds.outputDim;
  let v = 0;
  for (let j = 0; j < o; j++) {
    let m = 0;
    for (let i = 0; i < ds.nTrain; i++) m += ds.trainY[i * o + j];
    m /= ds.nTrain;
    let q = 0;
    for (let i = 0; i < ds.nTrain; i++) q += (ds.trainY[i * o + j] - m) ** 2;
    v += q / ds.nTrain;
  }
  return v / o;
}

/** Where a trainer's copy of the dataset lives in backend memory (byte pointers; labels int32 for classification). */
interface Resident {
  train: { x: Ptr; y: Ptr };
  test: { x: Ptr; y: Ptr };
}

export class Trainer {
  readonly model: Model;
  readonly optimizer: Optimizer;
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** steps completed */
  step = 0;
  status: 'running' | 'ok' | 'diverged' = 'running';
  divergedAt: number | null = null;
  divergedWhy: RunResult['divergedWhy'] = null;
  /** see RunResult.chanceLoss and divergeLimit */
  readonly chanceLoss: number;
  readonly divergeLimit: number | null;
  lastLoss: number | null = null;
  readonly history: EvalRecord[] = [];
  readonly init: LayerStats;
  private readonly dataRng: Rng;
  private perm: Int32Array;
  private readonly t0 = performance.now();
  private readonly mark: number;
  private pending: LayerStats | null = null;
  private ended: RunResult | null = null;
  /** the dataset in backend memory (see upload) */
  private readonly resident: Resident;
  /** the model's BatchNorm layers (measure saves and restores their running statistics) */
  private batchNorms: BatchNorm[] | null = null;
  /** the training batch's objects, reused every step (see batch): labels for classification, else a target tensor */
  private readonly trainBatch: { x: Tensor; y: Labels | Tensor };

  /** Parse the spec, create the backend (unless given) and load the dataset (unless given). */
  static async create(spec: RunSpecInput, opts: TrainOptions = {}): Promise<Trainer> {
    const s = parseRunSpec(spec);
    const backend = typeof opts.backend === 'object' ? opts.backend : await createBackend(opts.backend ?? 'wasm');
    const ds = opts.dataset ?? (await loadDataset(s.data, s.seed));
    return new Trainer(s, backend, ds, opts.onEvent);
  }

  constructor(
    readonly spec: RunSpec,
    readonly backend: Backend,
    readonly dataset: Dataset,
    private readonly onEvent?: (e: RunEvent) => void,
  ) {
    checkDataset(dataset);
    const t = spec.train;
    this.chanceLoss = chanceLoss(dataset);
    this.divergeLimit = t.divergeFactor > 0 ? t.divergeFactor * this.chanceLoss : null;
    this.trainBatch = {
      x: new Tensor(backend, [], 0),
      y: dataset.kind === 'classification' ? new Labels(backend, 0, 0) : new Tensor(backend, [], 0),
    };
    this.mark = backend.mark();
    const rng = new Rng(spec.seed);
    this.model = buildModel(spec.model, { inputDim: dataset.inputDim, outputDim: dataset.outputDim }, rng, backend);
    this.optimizer = makeOptimizer(this.model.parameters(), t);
    this.resident = this.upload();
    this.dataRng = rng.fork('data');
    this.batchSize = Math.min(t.batchSize, dataset.nTrain);
    this.stepsPerEpoch = Math.floor(dataset.nTrain / this.batchSize);
    const all = t.epochs * this.stepsPerEpoch;
    this.totalSteps = t.maxSteps > 0 ? Math.min(t.maxSteps, all) : all;
    this.perm = this.dataRng.permutation(dataset.nTrain);
    this.emit({
      type: 'start',
      spec,
      params: this.model.numParameters(),
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.totalSteps,
      backend: backend.kind,
    });
    const m = this.measure(this.perm, 0);
    this.init = m.stats;
    if (!m.finite) this.diverge(0);
  }

  get done(): boolean {
    return this.status !== 'running' || this.step >= this.totalSteps;
  }
  get epoch(): number {
    return Math.max(1, Math.ceil(this.step / this.stepsPerEpoch));
  }

  private emit(e: RunEvent): void {
    this.onEvent?.(e);
  }
  private diverge(at: number, why: RunResult['divergedWhy'] = 'non-finite'): void {
    this.status = 'diverged';
    this.divergedAt = at;
    this.divergedWhy = why;
    this.backend.resetArena();
  }
  private evalDue(n: number): boolean {
    const every = this.spec.train.evalEvery;
    return n === this.totalSteps || (every > 0 ? n % every === 0 : n % this.stepsPerEpoch === 0);
  }

  /** Copy the dataset into the backend's persistent region (once per trainer). */
  private upload(): Resident {
    const b = this.backend;
    const ds = this.dataset;
    const cls = ds.kind === 'classification';
    const put = (X: Float32Array) => {
      const p = b.allocPersistent(X.length);
      b.write(p, X);
      return p;
    };
    const putY = (Y: Int32Array | Float32Array) => {
      if (!cls) return put(Y as Float32Array);
      const p = b.allocPersistentI32(Y.length);
      b.i32.set(Y, p >> 2);
      return p;
    };
    return { train: { x: put(ds.trainX), y: putY(ds.trainY) }, test: { x: put(ds.testX), y: putY(ds.testY) } };
  }

  /**
   * Rows idx[from..from+n) of a split as a batch: copied into the arena inside backend memory (copyWithin: no JS
   * allocation, no per-element loop); without idx, rows from..from+n are used in place (evaluation: no copy).
   */
  private batch(split: 'train' | 'test', idx: ArrayLike<number> | null, from: number, n: number): { x: Tensor; y: Labels | Tensor } {
    const b = this.backend;
    const { inputDim: d, outputDim: o } = this.dataset;
    const cls = this.dataset.kind === 'classification';
    const src = this.resident[split];
    if (!idx) {
      const x = new Tensor(b, [n, d], src.x + from * d * b.bytes);
      return { x, y: cls ? new Labels(b, src.y + from * 4, n) : new Tensor(b, [n, o], src.y + from * o * b.bytes) };
    }
    // NOTE: the training batch reuses its objects step after step (no JS allocation per step).
    const tb = this.trainBatch;
    const x = tb.x.retarget(shape2(tb.x.shape, n, d));
    const yp = cls ? b.allocI32(n) : b.alloc(n * o);
    // NOTE: views are read after the allocations (memory may have grown).
    const f = b.f;
    const i32 = b.i32;
    const xs = src.x >> b.shift;
    const xo = x.ptr >> b.shift;
    for (let r = 0; r < n; r++) {
      const i = idx[from + r];
      f.copyWithin(xo + r * d, xs + i * d, xs + (i + 1) * d);
      if (cls) i32[(yp >> 2) + r] = i32[(src.y >> 2) + i];
      else f.copyWithin((yp >> b.shift) + r * o, (src.y >> b.shift) + i * o, (src.y >> b.shift) + (i + 1) * o);
    }
    if (tb.y instanceof Labels) {
      tb.y.ptr = yp;
      tb.y.size = n;
    } else tb.y.rebind(shape2(tb.y.shape, n, o), yp);
    return tb;
  }

  private loss(out: Tensor, y: Labels | Tensor): Tensor {
    return y instanceof Labels ? softmaxCrossEntropy(out, y) : mse(out, y);
  }

  /**
   * Forward + backward on batch `from` of `perm` with the probes attached; the
   * stats of that pass. No optimizer step; BatchNorm running statistics are restored.
   */
  private measure(perm: Int32Array, from: number): { stats: LayerStats; finite: boolean } {
    const b = this.backend;
    this.batchNorms ??= [...this.model.namedModules()].map(([, m]) => m).filter((m): m is BatchNorm => m instanceof BatchNorm);
    const bns = this.batchNorms;
    const saved = bns.map((m) => [m.runningMean.toArray(), m.runningVar.toArray()]);
    const r = this.pass(perm, from, true);
    bns.forEach((m, i) => {
      m.runningMean.set(saved[i][0]);
      m.runningVar.set(saved[i][1]);
    });
    this.optimizer.zeroGrad();
    b.resetArena();
    return { stats: r.stats!, finite: r.finite && Number.isFinite(r.loss) };
  }

  /** One forward/backward in train mode (no step); probes when asked. */
  private pass(perm: Int32Array, from: number, probe: boolean): { loss: number; stats: LayerStats | null; finite: boolean } {
    const { x, y } = this.batch('train', perm, from, this.batchSize);
    this.model.train();
    this.optimizer.zeroGrad();
    const pr = probe ? new StatsProbe(this.model) : null;
    const loss = this.loss(this.model.forward(x), y);
    const lv = loss.item();
    const readings = pr?.detach() ?? null;
    if (!Number.isFinite(lv)) {
      this.backend.resetArena();
      return { loss: lv, stats: readings ? layerStats(this.model, readings).stats : null, finite: false };
    }
    loss.backward();
    if (!readings) return { loss: lv, stats: null, finite: true };
    const s = layerStats(this.model, readings);
    return { loss: lv, stats: s.stats, finite: s.finite };
  }

  /** One optimizer step (and an evaluation when one is due). Returns the step event, or null when done/diverged. */
  trainStep(): StepEvent | null {
    if (this.done) return null;
    const s = this.step;
    const pos = s % this.stepsPerEpoch;
    if (pos === 0 && s > 0) this.perm = this.dataRng.permutation(this.dataset.nTrain);
    const lr = lrAt(this.spec.train, s, this.totalSteps);
    this.optimizer.lr = lr;
    const probing = this.evalDue(s + 1);
    const r = this.pass(this.perm, pos * this.batchSize, probing);
    if (!r.finite) {
      this.diverge(s + 1);
      return null;
    }
    if (this.spec.train.clipNorm > 0) clipGradNorm(this.optimizer.params, this.spec.train.clipNorm);
    this.optimizer.step();
    this.backend.resetArena();
    this.step = s + 1;
    this.lastLoss = r.loss;
    this.pending = r.stats;
    const ev: StepEvent = { type: 'step', step: this.step, epoch: Math.floor(s / this.stepsPerEpoch) + 1, loss: r.loss, lr };
    this.emit(ev);
    if (probing) this.evaluate();
    return ev;
  }

  /** Loss and accuracy of the model (eval mode, no grad) on rows [0, n) of a split. */
  private score(split: 'train' | 'test', n: number): { loss: number; acc: number | null } {
    const b = this.backend;
    const cls = this.dataset.kind === 'classification';
    const C = this.dataset.outputDim;
    const Y = split === 'train' ? this.dataset.trainY : this.dataset.testY;
    let loss = 0;
    let hits = 0;
    const top = b.arenaTop();
    noGrad(() => {
      for (let from = 0; from < n; from += EVAL_CHUNK) {
        const m = Math.min(EVAL_CHUNK, n - from);
        const { x, y } = this.batch(split, null, from, m);
        const out = this.model.forward(x);
        loss += this.loss(out, y).item() * m;
        if (cls) hits += countHits(b.f, out.ptr >> b.shift, m, C, Y, from);
        b.arenaRestore(top);
      }
    });
    return { loss: loss / n, acc: cls ? hits / n : null };
  }

  /** Evaluate now (train-set sample and test set) and emit an 'eval' event; null if the losses are not finite (the run diverges). */
  evaluate(): EvalEvent | null {
    if (this.status === 'diverged') return null;
    let stats = this.pending;
    if (!stats) {
      const m = this.measure(this.perm, 0);
      if (!m.finite) {
        this.diverge(this.step);
        return null;
      }
      stats = m.stats;
    }
    this.pending = null;
    const ds = this.dataset;
    this.model.eval();
    const tr = this.score('train', Math.min(ds.nTrain, EVAL_TRAIN_MAX));
    const te = this.score('test', ds.nTest);
    this.model.train();
    if (!Number.isFinite(tr.loss) || !Number.isFinite(te.loss)) {
      this.diverge(this.step);
      return null;
    }
    const rec: EvalRecord = {
      step: this.step,
      epoch: this.epoch,
      trainLoss: tr.loss,
      testLoss: te.loss,
      testAcc: te.acc,
      trainAcc: tr.acc,
      timeMs: performance.now() - this.t0,
      ...stats,
    };
    this.history.push(rec);
    const ev: EvalEvent = { type: 'eval', ...rec };
    this.emit(ev);
    if (this.divergeLimit !== null && tr.loss > this.divergeLimit) {
      this.diverge(this.step, 'loss-limit');
      return null;
    }
    return ev;
  }

  /** End the run (idempotent): the RunResult, emitted once as 'end'. */
  finish(): RunResult {
    if (this.ended) return this.ended;
    if (this.status === 'running') this.status = 'ok';
    const ok = this.status === 'ok';
    const last = ok ? this.history.at(-1) : undefined;
    const result: RunResult = {
      spec: this.spec,
      status: this.status,
      divergedAt: this.divergedAt,
      divergedWhy: this.divergedWhy,
      chanceLoss: this.chanceLoss,
      divergeLimit: this.divergeLimit,
      steps: this.step,
      finalTrainLoss: last?.trainLoss ?? null,
      finalTestLoss: last?.testLoss ?? null,
      finalTestAcc: last?.testAcc ?? null,
      finalTrainAcc: last?.trainAcc ?? null,
      init: this.init,
      history: this.history,
      params: this.model.numParameters(),
      timeMs: performance.now() - this.t0,
      backend: this.backend.kind,
    };
    this.ended = result;
    this.emit({ type: 'end', result });
    return result;
  }

  /** Free the model's and optimizer's memory on the backend (the model is unusable afterwards). */
  dispose(): void {
    this.backend.release(this.mark);
  }
}

const abortError = (signal: AbortSignal): unknown => signal.reason ?? new Error('run aborted');

/**
 * Run a whole spec: parse, load data, build, train, evaluate; events go to
 * opts.onEvent. Throws SpecError for bad specs, the signal's reason when aborted.
 */
export async function train(spec: RunSpecInput, opts: TrainOptions = {}): Promise<RunResult & { model?: Model }> {
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const tr = await Trainer.create(spec, opts);
  let ok = false;
  try {
    let last = performance.now();
    while (!tr.done) {
      tr.trainStep();
      // NOTE: yield to the event loop now and then so an abort (a worker message) can arrive.
      if (performance.now() - last > 50) {
        await new Promise((r) => setTimeout(r, 0));
        last = performance.now();
      }
      if (opts.signal?.aborted) throw abortError(opts.signal);
    }
    const result = tr.finish();
    ok = true;
    return opts.keepModel ? { ...result, model: tr.model } : result;
  } finally {
    if (!(ok && opts.keepModel)) tr.dispose();
  }
}
