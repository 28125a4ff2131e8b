/**
 * A lab worker: the engine on its wasm backend, off the page's thread.
 *
 * - init/play/pause/step/dispose: one interactive run driven by the Trainer
 *   stepper; RunEvents are forwarded (step events thinned to a progress
 *   message every ~50 ms), and after each evaluation the decision boundary (2-D
 *   data) or the predictions on a few test digits (MNIST) are sent.
 * - job: one study job through the engine's runJob (on a backend the worker reuses from job to job).
 * - fold: the engine's fold checks on a post-1 net (identity and projection).
 * - checkpoint: load a CLI checkpoint and describe it.
 */
import {
  type Backend,
  type CheckJob,
  createBackend,
  type Dataset,
  datasetFor,
  lineGrid,
  loadCheckpoint,
  type Model,
  measureFold,
  parseRunSpec,
  planeGrid,
  predict,
  type RunEvent,
  type RunSpec,
  runJob,
  Trainer,
} from '@reslab/engine';
import type { BoundaryData, PointsData } from '../charts/Boundary';
import type { CheckpointInfo, Extras, FoldRow, FromWorker, ToWorker } from './protocol';

const post = (m: FromWorker) => (self as unknown as { postMessage(m: FromWorker): void }).postMessage(m);

interface Run {
  id: string;
  spec: RunSpec;
  extras: Extras;
  trainer: Trainer | null;
  ds: Dataset | null;
  mode: 'paused' | 'running';
  /** stop when the step count reaches this. */
  target: number;
  looping: boolean;
  disposed: boolean;
  evalSeen: boolean;
  lastProgress: number;
  sentPixels: boolean;
}

const runs = new Map<string, Run>();

// A fast yield to the event loop (setTimeout is clamped to >= 4 ms after nesting).
const channel = new MessageChannel();
const waiting: Array<() => void> = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldNow = () =>
  new Promise<void>((r) => {
    waiting.push(r);
    channel.port2.postMessage(0);
  });

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function boundaryOf(model: Model, ds: Dataset, n: number): BoundaryData {
  if (ds.inputDim === 1) {
    const xs = lineGrid(n * 2);
    const y = predict(model, xs);
    return { n: xs.length, extent: 1, values: Array.from(y), kind: 'value', dims: 1 };
  }
  const g = planeGrid(n);
  const cls = ds.kind === 'classification';
  const y = predict(model, g.inputs, { softmax: cls });
  const values = new Array<number>(n * n);
  for (let i = 0; i < n * n; i++) values[i] = y[i * ds.outputDim + (cls ? 1 : 0)];
  return { n, extent: g.extent, values, kind: cls ? 'prob' : 'value', dims: 2 };
}

function pointsOf(ds: Dataset): PointsData | null {
  if (ds.inputDim > 2) return null;
  const ys = (a: Int32Array | Float32Array) => Array.from(a).map((v) => Math.round(v * 1e4) / 1e4);
  const xs = (a: Float32Array) => Array.from(a).map((v) => Math.round(v * 1e4) / 1e4);
  return { x: [...xs(ds.trainX), ...xs(ds.testX)], y: [...ys(ds.trainY), ...ys(ds.testY)], nTrain: ds.nTrain };
}

function pictures(run: Run): void {
  const tr = run.trainer;
  const ds = run.ds;
  if (!tr || !ds || tr.status === 'diverged') return;
  if (run.extras.boundary > 0 && ds.inputDim <= 2) {
    post({ type: 'boundary', runId: run.id, step: tr.step, data: boundaryOf(tr.model, ds, run.extras.boundary) });
  }
  if (run.extras.samples > 0 && ds.kind === 'classification' && ds.inputDim > 2) {
    const n = Math.min(run.extras.samples, ds.nTest);
    const c = ds.outputDim;
    const p = predict(tr.model, ds.testX.subarray(0, n * ds.inputDim), { softmax: true });
    const preds: number[] = [];
    const probs: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (p[i * c + j] > p[i * c + best]) best = j;
      preds.push(best);
      probs.push(p[i * c + best]);
    }
    const labels = Array.from(ds.testY.subarray(0, n));
    const pixels = run.sentPixels ? undefined : Array.from(ds.testX.subarray(0, n * ds.inputDim), (v) => Math.round(v * 100) / 100);
    run.sentPixels = true;
    post({ type: 'samples', runId: run.id, step: tr.step, samples: { pixels, labels, preds, probs } });
  }
}

async function init(id: string, spec: RunSpec, extras: Extras): Promise<void> {
  const run: Run = {
    id,
    spec,
    extras,
    trainer: null,
    ds: null,
    mode: 'paused',
    target: 0,
    looping: false,
    disposed: false,
    evalSeen: false,
    lastProgress: 0,
    sentPixels: false,
  };
  runs.set(id, run);
  const backend: Backend = await createBackend('wasm');
  const ds = await datasetFor(spec);
  if (run.disposed) return;
  const onEvent = (e: RunEvent) => {
    if (run.disposed) return;
    if (e.type === 'step') {
      const now = performance.now();
      if (now - run.lastProgress > 50) {
        run.lastProgress = now;
        post({ type: 'progress', runId: id, step: e.step, loss: e.loss });
      }
      return;
    }
    if (e.type === 'eval') run.evalSeen = true;
    post({ type: 'event', runId: id, event: e });
  };
  run.ds = ds;
  post({ type: 'ready', runId: id, points: pointsOf(ds), backend: backend.kind });
  run.trainer = new Trainer(spec, backend, ds, onEvent);
  // The point at step 0: the untrained nets (no randomness is drawn: dropout is off in the lab).
  if (spec.model.dropout === 0) run.trainer.evaluate();
  pictures(run);
  // A play/step that arrived while the data was loading was recorded in run.mode/target: carry it out now.
  if (run.trainer.done) finish(run);
  else if (run.mode === 'running') void loop(run);
}

function finish(run: Run): void {
  const tr = run.trainer;
  if (!tr) return;
  tr.finish();
  pictures(run);
  post({ type: 'status', runId: run.id, status: 'done' });
}

async function loop(run: Run): Promise<void> {
  const tr = run.trainer;
  if (!tr || run.looping) return;
  run.looping = true;
  post({ type: 'status', runId: run.id, status: 'running' });
  try {
    while (!run.disposed && run.mode === 'running' && !tr.done && tr.step < run.target) {
      const t0 = performance.now();
      while (performance.now() - t0 < 40 && !tr.done && tr.step < run.target) {
        tr.trainStep();
        if (run.evalSeen) {
          run.evalSeen = false;
          pictures(run);
          break;
        }
      }
      post({ type: 'progress', runId: run.id, step: tr.step, loss: tr.lastLoss ?? Number.NaN });
      await yieldNow();
    }
  } catch (e) {
    post({ type: 'error', runId: run.id, message: message(e) });
    run.disposed = true;
    return;
  } finally {
    run.looping = false;
  }
  if (run.disposed) return;
  if (tr.done) finish(run);
  else {
    run.mode = 'paused';
    post({ type: 'status', runId: run.id, status: 'paused' });
  }
}

function dispose(id: string): void {
  const run = runs.get(id);
  if (!run) return;
  run.disposed = true;
  runs.delete(id);
  run.trainer?.dispose();
}

async function fold(id: string, spec: RunSpec, trainSteps: number): Promise<void> {
  const rows: FoldRow[] = [];
  for (const shortcut of ['identity', 'projection'] as const) {
    const s = parseRunSpec({
      ...spec,
      model: { ...spec.model, block: 'post', skip: 1, shortcut, norm: 'none', branchScale: 'none', dropout: 0 },
      train: { ...spec.train, maxSteps: Math.max(1, trainSteps) },
    });
    const job: CheckJob = {
      kind: 'fold',
      id: `fold-${shortcut}`,
      label: `post-1 ${shortcut}`,
      trained: trainSteps > 0,
      seed: s.seed,
      spec: s,
    };
    const rec = await runJob(job, { study: 'web-fold', backend: 'wasm' });
    if (rec.error) throw new Error(rec.error);
    if (!rec.fold) {
      throw new Error(
        `the post-1 net with a ${shortcut} shortcut diverged while training (lower the learning rate), so there is nothing to fold`,
      );
    }
    rows.push({ ...rec.fold, label: job.label, trainedSteps: rec.result?.steps ?? 0 });
  }
  post({ type: 'fold', runId: id, rows });
}

const l2 = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
};

async function inspect(id: string, text: string): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('this file is not JSON: a reslab checkpoint is the JSON file written by `reslab train --save`');
  }
  const b = await createBackend('wasm');
  const { model, spec, io } = loadCheckpoint(json, b);
  const run = 'model' in spec ? (spec as RunSpec) : null;
  const ms = model.spec;
  const layers = model.linears().map(([name, l]) => {
    const w = l.weight.toArray();
    let identityDist: number | null = null;
    if (l.weight.shape[0] === l.weight.shape[1] && name.startsWith('block')) {
      // distance of I + W from I is |W|; for the folded view report |I + W| too
      const n = l.weight.shape[0];
      let s = 0;
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) s += (w[r * n + c] + (r === c ? 1 : 0)) ** 2;
      identityDist = Math.sqrt(s);
    }
    return {
      name,
      shape: [...l.weight.shape],
      norm: l2(w),
      maxAbs: w.reduce((m, v) => Math.max(m, Math.abs(v)), 0),
      normIPlusW: identityDist,
    };
  });
  const info: CheckpointInfo = {
    spec,
    model: ms,
    io,
    params: model.numParameters(),
    layers,
    eval: null,
    fold: null,
    boundary: null,
    points: null,
  };
  if (run) {
    const ds = await datasetFor(run);
    if (ds.inputDim !== io.inputDim || ds.outputDim !== io.outputDim) {
      info.evalNote = `the checkpoint's sizes (${io.inputDim} -> ${io.outputDim}) do not match its dataset '${ds.name}' (${ds.inputDim} -> ${ds.outputDim})`;
    } else {
      const cls = ds.kind === 'classification';
      const c = ds.outputDim;
      const y = predict(model, ds.testX, { softmax: cls });
      let hits = 0;
      let loss = 0;
      for (let i = 0; i < ds.nTest; i++) {
        if (cls) {
          let best = 0;
          for (let j = 1; j < c; j++) if (y[i * c + j] > y[i * c + best]) best = j;
          if (best === ds.testY[i]) hits++;
          loss -= Math.log(Math.max(y[i * c + ds.testY[i]], 1e-30));
        } else {
          for (let j = 0; j < ds.outputDim; j++) loss += (y[i * ds.outputDim + j] - ds.testY[i * ds.outputDim + j]) ** 2 / ds.outputDim;
        }
      }
      info.eval = {
        dataset: ds.name,
        nTest: ds.nTest,
        testLoss: loss / ds.nTest,
        testAcc: ds.kind === 'classification' ? hits / ds.nTest : null,
      };
      if (ds.inputDim <= 2) {
        info.boundary = boundaryOf(model, ds, 48);
        info.points = pointsOf(ds);
      }
      if (ms.block === 'post' && ms.skip === 1 && ms.norm === 'none' && ['identity', 'projection', 'scale'].includes(ms.shortcut)) {
        const n = Math.min(256, ds.nTest);
        info.fold = await measureFold(model, ds.testX.subarray(0, n * ds.inputDim));
      }
    }
  }
  post({ type: 'checkpoint', runId: id, info });
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  const fail = (err: unknown) => post({ type: 'error', runId: m.runId, message: message(err) });
  switch (m.type) {
    case 'init':
      init(m.runId, m.spec, m.extras).catch(fail);
      break;
    case 'play':
    case 'step': {
      const run = runs.get(m.runId);
      if (!run) break;
      run.mode = 'running';
      run.target = m.type === 'play' ? Number.POSITIVE_INFINITY : (run.trainer?.step ?? 0) + m.steps;
      if (run.trainer) void loop(run);
      break;
    }
    case 'pause': {
      const run = runs.get(m.runId);
      if (run) run.mode = 'paused';
      break;
    }
    case 'dispose':
      dispose(m.runId);
      break;
    case 'job':
      runJob(m.job, { study: m.study, backend: 'wasm' })
        .then((record) => post({ type: 'jobDone', runId: m.runId, record }))
        .catch(fail);
      break;
    case 'fold':
      fold(m.runId, m.spec, m.trainSteps).catch(fail);
      break;
    case 'checkpoint':
      inspect(m.runId, m.text).catch(fail);
      break;
  }
};
