/**
 * The main job: does a skip connection need to span two layers, and does the
 * answer depend on the activation?
 */
import type { Analysis, AnalysisContext } from '../analyze.js';
import type { StudyDef } from '../study.js';

export const skipStudy: StudyDef = {
  name: 'skip',
  title: 'One-layer vs two-layer skips, per activation',
  question: 'Why does a residual block skip two layers and not one, and does the answer change with the activation (ReLU, tanh, sigmoid)?',
  explanation: [
    "A post-addition one-layer skip computes a' = g(W a + b + a) = g((I + W) a + b): it is a plain layer whose weight matrix is re-parametrised as I + W, so the whole stack is still a composition of plain layers g(M a + b).",
    "A two-layer block, as in the original ResNet, computes a' = g(W2 g(W1 a + b1) + b2 + a): the branch F(a) = W2 g(W1 a + b1) + b2 is a small nonlinear net of its own, and the block is no longer one plain layer.",
    "Other placements keep a clean identity path for any g: branch a' = a + g(W a + b) (addition outside the activation), and pre-activation a' = a + W g(a) + b (He et al. 2016), with one or two layers in the branch.",
    "The study trains every variant (plain, post-1, post-2, branch-1, preact-1, preact-2) with ReLU, tanh and sigmoid at two depths on real MNIST digits, several seeds each, every cell at the best learning rate of a small grid (Adam, no normalisation), and reports the final train loss, the test accuracy, diverged runs and the gradient-norm profile across depth at initialisation. Every trained post-1 net is folded into a plain net (W' = I + W) and checked to give the same outputs; a post-1 net with a projection shortcut (W_r + W) is checked likewise.",
  ].join('\n\n'),
  finding: {
    source: 'He et al. 2016 (Identity Mappings in Deep Residual Networks), Table 3; Zagoruyko & Komodakis 2016 (Wide ResNets), Table 3',
    text: 'CIFAR-10 test error: one-layer residual units 9.90% / 8.91% vs two-layer units 6.61% / 6.37% (ResNet-110/164 family); wide ResNets: l=1 6.69% vs l=2 5.43%. Two-layer skips were better; one-layer skips gave little or no gain over plain layers.',
  },
  base: {
    model: { width: 64, init: 'he', norm: 'none', shortcut: 'identity' },
    train: { optimizer: 'adam', batchSize: 64, epochs: 1000, maxSteps: 300, evalEvery: 60 },
    data: { name: 'mnist', size: 6000, trainRatio: 0.8 },
  },
  grid: {
    'model.depth': [24, 48],
    variant: ['plain', 'post-1', 'post-2', 'branch-1', 'preact-1', 'preact-2'],
    'model.activation': ['relu', 'tanh', 'sigmoid'],
  },
  seeds: [1, 2, 3],
  lrGrid: [3e-4, 1e-3, 3e-3],
  budgets: {
    cli: {},
    browser: {
      grid: { 'model.depth': [12, 24] },
      seeds: 2,
      lrGrid: [3e-4, 1e-3],
      set: { 'model.width': 32, 'train.maxSteps': 150, 'data.size': 2000 },
    },
  },
  metrics: ['trainLoss', 'testAcc', 'diverged', 'lr', 'gradRatio'],
  layout: { tables: 'model.depth', rows: ['variant', 'model.activation'] },
  foldTrained: true,
  checks: [
    {
      kind: 'fold',
      label: 'trained post-1 with a projection shortcut (W_r + W)',
      set: { variant: 'post-1', 'model.activation': 'relu', 'model.shortcut': 'projection' },
      trained: true,
    },
  ],
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    // Compare with the paper in words, from the measured pair differences only.
    const pairLines = a.verdict.lines.filter((l) => /^ {2}\w+: /.test(l));
    const favour2 = pairLines.filter((l) => l.includes('two-layer skips did better')).length;
    const favour1 = pairLines.filter((l) => l.includes('one-layer skips did better')).length;
    const acts = pairLines.length;
    if (acts > 0) {
      const agree =
        favour2 === acts
          ? 'agrees with'
          : favour2 > 0 && favour1 === 0
            ? 'partly agrees with'
            : favour1 > 0 && favour2 === 0
              ? 'disagrees with'
              : 'neither confirms nor contradicts';
      a.verdict.lines.push(
        `Compared with He et al. 2016 (two-layer units better than one-layer on CIFAR-10): this run ${agree} it - two-layer skips did better for ${favour2} of ${acts} activation(s), one-layer for ${favour1}, on ${ctx.study.base.data.name ?? 'mnist'} with MLPs (not the paper's convnets).`,
      );
    }
    return a;
  },
};
