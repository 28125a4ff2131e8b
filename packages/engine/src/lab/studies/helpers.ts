/** Small pieces the study hooks share: finding cells, comparing two cells against their seed ranges, pivot tables. */
import { fmt } from '../stats.js';
import type { ResolvedStudy, StudyDef, Value } from '../study.js';
import type { Analysis, CellSummary, Table } from '../types.js';
import { type Compared, compareCells } from '../verdict.js';

/** The cell whose values match `where` on the given axes. */
export const findCell = (a: Analysis, where: Record<string, Value>): CellSummary | undefined =>
  a.cells.find((c) => Object.entries(where).every(([k, v]) => c.cell[k] === v));

/** Compare cell x with reference y by median test accuracy, in points (see compareCells). */
export const compareAcc = (x: CellSummary, y: CellSummary): Compared => compareCells(x, y, true);

/** Test error in % of a cell: median [min-max] over seeds. */
export function errorText(c: CellSummary): string {
  const s = c.testAcc;
  if (s.median === null) return '-';
  const e = (x: number) => (100 * (1 - x)).toFixed(1);
  return s.finite > 1 ? `${e(s.median)} [${e(s.max!)}-${e(s.min!)}]` : e(s.median);
}

/** median [min-max] of a loss summary. */
export function lossText(c: CellSummary): string {
  const s = c.trainLoss;
  if (s.median === null) return c.runs > 0 ? 'diverged' : '-';
  return s.finite > 1 ? `${fmt(s.median)} [${fmt(s.min)}-${fmt(s.max)}]` : fmt(s.median);
}

/** A table with one row per value of `rowAxis` and one column per value of `colAxis`. */
export function pivot(
  a: Analysis,
  title: string,
  rowAxis: string,
  rowValues: Value[],
  colAxis: string,
  colValues: Value[],
  cell: (c: CellSummary | undefined) => string,
  colLabel: (v: Value) => string,
  note?: string,
): Table {
  return {
    title,
    header: [rowAxis.replace(/^(model|train|data)\./, ''), ...colValues.map(colLabel)],
    rows: rowValues.map((r) => [String(r), ...colValues.map((col) => cell(findCell(a, { [rowAxis]: r, [colAxis]: col })))]),
    note,
  };
}

/**
 * Every combination of the grid axes other than `key` (one empty combination when there are none),
 * each with a readable label such as 'depth 16, activation relu': one comparison block per combination.
 */
export function otherAxisCombos(grid: ResolvedStudy['grid'], key: string): Array<{ combo: Record<string, Value>; where: string }> {
  const combos = grid
    .filter((g) => g.key !== key)
    .reduce<Array<Record<string, Value>>>((acc, g) => acc.flatMap((c) => g.values.map((v) => ({ ...c, [g.key]: v }))), [{}]);
  return combos.map((combo) => ({
    combo,
    where: Object.entries(combo)
      .map(([k, v]) => `${k.replace(/^(model|train|data)\./, '')} ${v}`)
      .join(', '),
  }));
}

/**
 * The run settings the two He et al. 2016 unit studies (placement, shortcuts) share: SGD with momentum on 6,000
 * MNIST digits for 400 steps, three seeds, the better of two learning rates, and a smaller browser budget.
 * A function: each study gets its own objects.
 */
export function unitStudyRun(): Pick<StudyDef, 'seeds' | 'lrGrid' | 'budgets' | 'metrics'> & {
  train: StudyDef['base']['train'];
  data: StudyDef['base']['data'];
} {
  return {
    train: { optimizer: 'sgd', momentum: 0.9, batchSize: 64, epochs: 1000, maxSteps: 400, evalEvery: 50 },
    data: { name: 'mnist', size: 6000, trainRatio: 0.8 },
    seeds: [1, 2, 3],
    lrGrid: [0.01, 0.05],
    budgets: {
      cli: {},
      browser: { seeds: 2, lrGrid: [0.05], set: { 'model.width': 32, 'model.depth': 16, 'train.maxSteps': 200, 'data.size': 2000 } },
    },
    metrics: ['trainLoss', 'testAcc', 'diverged', 'lr', 'gradRatio'],
  };
}
