/**
 * Analysis: finished job records -> per-cell summaries (learning rate chosen
 * per cell), tables, gradient profiles, check summaries and a verdict in
 * words. Every threshold the verdict uses is computed from the measured data
 * (chance level of the dataset, best cell measured, seed-to-seed range, float32
 * precision times the measured output scale) and is returned and printed with
 * the verdict; nothing about the outcome is written in advance.
 */
import { cellKeyOf } from './expand.js';
import { type FoldMeasure, isDiverged, type JobRecord, type TwinMeasure } from './records.js';
import { fmt, median, medianProfile, pct, type Summary, summarize } from './stats.js';
import { axisName, type Metric, type ResolvedStudy, type StudyData, type StudyDef, type Value } from './study.js';

export interface LrScore {
  lr: number;
  /** median final train loss over seeds, a diverged run counting as +infinity; null when that median is infinite. */
  medianTrainLoss: number | null;
  diverged: number;
  runs: number;
}

export type Status = 'trained' | 'partly' | 'failed' | 'missing';

export interface CellSummary {
  cellKey: string;
  cell: Record<string, Value>;
  lrScores: LrScore[];
  chosenLr: number | null;
  /** runs finished at the chosen lr, and how many of those diverged. */
  runs: number;
  expectedRuns: number;
  diverged: number;
  /** over the non-diverged seeds at the chosen lr. */
  trainLoss: Summary;
  testLoss: Summary;
  testAcc: Summary;
  trainAcc: Summary;
  /** median over seeds of the per-layer gradient norm at initialisation. */
  gradInit: { layerNames: string[]; gradNorms: number[]; streamNorms: number[] };
  /** gradient norm of the first hidden layer / last hidden layer at initialisation (median over seeds). */
  gradRatio: number | null;
  /** median train loss over seeds at each eval step (chosen lr; diverged seeds left out). */
  curve: { steps: number[]; trainLoss: number[]; testAcc: Array<number | null> };
  /** max fold difference over the seeds of this cell (post-1 cells with fold checks). */
  foldMaxAbsDiff: number | null;
  timeMs: number;
  /** the score the verdict ranks cells by: median test accuracy (classification) or log10 loss reduction (regression). */
  score: number | null;
  /** seed-to-seed range of the score (max - min), null with fewer than two finite seeds. */
  scoreRange: number | null;
  status: Status;
}

export interface Table {
  title: string;
  header: string[];
  rows: string[][];
  note?: string;
}

export interface Profile {
  title: string;
  cellKey: string;
  layerNames: string[];
  gradNorms: number[];
  streamNorms: number[];
  ratio: number | null;
}

export interface CheckSummary {
  id: string;
  kind: 'fold' | 'twin';
  label: string;
  trained: boolean;
  ok: boolean | null;
  /** the main number: max abs output difference (fold), max abs loss difference (twin). */
  value: number | null;
  tolerance: number | null;
  line: string;
}

export interface Threshold {
  name: string;
  value: number;
  rule: string;
}

export interface Verdict {
  lines: string[];
  thresholds: Threshold[];
}

export interface Analysis {
  study: string;
  title: string;
  axes: string[];
  cells: CellSummary[];
  tables: Table[];
  profiles: Profile[];
  checks: CheckSummary[];
  verdict: Verdict;
  /** jobs of the plan with no record yet (an interrupted study). */
  missing: number;
  lrCriterion: string;
}

export interface AnalysisContext {
  def: StudyData;
  study: ResolvedStudy;
  records: JobRecord[];
}

export const DEFAULT_LR_CRITERION =
  'per cell, the learning rate with the lowest median final train loss over seeds (a diverged run counts as +infinity; ties go to the smaller learning rate)';

const FLOAT32_EPS = 2 ** -23;

/** Number of classes of a dataset (null: regression). */
export function datasetClasses(name: string): number | null {
  if (name === 'mnist') return 10;
  if (name === 'plane' || name === 'sine') return null;
  return 2;
}

// ---------- per cell ----------

function finalLoss(r: JobRecord): number {
  return isDiverged(r) || r.result?.finalTrainLoss == null ? Number.POSITIVE_INFINITY : r.result.finalTrainLoss;
}

/** Pick the best lr: lowest median final train loss (diverged = +inf), then fewer diverged, then the smaller lr. */
export function chooseLr(records: JobRecord[], lrGrid: number[]): { scores: LrScore[]; chosen: number | null } {
  const scores: LrScore[] = lrGrid.map((lr) => {
    const rs = records.filter((r) => r.lr === lr);
    const m = rs.length ? median(rs.map(finalLoss)) : Number.POSITIVE_INFINITY;
    return { lr, medianTrainLoss: Number.isFinite(m) ? m : null, diverged: rs.filter(isDiverged).length, runs: rs.length };
  });
  const ranked = scores
    .filter((s) => s.runs > 0)
    .sort(
      (a, b) =>
        (a.medianTrainLoss ?? Number.POSITIVE_INFINITY) - (b.medianTrainLoss ?? Number.POSITIVE_INFINITY) ||
        a.diverged / a.runs - b.diverged / b.runs ||
        a.lr - b.lr,
    );
  // NOTE: Infinity - Infinity is NaN (falsy), so fully diverged lrs fall through to the next criteria as intended.
  return { scores, chosen: ranked.length ? ranked[0].lr : null };
}

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

function summarizeCell(
  study: ResolvedStudy,
  cell: Record<string, Value>,
  records: JobRecord[],
  score: (s: CellSummary) => number | null,
  scoreRange: (s: CellSummary) => number | null,
): CellSummary {
  const cellKey = cellKeyOf(study.grid, cell);
  const { scores, chosen } = chooseLr(records, study.lrGrid);
  const at = chosen === null ? [] : records.filter((r) => r.lr === chosen);
  const ok = at.filter((r) => !isDiverged(r));
  const res = ok.map((r) => r.result!);
  const inits = at.filter((r) => r.result?.init).map((r) => r.result!.init);
  const layerNames = inits[0]?.layerNames ?? [];
  const gradNorms = medianProfile(inits.map((i) => i.gradNorms));
  const folds = at.map((r) => r.fold?.maxAbsDiff).filter((x): x is number => typeof x === 'number');
  const s: CellSummary = {
    cellKey,
    cell,
    lrScores: scores,
    chosenLr: chosen,
    runs: at.length,
    expectedRuns: study.seeds.length,
    diverged: at.length - ok.length,
    trainLoss: summarize(res.map((r) => r.finalTrainLoss)),
    testLoss: summarize(res.map((r) => r.finalTestLoss)),
    testAcc: summarize(res.map((r) => r.finalTestAcc)),
    trainAcc: summarize(res.map((r) => r.finalTrainAcc)),
    gradInit: { layerNames, gradNorms, streamNorms: medianProfile(inits.map((i) => i.streamNorms)) },
    gradRatio: gradRatio(layerNames, gradNorms),
    curve: curveOf(at),
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

// ---------- tables ----------

const range = (s: Summary, f: (x: number) => string): string =>
  s.median === null ? '-' : s.finite > 1 ? `${f(s.median)} [${f(s.min!)}-${f(s.max!)}]` : f(s.median);

const metricHeader: Record<Metric, string> = {
  trainLoss: 'train loss',
  testLoss: 'test loss',
  testAcc: 'test acc',
  trainAcc: 'train acc',
  diverged: 'diverged',
  lr: 'lr',
  gradRatio: 'grad first/last',
  time: 'time',
};

function metricCell(m: Metric, c: CellSummary): string {
  switch (m) {
    case 'trainLoss':
      return range(c.trainLoss, (x) => fmt(x));
    case 'testLoss':
      return range(c.testLoss, (x) => fmt(x));
    case 'testAcc':
      return range(c.testAcc, (x) => (100 * x).toFixed(1));
    case 'trainAcc':
      return range(c.trainAcc, (x) => (100 * x).toFixed(1));
    case 'diverged':
      return c.runs < c.expectedRuns ? `${c.diverged}/${c.runs} (of ${c.expectedRuns})` : `${c.diverged}/${c.runs}`;
    case 'lr':
      return c.chosenLr === null ? '-' : fmt(c.chosenLr);
    case 'gradRatio':
      return fmt(c.gradRatio, 2);
    case 'time':
      return `${(c.timeMs / 1000).toFixed(1)}s`;
  }
}

function buildTables(def: StudyData, study: ResolvedStudy, cells: CellSummary[]): Table[] {
  const tableAxis = def.layout.tables && study.grid.some((a) => a.key === def.layout.tables) ? def.layout.tables : null;
  const rowAxes = (def.layout.rows ?? study.grid.map((a) => a.key)).filter((k) => k !== tableAxis && study.grid.some((a) => a.key === k));
  for (const a of study.grid) if (a.key !== tableAxis && !rowAxes.includes(a.key)) rowAxes.push(a.key);
  const groups = tableAxis ? study.grid.find((a) => a.key === tableAxis)!.values : [null];
  const header = [...rowAxes.map(axisName), ...def.metrics.map((m) => metricHeader[m]), 'status'];
  return groups.map((g) => {
    const inGroup = cells.filter((c) => g === null || c.cell[tableAxis!] === g);
    const sortedCells = [...inGroup].sort((a, b) => {
      for (const k of rowAxes) {
        const vs = study.grid.find((x) => x.key === k)!.values;
        const d = vs.indexOf(a.cell[k]) - vs.indexOf(b.cell[k]);
        if (d) return d;
      }
      return 0;
    });
    return {
      title: g === null ? def.title : `${def.title}: ${axisName(tableAxis!)} ${g}`,
      header,
      rows: sortedCells.map((c) => [...rowAxes.map((k) => String(c.cell[k])), ...def.metrics.map((m) => metricCell(m, c)), c.status]),
      note: 'median over seeds [min-max], at the chosen learning rate; test acc in %',
    };
  });
}

// ---------- checks ----------

/**
 * Tolerance of a fold check, from its own measurements: 4 x the float32 rounding error of the unfolded net
 * (measured against float64 on the same weights), plus a floor of 16 x 2^-23 x max(1, max|y|).
 */
export function foldTolerance(f: Pick<FoldMeasure, 'maxAbsOutput' | 'roundingError'>): number {
  return 4 * f.roundingError + 16 * FLOAT32_EPS * Math.max(1, f.maxAbsOutput);
}

/** Twin tolerance: 10 x the control's loss difference (rounding-level chaos of this run), floor 1e-5 x the loss scale. */
export function twinTolerance(t: Pick<TwinMeasure, 'controlMaxAbsLossDiff' | 'lossPost'>): number {
  const scale = Math.max(...t.lossPost.map(Math.abs), 1e-12);
  return Math.max(10 * t.controlMaxAbsLossDiff, 1e-5 * scale);
}

export const TWIN_RULE =
  'max |loss_post1 - loss_plain(I+W)| over the evaluations <= max(10 x the same difference for post-1 vs itself with initial weights nudged by one float32 rounding step, 1e-5 x max loss)';

export const FOLD_RULE =
  "max |y_post1 - y_folded| <= 4 x (the post-1 net's own float32 rounding error, max |y_float32 - y_float64|) + 16 x 2^-23 x max(1, max|y|)";

/** The float precision a record's run computed in (the js64 backend: float64; wasm and js: float32). */
const precision = (r: Pick<JobRecord, 'backend'>): string => (r.backend === 'js64' ? 'float64' : 'float32');

function summarizeChecks(records: JobRecord[]): CheckSummary[] {
  const out: CheckSummary[] = [];
  for (const r of records) {
    if (r.kind === 'train') continue;
    const label = r.label ?? r.id;
    const trained = r.result !== null;
    const kind = r.kind;
    /** a check without a verdict: it failed to run, or recorded nothing */
    const unjudged = (why: string): CheckSummary => ({
      id: r.id,
      kind,
      label,
      trained,
      ok: null,
      value: null,
      tolerance: null,
      line: `${label}: ${why}`,
    });
    if (r.error) {
      out.push(unjudged(`could not run (${r.error})`));
      continue;
    }
    if (r.kind === 'fold' && r.fold) {
      const tol = foldTolerance(r.fold);
      const ok = r.fold.maxAbsDiff <= tol;
      out.push({
        id: r.id,
        kind: 'fold',
        label,
        trained,
        ok,
        value: r.fold.maxAbsDiff,
        tolerance: tol,
        line: `${label}: max |y_post1 - y_folded| = ${fmt(r.fold.maxAbsDiff)} in ${precision(r)} (outputs up to ${fmt(r.fold.maxAbsOutput)}, the net's own ${precision(r)} rounding error ${fmt(r.fold.roundingError)}, tolerance ${fmt(tol)}), ${fmt(r.fold.maxAbsDiff64)} in float64: ${ok ? 'same function' : 'NOT the same function'}`,
      });
    } else if (r.kind === 'twin' && r.twin) {
      const t = r.twin;
      const scale = Math.max(...t.lossPost.map(Math.abs), 1e-12);
      const tol = twinTolerance(t);
      const ok = t.maxAbsLossDiff <= tol;
      const wd = t.maxWeightDiff === null ? '' : `; weights after training differ by up to ${fmt(t.maxWeightDiff)}`;
      out.push({
        id: r.id,
        kind: 'twin',
        label,
        trained: true,
        ok,
        value: t.maxAbsLossDiff,
        tolerance: tol,
        line: `${label}: over ${t.steps.length} evaluations the train losses differ by at most ${fmt(t.maxAbsLossDiff)} (losses up to ${fmt(scale)}); the control run (post-1 with its initial weights nudged by one float32 rounding step) moves by ${fmt(t.controlMaxAbsLossDiff)}; tolerance ${fmt(tol)}${wd}: ${ok ? 'the same training trajectory up to rounding' : 'different trajectories'}`,
      });
    } else {
      out.push(unjudged('no measurement recorded'));
    }
  }
  return out;
}

// ---------- verdict ----------

function classify(cells: CellSummary[], groupOf: (c: CellSummary) => string, chance: (c: CellSummary) => number): Threshold[] {
  const thresholds: Threshold[] = [];
  const groups = new Map<string, CellSummary[]>();
  for (const c of cells) {
    const g = groupOf(c);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(c);
  }
  for (const [g, cs] of groups) {
    const present = cs.filter((c) => c.runs > 0);
    const scored = present.filter((c) => c.score !== null);
    const ch = present.length ? chance(present[0]) : 0;
    const best = scored.length ? Math.max(...scored.map((c) => c.score!)) : ch;
    const hi = ch + 0.5 * (best - ch);
    const lo = ch + 0.1 * (best - ch);
    const where = g ? ` (${g})` : '';
    thresholds.push({
      name: `trained${where}`,
      value: hi,
      rule: `score >= chance + 0.5 x (best - chance) = ${fmt(ch)} + 0.5 x (${fmt(best)} - ${fmt(ch)})`,
    });
    thresholds.push({ name: `failed${where}`, value: lo, rule: `score < chance + 0.1 x (best - chance), or most seeds diverged` });
    for (const c of cs) {
      if (c.runs === 0) c.status = 'missing';
      else if (c.diverged * 2 > c.runs || c.score === null || c.score < lo || best - ch < 0.02) c.status = 'failed';
      else if (c.score >= hi) c.status = 'trained';
      else c.status = 'partly';
    }
  }
  return thresholds;
}

const scoreText = (c: CellSummary, classes: number | null): string =>
  c.score === null ? 'no score' : classes === null ? `loss down ${fmt(c.score, 2)} decades` : pct(c.score);

/** One-vs-two-layer comparisons for each block that has both k=1 and k=2 in the grid. */
function skipPairs(study: ResolvedStudy, cells: CellSummary[], classes: number | null): { lines: string[]; thresholds: Threshold[] } {
  const variantAxis = study.grid.find((a) => a.key === 'variant');
  if (!variantAxis) return { lines: [], thresholds: [] };
  const names = variantAxis.values.map(String);
  const pairs: Array<[string, string]> = [];
  for (const b of ['post', 'branch', 'preact']) {
    if (names.includes(`${b}-1`) && names.includes(`${b}-2`)) pairs.push([`${b}-1`, `${b}-2`]);
  }
  if (pairs.length === 0) return { lines: [], thresholds: [] };
  const others = study.grid.filter((a) => a.key !== 'variant');
  const actAxis = others.find((a) => a.key === 'model.activation');
  const restAxes = others.filter((a) => a !== actAxis);
  const lines: string[] = [];
  const ranges: number[] = [];
  const unit = classes === null ? 'decades' : 'points';
  const scale = classes === null ? 1 : 100;
  const acts = actAxis ? actAxis.values : [null];
  for (const act of acts) {
    const parts: string[] = [];
    let better2 = 0;
    let better1 = 0;
    let same = 0;
    let unjudged = 0;
    let n = 0;
    for (const [v1, v2] of pairs) {
      for (const c1 of cells.filter((c) => c.cell.variant === v1 && (act === null || c.cell['model.activation'] === act))) {
        const c2 = cells.find((c) => c.cell.variant === v2 && others.every((a) => c.cell[a.key] === c1.cell[a.key]));
        if (!c2 || c1.runs === 0 || c2.runs === 0) continue;
        const where = restAxes.map((a) => `${axisName(a.key)} ${c1.cell[a.key]}`).join(', ');
        const at = where ? ` (${where})` : '';
        n++;
        if (c1.status === 'failed' || c2.status === 'failed') {
          if (c1.status === 'failed' && c2.status !== 'failed') better2++;
          else if (c2.status === 'failed' && c1.status !== 'failed') better1++;
          else same++;
          parts.push(`${v1} ${c1.status} vs ${v2} ${c2.status}${at}`);
          continue;
        }
        const d = (c1.score! - c2.score!) * scale;
        const sign = `${d >= 0 ? '+' : ''}${d.toFixed(1)} ${unit}`;
        const head = `${v1} ${scoreText(c1, classes)} vs ${v2} ${scoreText(c2, classes)}${at}: ${sign}`;
        if (c1.scoreRange === null || c2.scoreRange === null) {
          unjudged++;
          parts.push(`${head}, not judged (one seed gives no seed range)`);
          continue;
        }
        const noise = Math.max(c1.scoreRange, c2.scoreRange) * scale;
        ranges.push(noise);
        let verdict: string;
        if (Math.abs(d) <= noise) {
          same++;
          verdict = 'within the seed range';
        } else if (d < 0) {
          better2++;
          verdict = `${v2} better`;
        } else {
          better1++;
          verdict = `${v1} better`;
        }
        parts.push(`${head}, seed range ${noise.toFixed(1)}: ${verdict}`);
      }
    }
    if (n === 0) continue;
    const judged = n - unjudged;
    const summary =
      judged === 0
        ? 'not judged (one seed per cell)'
        : better2 > better1 + same
          ? 'two-layer skips did better'
          : better1 > better2 + same
            ? 'one-layer skips did better'
            : same >= better1 && same >= better2
              ? 'no clear difference between one- and two-layer skips'
              : 'mixed results';
    const counts = `${better2} of ${n} comparisons favour k=2, ${better1} favour k=1, ${same} tie${unjudged ? `, ${unjudged} not judged` : ''}`;
    lines.push(`${act === null ? 'all' : act}: ${summary} (${counts}). ${parts.join('; ')}.`);
  }
  const thresholds: Threshold[] = ranges.length
    ? [
        {
          name: 'k=1 vs k=2 difference (median seed range)',
          value: median(ranges),
          rule: `a difference counts when it exceeds the larger seed range (max - min over seeds of the score, in ${unit}) of the two cells compared, printed with each comparison; the summary per activation says 'did better' only when one side wins more comparisons than the other side and the ties together`,
        },
      ]
    : [];
  return { lines, thresholds };
}

/** The generic analysis every study gets; built-in studies may extend it. */
export function analyzeRecords(def: StudyData, study: ResolvedStudy, records: JobRecord[], expectedJobs?: number): Analysis {
  const trainRecs = records.filter((r) => r.kind === 'train');
  const byCell = new Map<string, JobRecord[]>();
  for (const r of trainRecs) {
    const k = r.cellKey ?? (r.cell ? cellKeyOf(study.grid, r.cell) : 'all');
    if (!byCell.has(k)) byCell.set(k, []);
    byCell.get(k)!.push(r);
  }
  // cells in grid order, including ones with no records yet
  const allCells: Array<Record<string, Value>> = [{}];
  let cellsList = allCells;
  for (const a of study.grid) cellsList = cellsList.flatMap((c) => a.values.map((v) => ({ ...c, [a.key]: v })));
  const datasetOf = (c: Record<string, Value>): string => String(c['data.name'] ?? study.base.data.name ?? 'mnist');
  const baselineLoss = median(trainRecs.filter((r) => r.result?.history.length).map((r) => r.result!.history[0].trainLoss));
  const scoreOf = (s: CellSummary): number | null => {
    const classes = datasetClasses(datasetOf(s.cell));
    if (classes !== null) return s.testAcc.median;
    if (s.trainLoss.median === null || !(baselineLoss > 0) || !(s.trainLoss.median > 0)) return null;
    return Math.log10(baselineLoss / s.trainLoss.median);
  };
  const rangeOf = (s: CellSummary): number | null => {
    const classes = datasetClasses(datasetOf(s.cell));
    if (classes !== null) return s.testAcc.finite >= 2 ? s.testAcc.max! - s.testAcc.min! : null;
    return s.trainLoss.finite >= 2 && s.trainLoss.min! > 0 ? Math.log10(s.trainLoss.max! / s.trainLoss.min!) : null;
  };
  const cells = cellsList.map((c) => summarizeCell(study, c, byCell.get(cellKeyOf(study.grid, c)) ?? [], scoreOf, rangeOf));

  const tableAxis = def.layout.tables && study.grid.some((a) => a.key === def.layout.tables) ? def.layout.tables : null;
  const groupOf = (c: CellSummary): string => {
    const parts: string[] = [];
    if (tableAxis) parts.push(`${axisName(tableAxis)} ${c.cell[tableAxis]}`);
    if ('data.name' in c.cell && tableAxis !== 'data.name') parts.push(`data ${c.cell['data.name']}`);
    return parts.join(', ');
  };
  const chanceOf = (c: CellSummary): number => {
    const k = datasetClasses(datasetOf(c.cell));
    return k === null ? 0 : 1 / k;
  };
  const thresholds = classify(cells, groupOf, chanceOf);
  const classes = datasetClasses(String(study.base.data.name ?? 'mnist'));

  const lines: string[] = [];
  const missing = (expectedJobs ?? records.length) - records.length;
  if (missing > 0) lines.push(`INCOMPLETE: ${missing} job(s) have no result yet; the verdict covers what finished.`);
  const scoreRule =
    classes === null
      ? 'score = log10(first evaluated train loss / final train loss), chance = 0'
      : `score = median test accuracy over seeds; chance = 1/${classes} = ${pct(1 / classes)}`;
  lines.push(
    `Rule: ${scoreRule}; a cell trained if score >= chance + 0.5 x (best - chance) in its group, failed if below chance + 0.1 x (best - chance) or if most seeds diverged (every cell fails when none beats chance by 0.02), partly otherwise.`,
  );
  const groups = [...new Set(cells.map(groupOf))];
  for (const g of groups) {
    const cs = cells.filter((c) => groupOf(c) === g && c.runs > 0);
    if (cs.length === 0) continue;
    const hidden = new Set([tableAxis, 'data.name']);
    const label = (c: CellSummary) =>
      cellKeyOf(
        study.grid.filter((a) => !hidden.has(a.key)),
        c.cell,
      );
    const by = (st: Status) => cs.filter((c) => c.status === st).map(label);
    const best = cs.filter((c) => c.score !== null).sort((a, b) => b.score! - a.score!)[0];
    const t = by('trained');
    const p = by('partly');
    const f = by('failed');
    lines.push(
      `${g ? `${g}: ` : ''}trained: ${t.join(', ') || 'none'}; partly: ${p.join(', ') || 'none'}; failed: ${f.join(', ') || 'none'}${best ? ` (best ${label(best)} at ${scoreText(best, classes)})` : ''}.`,
    );
  }
  const pairs = skipPairs(study, cells, classes);
  if (pairs.lines.length) lines.push('One-layer vs two-layer skip, per activation:', ...pairs.lines.map((l) => `  ${l}`));
  thresholds.push(...pairs.thresholds);

  const checks = summarizeChecks(records);
  const foldRecs = trainRecs.filter((r) => r.fold);
  if (foldRecs.length) {
    const ratio = (r: JobRecord) => r.fold!.maxAbsDiff / foldTolerance(r.fold!);
    const worst = foldRecs.reduce((w, r) => (ratio(r) > ratio(w) ? r : w));
    const bad = foldRecs.filter((r) => ratio(r) > 1);
    const rel = (d: number, f: FoldMeasure) => d / Math.max(1, f.maxAbsOutput);
    const maxRel = Math.max(...foldRecs.map((r) => rel(r.fold!.maxAbsDiff, r.fold!)));
    const maxRel64 = Math.max(...foldRecs.map((r) => rel(r.fold!.maxAbsDiff64, r.fold!)));
    const w = worst.fold!;
    checks.unshift({
      id: 'fold:grid',
      kind: 'fold',
      label: `every trained post-1 net of the grid (${foldRecs.length} runs) folded into a plain net W' = I + W`,
      trained: true,
      ok: bad.length === 0,
      value: w.maxAbsDiff,
      tolerance: foldTolerance(w),
      line: `every trained post-1 net of the grid (${foldRecs.length} runs) folded into a plain net W' = I + W: max |y_post1 - y_folded| / max(1, max|y|) up to ${fmt(maxRel)} in ${precision(worst)} and ${fmt(maxRel64)} in float64; closest to its tolerance: ${worst.cellKey ?? worst.id} with ${fmt(w.maxAbsDiff)} vs tolerance ${fmt(foldTolerance(w))} (outputs up to ${fmt(w.maxAbsOutput)}, own ${precision(worst)} rounding error ${fmt(w.roundingError)}); ${bad.length === 0 ? 'all' : `${foldRecs.length - bad.length} of ${foldRecs.length}`} within tolerance`,
    });
  }
  if (checks.some((c) => c.kind === 'fold')) {
    thresholds.push({
      name: 'fold tolerance (per net)',
      value: Math.max(...checks.filter((c) => c.kind === 'fold' && c.tolerance !== null).map((c) => c.tolerance!), 0),
      rule: FOLD_RULE,
    });
  }
  if (checks.some((c) => c.kind === 'twin')) {
    thresholds.push({
      name: 'twin tolerance (per pair)',
      value: Math.max(...checks.filter((c) => c.kind === 'twin' && c.tolerance !== null).map((c) => c.tolerance!), 0),
      rule: TWIN_RULE,
    });
  }
  if (checks.length) {
    const measured = checks.filter((c) => c.ok !== null);
    const passed = measured.filter((c) => c.ok).length;
    const folds = measured.filter((c) => c.kind === 'fold');
    const twins = measured.filter((c) => c.kind === 'twin');
    const parts: string[] = [];
    if (folds.length) {
      parts.push(
        folds.every((c) => c.ok)
          ? `all ${folds.length} fold check(s) give the same outputs after folding: a post-addition one-layer skip is a plain layer with weights I + W (or W_r + W)`
          : `${folds.filter((c) => !c.ok).length} of ${folds.length} fold check(s) FAILED: the folded net computes something else`,
      );
    }
    if (twins.length) {
      parts.push(
        twins.every((c) => c.ok)
          ? `post-1 and a plain net initialised at I + W followed the same training trajectory in ${twins.length} of ${twins.length} twin run(s)`
          : `${twins.filter((c) => !c.ok).length} of ${twins.length} twin run(s) moved further from the post-1 trajectory than rounding alone explains`,
      );
    }
    if (parts.length) lines.push(`Algebra (${passed} of ${measured.length} checks passed): ${parts.join('; ')}.`);
  }

  const profiles: Profile[] = cells
    .filter((c) => c.gradInit.gradNorms.length)
    .map((c) => ({
      title: c.cellKey,
      cellKey: c.cellKey,
      layerNames: c.gradInit.layerNames,
      gradNorms: c.gradInit.gradNorms,
      streamNorms: c.gradInit.streamNorms,
      ratio: c.gradRatio,
    }));

  return {
    study: def.name,
    title: def.title,
    axes: study.grid.map((a) => a.key),
    cells,
    tables: buildTables(def, study, cells),
    profiles,
    checks,
    verdict: { lines, thresholds },
    missing: Math.max(0, missing),
    lrCriterion: def.lrCriterion ?? DEFAULT_LR_CRITERION,
  };
}

/** Analyse a study's records: the generic analysis, then the study's own hook if it has one. */
export function analyzeStudy(def: StudyDef | StudyData, study: ResolvedStudy, records: JobRecord[], expectedJobs?: number): Analysis {
  const base = analyzeRecords(def, study, records, expectedJobs);
  const hook = (def as StudyDef).analyze;
  return hook ? hook({ def, study, records }, base) : base;
}
