/**
 * Running one job of a study: the part a Node worker thread and a browser Web
 * Worker share. A job gets a fresh backend, so its numbers depend on its spec
 * and seed only (not on which worker ran it, or what ran before). A diverged
 * run is a result; an engine error in one job is recorded on its record.
 */
import { type Backend, type BackendKind, createBackend } from '../backend.js';
import { type Dataset, loadDataset } from '../data/index.js';
import type { RunEvent, RunResult } from '../events.js';
import { foldCheck, foldPost1 } from '../fold.js';
import type { Model } from '../nn/model.js';
import { parseRunSpec, type RunSpec } from '../spec.js';
import { Trainer, train } from '../train/trainer.js';
import type { CheckJob, Job, TrainJob } from './expand.js';
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

function foldMeasure(model: Model, ds: Dataset): FoldMeasure {
  const n = Math.min(FOLD_BATCH, ds.nTest);
  const x = ds.testX.subarray(0, n * ds.inputDim);
  const r = foldCheck(model, x);
  let maxAbsOutput = 0;
  for (const v of r.original) maxAbsOutput = Math.max(maxAbsOutput, Math.abs(v));
  return { maxAbsDiff: r.maxAbsDiff, maxAbsOutput, shortcut: model.spec.shortcut, layers: model.blocks.length, batch: n };
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
    if (job.fold) rec.fold = res.status === 'ok' && res.model ? foldMeasure(res.model, ds) : null;
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
      rec.fold = res.status === 'ok' && res.model ? foldMeasure(res.model, ds) : null;
    } else {
      const tr = new Trainer(job.spec, b, ds);
      rec.fold = foldMeasure(tr.model, ds);
    }
  } finally {
    b.release(mark);
  }
}

/** post-1 and a plain net initialised at its fold (I + W), trained in lockstep on the same batches. */
async function runTwin(job: CheckJob, b: Backend, ds: Dataset, o: RunJobOptions, rec: JobRecord): Promise<void> {
  const mark = b.mark();
  try {
    const post = new Trainer(job.spec, b, ds, o.onEvent);
    const plainSpec = parseRunSpec({ ...job.spec, model: { ...job.spec.model, block: 'plain', skip: 1, shortcut: 'identity' } });
    const plain = new Trainer(plainSpec, b, ds);
    const folded = foldPost1(post.model);
    const src = new Map(folded.namedParameters());
    for (const [name, p] of plain.model.namedParameters()) {
      const s = src.get(name);
      if (!s) throw new Error(`twin: the folded model has no parameter '${name}'`);
      p.set(s.toArray());
    }
    let last = Date.now();
    while (!post.done || !plain.done) {
      if (!post.done) post.trainStep();
      if (!plain.done) plain.trainStep();
      if (Date.now() - last > 50) {
        await new Promise((r) => setTimeout(r, 0));
        last = Date.now();
      }
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('run aborted');
    }
    const rp = post.finish();
    const rq = plain.finish();
    rec.result = summary(rp);
    const n = Math.min(rp.history.length, rq.history.length);
    const steps = rp.history.slice(0, n).map((h) => h.step);
    const lossPost = rp.history.slice(0, n).map((h) => h.trainLoss);
    const lossPlain = rq.history.slice(0, n).map((h) => h.trainLoss);
    let maxAbsLossDiff = 0;
    for (let i = 0; i < n; i++) maxAbsLossDiff = Math.max(maxAbsLossDiff, Math.abs(lossPost[i] - lossPlain[i]));
    if (rp.status !== rq.status) maxAbsLossDiff = Number.MAX_VALUE;
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
      foldAfter = foldMeasure(post.model, ds);
    }
    const twin: TwinMeasure = { steps, lossPost, lossPlain, maxAbsLossDiff, maxWeightDiff, foldAfter };
    rec.twin = twin;
  } finally {
    b.release(mark);
  }
}

/** Run one job to its record. */
export async function runJob(job: Job, o: RunJobOptions): Promise<JobRecord> {
  const t0 = performance.now();
  const b = await createBackend(o.backend ?? 'wasm');
  const rec = baseRecord(job, o.study, b.kind);
  try {
    const ds = await datasetFor(job.spec);
    if (job.kind === 'train') await runTrain(job, b, ds, o, rec);
    else if (job.kind === 'fold') await runFold(job, b, ds, o, rec);
    else await runTwin(job, b, ds, o, rec);
  } catch (e) {
    if (o.signal?.aborted) throw e;
    rec.error = e instanceof Error ? e.message : String(e);
  }
  rec.timeMs = performance.now() - t0;
  return rec;
}
