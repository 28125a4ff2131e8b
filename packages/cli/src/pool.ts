/**
 * A pool of worker threads, one job per worker at a time. Each job is seeded
 * from its own spec, so results do not depend on the number of workers or on
 * which worker ran what. Jobs are handed out longest-first (by an estimate of
 * their cost) to keep the workers busy until the end.
 */
import { Worker } from 'node:worker_threads';
import { type Job, type JobRecord, jobCost } from '@reslab/engine';

export { jobCost };

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

/** Where the pool takes its jobs from: the study's scheduler (its learning-rate search adds jobs as records come in). */
export interface JobSource {
  /** the next job to run now, or null when none can run until a running one completes */
  take(): Job | null;
  complete(record: JobRecord): void;
  readonly done: boolean;
}

/** A fixed list of jobs as a source, costliest first. */
export function listSource(jobs: Job[]): JobSource {
  const queue = [...jobs].sort((a, b) => jobCost(b) - jobCost(a));
  let running = 0;
  return {
    take: () => {
      const j = queue.shift() ?? null;
      if (j) running++;
      return j;
    },
    complete: () => {
      running--;
    },
    get done() {
      return queue.length === 0 && running <= 0;
    },
  };
}

/**
 * Run the jobs of a source (or a list); resolves when the source is done or the signal aborted (then `interrupted`
 * is true). A worker with nothing to take waits until another job completes (it may unlock more).
 */
export function runPool(jobs: Job[] | JobSource, opts: PoolOptions): Promise<{ records: JobRecord[]; interrupted: boolean }> {
  const source = Array.isArray(jobs) ? listSource(jobs) : jobs;
  const records: JobRecord[] = [];
  const n = Math.max(1, opts.workers);
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
    if (source.done) return finish(false);
    if (opts.signal?.aborted) return finish(true);
    const idle: Array<() => void> = [];
    const wake = () => {
      for (const f of idle.splice(0)) f();
    };
    opts.signal?.addEventListener('abort', () => finish(true), { once: true });

    const spawn = () => {
      const w = new Worker(url);
      live.add(w);
      let current: Job | null = null;
      const next = () => {
        if (finished) return;
        const job = source.take();
        if (!job) {
          if (source.done) {
            live.delete(w);
            void w.terminate();
            if (live.size === 0) finish(false);
            wake();
          } else idle.push(next);
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
          source.complete(m.record);
          opts.onDone?.(job, m.record);
          wake();
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
