/**
 * Is a post-addition one-layer skip just a plain layer? The algebra says
 * g(W a + b + a) = g((I + W) a + b); this study checks it numerically on random
 * and trained nets, and checks the training dynamics too.
 */

import { fmt } from '../stats.js';
import type { StudyDef } from '../study.js';
import type { Analysis, AnalysisContext } from '../types.js';
import { line } from '../verdict.js';

export const foldStudy: StudyDef = {
  name: 'fold',
  title: 'Folding a one-layer skip into a plain layer',
  question: 'Is a post-addition one-layer skip g(W a + b + a) just a plain layer g((I + W) a + b)?',
  explanation: [
    "A post-1 block computes a' = g(W a + b + a) = g((I + W) a + b). Folding replaces each block by a plain layer with W' = I + W; with a learned projection shortcut, a' = g(W a + b + W_r a) = g((W_r + W) a + b), so W' = W_r + W. The folded plain net must give the same outputs up to float32 rounding, on random and on trained weights.",
    "Training is the same too: dL/dW = dL/dW' because W' = I + W differs from W by a constant, so any optimizer without weight decay takes the same steps on W and on W'. A post-1 net and a plain net initialised at I + W from the same seed should follow the same trajectory; what separates post-1 from an ordinary plain net is only the initialisation (I + W instead of W).",
    'The study runs the algebra checks (random and trained, identity and projection shortcuts), trains post-1 and its plain twin initialised at I + W side by side, and trains post-1 next to an ordinary plain net at several seeds to show how large the seed-to-seed differences are by comparison.',
  ].join('\n\n'),
  finding: {
    source: 'the algebra',
    text: 'g(W a + b + a) = g((I + W) a + b) exactly; a one-layer post-addition skip is a re-parametrised plain layer (which is why He et al. 2016 and others found no benefit from one-layer units).',
  },
  base: {
    model: { width: 64, depth: 16, init: 'he', norm: 'none' },
    train: { optimizer: 'adam', batchSize: 64, epochs: 1000, maxSteps: 200, evalEvery: 25 },
    data: { name: 'mnist', size: 4000, trainRatio: 0.8 },
  },
  grid: {
    variant: ['plain', 'post-1'],
    'model.activation': ['relu', 'tanh', 'sigmoid'],
  },
  seeds: [1, 2, 3],
  lrGrid: [1e-3],
  lrCriterion: 'one learning rate for every cell (the study compares trajectories, not best results)',
  lrSearch: { extend: false, maxExtra: 0, tuneSeeds: null },
  budgets: {
    cli: {},
    browser: { seeds: 2, set: { 'model.width': 32, 'model.depth': 8, 'train.maxSteps': 100, 'data.size': 2000 } },
  },
  metrics: ['trainLoss', 'testAcc', 'diverged', 'gradRatio'],
  layout: { tables: null, rows: ['variant', 'model.activation'] },
  foldTrained: true,
  checks: [
    {
      kind: 'fold',
      label: 'random post-1, identity shortcut, relu',
      set: { variant: 'post-1', 'model.activation': 'relu' },
      trained: false,
    },
    {
      kind: 'fold',
      label: 'random post-1, identity shortcut, sigmoid',
      set: { variant: 'post-1', 'model.activation': 'sigmoid' },
      trained: false,
    },
    {
      kind: 'fold',
      label: 'random post-1, projection shortcut W_r + W, tanh',
      set: { variant: 'post-1', 'model.activation': 'tanh', 'model.shortcut': 'projection' },
      trained: false,
    },
    {
      kind: 'fold',
      label: 'trained post-1, identity shortcut, tanh',
      set: { variant: 'post-1', 'model.activation': 'tanh' },
      trained: true,
    },
    {
      kind: 'fold',
      label: 'trained post-1, projection shortcut W_r + W, relu',
      set: { variant: 'post-1', 'model.activation': 'relu', 'model.shortcut': 'projection' },
      trained: true,
    },
    {
      kind: 'twin',
      label: 'post-1 vs plain initialised at I + W, relu, depth 8',
      set: { variant: 'post-1', 'model.activation': 'relu', 'model.depth': 8 },
    },
    {
      kind: 'twin',
      label: 'post-1 vs plain initialised at I + W, tanh, depth 8',
      set: { variant: 'post-1', 'model.activation': 'tanh', 'model.depth': 8 },
    },
  ],
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    // put the twin differences next to what separates post-1 from an ordinary plain net (its usual initialisation)
    for (const r of ctx.records) {
      if (r.kind !== 'twin' || !r.twin) continue;
      const act = r.spec.model.activation;
      const cell = (v: string) => a.cells.find((c) => c.cell.variant === v && (c.cell['model.activation'] ?? act) === act);
      const post = cell('post-1');
      const plain = cell('plain');
      if (!post?.trainLoss.median || !plain?.trainLoss.median) continue;
      const gap = Math.abs(post.trainLoss.median - plain.trainLoss.median);
      const only = r.twin.maxAbsLossDiff < gap;
      a.verdict.lines.push(
        line(
          `twin-vs-plain.${act}`,
          'finding',
          `${act}: post-1 and an ordinary plain net (initialised at W, not I + W) end ${fmt(gap)} apart in median train loss (${fmt(post.trainLoss.median)} vs ${fmt(plain.trainLoss.median)}, depth ${post.cell['model.depth'] ?? ctx.study.base.model.depth}), while post-1 and its plain twin at I + W differ by at most ${fmt(r.twin.maxAbsLossDiff)} over training: ${only ? 'the skip acts through the initialisation I + W only' : 'the twin gap is not smaller than the init gap: no conclusion'}.`,
          {
            claim: { key: 'skip-acts-through-init', subject: act, value: only ? 'yes' : 'not judged' },
            evidence: [
              { label: 'post-1 vs plain gap (median final train loss)', value: gap, unit: 'loss' },
              { label: 'post-1 vs its twin at I + W (max loss difference)', value: r.twin.maxAbsLossDiff, unit: 'loss' },
            ],
          },
        ),
      );
    }
    const algebra = a.verdict.lines.find((l) => l.id === 'algebra');
    if (algebra) a.verdict.answer.push({ ...algebra, id: 'answer.algebra', level: 'answer', children: undefined });
    return a;
  },
};
