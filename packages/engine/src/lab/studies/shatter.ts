/**
 * What happens to gradients with depth? The shattered-gradients experiment of Balduzzi et al. 2017: the gradient of
 * a randomly initialised net's output with respect to a 1-D input, over 256 points, and its autocorrelation.
 */

import { fmt, median } from '../stats.js';
import type { StudyDef } from '../study.js';
import type { Analysis, AnalysisContext, CellSummary, VerdictLine } from '../types.js';
import { line } from '../verdict.js';

export type GradientLook = 'white noise' | 'correlated' | 'partly correlated';

const LAGS = [1, 2, 4, 8, 16, 32];

const range = (xs: number[], f = (x: number) => x.toFixed(2)) =>
  xs.length === 0 ? '-' : xs.length === 1 ? f(xs[0]) : `${f(median(xs))} [${f(Math.min(...xs))}, ${f(Math.max(...xs))}]`;

export const shatterStudy: StudyDef = {
  name: 'shatter',
  title: 'Shattered gradients: input gradients of plain and residual nets at initialisation',
  question:
    'What happens to gradients with depth? Do the gradients of a deep plain net look like white noise, and do those of a residual net keep their structure?',
  explanation: [
    "Balduzzi et al. (2017) looked at a net with one input and one output at initialisation, and at df/dx over a grid of inputs. For a shallow ReLU net, df/dx = sum over active paths of products of weights; it changes only where a unit switches on or off, so it is a random walk over the inputs (brown noise): neighbouring points have nearly the same gradient. With depth the number of switching units and paths grows and, for a plain net, the gradient at nearby points decorrelates: it looks like white noise, and a gradient step says little about the function's shape at the next point. With skip connections a' = a + F(a) the identity path keeps a large part of the gradient shared between neighbouring inputs; they showed its correlation decays far more slowly with depth.",
    "Setup (as in the paper): 256 inputs x_i = -2 + 4 i / 256, nets of width 200 with ReLU, depths 1, 24 and 50, plain a' = g(BN(W a + b)) vs residual preact-1 a' = a + W g(BN(a)) + b. The autocorrelation over the points is rho(k) = sum_i (g_i - m)(g_{i+k} - m) / sum_i (g_i - m)^2, with g_i = df/dx at x_i: brown noise has rho(1) near 1, white noise has rho(1) near 0.",
    'Batch norm: with zero-initialised biases and no normalisation a ReLU net is positively homogeneous, f(x) = x f(1) for x > 0, so on a 1-D input its gradient is constant on each side of 0 at any depth. Batch norm over the 256 points gives every unit its own offset; reslab computes the statistics of that batch, then freezes them (eval mode with the running statistics set to them), so df/dx at x_i involves x_i only and is obtained exactly by backpropagation to the input. Nothing is trained.',
    "Verdict thresholds, from the data: a gradient looks like white noise when |rho(1)| is inside the white-noise band, the 95th percentile of |rho(1)| over 200 random shuffles of the same gradient values; it keeps its correlation when rho(1) is at least half of the 1-layer net's rho(1) of the same kind (the shallow, brown-noise reference); in between it is partly correlated.",
  ].join('\n\n'),
  finding: {
    source: 'Balduzzi et al. 2017 (The Shattered Gradients Problem: If resnets are the answer, then what is the question?), Figs. 1-3',
    text: 'At initialisation the input gradient of a 1-layer net is brown noise; that of a 24-layer plain net looks like white noise; that of a 50-layer resnet keeps correlation between neighbouring inputs. Correlations decay exponentially with depth for plain nets (about 2^-L) and sublinearly for resnets with batch norm (about 1/sqrt(L)).',
  },
  base: {
    model: { width: 200, norm: 'batch', normPlace: 'branch', init: 'he', activation: 'relu', shortcut: 'identity' },
    train: { optimizer: 'sgd', batchSize: 64, epochs: 1, maxSteps: 1 },
    data: { name: 'sine', size: 320, trainRatio: 0.8, noise: 0 },
  },
  grid: { variant: ['plain', 'preact-1'], 'model.depth': [1, 24, 50] },
  seeds: [1, 2, 3, 4, 5],
  lrGrid: [0.01],
  lrCriterion: 'no training: every net is measured at initialisation (the learning rate is unused)',
  lrSearch: { extend: false, maxExtra: 0, tuneSeeds: null },
  probe: { kind: 'shatter', points: 256, lo: -2, hi: 2, maxLag: 32 },
  budgets: {
    cli: {},
    browser: { seeds: 3, set: { 'model.width': 100 } },
  },
  metrics: [],
  layout: { tables: null, rows: ['variant', 'model.depth'] },
  analyze: (ctx: AnalysisContext, a: Analysis): Analysis => {
    const maxLag = ctx.study.probe?.kind === 'shatter' ? ctx.study.probe.maxLag : 32;
    const lags = LAGS.filter((k) => k <= maxLag);
    const meas = (c: CellSummary) =>
      ctx.records.filter((r) => r.kind === 'train' && r.cellKey === c.cellKey && r.shatter).map((r) => r.shatter!);
    const rho1 = (c: CellSummary): number | null => {
      const ms = meas(c);
      return ms.length ? median(ms.map((m) => m.autocorr[1])) : null;
    };
    // the shallowest cell of the same kind (all other axes equal) is the brown-noise reference
    const depthAxis = ctx.study.grid.find((g) => g.key === 'model.depth');
    const shallowest = depthAxis ? Math.min(...depthAxis.values.map(Number)) : null;
    const refOf = (c: CellSummary): CellSummary | undefined =>
      shallowest === null
        ? undefined
        : a.cells.find(
            (x) =>
              Number(x.cell['model.depth']) === shallowest &&
              Object.keys(c.cell).every((k) => k === 'model.depth' || x.cell[k] === c.cell[k]),
          );
    const looks = new Map<string, { look: GradientLook; r1: number; band: number; keep: number | null }>();
    const rows: string[][] = [];
    for (const c of a.cells) {
      const ms = meas(c);
      if (ms.length === 0) continue;
      const r1 = rho1(c)!;
      const band = median(ms.map((m) => m.noiseBand));
      const ref = refOf(c);
      const refR1 = ref ? rho1(ref) : null;
      const keep = refR1 !== null && refR1 > 0 ? 0.5 * refR1 : null;
      const look: GradientLook = Math.abs(r1) <= band ? 'white noise' : keep !== null && r1 >= keep ? 'correlated' : 'partly correlated';
      looks.set(c.cellKey, { look, r1, band, keep });
      rows.push([
        ...ctx.study.grid.map((g) => String(c.cell[g.key])),
        ...lags.map((k) => range(ms.map((m) => m.autocorr[k]))),
        band.toFixed(2),
        range(
          ms.map((m) => m.rms),
          (x) => fmt(x),
        ),
        look,
      ]);
    }
    const incomplete = a.verdict.lines.filter((l) => l.level === 'warning');
    a.tables = rows.length
      ? [
          {
            title: 'Autocorrelation of df/dx over 256 inputs in [-2, 2), at initialisation',
            header: [
              ...ctx.study.grid.map((g) => g.key.replace(/^(model|train|data)\./, '')),
              ...lags.map((k) => `rho(${k})`),
              'noise band',
              'rms df/dx',
              'looks like',
            ],
            rows,
            note: 'rho(k): median [min, max] over seeds; noise band: 95th percentile of |rho(1)| over shuffles of the same gradients (median over seeds)',
          },
        ]
      : [];
    const lines: VerdictLine[] = [...incomplete];
    const perCell: VerdictLine[] = [];
    const deepest = depthAxis ? Math.max(...depthAxis.values.map(Number)) : null;
    const byKind = (plain: boolean) =>
      a.cells.filter((c) => looks.has(c.cellKey) && (String(c.cell.variant ?? ctx.study.base.model.block) === 'plain') === plain);
    for (const c of a.cells) {
      const l = looks.get(c.cellKey);
      if (!l) continue;
      perCell.push(
        line(
          `look.${c.cellKey}`,
          'detail',
          `${c.cellKey}: rho(1) = ${l.r1.toFixed(2)} -> ${l.look} (white-noise band ${l.band.toFixed(2)}${l.keep === null ? '' : `, keeps correlation above ${l.keep.toFixed(2)}`}).`,
          {
            claim: { key: 'gradient-looks', subject: c.cellKey, value: l.look },
            evidence: [
              { label: 'rho(1)', value: l.r1 },
              { label: 'white-noise band', value: l.band },
            ],
          },
        ),
      );
    }
    const atDeepest = (cs: CellSummary[]) => cs.filter((c) => deepest === null || Number(c.cell['model.depth']) === deepest);
    const plainDeep = atDeepest(byKind(true));
    const resDeep = atDeepest(byKind(false));
    const claims: VerdictLine[] = [];
    if (plainDeep.length) {
      const ok = plainDeep.every((c) => looks.get(c.cellKey)!.look === 'white noise');
      claims.push(
        line(
          'answer.plain-white',
          'answer',
          `The gradient of the deepest plain net looks like white noise: ${ok ? 'confirmed' : 'NOT confirmed'} (${plainDeep.map((c) => `${c.cellKey}: ${looks.get(c.cellKey)!.look}`).join('; ')}).`,
          { claim: { key: 'plain-white-noise', value: ok ? 'confirmed' : 'not confirmed' }, paper: ok ? 'agrees' : 'disagrees' },
        ),
      );
    }
    if (resDeep.length) {
      const ok = resDeep.every((c) => looks.get(c.cellKey)!.look === 'correlated');
      const some = resDeep.every((c) => looks.get(c.cellKey)!.look !== 'white noise');
      claims.push(
        line(
          'answer.residual-correlated',
          'answer',
          `The gradient of the deepest residual net keeps its correlation: ${ok ? 'confirmed' : some ? "partly (above white noise, but below half of the shallow net's rho(1))" : 'NOT confirmed'} (${resDeep.map((c) => `${c.cellKey}: ${looks.get(c.cellKey)!.look}`).join('; ')}).`,
          {
            claim: { key: 'residual-correlated', value: ok ? 'confirmed' : some ? 'partly' : 'not confirmed' },
            paper: ok ? 'agrees' : some ? 'partly agrees' : 'disagrees',
          },
        ),
      );
    }
    if (perCell.length) lines.push(line('looks', 'finding', 'What the input gradient looks like, per net:', { children: perCell }));
    a.verdict.lines = lines;
    a.verdict.answer = claims;
    const bands = [...looks.values()].map((l) => l.band);
    const keeps = [...looks.values()].map((l) => l.keep).filter((k): k is number => k !== null);
    a.verdict.thresholds = [];
    if (bands.length)
      a.verdict.thresholds.push({
        name: 'white-noise band for rho(1) (median over cells)',
        value: median(bands),
        rule: 'per cell: the 95th percentile of |rho(1)| over 200 random shuffles of the measured gradients (median over seeds); |rho(1)| at or below it = white noise',
      });
    if (keeps.length)
      a.verdict.thresholds.push({
        name: 'keeps correlation (smallest over kinds)',
        value: Math.min(...keeps),
        rule: 'rho(1) >= 0.5 x the median rho(1) of the shallowest net of the same kind; between the white-noise band and this: partly correlated',
      });
    return a;
  },
};
