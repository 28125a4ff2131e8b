/** A pool worker: runs one job at a time with the engine and posts progress and the finished record. */
import { parentPort } from 'node:worker_threads';
import '@reslab/engine/node';
import { type BackendKind, type Job, runJob } from '@reslab/engine';
import type { WorkerMessage } from './pool.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run as a worker thread');

const post = (m: WorkerMessage) => port.postMessage(m);

port.on('message', async (m: { type: 'job'; job: Job; study: string; backend: BackendKind }) => {
  if (m.type !== 'job') return;
  const { job } = m;
  let last = 0;
  try {
    const record = await runJob(job, {
      study: m.study,
      backend: m.backend,
      onEvent: (e) => {
        if (e.type === 'start') post({ type: 'progress', id: job.id, step: 0, totalSteps: e.totalSteps, loss: null });
        else if (e.type === 'step') {
          const now = Date.now();
          if (now - last < 250) return;
          last = now;
          post({ type: 'progress', id: job.id, step: e.step, totalSteps: -1, loss: e.loss });
        }
      },
    });
    post({ type: 'done', id: job.id, record });
  } catch (e) {
    const err = e as Error;
    post({ type: 'failed', id: job.id, message: err.message ?? String(e), stack: err.stack });
  }
});
