/**
 * Ops reuse their records (output tensors, backward) from step to step, so a training step allocates no JS
 * objects. These tests pin down that the reuse happens, and that it never aliases a tensor that is still alive.
 */
import { describe, expect, it } from 'vitest';
import { type Backend, createBackend } from '../src/backend.js';
import { buildModel, type Model } from '../src/nn/model.js';
import { labels, softmaxCrossEntropy } from '../src/ops/softmax_xent.js';
import { SGD } from '../src/optim/optimizer.js';
import { Rng } from '../src/rng.js';
import type { TapeEntry } from '../src/tape.js';
import { tensor } from '../src/tensor.js';
import { predict } from '../src/train/predict.js';

const IN = 6;
const OUT = 3;
const B = 8;

function data(seed: number): { x: number[]; y: number[] } {
  const r = new Rng(seed);
  return { x: Array.from({ length: B * IN }, () => r.normal()), y: Array.from({ length: B }, (_, i) => i % OUT) };
}

function net(b: Backend, variant: 'post' | 'plain', act: 'relu' | 'tanh', seed = 1): Model {
  return buildModel(
    { block: variant, skip: variant === 'plain' ? 1 : 2, depth: 4, width: 8, activation: act, shortcut: 'identity' },
    { inputDim: IN, outputDim: OUT },
    seed,
    b,
  );
}

/** One SGD step; returns the loss and the tape as it was just before backward. */
function step(b: Backend, m: Model, opt: SGD, seed: number): { loss: number; tape: TapeEntry[] } {
  const { x, y } = data(seed);
  opt.zeroGrad();
  const loss = softmaxCrossEntropy(m.forward(tensor(b, x, [B, IN])), labels(b, y));
  const tape = [...b.tape];
  const lv = loss.item();
  loss.backward();
  opt.step();
  b.resetArena();
  return { loss: lv, tape };
}

const weights = (m: Model): number[] => m.parameters().flatMap((p) => p.toArray());

describe('op records are reused from step to step', () => {
  it('the second step runs on the same tensor objects as the first, and no new records are made', async () => {
    const b = await createBackend('wasm');
    const m = net(b, 'post', 'relu');
    const opt = new SGD(m.parameters(), { lr: 0.1 });
    const first = step(b, m, opt, 1);
    const nodes = b.nodes.length;
    const second = step(b, m, opt, 2);
    expect(second.tape.length).toBe(first.tape.length);
    expect(second.tape.length).toBeGreaterThan(5);
    for (let i = 0; i < second.tape.length; i++) expect(second.tape[i]).toBe(first.tape[i]);
    expect(b.nodes.length).toBe(nodes);
  });

  it('two forward passes in one step give two live outputs (no aliasing)', async () => {
    const b = await createBackend('wasm');
    const m = net(b, 'post', 'tanh');
    const x1 = data(1).x;
    const x2 = data(2).x;
    const alone1 = m.forward(tensor(b, x1, [B, IN])).toArray();
    b.resetArena();
    const alone2 = m.forward(tensor(b, x2, [B, IN])).toArray();
    b.resetArena();
    const y1 = m.forward(tensor(b, x1, [B, IN]));
    const y2 = m.forward(tensor(b, x2, [B, IN]));
    expect(y1).not.toBe(y2);
    expect(y1.toArray()).toEqual(alone1);
    expect(y2.toArray()).toEqual(alone2);
    expect(alone1).not.toEqual(alone2);
  });

  it('a model trained in lockstep with a different one (other ops in the same positions) trains exactly as alone', async () => {
    const alone = await createBackend('wasm');
    const a0 = net(alone, 'post', 'relu');
    const opt0 = new SGD(a0.parameters(), { lr: 0.1 });
    const losses0 = [1, 2, 3, 4].map((s) => step(alone, a0, opt0, s).loss);
    const aloneOther = await createBackend('wasm');
    const o0 = net(aloneOther, 'plain', 'tanh', 7);
    const optO0 = new SGD(o0.parameters(), { lr: 0.1 });
    const lossesOther0 = [1, 2, 3, 4].map((s) => step(aloneOther, o0, optO0, 100 + s).loss);

    const shared = await createBackend('wasm');
    const a = net(shared, 'post', 'relu');
    const other = net(shared, 'plain', 'tanh', 7);
    const opt = new SGD(a.parameters(), { lr: 0.1 });
    const optOther = new SGD(other.parameters(), { lr: 0.1 });
    const losses: number[] = [];
    const lossesOther: number[] = [];
    for (const s of [1, 2, 3, 4]) {
      lossesOther.push(step(shared, other, optOther, 100 + s).loss);
      losses.push(step(shared, a, opt, s).loss);
    }
    expect(losses).toEqual(losses0);
    expect(weights(a)).toEqual(weights(a0));
    // both ways round: the plain net's ops take positions a post net's fused ops held a moment before
    expect(lossesOther).toEqual(lossesOther0);
    expect(weights(other)).toEqual(weights(o0));
  });

  it('chunked evaluation (arena marks) reuses the same records on every call', async () => {
    const b = await createBackend('wasm');
    const m = net(b, 'post', 'relu');
    const x = Array.from({ length: 50 * IN }, (_, i) => Math.sin(i));
    const p1 = predict(m, x, { chunk: 8 });
    const nodes = b.nodes.length;
    const p2 = predict(m, x, { chunk: 8 });
    expect(b.nodes.length).toBe(nodes);
    expect(Array.from(p2)).toEqual(Array.from(p1));
    // every chunk is computed right: the same rows one at a time
    const one = predict(m, x.slice(0, 9 * IN), { chunk: 1 });
    expect(Array.from(one)).toEqual(Array.from(p1.subarray(0, 9 * OUT)));
  });
});
