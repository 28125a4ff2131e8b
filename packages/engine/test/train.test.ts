import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/backend.js';
import type { RunEvent } from '../src/events.js';
import { buildModel } from '../src/nn/model.js';
import { Adam, clipGradNorm, gradNorm, SGD } from '../src/optim/optimizer.js';
import { lrAt } from '../src/optim/schedule.js';
import { Rng } from '../src/rng.js';
import type { RunSpecInput } from '../src/spec.js';
import { parameter } from '../src/tensor.js';
import { Trainer, train } from '../src/train/trainer.js';

const small = (over: RunSpecInput = {}): RunSpecInput => ({
  model: { block: 'post', skip: 2, depth: 4, width: 8, activation: 'tanh' },
  data: { name: 'spiral', size: 300, noise: 0.1 },
  train: { epochs: 3, batchSize: 32, lr: 0.01, evalEvery: 5 },
  seed: 4,
  ...over,
});

describe('train()', () => {
  it.each(['js', 'wasm'] as const)('%s: same spec and seed give bit-identical losses; another seed differs', async (backend) => {
    const run = async (seed: number) => {
      const losses: number[] = [];
      await train(
        { ...small({ seed }), model: { ...small().model, dropout: 0.1 } },
        { backend, onEvent: (e) => e.type === 'step' && losses.push(e.loss) },
      );
      return losses;
    };
    const a = await run(4);
    const b = await run(4);
    expect(a.length).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(await run(5)).not.toEqual(a);
  });

  it('emits start, a step per step, evals, end; plain JSON; stats shaped per layer/block', async () => {
    const ev: RunEvent[] = [];
    const r = await train(small(), { backend: 'js', onEvent: (e) => ev.push(e) });
    expect(ev[0].type).toBe('start');
    expect(ev.at(-1)!.type).toBe('end');
    const start = ev[0] as Extract<RunEvent, { type: 'start' }>;
    expect(start.stepsPerEpoch).toBe(Math.floor(240 / 32));
    expect(start.totalSteps).toBe(3 * 7);
    expect(start.params).toBe(r.params);
    const steps = ev.filter((e) => e.type === 'step');
    expect(steps.map((e) => e.step)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    const evals = ev.filter((e) => e.type === 'eval');
    expect(evals.map((e) => e.step)).toEqual([5, 10, 15, 20, 21]);
    expect(r.history).toHaveLength(5);
    for (const e of evals) {
      expect(e.layerNames).toEqual(['in', 'block1.fc1', 'block1.fc2', 'block2.fc1', 'block2.fc2', 'out']);
      expect(e.gradNorms).toHaveLength(6);
      expect(e.streamNorms).toHaveLength(2);
      expect(e.active).toHaveLength(2);
      expect(e.testAcc).toBeGreaterThanOrEqual(0);
      expect(e.gradNorms.every((g) => g > 0)).toBe(true);
    }
    expect(r.init.gradNorms.every((g) => g > 0)).toBe(true);
    expect(r.status).toBe('ok');
    expect(r.steps).toBe(21);
    expect(r.finalTestAcc).toBe(evals.at(-1)!.testAcc);
    expect(JSON.parse(JSON.stringify(ev))).toEqual(ev);
  });

  it('learns: a residual net separates circle', async () => {
    const r = await train(
      {
        model: { block: 'branch', skip: 2, depth: 4, width: 16 },
        data: { name: 'circle', size: 600 },
        train: { epochs: 15, batchSize: 32, lr: 0.01 },
        seed: 1,
      },
      { backend: 'wasm' },
    );
    expect(r.finalTestAcc).toBeGreaterThan(0.9);
    expect(r.finalTrainLoss!).toBeLessThan(r.history[0].trainLoss);
  });

  it.each(['js', 'wasm'] as const)('%s: a huge learning rate diverges cleanly (no NaN in events)', async (backend) => {
    const ev: RunEvent[] = [];
    const r = await train(
      small({
        train: { optimizer: 'sgd', lr: 1e6, momentum: 0.9, epochs: 5, batchSize: 32 },
        model: { block: 'plain', depth: 4, width: 8, activation: 'relu' },
      }),
      {
        backend,
        onEvent: (e) => ev.push(e),
      },
    );
    expect(r.status).toBe('diverged');
    expect(r.divergedAt).toBeGreaterThan(0);
    expect(r.steps).toBeLessThan(r.divergedAt!);
    expect(r.finalTestLoss).toBeNull();
    const json = JSON.stringify(ev);
    expect(json).not.toMatch(/NaN|Infinity/);
    expect(JSON.parse(json)).toEqual(ev);
    expect(ev.at(-1)!.type).toBe('end');
  });

  it('regression (sine): MSE loss, accuracy null', async () => {
    const r = await train(
      { model: { block: 'preact', skip: 1, depth: 2, width: 8 }, data: { name: 'sine', size: 200 }, train: { epochs: 2, batchSize: 20 } },
      { backend: 'js' },
    );
    expect(r.status).toBe('ok');
    expect(r.finalTestAcc).toBeNull();
    expect(r.finalTestLoss).toBeGreaterThan(0);
  });

  it('maxSteps, abort signal, spec errors', async () => {
    const r = await train(small({ train: { epochs: 100, maxSteps: 4, batchSize: 32 } }), { backend: 'js' });
    expect(r.steps).toBe(4);
    const ac = new AbortController();
    let n = 0;
    await expect(
      train(small({ train: { epochs: 1000, batchSize: 8 } }), {
        backend: 'js',
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'step' && ++n === 3) ac.abort();
        },
      }),
    ).rejects.toThrow(/abort/i);
    await expect(train({ model: { depth: 3, skip: 2 } }, { backend: 'js' })).rejects.toThrow(/depth 3 is not a multiple/);
    await expect(train({ train: { lr: -1 } }, { backend: 'js' })).rejects.toThrow(/run spec: train.lr/);
  });

  it('keepModel returns the trained model; a given backend is reused and its memory released otherwise', async () => {
    const b = await createBackend('js');
    const before = b.usage().persistent;
    await train(small(), { backend: b });
    expect(b.usage().persistent).toBe(before);
    const r = await train(small(), { backend: b, keepModel: true });
    expect(r.model!.blocks).toHaveLength(2);
    expect(b.usage().persistent).toBeGreaterThan(before);
  });
});

describe('Trainer (manual stepping)', () => {
  it('steps, evaluates on demand and finishes once', async () => {
    const ev: RunEvent[] = [];
    const t = await Trainer.create(small(), { backend: 'js', onEvent: (e) => ev.push(e) });
    const s1 = t.trainStep();
    expect(s1).toMatchObject({ type: 'step', step: 1, epoch: 1 });
    const e = t.evaluate();
    expect(e!.step).toBe(1);
    expect(e!.gradNorms).toHaveLength(6);
    while (!t.done) t.trainStep();
    expect(t.trainStep()).toBeNull();
    const r = t.finish();
    expect(t.finish()).toBe(r);
    expect(ev.filter((x) => x.type === 'end')).toHaveLength(1);
    t.dispose();
  });

  it('memory stays flat: the arena is reused step after step', async () => {
    const t = await Trainer.create(small({ train: { epochs: 50, batchSize: 16, evalEvery: 0 } }), { backend: 'wasm' });
    // past the first evaluation (end of epoch 1), whose chunks need the largest arena
    for (let i = 0; i < t.stepsPerEpoch + 1; i++) t.trainStep();
    const u = t.backend.usage();
    for (let i = 0; i < 200; i++) t.trainStep();
    expect(t.backend.usage()).toEqual(u);
    expect(t.backend.tape).toHaveLength(0);
    t.dispose();
  });
});

describe('optimizers and schedules', () => {
  it('lr schedules with warm-up', () => {
    const t = { lr: 1, warmup: 4, stepEvery: 10, gamma: 0.5 };
    expect([0, 1, 3].map((s) => lrAt({ ...t, schedule: 'constant' }, s, 100))).toEqual([0.25, 0.5, 1]);
    expect(lrAt({ ...t, schedule: 'constant' }, 50, 100)).toBe(1);
    expect(lrAt({ ...t, schedule: 'step' }, 25, 100)).toBe(0.25);
    expect(lrAt({ ...t, schedule: 'cosine' }, 4, 100)).toBe(1);
    expect(lrAt({ ...t, schedule: 'cosine' }, 52, 100)).toBeCloseTo(0.5, 12);
    expect(lrAt({ ...t, schedule: 'cosine' }, 100, 100)).toBeCloseTo(0, 12);
  });

  it.each(['js64', 'wasm'] as const)('%s: SGD momentum/Nesterov and Adam follow their formulas; clipping bounds the norm', async (kind) => {
    const b = await createBackend(kind);
    const w = parameter(b, [3], [1, -2, 3]);
    const grad = (g: number[]) => {
      w.gradReady = true;
      b.write(w.grad, g);
    };
    const sgd = new SGD([w], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
    grad([1, 1, 1]);
    sgd.step();
    // g' = g + wd w; m = g'; step = g' + 0.9 m
    const e1 = [1, -2, 3].map((v) => v - 0.1 * 1.9 * (1 + 0.01 * v));
    w.toArray().forEach((v, i) => {
      expect(v).toBeCloseTo(e1[i], 5);
    });
    const a = parameter(b, [2], [0.5, -0.5]);
    const adam = new Adam([a], { lr: 0.01 });
    a.gradReady = true;
    b.write(a.grad, [3, -0.2]);
    adam.step();
    // first Adam step moves each weight by lr * sign(g)
    expect(a.toArray()[0]).toBeCloseTo(0.49, 5);
    expect(a.toArray()[1]).toBeCloseTo(-0.49, 5);
    grad([3, 4, 0]);
    expect(clipGradNorm([w], 1)).toBeCloseTo(5, 5);
    expect(gradNorm([w])).toBeCloseTo(1, 4);
  });

  it('init is deterministic per seed and differs across seeds', async () => {
    const b = await createBackend('js');
    const m = (s: number) => buildModel({ depth: 2, width: 4 }, { inputDim: 2, outputDim: 2 }, new Rng(s), b).parameters()[0].toArray();
    expect(m(1)).toEqual(m(1));
    expect(m(1)).not.toEqual(m(2));
  });
});
