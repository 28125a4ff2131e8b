/**
 * Web Workers for the lab. Each worker runs the engine (wasm backend) for one
 * configuration or one study job at a time. Idle workers are kept and reused
 * (the wasm module stays compiled); a study uses at most `size` workers at
 * once, `size` coming from navigator.hardwareConcurrency.
 */
import type { FromWorker, ToWorker } from './protocol';

export type Handler = (msg: FromWorker) => void;

export interface Lease {
  post(msg: ToWorker): void;
  /** give the worker back (after disposing the run on it). */
  release(): void;
  /** stop the worker outright (a job that must be abandoned). */
  kill(): void;
}

const MAX_WORKERS = 8;

export const defaultPoolSize = (): number =>
  Math.max(1, Math.min(MAX_WORKERS, (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2));

export class WorkerPool {
  private idle: Worker[] = [];
  private handlers = new Map<Worker, Handler>();
  private live = new Set<Worker>();

  constructor(
    readonly size: number,
    private readonly make: () => Worker,
  ) {}

  /** A worker for the caller alone; every message it sends goes to `onMessage`. */
  lease(onMessage: Handler, onCrash: (message: string) => void): Lease {
    const w = this.idle.pop() ?? this.spawn();
    this.handlers.set(w, onMessage);
    w.onerror = (e) => {
      e.preventDefault();
      onCrash(e.message || 'the worker stopped unexpectedly');
      this.drop(w);
    };
    let done = false;
    return {
      post: (msg) => {
        if (!done) w.postMessage(msg);
      },
      release: () => {
        if (done) return;
        done = true;
        this.handlers.delete(w);
        if (this.live.has(w)) this.idle.push(w);
      },
      kill: () => {
        if (done) return;
        done = true;
        this.drop(w);
      },
    };
  }

  /** Number of workers alive (busy or idle). */
  get count(): number {
    return this.live.size;
  }

  terminateAll(): void {
    for (const w of [...this.live]) this.drop(w);
  }

  private spawn(): Worker {
    const w = this.make();
    this.live.add(w);
    w.onmessage = (e: MessageEvent<FromWorker>) => this.handlers.get(w)?.(e.data);
    return w;
  }

  private drop(w: Worker): void {
    w.terminate();
    this.live.delete(w);
    this.handlers.delete(w);
    this.idle = this.idle.filter((x) => x !== w);
  }
}

/** Run `jobs` on at most `pool.size` workers; `start(job, lease)` must call `finish()` when its job is done. */
export async function runQueued<J>(
  pool: WorkerPool,
  jobs: J[],
  start: (job: J, index: number, finish: () => void, lease: (h: Handler, crash: (m: string) => void) => Lease) => void,
  signal: AbortSignal,
): Promise<void> {
  let next = 0;
  const slots = Math.min(pool.size, jobs.length);
  await Promise.all(
    Array.from({ length: slots }, async () => {
      while (next < jobs.length && !signal.aborted) {
        const i = next++;
        await new Promise<void>((resolve) => {
          const onAbort = () => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
          start(
            jobs[i],
            i,
            () => {
              signal.removeEventListener('abort', onAbort);
              resolve();
            },
            (h, crash) => pool.lease(h, crash),
          );
        });
      }
    }),
  );
}
