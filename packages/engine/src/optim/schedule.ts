import type { TrainSpec } from '../spec.js';

/**
 * Learning rate at step t (0-based) of totalSteps: linear warm-up over `warmup`
 * steps ((t+1)/warmup), then constant, step decay (gamma every stepEvery steps),
 * or cosine decay to 0 over the steps after warm-up.
 */
export function lrAt(t: Pick<TrainSpec, 'lr' | 'schedule' | 'warmup' | 'stepEvery' | 'gamma'>, step: number, totalSteps: number): number {
  if (step < t.warmup) return (t.lr * (step + 1)) / t.warmup;
  switch (t.schedule) {
    case 'constant':
      return t.lr;
    case 'step':
      return t.lr * t.gamma ** Math.floor(step / t.stepEvery);
    case 'cosine': {
      const span = Math.max(1, totalSteps - t.warmup);
      const p = Math.min(1, (step - t.warmup) / span);
      return 0.5 * t.lr * (1 + Math.cos(Math.PI * p));
    }
  }
}
