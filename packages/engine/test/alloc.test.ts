/**
 * A training step allocates (almost) no JS objects: the ops reuse their records, the tape keeps its slots. Measured
 * with V8's sampling heap profiler, short-lived objects included (not a timing: the number does not depend on load).
 * Before the op records were reused a step of such a net allocated tens of KiB; a tape emptied with `length = 0`
 * alone cost about 0.5 KiB; batch and layer norm, while they ran JS loops with closures, frames and two
 * Float64Arrays per call, about 35 KiB a step in a 48-layer net.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type Backend, createBackend } from '../src/backend.js';
import { buildModel } from '../src/nn/model.js';
import { jsBytesPerCall } from '../src/node/alloc.js';
import { labels, softmaxCrossEntropy } from '../src/ops/softmax_xent.js';
import { Adam } from '../src/optim/optimizer.js';
import { Rng } from '../src/rng.js';
import type { ModelSpecInput } from '../src/spec.js';
import { tensor } from '../src/tensor.js';

const NETS: [string, ModelSpecInput][] = [
  ['a post-2 ReLU net', { block: 'post', skip: 2, depth: 24, width: 32, activation: 'relu' }],
  [
    'a post-2 ReLU net with batch norm in the branches',
    { block: 'post', skip: 2, depth: 24, width: 32, activation: 'relu', norm: 'batch' },
  ],
  [
    'a preact-2 tanh net with layer norm after the addition',
    { block: 'preact', skip: 2, depth: 24, width: 32, activation: 'tanh', norm: 'layer', normPlace: 'post' },
  ],
];

describe('JS allocation per training step', () => {
  // NOTE: one backend for every net, cleared in between, as withBackend gives a thread's runs: a kernel call site
  // that has called the kernels of several wasm instances boxes their float arguments (~16 B a call).
  let b: Backend;
  beforeAll(async () => {
    b = await createBackend('wasm');
  });

  it.each(NETS)('%s (24 layers) allocates under 256 bytes of JS objects per step (forward, backward, Adam)', async (_name, spec) => {
    b.clear();
    const B = 32;
    const model = buildModel(spec, { inputDim: 20, outputDim: 5 }, 1, b);
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const r = new Rng(3);
    const x = new Float32Array(B * 20).map(() => r.normal());
    const y = Array.from({ length: B }, (_, i) => i % 5);
    // the batch's own tensor and labels are made once: the step is what the trainer does with them
    const xt = tensor(b, x, [B, 20]);
    const yl = labels(b, y);
    const mark = b.arenaTop();
    const step = (): void => {
      const loss = softmaxCrossEntropy(model.forward(xt), yl);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      b.arenaRestore(mark);
    };
    for (let i = 0; i < 1000; i++) step(); // warm-up: records made, code optimised (unoptimised code boxes floats)
    const perStep = await jsBytesPerCall(step, 500, { windows: 3 });
    expect(Number.isFinite(perStep)).toBe(true);
    // measured ~50 B (the loss value's box and the like); a tape that gives its storage back costs ~550 B more,
    // a closure and tensors per op several KiB
    expect(perStep).toBeLessThan(256);
  });
});
