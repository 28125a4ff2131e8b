/**
 * A pool of worker threads, one job per worker at a time. Each job is seeded
 * from its own spec, so results do not depend on the number of workers or on
 * which worker ran what. Jobs are handed out longest-first (by an estimate of
 * their cost) to keep the workers busy until the end.
 */
import { Worker } from 'node:worker_threads';
import type { Job, JobRecord } from '@reslab/engine';

export type WorkerMessage =
  | { type: 'progress'; id: string; step: number; totalSteps: number; loss: number | null }
  | { type: 'done'; id: string; record: JobRecord }
  | { type: 'failed'; id: string; message: string; stack?: string };

export interface PoolEvents {
  onStart?: (job: Job) => void;
  onProgress?: (job: Job, step: number, totalSteps: number, loss: number | null) => void;
  /** called in completion order; the record is already complete. */
  onDone?: (job: Job, record: JobRecord) => void;
}

export interface PoolOptions extends PoolEvents {
  workers: number;
  study: string;
  backend: string;
  signal?: AbortSignal;
  /** the worker script (default: dist/worker.js next to this file). */
  workerUrl?: URL;
}

/**
 * Relative cost of a job: steps x batch x multiply-adds per example (input projection, hidden layers, projection
 * shortcuts). Longest first only balances the workers if the estimate ranks the jobs right: a projection-shortcut
 * job costs up to twice a plain one, and the pool would otherwise leave it for last, alone on one worker.
 */
export function jobCost(job: Job): number {
  const { model, train, data } = job.spec;
  const inputDim = data.name === 'mnist' ? 784 : 2;
  const nTrain = Math.round(data.size * data.trainRatio);
  const stepsPerEpoch = Math.max(1, Math.ceil(nTrain / train.batchSize));
  const steps = train.maxSteps > 0 ? Math.min(train.maxSteps, train.epochs * stepsPerEpoch) : train.epochs * stepsPerEpoch;
  const projections = model.block !== 'plain' && model.shortcut === 'projection' ? Math.floor(model.depth / model.skip) : 0;
  const perExample = model.width * (inputDim + 10) + (model.depth + projections) * model.width * model.width;
  const mult = job.kind === 'twin' ? 2 : job.kind === 'fold' && !job.trained ? 0.01 : 1;
  return Math.max(1, steps * train.batchSize * perExample * mult);
}

/** Run the jobs; resolves when all finished or the signal aborted (then `interrupted` is true). */
export function runPool(jobs: Job[], opts: PoolOptions): Promise<{ records: JobRecord[]; interrupted: boolean }> {
  const queue = [...jobs].sort((a, b) => jobCost(b) - jobCost(a));
  const records: JobRecord[] = [];
  const n = Math.max(1, Math.min(opts.workers, queue.length));
  const url = opts.workerUrl ?? new URL('./worker.js', import.meta.url);
  const live = new Set<Worker>();
  return new Promise((resolve, reject) => {
    let finished = false;
    let failure: Error | null = null;
    const finish = (interrupted: boolean) => {
      if (finished) return;
      finished = true;
      for (const w of live) void w.terminate();
      live.clear();
      if (failure) reject(failure);
      else resolve({ records, interrupted });
    };
    if (queue.length === 0) return finish(false);
    if (opts.signal?.aborted) return finish(true);
    opts.signal?.addEventListener('abort', () => finish(true), { once: true });

    const spawn = () => {
      const w = new Worker(url);
      live.add(w);
      let current: Job | null = null;
      const next = () => {
        if (finished) return;
        const job = queue.shift();
        if (!job) {
          live.delete(w);
          void w.terminate();
          if (live.size === 0) finish(false);
          return;
        }
        current = job;
        opts.onStart?.(job);
        w.postMessage({ type: 'job', job, study: opts.study, backend: opts.backend });
      };
      w.on('message', (m: WorkerMessage) => {
        if (finished || !current || m.id !== current.id) return;
        if (m.type === 'progress') opts.onProgress?.(current, m.step, m.totalSteps, m.loss);
        else if (m.type === 'done') {
          const job = current;
          current = null;
          records.push(m.record);
          opts.onDone?.(job, m.record);
          next();
        } else {
          const err = new Error(`job ${m.id} failed in a worker: ${m.message}`);
          err.stack = m.stack ?? err.stack;
          failure = err;
          finish(false);
        }
      });
      w.on('error', (e) => {
        if (finished) return;
        failure = e instanceof Error ? e : new Error(String(e));
        finish(false);
      });
      w.on('exit', (code) => {
        if (finished || !live.has(w)) return;
        failure = new Error(`a worker exited unexpectedly (code ${code})${current ? ` while running ${current.id}` : ''}`);
        finish(false);
      });
      next();
    };
    for (let i = 0; i < n; i++) spawn();
  });
}
