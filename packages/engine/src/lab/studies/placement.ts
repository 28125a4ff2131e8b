/**
 * Where do the activation and the normalisation go? The five residual units of He et al. 2016 (Identity Mappings),
 * Fig. 4, as MLP blocks with batch norm.
 */

import type { StudyDef, Value } from '../study.js';
import type { Analysis, AnalysisContext, CellSummary, VerdictLine } from '../types.js';
import { line } from '../verdict.js';
import { compareAcc, errorText, findCell, lossText, otherAxisCombos, unitStudyRun } from './helpers.js';

/** The designs: name -> settings, unit equation, CIFAR-10 test error of ResNet-110 in He et al. 2016 Table 2. */
export const PLACEMENT_DESIGNS: Record<string, { set: Record<string, Value>; unit: string; paper: number }> = {
  original: { set: { variant: 'post-2', 'model.normPlace': 'branch' }, unit: "a' = g(a + BN(W2 g(BN(W1 a))))", paper: 6.61 },
  'bn-after-add': { set: { variant: 'post-2', 'model.normPlace': 'after-add' }, unit: "a' = g(BN(a + W2 g(BN(W1 a))))", paper: 8.17 },
  'relu-before-add': { set: { variant: 'branch-2', 'model.normPlace': 'branch' }, unit: "a' = a + g(BN(W2 g(BN(W1 a))))", paper: 7.84 },
  'relu-only-preact': {
    set: { variant: 'preact-2', 'model.normPlace': 'after-linear' },
    unit: "a' = a + BN(W2 g(BN(W1 g(a))))",
    paper: 6.71,
  },
  'full-preact': { set: { variant: 'preact-2', 'model.normPlace': 'branch' }, unit: "a' = a + W2 g(BN(W1 g(BN(a))))", paper: 6.37 },
};

/** Spearman rank correlation of two equally long lists (no ties expected; ties get the average rank). */
export function spearman(x: number[], y: number[]): number | null {
  if (x.length < 3 || x.length !== y.length) return null;
  const rank = (v: number[]) => {
    const idx = v.map((val, i) => [val, i] as const).sort((p, q) => p[0] - q[0]);
    const r = new Array<number>(v.length);
    for (let i = 0; i < idx.length; ) {
      let j = i;
      while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
      for (let k = i; k <= j; k++) r[idx[k][1]] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(x);
  const ry = rank(y);
  const m = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
  const mx = m(rx);
  const my = m(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : null;
}

const UNIT = unitStudyRun();

export const placementStudy: StudyDef = {
  name: 'placement',
  title: 'Where the activation and the batch norm go (He et al. 2016, Fig. 4)',
  question:
    'Where should the activation and the normalisation sit relative to the addition? Which of the five unit designs of He et al. 2016 trains best?',
  explanation: [
    'The five units, in MLP form (W = a Linear layer with bias, g = ReLU, BN = batch norm):',
    "(a) original: a' = g(a + BN(W2 g(BN(W1 a)))). (b) BN after addition: a' = g(BN(a + W2 g(BN(W1 a)))). (c) ReLU before addition: a' = a + g(BN(W2 g(BN(W1 a)))). (d) ReLU-only pre-activation: a' = a + BN(W2 g(BN(W1 g(a)))). (e) full pre-activation: a' = a + W2 g(BN(W1 g(BN(a)))).",
    "He et al. argue from the signal path: with a' = a + F(a) the stack gives a_L = a_l + sum F, so the forward signal and the gradient dL/da_l = dL/da_L (1 + d/da_l sum F) reach every block directly. (b) puts BN on that path, so the shortcut is no longer the identity; (c) makes every branch output non-negative, so the stream can only grow; (a) and (d) keep an activation (a) or leave un-normalised inputs to the weights (d); (e) keeps the path clean and normalises the input of every weight layer.",
    "In reslab these are block + normPlace: (a) post-2 / branch, (b) post-2 / after-add, (c) branch-2 / branch, (d) preact-2 / after-linear, (e) preact-2 / branch (the 'design' axis names them). Pre-activation nets get reslab's final BN + g before the classifier, in (d) too. The study trains each on MNIST with SGD + momentum at the learning rate of a small grid that gives it the lowest final training loss, and compares test errors; a difference counts when it is larger than the larger seed range of the two designs.",
  ].join('\n\n'),
  finding: {
    source: 'He et al. 2016 (Identity Mappings in Deep Residual Networks), Table 2 (ResNet-110, CIFAR-10 test error %)',
    text: 'original 6.61, BN after addition 8.17, ReLU before addition 7.84, ReLU-only pre-activation 6.71, full pre-activation 6.37: full pre-activation best; BN after addition and ReLU before addition clearly worse.',
  },
  base: {
    model: { width: 64, depth: 48, norm: 'batch', init: 'he', activation: 'relu', shortcut: 'identity' },
    train: UNIT.train,
    data: UNIT.data,
  },
  designs: Object.fromEntries(Object.entries(PLACEMENT_DESIGNS).map(([k, d]) => [k, d.set])),
  grid: { design: Object.keys(PLACEMENT_DESIGNS) },
  seeds: UNIT.seeds,
  lrGrid: UNIT.lrGrid,
  budgets: UNIT.budgets,
  metrics: UNIT.metrics,
  layout: { tables: null, rows: ['design'] },
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    const names = (ctx.study.grid.find((g) => g.key === 'design')?.values ?? []).map(String);
    for (const { combo, where } of otherAxisCombos(ctx.study.grid, 'design')) {
      const cell = (n: string): CellSummary | undefined => findCell(a, { design: n, ...combo });
      const orig = cell('original');
      a.tables.push({
        title: `The five units next to He et al. 2016 Table 2${where ? `: ${where}` : ''}`,
        header: ['design', 'unit', 'test error %', 'train loss', 'paper error %', 'vs original (test acc)'],
        rows: names.map((n) => {
          const c = cell(n);
          const d = PLACEMENT_DESIGNS[n];
          return [
            n,
            d?.unit ?? '',
            c ? errorText(c) : '-',
            c ? lossText(c) : '-',
            d ? d.paper.toFixed(2) : '-',
            c && orig && n !== 'original' && c.runs && orig.runs ? `${compareAcc(c, orig).result} (${compareAcc(c, orig).text})` : '',
          ];
        }),
        note: 'test error = 100 - test accuracy, median [best-worst] over seeds at the chosen learning rate; paper: ResNet-110 on CIFAR-10',
      });
      const measured = names.filter((n) => PLACEMENT_DESIGNS[n] && cell(n)?.score != null);
      const lines: VerdictLine[] = [];
      if (measured.length >= 2) {
        const ranked = [...measured].sort((p, q) => cell(q)!.score! - cell(p)!.score!);
        lines.push(
          line(
            'ranking',
            'detail',
            `Measured ranking (lowest test error first): ${ranked.map((n) => `${n} ${(100 * (1 - cell(n)!.score!)).toFixed(1)}%`).join(' < ')}; paper: ${[...measured].sort((p, q) => PLACEMENT_DESIGNS[p].paper - PLACEMENT_DESIGNS[q].paper).join(' < ')}.`,
            { evidence: ranked.map((n) => ({ label: `${n} test error`, value: 100 * (1 - cell(n)!.score!), unit: '%' })) },
          ),
        );
        const rho = spearman(
          measured.map((n) => 1 - cell(n)!.score!),
          measured.map((n) => PLACEMENT_DESIGNS[n].paper),
        );
        if (rho !== null)
          lines.push(
            line(
              'spearman',
              'detail',
              `Rank correlation (Spearman) between measured and published errors over ${measured.length} designs: ${rho.toFixed(2)} (1 = same order, -1 = reversed).`,
              { evidence: [{ label: 'Spearman rank correlation with the paper', value: rho }] },
            ),
          );
      }
      const claim = (name: string, ok: boolean | null, text: string) =>
        lines.push(
          line(`claim.${name}`, 'finding', `${name}: ${ok === null ? 'not judged' : ok ? 'confirmed' : 'NOT confirmed'} (${text}).`, {
            claim: { key: name, subject: where || undefined, value: ok === null ? 'not judged' : ok ? 'confirmed' : 'not confirmed' },
            paper: ok === null ? 'not judged' : ok ? 'agrees' : 'disagrees',
          }),
        );
      const full = cell('full-preact');
      if (full?.runs && measured.length >= 2) {
        const vs = names.filter((n) => n !== 'full-preact' && cell(n)?.runs).map((n) => [n, compareAcc(cell(n)!, full)] as const);
        const beaten = vs.filter(([, c]) => c.result === 'better');
        const judged = vs.every(([, c]) => c.result !== 'not judged');
        claim(
          'full pre-activation is the best unit',
          judged ? beaten.length === 0 : null,
          beaten.length
            ? `better than it: ${beaten.map(([n, c]) => `${n} ${c.text}`).join('; ')}`
            : `no design beats it beyond the seed range; ${vs.map(([n, c]) => `${n} ${c.text}`).join('; ')}`,
        );
      }
      for (const [n, label] of [
        ['bn-after-add', 'BN after the addition is worse than the original'],
        ['relu-before-add', 'ReLU before the addition is worse than the original'],
      ] as const) {
        const c = cell(n);
        if (!c?.runs || !orig?.runs) continue;
        const r = compareAcc(c, orig);
        claim(label, r.result === 'not judged' ? null : r.result === 'worse', `${n} vs original: ${r.text}`);
      }
      const d = cell('relu-only-preact');
      if (d?.runs && orig?.runs) {
        const r = compareAcc(d, orig);
        claim(
          'ReLU-only pre-activation is about as good as the original (6.71 vs 6.61)',
          r.result === 'not judged' ? null : r.result === 'same',
          `relu-only-preact vs original: ${r.text}`,
        );
      }
      if (lines.length) {
        const claims = lines.filter((l) => l.claim);
        const ok = claims.filter((l) => l.paper === 'agrees').length;
        const judged = claims.filter((l) => l.paper !== 'not judged').length;
        const best = measured.length ? [...measured].sort((p, q) => cell(q)!.score! - cell(p)!.score!)[0] : null;
        a.verdict.answer.push(
          line(
            `answer.placement${where ? `.${where}` : ''}`,
            'answer',
            `${where ? `${where}: ` : ''}${best ? `${best} trained best (test error ${(100 * (1 - cell(best)!.score!)).toFixed(1)}%); ` : ''}${ok} of ${judged} claims of He et al. 2016 Table 2 confirmed${lines.some((l) => l.id === 'spearman') ? ` (rank correlation ${lines.find((l) => l.id === 'spearman')!.evidence[0].value!.toFixed(2)})` : ''}.`,
            {
              paper: judged === 0 ? 'not judged' : ok === judged ? 'agrees' : ok === 0 ? 'disagrees' : 'partly agrees',
              claim: { key: 'claims-confirmed', subject: where || undefined, value: `${ok}/${judged}` },
              evidence: [
                { label: 'claims confirmed', value: ok },
                { label: 'claims judged', value: judged },
              ],
            },
          ),
        );
        a.verdict.lines.push(
          line(`paper${where ? `.${where}` : ''}`, 'finding', `Compared with He et al. 2016 Table 2${where ? ` (${where})` : ''}:`, {
            children: lines,
          }),
        );
      }
    }
    a.verdict.thresholds.push({
      name: 'design comparison',
      value: Math.max(0, ...a.cells.map((c) => (c.scoreRange === null ? 0 : 100 * c.scoreRange))),
      rule: 'two designs differ when their median test accuracies differ by more than the larger seed range (max - min over seeds, in points) of the two; the value shown is the largest seed range measured',
    });
    return a;
  },
};
