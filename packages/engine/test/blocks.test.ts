/** Every block variant: gradients of small models vs finite differences (float64), and structure. */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Backend, createBackend } from '../src/backend.js';
import { buildModel } from '../src/nn/model.js';
import { labels, softmaxCrossEntropy } from '../src/ops/softmax_xent.js';
import { Rng } from '../src/rng.js';
import { ACTIVATIONS, BLOCKS, BRANCH_SCALES, type ModelSpecInput, SHORTCUTS } from '../src/spec.js';
import { tensor } from '../src/tensor.js';
import { gradCheck, randn } from './helpers.js';

let js64: Backend;
let js: Backend;
let wasm: Backend;
beforeAll(async () => {
  [js64, js, wasm] = await Promise.all([createBackend('js64'), createBackend('js'), createBackend('wasm')]);
});

const NORMS = [
  ['none', 'branch'],
  ['batch', 'branch'],
  ['batch', 'post'],
  ['layer', 'branch'],
  ['layer', 'post'],
] as const;
const SHORT = SHORTCUTS.filter((s) => s !== 'dropout');

/** A covering set: every block x skip, cycling through shortcuts, norms, branch scales, activations and inits. */
function configs(): ModelSpecInput[] {
  const out: ModelSpecInput[] = [];
  let i = 0;
  for (const block of BLOCKS) {
    for (const skip of block === 'plain' ? [1] : [1, 2, 3]) {
      for (let r = 0; r < 5; r++, i++) {
        const [norm, normPlace] = NORMS[(i + r) % NORMS.length];
        out.push({
          block,
          skip,
          depth: skip === 3 ? 3 : block === 'plain' ? 3 : 4,
          width: 3 + (i % 3),
          activation: ACTIVATIONS[i % ACTIVATIONS.length],
          slope: 0.1,
          shortcut: SHORT[(i * 3 + r) % SHORT.length],
          shortcutScale: 0.7,
          norm,
          normPlace,
          branchScale: BRANCH_SCALES[(i + 2 * r) % BRANCH_SCALES.length],
          branchScaleValue: 0.5,
          init: (['he', 'xavier', 'normal'] as const)[i % 3],
          initStd: 0.5,
        });
      }
    }
  }
  return out;
}

const name = (c: ModelSpecInput): string =>
  `${c.block}-${c.skip} ${c.activation} sc=${c.shortcut} norm=${c.norm}/${c.normPlace} scale=${c.branchScale} w=${c.width} d=${c.depth}`;

describe('block variants: model gradients vs finite differences (js64)', () => {
  it.each(configs().map((c) => [name(c), c] as const))('%s', (_n, spec) => {
    const io = { inputDim: 3, outputDim: 3 };
    const model = buildModel(spec, io, new Rng(1), js64);
    // NOTE: perturb every parameter so zero-initialised parts (ReZero, zero-last, Fixup) are tested too.
    const rng = new Rng(2);
    for (const p of model.parameters()) p.set(p.toArray().map((v) => v + 0.3 * rng.normal()));
    const x = randn(new Rng(3), 5 * io.inputDim);
    const y = [0, 1, 2, 1, 0];
    const params = model.parameters();
    const { worst } = gradCheck(js64, params, () => softmaxCrossEntropy(model.forward(tensor(js64, x, [5, io.inputDim])), labels(js64, y)));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('model structure', () => {
  it('names layers in, blockN.fcK, blockN.proj, blockN.gate, out', () => {
    const m = buildModel(
      { block: 'post', skip: 2, depth: 4, width: 4, shortcut: 'projection' },
      { inputDim: 2, outputDim: 3 },
      new Rng(0),
      js,
    );
    expect(m.linears().map(([n]) => n)).toEqual([
      'in',
      'block1.fc1',
      'block1.fc2',
      'block1.proj',
      'block2.fc1',
      'block2.fc2',
      'block2.proj',
      'out',
    ]);
    const g = buildModel(
      { block: 'branch', skip: 1, depth: 2, width: 4, shortcut: 'gate', branchScale: 'rezero', norm: 'batch' },
      { inputDim: 2, outputDim: 3 },
      0,
      js,
    );
    expect([...g.namedParameters()].map(([n]) => n)).toContain('block2.gate.bias');
    expect([...g.namedParameters()].map(([n]) => n)).toContain('block1.alpha');
    expect([...g.namedBuffers()].map(([n]) => n)).toContain('block1.norm1.runningVar');
    expect(g.blocks).toHaveLength(2);
    expect(buildModel({ block: 'plain', depth: 5, width: 4 }, { inputDim: 2, outputDim: 3 }, 0, js).blocks).toHaveLength(5);
    js.resetArena();
  });

  it('rezero and zero-last start as the identity map of the shortcut', () => {
    for (const branchScale of ['rezero', 'zero-last'] as const) {
      const m = buildModel(
        { block: 'branch', skip: 2, depth: 4, width: 4, activation: 'relu', branchScale },
        { inputDim: 2, outputDim: 2 },
        0,
        js64,
      );
      const x = tensor(js64, [0.3, -1, 2, 0.5], [2, 2]);
      const a0 = m.inLayer.forward(x).toArray();
      const h = m.blocks[1].forward(m.blocks[0].forward(tensor(js64, a0, [2, 4]))).toArray();
      expect(h).toEqual(a0);
      js64.resetArena();
    }
  });

  it('depth not a multiple of skip, bad io: clear errors', () => {
    expect(() => buildModel({ block: 'post', skip: 2, depth: 3 }, { inputDim: 2, outputDim: 2 }, 0, js)).toThrow(
      /depth 3 is not a multiple of the skip length 2/,
    );
    expect(() => buildModel({ block: 'post' }, { inputDim: 0, outputDim: 2 }, 0, js)).toThrow(/inputDim must be a positive integer/);
  });

  it('dropout and shortcut dropout: random in train mode, identity in eval mode', () => {
    const m = buildModel(
      { block: 'branch', skip: 1, depth: 2, width: 5, dropout: 0.3, shortcut: 'dropout' },
      { inputDim: 2, outputDim: 2 },
      0,
      js64,
    );
    const x = [0.1, 0.2, -0.3, 0.4];
    const run = () => m.forward(tensor(js64, x, [2, 2])).toArray();
    const t1 = run();
    const t2 = run();
    expect(t1).not.toEqual(t2);
    m.eval();
    expect(run()).toEqual(run());
    m.train();
    const l = softmaxCrossEntropy(m.forward(tensor(js64, x, [2, 2])), labels(js64, [0, 1]));
    l.backward();
    expect(m.parameters().every((p) => p.gradArray().every(Number.isFinite))).toBe(true);
    js64.resetArena();
  });

  it('forward hooks fire on forward and stop after remove()', () => {
    const m = buildModel({ block: 'post', skip: 1, depth: 2, width: 3 }, { inputDim: 2, outputDim: 2 }, 0, js);
    const seen: number[] = [];
    const h = m.blocks[0].registerForwardHook((_m, x, y) => seen.push(x.size, y.size));
    m.forward(tensor(js, [1, 2], [1, 2]));
    h.remove();
    m.forward(tensor(js, [1, 2], [1, 2]));
    expect(seen).toEqual([3, 3]);
    js.resetArena();
  });

  it('wasm and js agree on a small network (loss and every gradient)', () => {
    for (const spec of [
      { block: 'post', skip: 2, depth: 4, width: 16, activation: 'relu' },
      { block: 'preact', skip: 2, depth: 4, width: 16, activation: 'gelu', norm: 'layer', shortcut: 'projection' },
      { block: 'branch', skip: 1, depth: 3, width: 16, activation: 'tanh', norm: 'batch', branchScale: 'rezero' },
    ] as const) {
      const res = [js, wasm].map((b) => {
        const m = buildModel(spec, { inputDim: 7, outputDim: 4 }, 5, b);
        for (const p of m.parameters()) p.set(p.toArray().map((v, i) => v + 0.01 * Math.sin(i)));
        const l = softmaxCrossEntropy(m.forward(tensor(b, randn(new Rng(9), 8 * 7), [8, 7])), labels(b, [0, 1, 2, 3, 3, 2, 1, 0]));
        const loss = l.item();
        l.backward();
        const g = m.parameters().map((p) => p.gradArray());
        b.resetArena();
        return { loss, g };
      });
      expect(Math.abs(res[0].loss - res[1].loss)).toBeLessThan(1e-5);
      res[0].g.forEach((g, i) => {
        const d = Math.sqrt(g.reduce((s, v, j) => s + (v - res[1].g[i][j]) ** 2, 0));
        const n = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
        expect(d / (n + 1e-6)).toBeLessThan(1e-4);
      });
    }
  });
});

describe('modules', () => {
  it('Sequential(Linear, BatchNorm, LayerNorm, Linear): names and gradients vs finite differences', async () => {
    const { Sequential } = await import('../src/nn/sequential.js');
    const { Linear } = await import('../src/nn/linear.js');
    const { BatchNorm, LayerNorm } = await import('../src/nn/norm.js');
    const { Act } = await import('@reslab/core-wasm');
    const net = new Sequential(
      new Linear(js64, 3, 4, { act: Act.tanh }),
      new BatchNorm(js64, 4),
      new LayerNorm(js64, 4),
      new Linear(js64, 4, 2, { bias: false }),
    );
    const rng = new Rng(8);
    for (const p of net.parameters()) p.set(randn(rng, p.size, 0.7));
    expect([...net.namedParameters()].map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '2.weight',
      '2.bias',
      '3.weight',
    ]);
    const x = randn(new Rng(9), 6 * 3);
    const { worst } = gradCheck(js64, net.parameters(), () =>
      softmaxCrossEntropy(net.forward(tensor(js64, x, [6, 3])), labels(js64, [0, 1, 1, 0, 1, 0])),
    );
    expect(worst).toBeLessThan(1e-5);
    // eval mode uses the running statistics: a different function of x
    const bn = net.layers[1] as InstanceType<typeof BatchNorm>;
    expect(bn.runningMean.toArray().some((v) => v !== 0)).toBe(true);
    const t = net.forward(tensor(js64, x, [6, 3])).toArray();
    const e = net
      .eval()
      .forward(tensor(js64, x, [6, 3]))
      .toArray();
    expect(e).not.toEqual(t);
    expect(net.layers.every((m) => !m.training)).toBe(true);
    js64.resetArena();
  });

  it('activity: active ReLU units, saturated sigmoid/tanh units', async () => {
    const { activeFraction } = await import('../src/train/stats.js');
    const { Act } = await import('@reslab/core-wasm');
    expect(activeFraction(Act.relu, [tensor(js, [0, 1, 2, -0])])).toBe(0.5);
    expect(activeFraction(Act.sigmoid, [tensor(js, [0.5, 0.99, 0.01, 0.9])])).toBe(0.5);
    expect(activeFraction(Act.tanh, [tensor(js, [0, 0.99, -0.97, 0.5])])).toBe(0.5);
    js.resetArena();
  });
});
