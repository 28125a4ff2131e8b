/**
 * Running one job of a study: the part a Node worker thread and a browser Web
 * Worker share. A job runs on its thread's backend, cleared (withBackend), so
 * its numbers depend on its spec and seed only (not on which worker ran it, or
 * what ran before: tested with memory left full of NaN). A diverged
 * run is a result; an engine error in one job is recorded on its record.
 */
import { type Backend, type BackendKind, withBackend } from '../backend.js';
import { loadCheckpoint, saveCheckpoint } from '../checkpoint.js';
import { type Dataset, loadDataset } from '../data/index.js';
import type { RunEvent, RunResult } from '../events.js';
import { foldCheck, foldPost1 } from '../fold.js';
import type { Model } from '../nn/model.js';
import { Rng } from '../rng.js';
import { parseRunSpec, type RunSpec } from '../spec.js';
import { Trainer, train } from '../train/trainer.js';
import type { CheckJob, Job, TrainJob } from './expand.js';
import { runProbeJob } from './probe.js';
import type { FoldMeasure, JobRecord, RunSummary, TwinMeasure } from './records.js';
import { canonicalJson } from './stats.js';

export interface RunJobOptions {
  /** study name recorded on the record */
  study: string;
  backend?: BackendKind;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
}

/** Examples of the test set the fold checks compare outputs on. */
export const FOLD_BATCH = 256;

const datasets = new Map<string, Promise<Dataset>>();

/** Datasets are cached per worker by (data spec, seed); MNIST is shared across seeds by the data layer anyway. */
export function datasetFor(spec: RunSpec): Promise<Dataset> {
  const key = canonicalJson({ data: spec.data, seed: spec.data.name === 'mnist' ? 0 : spec.seed });
  let p = datasets.get(key);
  if (!p) {
    p = loadDataset(spec.data, spec.seed);
    p.catch(() => datasets.delete(key));
    datasets.set(key, p);
    // keep the cache small: a worker rarely needs more than a few datasets
    if (datasets.size > 8) datasets.delete(datasets.keys().next().value as string);
  }
  return p;
}

/**
 * Fold a post-1 model and compare outputs on x (rows x inputDim): in the model's own precision, and again on a
 * float64 copy of the same weights, which also gives the float32 rounding error of the unfolded net.
 */
export async function measureFold(model: Model, x: ArrayLike<number>, fold: (m: Model) => Model = foldPost1): Promise<FoldMeasure> {
  const r = foldCheck(model, x, fold);
  // NOTE: a float64 run is its own float64 copy (a checkpoint would round its weights to float32)
  const r64 =
    model.backend.bytes === 8
      ? r
      : await withBackend('js64', async (b64) => {
          const { model: m64 } = loadCheckpoint(saveCheckpoint(model, model.spec, model.io), b64);
          return foldCheck(m64, x, fold);
        });
  let maxAbsOutput = 0;
  let roundingError = 0;
  for (let i = 0; i < r.original.length; i++) {
    maxAbsOutput = Math.max(maxAbsOutput, Math.abs(r.original[i]));
    roundingError = Math.max(roundingError, Math.abs(r.original[i] - r64.original[i]));
  }
  return {
    maxAbsDiff: r.maxAbsDiff,
    maxAbsOutput,
    roundingError,
    maxAbsDiff64: r64.maxAbsDiff,
    shortcut: model.spec.shortcut,
    layers: model.blocks.length,
    batch: x.length / model.io.inputDim,
  };
}

function foldMeasure(model: Model, ds: Dataset): Promise<FoldMeasure> {
  const n = Math.min(FOLD_BATCH, ds.nTest);
  return measureFold(model, ds.testX.subarray(0, n * ds.inputDim));
}

const summary = (r: RunResult): RunSummary => {
  const { spec: _spec, ...rest } = r as RunResult & { model?: Model };
  delete (rest as { model?: Model }).model;
  return rest;
};

function baseRecord(job: Job, study: string, backend: string): JobRecord {
  return {
    id: job.id,
    kind: job.kind,
    study,
    ...(job.kind === 'train' ? { cell: job.cell, cellKey: job.cellKey } : { label: job.label }),
    lr: job.spec.train.lr,
    seed: job.seed,
    spec: job.spec,
    result: null,
    timeMs: 0,
    backend,
  };
}

async function runTrain(job: TrainJob, b: Backend, ds: Dataset, o: RunJobOptions, rec: JobRecord): Promise<void> {
  const mark = b.mark();
  try {
    const res = await train(job.spec, { backend: b, dataset: ds, onEvent: o.onEvent, signal: o.signal, keepModel: job.fold });
    rec.result = summary(res);
    if (job.fold) rec.fold = res.status === 'ok' && res.model ? await foldMeasure(res.model, ds) : null;
  } finally {
    b.release(mark);
  }
}

async function runFold(job: CheckJob, b: Backend, ds: Dataset, o: RunJobOptions, rec: JobRecord): Promise<void> {
  const mark = b.mark();
  try {
    if (job.trained) {
      const res = await train(job.spec, { backend: b, dataset: ds, onEvent: o.onEvent, signal: o.signal, keepModel: true });
      rec.result = summary(res);
      rec.fold = res.status === 'ok' && res.model ? await foldMeasure(res.model, ds) : null;
    } else {
      const tr = new Trainer(job.spec, b, ds);
      rec.fold = await foldMeasure(tr.model, ds);
    }
  } finally {
    b.release(mark);
  }
}

/** Max |a_i - b_i| over the common eval points of two histories. */
function maxLossDiff(a: RunResult, b: RunResult): number {
  if (a.status !== b.status) return Number.MAX_VALUE;
  let m = 0;
  for (let i = 0; i < Math.min(a.history.length, b.history.length); i++)
    m = Math.max(m, Math.abs(a.history[i].trainLoss - b.history[i].trainLoss));
  return m;
}

/**
 * post-1 and a plain net initialised at its fold (I + W), trained in lockstep on the same batches; plus a control:
 * the same post-1 net with every initial weight nudged by one float32 rounding step (relative 2^-24, random sign),
 * which measures how far rounding alone moves this training run.
 */
async function runTwin(job: CheckJob, b: Backend, ds: Dataset, o: RunJobOptions, rec: JobRecord): Promise<void> {
  const mark = b.mark();
  try {
    const post = new Trainer(job.spec, b, ds, o.onEvent);
    const plainSpec = parseRunSpec({ ...job.spec, model: { ...job.spec.model, block: 'plain', skip: 1, shortcut: 'identity' } });
    const plain = new Trainer(plainSpec, b, ds);
    const src = new Map(foldPost1(post.model).namedParameters());
    for (const [name, p] of plain.model.namedParameters()) {
      const s = src.get(name);
      if (!s) throw new Error(`twin: the folded model has no parameter '${name}'`);
      p.set(s.toArray());
    }
    const control = new Trainer(job.spec, b, ds);
    const nudge = new Rng(job.spec.seed).fork('twin-control');
    for (const [, p] of control.model.namedParameters())
      p.set(p.toArray().map((v) => v * (1 + (nudge.uniform() < 0.5 ? -1 : 1) * 2 ** -24)));
    const all = [post, plain, control];
    let last = Date.now();
    while (all.some((t) => !t.done)) {
      for (const t of all) if (!t.done) t.trainStep();
      if (Date.now() - last > 50) {
        await new Promise((r) => setTimeout(r, 0));
        last = Date.now();
      }
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('run aborted');
    }
    const [rp, rq, rc] = all.map((t) => t.finish());
    rec.result = summary(rp);
    const n = Math.min(rp.history.length, rq.history.length);
    let maxWeightDiff: number | null = null;
    let foldAfter: FoldMeasure | null = null;
    if (rp.status === 'ok' && rq.status === 'ok') {
      const f2 = new Map(foldPost1(post.model).namedParameters());
      maxWeightDiff = 0;
      for (const [name, p] of plain.model.namedParameters()) {
        const a = p.toArray();
        const c = f2.get(name)!.toArray();
        for (let i = 0; i < a.length; i++) maxWeightDiff = Math.max(maxWeightDiff, Math.abs(a[i] - c[i]));
      }
      foldAfter = await foldMeasure(post.model, ds);
    }
    const twin: TwinMeasure = {
      steps: rp.history.slice(0, n).map((h) => h.step),
      lossPost: rp.history.slice(0, n).map((h) => h.trainLoss),
      lossPlain: rq.history.slice(0, n).map((h) => h.trainLoss),
      maxAbsLossDiff: maxLossDiff(rp, rq),
      controlMaxAbsLossDiff: maxLossDiff(rp, rc),
      maxWeightDiff,
      foldAfter,
    };
    rec.twin = twin;
  } finally {
    b.release(mark);
  }
}

/** Run one job to its record. */
export async function runJob(job: Job, o: RunJobOptions): Promise<JobRecord> {
  const t0 = performance.now();
  return withBackend(o.backend ?? 'wasm', async (b) => {
    const rec = baseRecord(job, o.study, b.kind);
    try {
      const ds = await datasetFor(job.spec);
      if (job.kind === 'train' && job.probe) await runProbeJob(job, job.probe, b, ds, o, rec);
      else if (job.kind === 'train') await runTrain(job, b, ds, o, rec);
      else if (job.kind === 'fold') await runFold(job, b, ds, o, rec);
      else await runTwin(job, b, ds, o, rec);
    } catch (e) {
      if (o.signal?.aborted) throw e;
      rec.error = e instanceof Error ? e.message : String(e);
    }
    rec.timeMs = performance.now() - t0;
    return rec;
  });
}
