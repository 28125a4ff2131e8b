/**
 * What goes on the shortcut? Identity vs the alternatives of He et al. 2016 (Identity Mappings), Fig. 2 / Table 1.
 */

import type { StudyDef } from '../study.js';
import type { Analysis, AnalysisContext } from '../types.js';
import { line } from '../verdict.js';
import { compareAcc, errorText, findCell, lossText, otherAxisCombos, unitStudyRun } from './helpers.js';

/** shortcut -> the block it makes and He et al. 2016 Table 1 (ResNet-110, CIFAR-10 test error %). */
export const SHORTCUT_ROWS: Record<string, { unit: string; paper: string }> = {
  identity: { unit: "a' = g(a + F(a))", paper: '6.61' },
  scale: { unit: "a' = g(0.5 a + F(a))", paper: 'fail (12.35 with 0.5 on F too)' },
  gate: { unit: "a' = g((1 - s(a)) * a + s(a) * F(a))", paper: '8.70 at best; fail with b_g = 0' },
  'shortcut-gate': { unit: "a' = g((1 - s(a)) * a + F(a))", paper: '6.91 with b_g = -6; 12.86 with b_g = 0' },
  projection: { unit: "a' = g(W_s a + F(a))", paper: '12.22 (1x1 conv)' },
  dropout: { unit: "a' = g(drop_0.5(a) + F(a))", paper: 'fail' },
};

const UNIT = unitStudyRun();

export const shortcutsStudy: StudyDef = {
  name: 'shortcuts',
  title: 'What goes on the shortcut: identity, scaling, gating, projection, dropout',
  question: 'Does anything on the shortcut beat the plain identity: a constant scale, a gate, a learned projection, dropout?',
  explanation: [
    "Every unit is the original post-2 block a' = g(h(a) + F(a)) with F(a) = BN(W2 g(BN(W1 a))) and g = ReLU; only the shortcut h changes: identity h(a) = a; constant scaling h(a) = 0.5 a; exclusive gating h(a) = (1 - s(a)) * a with the branch gated by s(a) = sigmoid(W_g a + b_g); shortcut-only gating h(a) = (1 - s(a)) * a; a learned projection h(a) = W_s a (the MLP analogue of a 1x1 convolution); dropout h(a) = drop(a) with rate 0.5.",
    'He et al. 2016 explain the result with the unrolled stack: with h(a) = lambda a the gradient reaching block l carries the product of the lambdas of all blocks above it, prod_i lambda_i, which vanishes (lambda < 1) or explodes (lambda > 1) with depth; gates and projections multiply the shortcut by a learned matrix, which has the same effect unless it stays near the identity. Only the identity passes the signal and the gradient unchanged.',
    "reslab's gate bias starts at b_g = -2 (1 - s = 0.88 of the shortcut passes at first); the paper tried b_g from 0 to -10. reslab's dropout is inverted (the kept units are scaled by 2 during training, so the shortcut is the identity in expectation and at test time); the paper's dropout shortcut scaled the shortcut by 0.5 in expectation. The study trains each on MNIST at the learning rate of a small grid that gives the lowest final training loss and compares test accuracy with the identity; a difference counts when it is larger than the larger seed range of the two.",
  ].join('\n\n'),
  finding: {
    source: 'He et al. 2016 (Identity Mappings in Deep Residual Networks), Table 1 (ResNet-110, CIFAR-10 test error %)',
    text: 'identity 6.61; constant scaling 0.5: fail (12.35 with F scaled by 0.5 too); exclusive gating 8.70 at best, fail with b_g = 0; shortcut-only gating 6.91 with b_g = -6, 12.86 with b_g = 0; 1x1 conv shortcut 12.22; dropout shortcut: fail. The identity was best; every alternative was worse or did not train.',
  },
  base: {
    model: {
      width: 64,
      depth: 48,
      block: 'post',
      skip: 2,
      norm: 'batch',
      normPlace: 'branch',
      init: 'he',
      activation: 'relu',
      shortcutScale: 0.5,
      shortcutDropout: 0.5,
    },
    train: UNIT.train,
    data: UNIT.data,
  },
  grid: { 'model.shortcut': Object.keys(SHORTCUT_ROWS) },
  seeds: UNIT.seeds,
  lrGrid: UNIT.lrGrid,
  budgets: UNIT.budgets,
  metrics: UNIT.metrics,
  layout: { tables: null, rows: ['model.shortcut'] },
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    const kinds = (ctx.study.grid.find((g) => g.key === 'model.shortcut')?.values ?? []).map(String);
    for (const { combo, where } of otherAxisCombos(ctx.study.grid, 'model.shortcut')) {
      const cell = (k: string) => findCell(a, { 'model.shortcut': k, ...combo });
      const id = cell('identity');
      const cmp = kinds.filter((k) => k !== 'identity' && cell(k)?.runs && id?.runs).map((k) => [k, compareAcc(cell(k)!, id!)] as const);
      a.tables.push({
        title: `Shortcuts next to He et al. 2016 Table 1${where ? `: ${where}` : ''}`,
        header: ['shortcut', 'unit', 'test error %', 'train loss', 'status', 'paper error %', 'vs identity (test acc)'],
        rows: kinds.map((k) => {
          const c = cell(k);
          const r = cmp.find(([n]) => n === k)?.[1];
          return [
            k,
            SHORTCUT_ROWS[k]?.unit ?? '',
            c ? errorText(c) : '-',
            c ? lossText(c) : '-',
            c?.status ?? '-',
            SHORTCUT_ROWS[k]?.paper ?? '-',
            r ? `${r.result} (${r.text})` : '',
          ];
        }),
        note: 'test error = 100 - test accuracy, median [best-worst] over seeds at the chosen learning rate; s = sigmoid gate',
      });
      if (!id?.runs || cmp.length === 0) continue;
      const worse = cmp.filter(([, r]) => r.result === 'worse').map(([k]) => k);
      const same = cmp.filter(([, r]) => r.result === 'same').map(([k]) => k);
      const better = cmp.filter(([, r]) => r.result === 'better').map(([k]) => k);
      const unjudged = cmp.filter(([, r]) => r.result === 'not judged').map(([k]) => k);
      const paper = better.length ? 'disagrees' : worse.length === cmp.length ? 'agrees' : 'partly agrees';
      const answer = better.length
        ? `This run disagrees with He et al. 2016 (identity best): ${better.join(', ')} beat the identity here.`
        : worse.length === cmp.length
          ? 'This run agrees with He et al. 2016: every alternative shortcut did worse than the identity.'
          : `This run partly agrees with He et al. 2016: nothing beat the identity, but ${[...same, ...unjudged].join(', ')} did not do measurably worse here (the paper found all of them worse or failing).`;
      a.verdict.lines.push(
        line(
          `vs-identity${where ? `.${where}` : ''}`,
          'finding',
          `Compared with the identity shortcut${where ? ` (${where})` : ''}: worse: ${worse.join(', ') || 'none'}; within the seed range of it: ${same.join(', ') || 'none'}; better: ${better.join(', ') || 'none'}${unjudged.length ? `; not judged: ${unjudged.join(', ')}` : ''}.`,
          {
            claim: {
              key: 'identity-best',
              subject: where || undefined,
              value: better.length ? 'no' : worse.length === cmp.length ? 'yes' : 'not beaten',
            },
            children: cmp.map(([k, r]) =>
              line(`vs-identity.${k}`, 'detail', `${k} vs identity: ${r.result} (${r.text}).`, {
                claim: { key: 'vs-identity', subject: k, value: r.result },
                evidence: [
                  { label: `${k} - identity, test accuracy`, value: r.diff, unit: 'points' },
                  { label: 'seed range', value: r.noise, unit: 'points' },
                ],
              }),
            ),
          },
        ),
      );
      a.verdict.answer.push(
        line(`answer.shortcuts${where ? `.${where}` : ''}`, 'answer', answer, { paper, claim: { key: 'identity-best', value: paper } }),
      );
    }
    a.verdict.thresholds.push({
      name: 'shortcut comparison',
      value: Math.max(0, ...a.cells.map((c) => (c.scoreRange === null ? 0 : 100 * c.scoreRange))),
      rule: 'a shortcut is worse (better) than the identity when its median test accuracy is lower (higher) by more than the larger seed range (max - min over seeds, in points) of the two, or when it failed (generic rule) and the identity did not; the value shown is the largest seed range measured',
    });
    return a;
  },
};
