/**
 * The follow-up question of the skip study: in the middle of a deep plain net, the input a of a block has already
 * passed many nonlinearities, so is a single one-layer skip there (W a + a) already "nonlinear enough" to help?
 * One residual block of each kind in the middle of an otherwise plain stack, against the plain stack itself.
 */
import { axisName, type StudyDef, type Value } from '../study.js';
import type { Analysis, AnalysisContext, CellSummary, Evidence, VerdictLine } from '../types.js';
import { compareCells, consistency, consistencyText, line, scoreText } from '../verdict.js';
import { findCell } from './helpers.js';

export function analyzeMiddle(ctx: AnalysisContext, a: Analysis): Analysis {
  const grid = ctx.study.grid;
  const variants = (grid.find((g) => g.key === 'variant')?.values ?? []).map(String).filter((v) => v !== 'plain');
  const others = grid.filter((g) => g.key !== 'variant');
  const combos = others.reduce<Array<Record<string, Value>>>(
    (acc, g) => acc.flatMap((c) => g.values.map((v) => ({ ...c, [g.key]: v }))),
    [{}],
  );
  const actKey = 'model.activation';
  const acts = grid.find((g) => g.key === actKey)?.values ?? [null];
  const children: VerdictLine[] = [];
  const perAct = new Map<Value | null, { better: string[]; same: string[]; worse: string[]; unjudged: string[]; ev: Evidence[] }>();
  for (const combo of combos) {
    const plain = findCell(a, { variant: 'plain', ...combo });
    if (!plain?.runs) continue;
    const where = Object.entries(combo)
      .map(([k, v]) => `${axisName(k)} ${v}`)
      .join(', ');
    const act = (combo[actKey] as Value | undefined) ?? null;
    if (!perAct.has(act)) perAct.set(act, { better: [], same: [], worse: [], unjudged: [], ev: [] });
    const bucket = perAct.get(act)!;
    for (const v of variants) {
      const c: CellSummary | undefined = findCell(a, { variant: v, ...combo });
      if (!c?.runs) continue;
      const r = compareCells(c, plain, true);
      const name = `${v}${where ? ` (${where})` : ''}`;
      (r.result === 'better'
        ? bucket.better
        : r.result === 'same'
          ? bucket.same
          : r.result === 'worse'
            ? bucket.worse
            : bucket.unjudged
      ).push(name);
      bucket.ev.push({ label: `${name} - plain`, value: r.diff, unit: 'points' });
      children.push(
        line(
          `middle.${v}.${where}`,
          'detail',
          `one ${v} block in the middle vs plain${where ? ` (${where})` : ''}: ${scoreText(c, true)} vs ${scoreText(plain, true)}, ${r.result} (${r.text}).`,
          {
            claim: { key: 'middle-vs-plain', subject: name, value: r.result },
            evidence: [
              { label: `${v} in the middle`, value: c.score === null ? null : 100 * c.score, unit: '%' },
              { label: 'plain', value: plain.score === null ? null : 100 * plain.score, unit: '%' },
              { label: 'difference', value: r.diff, unit: 'points' },
              { label: 'seed range', value: r.noise, unit: 'points' },
            ],
          },
        ),
      );
    }
  }
  if (children.length)
    a.verdict.lines.push(
      line('middle', 'finding', 'One residual block in the middle of a plain net, against the plain net:', { children }),
    );
  const values: Record<string, string> = {};
  const frags: string[] = [];
  for (const act of acts) {
    const b = perAct.get(act);
    if (!b) continue;
    const n = b.better.length + b.same.length + b.worse.length;
    const v = n === 0 ? 'not judged' : b.better.length * 2 > n ? 'helps' : b.worse.length * 2 > n ? 'hurts' : 'no clear effect';
    values[String(act)] = v;
    frags.push(
      `${act === null ? '' : `with ${act}, `}${v === 'helps' ? 'a single block helps' : v === 'hurts' ? 'a single block hurts' : v === 'no clear effect' ? 'a single block makes no clear difference' : 'not judged'} (better than plain: ${b.better.join(', ') || 'none'}; within the seed range: ${b.same.join(', ') || 'none'}; worse: ${b.worse.join(', ') || 'none'})`,
    );
  }
  if (frags.length) {
    const c = consistency(values, (x, y) => (x === 'helps' && y === 'hurts') || (x === 'hurts' && y === 'helps'));
    a.verdict.answer.push(
      line('answer.middle', 'answer', `Does one residual block in the middle of a plain net help? ${frags.join('; ')}.`, {
        claim: {
          key: 'middle-block',
          value: Object.entries(values)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', '),
        },
        evidence: [...perAct.values()].flatMap((b) => b.ev),
      }),
    );
    if (acts.length > 1 && acts[0] !== null)
      a.verdict.answer.push(
        line(
          'answer.middle.activation',
          'answer',
          `Across activations the effect ${consistencyText(c, values, 'activation').replace(/^holds/, 'is the same')}.`,
          {
            claim: { key: 'middle-across-activations', value: c },
          },
        ),
      );
  }
  return a;
}

export const middleStudy: StudyDef = {
  name: 'middle',
  title: 'One residual block in the middle of a plain net',
  question:
    'In the middle of a deep plain net a block sees an input a that has already passed many nonlinearities: does a single skip there, one-layer (W a + a) or two-layer, help the plain net train?',
  explanation: [
    "A one-layer skip y = W x + x is linear in x, so He et al. (2015) saw no advantage in it. In the middle of a deep net x = a is itself a nonlinear function of the input, so one might think W a + a is not 'just linear'. But the algebra does not care what a is: g(W a + b + a) = g((I + W) a + b) is still a plain layer with weights I + W, whatever a is; and one block in the middle gives the gradient a short path only across that block, not across the whole stack.",
    'The study trains a plain stack and the same stack with one block of each kind (post-1, post-2, branch-1, preact-1, preact-2) in its middle (model.residualAt = middle: the other layers stay plain), at depth 24 with ReLU and tanh, three seeds, Adam with a cosine schedule, every cell at its own best learning rate, and compares each with the plain stack.',
  ].join('\n\n'),
  finding: {
    source: 'He et al. 2015 (Deep Residual Learning), Sec. 3.1; the algebra of the fold study',
    text: '"If F has only a single layer, Eqn.(1) is similar to a linear layer: y = W1 x + x, for which we have not observed advantages." A post-1 block in the middle is still a plain layer with weights I + W.',
  },
  base: {
    model: { width: 64, depth: 24, init: 'auto', norm: 'none', shortcut: 'identity', residualAt: 'middle' },
    train: { optimizer: 'adam', batchSize: 64, epochs: 1000, maxSteps: 500, evalEvery: 125, schedule: 'cosine' },
    data: { name: 'mnist', size: 10000, trainRatio: 0.8 },
  },
  grid: {
    variant: ['plain', 'post-1', 'post-2', 'branch-1', 'preact-1', 'preact-2'],
    'model.activation': ['relu', 'tanh'],
  },
  seeds: [1, 2, 3],
  lrGrid: [3e-4, 1e-3, 3e-3],
  lrSearch: { extend: true, maxExtra: 3, tuneSeeds: 1 },
  budgets: {
    cli: {},
    browser: {
      seeds: 2,
      lrSearch: { maxExtra: 1 },
      set: { 'model.width': 32, 'model.depth': 12, 'train.maxSteps': 200, 'train.evalEvery': 50, 'data.size': 2000 },
    },
  },
  metrics: ['trainLoss', 'testAcc', 'diverged', 'lr', 'gradRatio'],
  layout: { tables: 'model.activation', rows: ['variant'] },
  foldTrained: true,
  analyze: analyzeMiddle,
};
