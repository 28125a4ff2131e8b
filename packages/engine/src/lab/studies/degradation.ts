/**
 * Why go residual at all: plain nets get harder to optimise as they get deeper (the training loss itself rises),
 * residual nets do not (He et al. 2015, Fig. 6).
 */

import { fmt, median } from '../stats.js';
import type { StudyDef } from '../study.js';
import type { Analysis, AnalysisContext, CellSummary, VerdictLine } from '../types.js';
import { line } from '../verdict.js';
import { findCell, lossText, pivot } from './helpers.js';

type Trend = 'rises' | 'falls' | 'flat' | 'not judged';

/** log10 of the seed-to-seed spread (max / min) of a cell's final train loss; null with fewer than two finite seeds. */
const logSpread = (c: CellSummary): number | null =>
  c.trainLoss.finite >= 2 && c.trainLoss.min! > 0 ? Math.log10(c.trainLoss.max! / c.trainLoss.min!) : null;

export const degradationStudy: StudyDef = {
  name: 'degradation',
  title: 'Degradation: training loss vs depth, plain vs residual',
  question: 'Why go residual at all? Does a deeper plain net train worse, and does a residual net of the same depth not?',
  explanation: [
    'A deeper net can represent everything a shallower one can (let the extra layers be the identity), so its training loss should be no worse. He et al. (2015) found the opposite for plain nets: with batch norm and careful initialisation, a 34-layer plain net had a higher training error than an 18-layer one. This is not overfitting (it is the training error) and not vanishing gradients at initialisation (batch norm keeps them healthy); the deeper plain net is harder to optimise.',
    "A plain layer must learn the identity as a' = g(BN(W a)); a residual block a' = g(a + F(a)) (post-2, the original block, F(a) = BN(W2 g(BN(W1 a)))) or a' = a + F(a) (preact-2, F(a) = W2 g(BN(W1 g(BN(a))))) only needs F = 0. The gradient through a residual stack has the identity term: dL/da_l = dL/da_L (I + sum of products of branch Jacobians), so it does not have to pass through every layer's weights.",
    'The study trains plain, post-2 and preact-2 MLPs with batch norm at depths 8, 16, 32 and 64 on MNIST with SGD + momentum (as in the paper), every cell at the learning rate of a small grid that gives it the lowest final training loss, and compares the final training loss across depths. A change with depth counts only when it is larger than the seed-to-seed spread of the two cells compared.',
  ].join('\n\n'),
  finding: {
    source: 'He et al. 2015 (Deep Residual Learning for Image Recognition), Fig. 6 (CIFAR-10) and Fig. 4 / Table 2 (ImageNet)',
    text: 'Plain nets: the deeper, the higher the training error (plain-20 < plain-32 < plain-44 < plain-56 on CIFAR-10; plain-34 above plain-18 on ImageNet, 28.54% vs 27.94% top-1 val). Residual nets: the deeper, the lower (ResNet-34 25.03% vs ResNet-18 27.88% on ImageNet).',
  },
  base: {
    model: { width: 64, norm: 'batch', normPlace: 'branch', init: 'he', activation: 'relu', shortcut: 'identity' },
    train: { optimizer: 'sgd', momentum: 0.9, batchSize: 64, epochs: 1000, maxSteps: 400, evalEvery: 50 },
    data: { name: 'mnist', size: 6000, trainRatio: 0.8 },
  },
  grid: { variant: ['plain', 'post-2', 'preact-2'], 'model.depth': [8, 16, 32, 64] },
  seeds: [1, 2],
  lrGrid: [0.01, 0.05],
  budgets: {
    cli: {},
    browser: {
      grid: { 'model.depth': [4, 12, 24] },
      seeds: 2,
      lrGrid: [0.05],
      set: { 'model.width': 32, 'train.maxSteps': 200, 'data.size': 2000 },
    },
  },
  metrics: ['trainLoss', 'trainAcc', 'testAcc', 'diverged', 'lr', 'gradRatio'],
  layout: { tables: null, rows: ['variant', 'model.depth'] },
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    const variants = ctx.study.grid.find((g) => g.key === 'variant')?.values ?? [];
    const depths = [...(ctx.study.grid.find((g) => g.key === 'model.depth')?.values ?? [])].sort((x, y) => Number(x) - Number(y));
    if (depths.length < 2 || variants.length === 0) return a;
    a.tables.push(
      pivot(
        a,
        'Final train loss by depth (median [min-max] over seeds)',
        'variant',
        variants,
        'model.depth',
        depths,
        (c) => (c ? lossText(c) : '-'),
        (d) => `depth ${d}`,
      ),
    );
    const lo = depths[0];
    const hi = depths[depths.length - 1];
    const trends = new Map<string, { trend: Trend; d: number | null }>();
    const spreads: number[] = [];
    const lines: VerdictLine[] = [];
    for (const v of variants) {
      const c0 = findCell(a, { variant: v, 'model.depth': lo });
      const c1 = findCell(a, { variant: v, 'model.depth': hi });
      if (!c0 || !c1 || c0.runs === 0 || c1.runs === 0) continue;
      const seq = depths.map((d) => fmt(findCell(a, { variant: v, 'model.depth': d })?.trainLoss.median ?? null)).join(' -> ');
      let trend: Trend;
      let d: number | null = null;
      let why: string;
      if (c1.trainLoss.median === null && c0.trainLoss.median !== null) {
        trend = 'rises';
        why = `depth ${hi} diverged`;
      } else if (c0.trainLoss.median === null || c1.trainLoss.median === null) {
        trend = 'not judged';
        why = `depth ${lo} diverged`;
      } else {
        d = Math.log10(c1.trainLoss.median / c0.trainLoss.median);
        const s0 = logSpread(c0);
        const s1 = logSpread(c1);
        const noise = s0 === null || s1 === null ? null : Math.max(s0, s1);
        if (noise !== null) spreads.push(noise);
        trend = noise === null ? 'not judged' : d > noise ? 'rises' : d < -noise ? 'falls' : 'flat';
        why = `log10(loss at ${hi} / loss at ${lo}) = ${d >= 0 ? '+' : ''}${d.toFixed(2)}, seed spread ${noise === null ? '- (one seed)' : noise.toFixed(2)}`;
      }
      trends.set(String(v), { trend, d });
      const words = {
        rises: 'rises with depth',
        falls: 'falls with depth',
        flat: 'is flat within the seed spread',
        'not judged': 'not judged',
      }[trend];
      lines.push(
        line(`trend.${v}`, 'detail', `${v}: final train loss ${words} (${seq} at depths ${depths.join(', ')}; ${why}).`, {
          claim: { key: 'depth-trend', subject: String(v), value: trend },
          evidence: [
            { label: `${v} train loss at depth ${lo}`, value: c0.trainLoss.median, unit: 'loss' },
            { label: `${v} train loss at depth ${hi}`, value: c1.trainLoss.median, unit: 'loss' },
            { label: 'log10 ratio', value: d },
          ],
        }),
      );
    }
    const plain = trends.get('plain');
    const res = [...trends.entries()].filter(([k]) => k !== 'plain');
    if (plain && res.length) {
      const deepPlain = findCell(a, { variant: 'plain', 'model.depth': hi });
      const ratios = res
        .map(([v]) => [v, findCell(a, { variant: v, 'model.depth': hi })] as const)
        .filter(([, c]) => c?.trainLoss.median != null && deepPlain?.trainLoss.median != null)
        .map(([v, c]) => `${v} ${fmt(c!.trainLoss.median! / deepPlain!.trainLoss.median!)}x`);
      if (ratios.length)
        lines.push(line('ratio', 'detail', `At depth ${hi} the residual nets end at ${ratios.join(', ')} the plain net's train loss.`));
      const resOk = res.every(([, t]) => t.trend === 'falls' || t.trend === 'flat');
      const rising = res.filter(([, t]) => t.trend === 'rises');
      const resLess = rising.every(([, t]) => t.d !== null && plain.d !== null && t.d < plain.d);
      const risingText = rising.map(([v]) => v).join(', ');
      const agree =
        plain.trend === 'rises' && resOk
          ? 'agrees with He et al. 2015: the plain net degrades with depth, the residual nets do not'
          : plain.trend === 'rises' && resLess
            ? `partly agrees with He et al. 2015: the plain net degrades with depth; ${risingText} degrade${rising.length === 1 ? 's' : ''} too, but less (in the paper residual nets got better with depth)`
            : plain.trend === 'rises'
              ? `partly agrees with He et al. 2015: the plain net degrades with depth, but ${risingText} degrade${rising.length === 1 ? 's' : ''} as much or more`
              : `does not reproduce He et al. 2015 at this budget: the plain net's train loss ${plain.trend === 'not judged' ? 'could not be judged' : `${plain.trend === 'falls' ? 'fell' : 'stayed flat'} from depth ${lo} to ${hi}`}`;
      const paper = plain.trend === 'rises' && resOk ? 'agrees' : plain.trend === 'rises' ? 'partly agrees' : 'disagrees';
      a.verdict.answer.push(
        line('answer.degradation', 'answer', `This run ${agree}.`, {
          claim: { key: 'degradation', value: `plain ${plain.trend}; ${res.map(([v, t]) => `${v} ${t.trend}`).join(', ')}` },
          paper,
          evidence: [
            { label: 'plain log10 loss ratio, deepest vs shallowest', value: plain.d },
            ...res.map(([v, t]) => ({ label: `${v} log10 loss ratio`, value: t.d })),
          ],
        }),
      );
    }
    a.verdict.lines.push(line('degradation', 'finding', 'Training loss vs depth (the degradation problem):', { children: lines }));
    if (spreads.length)
      a.verdict.thresholds.push({
        name: 'depth trend (median seed spread, log10 loss)',
        value: median(spreads),
        rule: `a variant's final train loss rises (falls) with depth when log10(loss at the largest depth / loss at the smallest) exceeds (is below minus) the larger seed spread log10(max/min over seeds) of the two cells; otherwise it is flat`,
      });
    return a;
  },
};
