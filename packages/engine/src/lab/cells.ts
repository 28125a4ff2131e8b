/**
 * Per-cell statistics: a cell's records -> its learning-rate search, the summary over seeds at the chosen rate,
 * the median curves and profiles at initialisation, whether it had stopped improving, and its score.
 */
import { datasetInfo } from '../data/index.js';
import { type DataSpec, resolveInit } from '../spec.js';
import { cellKeyOf, tuningSeeds } from './expand.js';
import { bestLr, searchLr } from './lrsearch.js';
import { isDiverged, type JobRecord } from './records.js';
import { median, medianProfile, summarize } from './stats.js';
import type { ResolvedStudy, Value } from './study.js';
import type { CellSummary } from './types.js';

/** Number of classes of a dataset (null: regression). */
export function datasetClasses(name: string): number | null {
  const info = datasetInfo(name as DataSpec['name']);
  return info.kind === 'classification' ? info.outputDim : null;
}

/** A cell stopped improving when its score gained at most this much over the last quarter of its run. */
export const PLATEAU_GAIN = { classification: 0.01, regression: 0.05 };
export const PLATEAU_RULE = `a cell has stopped improving when, at its chosen learning rate, the median test accuracy over seeds gained at most ${100 * PLATEAU_GAIN.classification} point from the evaluation at 3/4 of the run to the last (regression: the median train loss fell by at most ${PLATEAU_GAIN.regression} decades)`;

function curveOf(rs: JobRecord[]): CellSummary['curve'] {
  const ok = rs.filter((r) => !isDiverged(r) && r.result);
  if (ok.length === 0) return { steps: [], trainLoss: [], testAcc: [] };
  const hs = ok.map((r) => r.result!.history);
  const n = Math.min(...hs.map((h) => h.length));
  const steps: number[] = [];
  const trainLoss: number[] = [];
  const testAcc: Array<number | null> = [];
  for (let i = 0; i < n; i++) {
    steps.push(hs[0][i].step);
    trainLoss.push(median(hs.map((h) => h[i].trainLoss)));
    const accs = hs.map((h) => h[i].testAcc).filter((a): a is number => a !== null);
    testAcc.push(accs.length ? median(accs) : null);
  }
  return { steps, trainLoss, testAcc };
}

/** The score gained over the last quarter of a median curve (see PLATEAU_RULE); null without two evaluations there. */
export function lateGain(curve: CellSummary['curve'], classification: boolean): number | null {
  const n = curve.steps.length;
  if (n < 2) return null;
  const last = curve.steps[n - 1];
  const i = curve.steps.findIndex((s) => s >= 0.75 * last);
  if (i < 0 || i === n - 1) return null;
  if (classification) {
    const a = curve.testAcc[i];
    const b = curve.testAcc[n - 1];
    return a === null || b === null ? null : b - a;
  }
  const a = curve.trainLoss[i];
  const b = curve.trainLoss[n - 1];
  return a > 0 && b > 0 ? Math.log10(a / b) : null;
}

/** first hidden / last hidden gradient norm, skipping the input and output projections when named so. */
export function gradRatio(names: string[], norms: number[]): number | null {
  const idx = names.map((n, i) => [n, i] as const).filter(([n]) => n !== 'in' && n !== 'out');
  const use = idx.length >= 2 ? idx.map(([, i]) => i) : norms.map((_, i) => i);
  if (use.length < 2) return null;
  const first = norms[use[0]];
  const last = norms[use[use.length - 1]];
  if (!(Number.isFinite(first) && Number.isFinite(last)) || last === 0) return null;
  return first / last;
}

export function summarizeCell(
  study: ResolvedStudy,
  cell: Record<string, Value>,
  start: number[],
  records: JobRecord[],
  classification: boolean,
  score: (s: CellSummary) => number | null,
  scoreRange: (s: CellSummary) => number | null,
): CellSummary {
  const cellKey = cellKeyOf(study.grid, cell);
  const lr = searchLr(records, start, study.lrSearch, tuningSeeds(study));
  // an interrupted search: the best rate of what finished
  const chosen = lr.chosen ?? bestLr(lr.scores);
  const at = chosen === null ? [] : records.filter((r) => r.lr === chosen);
  const ok = at.filter((r) => !isDiverged(r));
  const res = ok.map((r) => r.result!);
  const inits = at.filter((r) => r.result?.init).map((r) => r.result!.init);
  const prof = (k: 'gradNorms' | 'streamNorms' | 'streamMean' | 'streamSpread') => medianProfile(inits.map((i) => i[k] ?? []));
  const layerNames = inits[0]?.layerNames ?? [];
  const gradNorms = prof('gradNorms');
  const folds = at.map((r) => r.fold?.maxAbsDiff).filter((x): x is number => typeof x === 'number');
  const curve = curveOf(at);
  const gain = lateGain(curve, classification);
  const s: CellSummary = {
    cellKey,
    cell,
    lr,
    chosenLr: chosen,
    init: at.length ? resolveInit(at[0].spec.model) : null,
    runs: at.length,
    expectedRuns: study.seeds.length,
    diverged: at.length - ok.length,
    trainLoss: summarize(res.map((r) => r.finalTrainLoss)),
    testLoss: summarize(res.map((r) => r.finalTestLoss)),
    testAcc: summarize(res.map((r) => r.finalTestAcc)),
    trainAcc: summarize(res.map((r) => r.finalTrainAcc)),
    gradInit: {
      layerNames,
      gradNorms,
      streamNorms: prof('streamNorms'),
      streamMean: prof('streamMean'),
      streamSpread: prof('streamSpread'),
    },
    gradRatio: gradRatio(layerNames, gradNorms),
    curve,
    lateGain: gain,
    plateaued: gain === null ? null : gain <= (classification ? PLATEAU_GAIN.classification : PLATEAU_GAIN.regression),
    foldMaxAbsDiff: folds.length ? Math.max(...folds) : null,
    timeMs: records.reduce((t, r) => t + r.timeMs, 0),
    score: null,
    scoreRange: null,
    status: 'missing',
  };
  s.score = score(s);
  s.scoreRange = scoreRange(s);
  return s;
}
