import { describe, expect, it } from 'vitest';
import { train } from '../src/index.js';

describe('smoke', () => {
  it('trains circle on js', async () => {
    const events: string[] = [];
    const r = await train(
      {
        model: { block: 'post', skip: 2, depth: 4, width: 8 },
        data: { name: 'circle', size: 400 },
        train: { epochs: 20, batchSize: 32, lr: 0.01 },
        seed: 3,
      },
      { backend: 'js', onEvent: (e) => events.push(e.type) },
    );
    console.log(r.status, r.steps, r.finalTrainLoss, r.finalTestAcc, r.timeMs, r.init);
    expect(r.status).toBe('ok');
  });
});
