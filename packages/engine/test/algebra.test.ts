import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/backend.js';
import { loadCheckpoint, saveCheckpoint } from '../src/checkpoint.js';
import { foldCheck, foldPost1 } from '../src/fold.js';
import { buildModel } from '../src/nn/model.js';
import { Rng } from '../src/rng.js';
import { type ModelSpecInput, parseRunSpec } from '../src/spec.js';
import { noGrad, tensor } from '../src/tensor.js';
import { train } from '../src/train/trainer.js';
import { randn } from './helpers.js';

describe('fold post-1 into plain', () => {
  it.each(['js', 'wasm'] as const)('%s: random post-1 models equal their folded plain model (< 1e-5)', async (kind) => {
    const b = await createBackend(kind);
    for (const [i, extra] of (
      [
        { shortcut: 'identity', activation: 'relu' },
        { shortcut: 'projection', activation: 'tanh' },
        { shortcut: 'scale', activation: 'sigmoid', branchScale: 'fixed', branchScaleValue: 0.3 },
        { shortcut: 'identity', activation: 'gelu', branchScale: 'rezero' },
      ] as const satisfies ModelSpecInput[]
    ).entries()) {
      const m = buildModel({ block: 'post', skip: 1, depth: 6, width: 12, ...extra }, { inputDim: 5, outputDim: 3 }, new Rng(i), b);
      // perturb so ReZero's alpha is not 0
      if (m.blocks[0].alpha) for (const blk of m.blocks) blk.alpha!.set([0.7]);
      const before = b.usage().persistent;
      const r = foldCheck(m, randn(new Rng(10 + i), 16 * 5));
      expect(r.compared).toBe(48);
      expect(r.maxAbsDiff).toBeLessThan(1e-5);
      expect(r.maxRelDiff).toBeLessThan(1e-5);
      expect(r.original.some((v) => v !== 0)).toBe(true);
      expect(b.usage().persistent).toBe(before);
    }
  });

  it('the folded model is plain with W + I, and differs from plain-with-W (the skip matters)', async () => {
    const b = await createBackend('js64');
    const m = buildModel({ block: 'post', skip: 1, depth: 2, width: 3 }, { inputDim: 2, outputDim: 2 }, 1, b);
    const p = foldPost1(m);
    expect(p.spec.block).toBe('plain');
    const W = m.blocks[0].fcs[0].weight.toArray();
    const F = p.blocks[0].fcs[0].weight.toArray();
    F.forEach((v, k) => {
      expect(v).toBeCloseTo(W[k] + (k % 4 === 0 ? 1 : 0), 12);
    });
  });

  it('refuses models that do not fold, with a clear message', async () => {
    const b = await createBackend('js');
    const io = { inputDim: 2, outputDim: 2 };
    expect(() => foldPost1(buildModel({ block: 'post', skip: 2, depth: 2 }, io, 0, b))).toThrow(/post-2, not post-1/);
    expect(() => foldPost1(buildModel({ block: 'post', skip: 1, depth: 2, norm: 'batch' }, io, 0, b))).toThrow(/norm 'batch'/);
    expect(() => foldPost1(buildModel({ block: 'post', skip: 1, depth: 2, shortcut: 'gate' }, io, 0, b))).toThrow(/shortcut 'gate'/);
    expect(() => foldPost1(buildModel({ block: 'branch', skip: 1, depth: 2 }, io, 0, b))).toThrow(/branch-1, not post-1/);
  });
});

describe('checkpoints', () => {
  it('round-trip through JSON gives the same outputs (BatchNorm statistics included)', async () => {
    const b = await createBackend('js');
    const r = await train(
      {
        model: { block: 'preact', skip: 2, depth: 4, width: 8, norm: 'batch', shortcut: 'projection' },
        data: { name: 'xor', size: 200 },
        train: { epochs: 2 },
        seed: 3,
      },
      { backend: b, keepModel: true },
    );
    const m = r.model!;
    const ck = JSON.parse(JSON.stringify(saveCheckpoint(m, r.spec, m.io, { note: 'hi' })));
    expect(ck.format).toBe('reslab-checkpoint');
    expect(ck.version).toBe(1);
    const wasm = await createBackend('wasm');
    const back = loadCheckpoint(ck, wasm);
    expect(back.spec).toEqual(parseRunSpec(r.spec));
    expect(back.extra).toEqual({ note: 'hi' });
    const x = randn(new Rng(1), 10 * 2);
    m.eval();
    back.model.eval();
    const o1 = noGrad(() => m.forward(tensor(b, x, [10, 2])).toArray());
    const o2 = noGrad(() => back.model.forward(tensor(wasm, x, [10, 2])).toArray());
    o1.forEach((v, i) => {
      expect(o2[i]).toBeCloseTo(v, 5);
    });
    for (const [n, t] of m.namedParameters())
      expect([...back.model.namedParameters()].find(([k]) => k === n)![1].toArray()).toEqual(t.toArray());
  });

  it('rejects malformed checkpoints clearly', async () => {
    const b = await createBackend('js');
    const m = buildModel({ depth: 2, width: 3 }, { inputDim: 2, outputDim: 2 }, 0, b);
    const ck = saveCheckpoint(m, m.spec, m.io);
    expect(() => loadCheckpoint({ ...ck, format: 'x' }, b)).toThrow(/format is 'x'/);
    expect(() => loadCheckpoint({ ...ck, version: 2 }, b)).toThrow(/version 2 is not supported/);
    expect(() => loadCheckpoint({ ...ck, io: { inputDim: 3, outputDim: 2 } }, b)).toThrow(
      /'in.weight' has shape \[3,2\], the spec gives \[3,3\]/,
    );
    const { 'out.bias': _, ...missing } = ck.params;
    expect(() => loadCheckpoint({ ...ck, params: missing }, b)).toThrow(/'out.bias' is missing/);
    expect(() => loadCheckpoint({ ...ck, params: { ...ck.params, extra: ck.params['out.bias'] } }, b)).toThrow(
      /unexpected parameter 'extra'/,
    );
    expect(() => loadCheckpoint({ ...ck, spec: { depth: -1 } }, b)).toThrow(/model: depth/);
    expect(() => loadCheckpoint('{not json', b)).toThrow(/checkpoint: not valid JSON/);
    expect(() => loadCheckpoint(null, b)).toThrow(/checkpoint: not an object/);
  });
});

describe('predict', () => {
  it('returns the eval-mode outputs in chunks, softmax rows sum to 1, leaves the arena as it was', async () => {
    const { predict } = await import('../src/train/predict.js');
    const b = await createBackend('js');
    const m = buildModel({ depth: 2, width: 4, dropout: 0.5 }, { inputDim: 2, outputDim: 3 }, 0, b);
    const x = randn(new Rng(1), 7 * 2);
    const top = b.arenaTop();
    const a = predict(m, x, { chunk: 3 });
    const full = noGrad(() =>
      m
        .eval()
        .forward(tensor(b, x, [7, 2]))
        .toArray(),
    );
    m.train();
    expect(Array.from(a)).toEqual(Array.from(Float32Array.from(full)));
    expect(b.arenaTop()).toBeGreaterThan(top);
    b.resetArena();
    const p = predict(m, x, { softmax: true });
    for (let r = 0; r < 7; r++) expect(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2]).toBeCloseTo(1, 6);
    expect(m.training).toBe(true);
    expect(() => predict(m, [1, 2, 3])).toThrow(/whole number of rows/);
  });
});
