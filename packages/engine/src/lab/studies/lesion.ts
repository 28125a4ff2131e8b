/**
 * Do residual nets behave like ensembles of shallow paths? Delete or reorder blocks of trained nets at test time
 * (Veit, Wilber & Belongie 2016).
 */

import type { LesionMeasure } from '../probe.js';
import type { JobRecord } from '../records.js';
import { median } from '../stats.js';
import type { StudyDef } from '../study.js';
import type { Analysis, AnalysisContext, VerdictLine } from '../types.js';
import { line } from '../verdict.js';

/** Fraction of the intact net's above-chance accuracy a lesion destroys: (full - acc) / (full - chance). */
export const damage = (m: Pick<LesionMeasure, 'full' | 'chance'>, acc: number): number =>
  m.full - m.chance > 0 ? (m.full - acc) / (m.full - m.chance) : 1;

/** Damage above which a lesion counts as breaking the net, and below which it barely hurts. */
export const LESION_BREAKS = 0.5;
export const LESION_BARELY = 0.1;

const pct = (x: number) => (100 * x).toFixed(1);
const spread = (xs: number[]) =>
  xs.length === 0 ? '-' : xs.length === 1 ? pct(xs[0]) : `${pct(median(xs))} [${pct(Math.min(...xs))}-${pct(Math.max(...xs))}]`;

export const lesionStudy: StudyDef = {
  name: 'lesion',
  title: 'Lesions: deleting and reordering blocks of trained nets',
  question:
    'Do residual nets behave like ensembles of many shallow paths? What happens when one block of a trained net is deleted, or several, or two are swapped?',
  explanation: [
    'Unrolled, a stack of residual blocks a_{i+1} = a_i + F_i(a_i) is a sum over 2^n paths: a_3 = a_0 + F_0(a_0) + F_1(a_0 + F_0(a_0)) + F_2(...) + ..., each path going through a different subset of the branches. Deleting block i (keeping only its identity shortcut, a_{i+1} = a_i) removes the paths through F_i, half of them, but leaves the other half intact. A plain net a_{i+1} = g(W_i a_i + b_i) has one path; deleting a layer (replacing it by the identity) feeds layer i+1 an input it was never trained on.',
    'Veit et al. (2016) deleted single blocks of a trained 110-layer ResNet at test time: the error barely changed (except at downsampling blocks), while deleting any layer of a VGG net sent it to chance; deleting k blocks, or reordering them, degraded the ResNet smoothly with k.',
    'The study trains plain, post-2 and preact-2 MLPs with batch norm on MNIST, then, in eval mode, measures the test accuracy with each block deleted (plain: each hidden layer; residual: each 2-layer block), with random sets of k blocks deleted, and with each pair of neighbouring blocks swapped. For post-2 with ReLU, deleting a block leaves g(a) = a because a >= 0 already, so the shortcut alone remains. Damage = (intact accuracy - lesioned accuracy) / (intact accuracy - chance): 0 = no effect, 1 = chance.',
  ].join('\n\n'),
  finding: {
    source: 'Veit, Wilber & Belongie 2016 (Residual Networks Behave Like Ensembles of Relatively Shallow Networks), Figs. 3-5',
    text: 'Deleting a single block of a trained ResNet on CIFAR-10 barely changes its test error (except the downsampling blocks); deleting a layer of VGG drops it to chance. Deleting k blocks or reordering blocks degrades the ResNet smoothly with k.',
  },
  base: {
    model: { width: 64, depth: 16, norm: 'batch', normPlace: 'branch', init: 'he', activation: 'relu', shortcut: 'identity' },
    train: { optimizer: 'sgd', momentum: 0.9, batchSize: 64, epochs: 1000, maxSteps: 500, evalEvery: 100 },
    data: { name: 'mnist', size: 6000, trainRatio: 0.8 },
  },
  grid: { variant: ['plain', 'post-2', 'preact-2'] },
  seeds: [1, 2, 3],
  lrGrid: [0.01, 0.05],
  probe: { kind: 'lesion', ks: [2, 4], draws: 10 },
  budgets: {
    cli: {},
    browser: { seeds: 2, lrGrid: [0.05], set: { 'model.width': 32, 'train.maxSteps': 200, 'data.size': 2000 } },
  },
  metrics: ['trainLoss', 'testAcc', 'diverged', 'lr'],
  layout: { tables: null, rows: ['variant'] },
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    const ks = ctx.study.probe?.kind === 'lesion' ? ctx.study.probe.ks : [];
    const rows: string[][] = [];
    const lines: VerdictLine[] = [];
    const verdictOf = new Map<string, { plain: boolean; v: 'barely hurts' | 'hurts' | 'breaks' }>();
    for (const c of a.cells) {
      const recs: JobRecord[] = ctx.records.filter((r) => r.kind === 'train' && r.cellKey === c.cellKey && r.lr === c.chosenLr && r.lesion);
      if (recs.length === 0) continue;
      const ms = recs.map((r) => r.lesion!);
      const single = ms.flatMap((m) => m.single);
      const singleDamage = ms.flatMap((m) => m.single.map((x) => damage(m, x)));
      const swapDamage = ms.flatMap((m) => m.swaps.map((x) => damage(m, x)));
      const md = median(singleDamage);
      const v = md >= LESION_BREAKS ? 'breaks' : md <= LESION_BARELY ? 'barely hurts' : 'hurts';
      verdictOf.set(c.cellKey, { plain: c.cell.variant === 'plain' || ctx.study.base.model.block === 'plain', v });
      const multi = ks.map((k) => ms.flatMap((m) => m.multi.find((x) => x.k === k)?.accs ?? []));
      rows.push([
        c.cellKey,
        String(ms[0].blocks),
        spread(ms.map((m) => m.full)),
        spread(single),
        md.toFixed(2),
        ...multi.map(spread),
        spread(ms.flatMap((m) => m.swaps)),
        v,
      ]);
      const worst = Math.max(...singleDamage);
      const kText = ks
        .map((k) => {
          const dm = ms.flatMap((m) => (m.multi.find((x) => x.k === k)?.accs ?? []).map((x) => damage(m, x)));
          return dm.length ? `${k} blocks ${median(dm).toFixed(2)}` : null;
        })
        .filter(Boolean);
      lines.push(
        line(
          `lesion.${c.cellKey}`,
          'detail',
          `${c.cellKey}: deleting one of ${ms[0].blocks} blocks ${v === 'breaks' ? 'breaks the net' : v}: median damage ${md.toFixed(2)} (worst ${worst.toFixed(2)}), intact test accuracy ${spread(ms.map((m) => m.full))}%${kText.length ? `; random deletions, median damage: ${kText.join(', ')}` : ''}; swapping neighbours: median damage ${swapDamage.length ? median(swapDamage).toFixed(2) : '-'}.`,
          {
            claim: { key: 'delete-one-block', subject: c.cellKey, value: v },
            evidence: [
              { label: 'median damage (delete 1)', value: md },
              { label: 'worst damage (delete 1)', value: worst },
            ],
          },
        ),
      );
    }
    if (rows.length) {
      a.tables.push({
        title: 'Test accuracy (%) of lesioned nets',
        header: [
          'variant',
          'blocks',
          'intact',
          'delete 1',
          'damage (delete 1)',
          ...ks.map((k) => `delete ${k} (random)`),
          'swap neighbours',
          'effect of deleting 1',
        ],
        rows,
        note: 'median [min-max] over every lesion and seed at the chosen learning rate; damage = (intact - lesioned) / (intact - chance), median',
      });
      const all = [...verdictOf.entries()].map(([k, x]) => [k, x.v, x.plain] as const);
      const plain = all.filter(([, , p]) => p).map(([, v]) => v);
      const res = all.filter(([, , p]) => !p);
      const resOk = res.length > 0 && res.every(([, v]) => v === 'barely hurts');
      const plainBreaks = plain.length > 0 && plain.every((v) => v === 'breaks');
      const agree =
        resOk && plainBreaks
          ? 'agrees with Veit et al. 2016: deleting a residual block barely hurts, deleting a plain layer breaks the net'
          : plainBreaks
            ? `partly agrees with Veit et al. 2016: deleting a plain layer breaks the net, but deleting a residual block ${res
                .filter(([, v]) => v !== 'barely hurts')
                .map(([k, v]) => `${v} (${k})`)
                .join(', ')}`
            : resOk
              ? `partly agrees with Veit et al. 2016: deleting a residual block barely hurts, but deleting a plain layer ${plain[0] ?? 'was not measured'} rather than breaking the net`
              : 'does not reproduce Veit et al. 2016 at this budget';
      a.verdict.lines.push(line('lesions', 'finding', 'Lesions (deleting one block at test time):', { children: lines }));
      a.verdict.answer.push(
        line('answer.lesion', 'answer', `This run ${agree}.`, {
          claim: { key: 'ensemble-like', value: resOk && plainBreaks ? 'yes' : 'partly' },
          paper: resOk && plainBreaks ? 'agrees' : plainBreaks || resOk ? 'partly agrees' : 'disagrees',
          evidence: all.map(([k, v]) => ({ label: `${k}: ${v}`, value: null })),
        }),
      );
      a.verdict.thresholds.push(
        {
          name: 'lesion barely hurts',
          value: LESION_BARELY,
          rule: 'median damage of single-block deletions <= 0.1, i.e. the net keeps at least 90% of its measured above-chance test accuracy',
        },
        {
          name: 'lesion breaks the net',
          value: LESION_BREAKS,
          rule: 'median damage of single-block deletions >= 0.5, i.e. the net loses at least half of its measured above-chance test accuracy',
        },
      );
    }
    return a;
  },
};
