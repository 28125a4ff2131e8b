/**
 * Can a deep residual stack train without normalisation? Default initialisation vs a zero-initialised last layer,
 * Fixup and ReZero, at depth 64 and more.
 */
import { datasetClasses } from '../cells.js';
import type { JobRecord } from '../records.js';
import { fmt, summarize } from '../stats.js';
import type { StudyDef, Value } from '../study.js';
import type { Analysis, AnalysisContext, CellSummary, VerdictLine } from '../types.js';
import { line } from '../verdict.js';
import { compareAcc, findCell } from './helpers.js';

/** The designs: name -> branch scaling of the engine (spec field branchScale). */
export const INIT_DESIGNS: Record<string, string> = { default: 'none', 'zero-last': 'zero-last', fixup: 'fixup', rezero: 'rezero' };
const LABEL: Record<string, string> = { default: 'default', 'zero-last': 'zero-last', fixup: 'Fixup', rezero: 'ReZero' };

/** First eval step at which a cell's median train-loss curve is at or below `target` (null: never). */
export function stepsTo(c: CellSummary, target: number): number | null {
  for (let i = 0; i < c.curve.steps.length; i++) if (c.curve.trainLoss[i] <= target) return c.curve.steps[i];
  return null;
}

/** Mean log10 train loss over a run's evaluations (the area under its log-loss curve): lower = converged faster. */
export const meanLogLoss = (r: JobRecord): number | null => {
  const h = r.result?.status === 'ok' ? r.result.history : [];
  return h.length ? h.reduce((s, e) => s + Math.log10(e.trainLoss), 0) / h.length : null;
};

export const initStudy: StudyDef = {
  name: 'init',
  title: 'Deep residual nets without normalisation: default init, zero-last, Fixup, ReZero',
  question: 'Can a residual stack of 64 or more layers train without normalisation, and does the initialisation of its branches decide it?',
  explanation: [
    "All nets are preact-2 stacks without normalisation: a' = a + s F(a), F(a) = W2 g(W1 g(a) + b1) + b2, g = ReLU, He initialisation unless said otherwise. With the default (s = 1, every W ~ N(0, 2/n)) each block adds a branch about as large as its input, so Var(a) roughly doubles per block: after L blocks the stream, and the logits, are about 2^(L/2) times larger than the input. Nothing in the net rescales them.",
    "zero-last: W2 = 0 at initialisation, so F = 0 and every block starts as the identity (as 'zero-gamma' initialisation does with batch norm). Fixup (Zhang et al. 2019): W1 scaled by L^(-1/(2m-2)) = L^(-1/2) for m = 2 layers per branch, W2 = 0, and a learnable scalar multiplier s (init 1); the paper's scalar biases are reslab's per-unit biases here. ReZero (Bachlechner et al. 2020): a' = a + alpha F(a) with a learnable scalar alpha per block, initialised to 0, so every block starts as the identity and learns how much of its branch to let in.",
    "The study trains each at depths 64 and 128 on MNIST with Adam, every cell at the learning rate of a small grid that gives it the lowest final training loss (the 'design' axis names the four settings of the engine's branchScale: none, zero-last, fixup, rezero). Besides which cells train, it measures speed: the first evaluation step at which a cell's median training loss gets halfway, on a log scale, from the chance-level loss ln(classes) to the level every trained cell of that depth reaches by the end (the highest final training loss among them): target = sqrt(ln(classes) x that loss); and the mean of log10(train loss) over the run's evaluations (the area under the log-loss curve), which the verdict compares.",
  ].join('\n\n'),
  finding: {
    source: 'Zhang, Dauphin & Ma 2019 (Fixup Initialization); Bachlechner et al. 2020 (ReZero is All You Need)',
    text: 'Fixup: deep residual nets (up to 10,000 layers) train without normalisation when the branches are rescaled and their last layer is zero-initialised; the default initialisation does not. ReZero: with alpha = 0 at init, deep fully connected residual nets converge much faster than the same nets with other initialisations or normalisations.',
  },
  base: {
    model: { width: 64, block: 'preact', skip: 2, norm: 'none', init: 'he', activation: 'relu', shortcut: 'identity' },
    train: { optimizer: 'adam', batchSize: 64, epochs: 1000, maxSteps: 400, evalEvery: 25 },
    data: { name: 'mnist', size: 6000, trainRatio: 0.8 },
  },
  designs: Object.fromEntries(Object.entries(INIT_DESIGNS).map(([k, v]) => [k, { 'model.branchScale': v }])),
  grid: { 'model.depth': [64, 128], design: Object.keys(INIT_DESIGNS) },
  seeds: [1, 2],
  lrGrid: [3e-4, 1e-3],
  budgets: {
    cli: {},
    browser: {
      grid: { 'model.depth': [32, 64] },
      seeds: 2,
      lrGrid: [1e-3],
      set: { 'model.width': 32, 'train.maxSteps': 200, 'data.size': 2000 },
    },
  },
  metrics: ['trainLoss', 'testAcc', 'diverged', 'lr', 'gradRatio'],
  layout: { tables: 'model.depth', rows: ['design'] },
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    const depths = ctx.study.grid.find((g) => g.key === 'model.depth')?.values ?? [ctx.study.base.model.depth as Value];
    const scales = (ctx.study.grid.find((g) => g.key === 'design')?.values ?? []).map(String);
    const classes = datasetClasses(String(ctx.study.base.data.name ?? 'mnist'));
    const targets: number[] = [];
    const aucSpreads: number[] = [];
    const rows: string[][] = [];
    /** claim label -> the outcome at each depth */
    const outcomes = new Map<string, Array<[Value, boolean | null]>>();
    for (const d of depths) {
      const where: Record<string, Value> = ctx.study.grid.some((g) => g.key === 'model.depth') ? { 'model.depth': d } : {};
      const cells = scales.map((s) => [s, findCell(a, { design: s, ...where })] as const).filter(([, c]) => c && c.runs > 0) as Array<
        readonly [string, CellSummary]
      >;
      const trained = cells.filter(([, c]) => c.status === 'trained' && c.trainLoss.median !== null);
      const final = trained.length ? Math.max(...trained.map(([, c]) => c.trainLoss.median!)) : null;
      // halfway on a log scale from the chance-level loss to the final level of the slowest trained cell
      const target = final === null || classes === null ? final : Math.sqrt(Math.log(classes) * final);
      if (target !== null) targets.push(target);
      const speed = new Map(cells.map(([s, c]) => [s, target === null ? null : stepsTo(c, target)]));
      // per seed at the chosen learning rate: the mean log10 train loss over the run
      const auc = new Map(
        cells.map(([s, c]) => [
          s,
          summarize(ctx.records.filter((r) => r.kind === 'train' && r.cellKey === c.cellKey && r.lr === c.chosenLr).map(meanLogLoss)),
        ]),
      );
      for (const m of auc.values()) if (m.finite > 1) aucSpreads.push(m.max! - m.min!);
      for (const [s, c] of cells) {
        rows.push([
          String(d),
          LABEL[s] ?? s,
          c.trainLoss.median === null ? 'diverged' : fmt(c.trainLoss.median),
          c.testAcc.median === null ? '-' : (100 * c.testAcc.median).toFixed(1),
          c.status,
          speed.get(s) === null || speed.get(s) === undefined ? (target === null ? '-' : 'never') : String(speed.get(s)),
          (() => {
            const m = auc.get(s)!;
            return m.median === null
              ? '-'
              : m.finite > 1
                ? `${m.median.toFixed(2)} [${m.min!.toFixed(2)}, ${m.max!.toFixed(2)}]`
                : m.median.toFixed(2);
          })(),
        ]);
      }
      const lines: VerdictLine[] = [];
      if (target !== null) {
        const reached = cells.filter(([s]) => speed.get(s) !== null).sort((p, q) => speed.get(p[0])! - speed.get(q[0])!);
        lines.push(
          line(
            `speed.${d}`,
            'detail',
            `steps to reach train loss ${fmt(target)} (= sqrt(ln ${classes ?? '-'} x ${fmt(final)}), halfway on a log scale from chance to the highest final loss among the trained cells): ${cells.map(([s]) => `${LABEL[s] ?? s} ${speed.get(s) ?? 'never'}`).join(', ')}${reached.length ? `; fastest: ${LABEL[reached[0][0]] ?? reached[0][0]}` : ''}.`,
            { evidence: cells.map(([s]) => ({ label: `${LABEL[s] ?? s} steps to target`, value: speed.get(s) ?? null })) },
          ),
        );
      }
      const claim = (label: string, ok: boolean | null, why: string) => {
        if (!outcomes.has(label)) outcomes.set(label, []);
        outcomes.get(label)!.push([d, ok]);
        lines.push(
          line(`claim.${d}.${label}`, 'detail', `${label}: ${ok === null ? 'not judged' : ok ? 'confirmed' : 'NOT confirmed'} (${why}).`, {
            claim: { key: label, subject: `depth ${d}`, value: ok === null ? 'not judged' : ok ? 'confirmed' : 'not confirmed' },
            paper: ok === null ? 'not judged' : ok ? 'agrees' : 'disagrees',
          }),
        );
      };
      const def = cells.find(([s]) => s === 'default')?.[1];
      const others = cells.filter(([s]) => s !== 'default');
      if (def && others.length) {
        const cmp = others.map(([s, c]) => [s, compareAcc(def, c)] as const);
        const fails = def.status === 'failed';
        const worst = cmp.every(([, r]) => r.result === 'worse');
        claim(
          'the default initialisation fails (or trains worst of all) without normalisation',
          fails || worst ? true : cmp.some(([, r]) => r.result === 'not judged') ? null : false,
          `default: ${def.status}, test acc ${def.testAcc.median === null ? '-' : (100 * def.testAcc.median).toFixed(1)}%, ${def.diverged}/${def.runs} diverged; vs ${cmp.map(([s, r]) => `${LABEL[s] ?? s} ${r.result} (${r.text})`).join(', ')}`,
        );
      }
      const fix = cells.find(([s]) => s === 'fixup')?.[1];
      if (fix)
        claim(
          'Fixup trains without normalisation',
          fix.status === 'trained',
          `Fixup: ${fix.status}, final train loss ${fmt(fix.trainLoss.median)}`,
        );
      const rz = cells.find(([s]) => s === 'rezero')?.[1];
      const rzA = auc.get('rezero');
      if (rz && rzA?.median != null) {
        // another cell converged faster when its mean log loss is lower by more than the larger seed range of the two
        const spread = (m: ReturnType<typeof summarize>) => (m.finite > 1 ? m.max! - m.min! : null);
        const rivals = cells
          .filter(([s]) => s !== 'rezero')
          .map(([s]) => [s, auc.get(s)!] as const)
          .filter(([, m]) => m.median !== null);
        const faster = rivals.filter(([, m]) => {
          const n = spread(m) === null || spread(rzA) === null ? 0 : Math.max(spread(m)!, spread(rzA)!);
          return m.median! < rzA.median! - n;
        });
        const oneSeed = rivals.some(([, m]) => spread(m) === null) || spread(rzA) === null;
        claim(
          'ReZero converges fastest',
          faster.length ? false : oneSeed ? null : true,
          `mean log10 train loss over the run (lower = faster): ReZero ${rzA.median.toFixed(2)}, ${rivals.map(([s, m]) => `${LABEL[s] ?? s} ${m.median!.toFixed(2)}`).join(', ')}${faster.length ? `; lower than ReZero beyond the seed ranges: ${faster.map(([s]) => LABEL[s] ?? s).join(', ')}` : '; none lower than ReZero beyond the seed ranges'}`,
        );
      }
      if (lines.length) a.verdict.lines.push(line(`depth.${d}`, 'finding', `Depth ${d}:`, { children: lines }));
    }
    for (const [label, res] of outcomes) {
      const at = (want: boolean | null) => res.filter(([, ok]) => ok === want).map(([d]) => d);
      const yes = at(true);
      const no = at(false);
      const parts = [
        yes.length ? `confirmed at depth ${yes.join(' and ')}` : '',
        no.length ? `NOT confirmed at depth ${no.join(' and ')}` : '',
        at(null).length ? `not judged at depth ${at(null).join(' and ')}` : '',
      ].filter(Boolean);
      a.verdict.answer.push(
        line(`answer.${label}`, 'answer', `${label[0].toUpperCase()}${label.slice(1)}: ${parts.join('; ')}.`, {
          claim: {
            key: label,
            value: no.length === 0 && yes.length ? 'confirmed' : yes.length === 0 && no.length ? 'not confirmed' : 'mixed',
          },
          paper:
            no.length === 0 && yes.length
              ? 'agrees'
              : yes.length === 0 && no.length
                ? 'disagrees'
                : yes.length
                  ? 'partly agrees'
                  : 'not judged',
          evidence: res.map(([d, ok]) => ({ label: `depth ${d}`, value: ok === null ? null : ok ? 1 : 0 })),
        }),
      );
    }
    a.tables.push({
      title: 'Initialisation without normalisation: speed',
      header: ['depth', 'init', 'train loss', 'test acc', 'status', 'steps to target', 'mean log10 loss'],
      rows,
      note: 'medians over seeds at the chosen learning rate; target = sqrt(ln(classes) x the highest final train loss among the trained cells of that depth); mean log10 loss = mean of log10(train loss) over the evaluations of a run (area under the curve: lower = faster), median [min, max] over seeds',
    });
    if (targets.length)
      a.verdict.thresholds.push({
        name: 'speed target (train loss, highest over depths)',
        value: Math.max(...targets),
        rule: 'per depth, sqrt(ln(classes) x the highest final median train loss among the cells that trained (generic rule)); steps to target = first evaluation step whose median train loss is at or below it',
      });
    if (aucSpreads.length)
      a.verdict.thresholds.push({
        name: 'convergence speed (median seed range of the mean log10 loss)',
        value: aucSpreads.sort((x, y) => x - y)[Math.floor(aucSpreads.length / 2)],
        rule: "a cell converged faster than ReZero when its median mean-log10-train-loss (over the run's evaluations) is lower by more than the larger seed range (max - min) of the two cells",
      });
    return a;
  },
};
