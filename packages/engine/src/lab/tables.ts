/** The generic tables of a study: one per combination of the layout's table axes, one row per cell, the study's metrics as columns. */
import { lrMark } from './lrsearch.js';
import { fmt, type Summary } from './stats.js';
import { axisName, type Metric, type ResolvedStudy, type StudyData, tableAxes, type Value } from './study.js';
import type { CellSummary, Table } from './types.js';

const range = (s: Summary, f: (x: number) => string): string =>
  s.median === null ? '-' : s.finite > 1 ? `${f(s.median)} [${f(s.min!)}-${f(s.max!)}]` : f(s.median);

export const METRIC_HEADERS: Record<Metric, string> = {
  trainLoss: 'train loss',
  testLoss: 'test loss',
  testAcc: 'test acc',
  trainAcc: 'train acc',
  diverged: 'diverged',
  lr: 'lr',
  init: 'init',
  gradRatio: 'grad first/last',
  time: 'time',
};

export function metricCell(m: Metric, c: CellSummary): string {
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
    case 'lr': {
      if (c.chosenLr === null) return '-';
      const mark = lrMark(c.lr);
      return mark ? `${fmt(c.chosenLr)} (${mark})` : fmt(c.chosenLr);
    }
    case 'init':
      return c.init ?? '-';
    case 'gradRatio':
      return fmt(c.gradRatio, 2);
    case 'time':
      return `${(c.timeMs / 1000).toFixed(1)}s`;
  }
}

/** Every combination of the values of some axes, in grid order. */
export function combos(study: ResolvedStudy, keys: string[]): Array<Record<string, Value>> {
  return keys.reduce<Array<Record<string, Value>>>(
    (acc, k) => acc.flatMap((c) => study.grid.find((a) => a.key === k)!.values.map((v) => ({ ...c, [k]: v }))),
    [{}],
  );
}

/** 'depth 24, optimizer adam' */
export const comboLabel = (c: Record<string, Value>): string =>
  Object.entries(c)
    .map(([k, v]) => `${axisName(k)} ${v}`)
    .join(', ');

export function buildTables(def: StudyData, study: ResolvedStudy, cells: CellSummary[]): Table[] {
  const tAxes = tableAxes(def.layout).filter((k) => study.grid.some((a) => a.key === k));
  const rowAxes = (def.layout.rows ?? study.grid.map((a) => a.key)).filter(
    (k) => !tAxes.includes(k) && study.grid.some((a) => a.key === k),
  );
  for (const a of study.grid) if (!tAxes.includes(a.key) && !rowAxes.includes(a.key)) rowAxes.push(a.key);
  const header = [...rowAxes.map(axisName), ...def.metrics.map((m) => METRIC_HEADERS[m]), 'status'];
  return combos(study, tAxes).map((g) => {
    const inGroup = cells.filter((c) => Object.entries(g).every(([k, v]) => c.cell[k] === v));
    const sortedCells = [...inGroup].sort((a, b) => {
      for (const k of rowAxes) {
        const vs = study.grid.find((x) => x.key === k)!.values;
        const d = vs.indexOf(a.cell[k]) - vs.indexOf(b.cell[k]);
        if (d) return d;
      }
      return 0;
    });
    const where = comboLabel(g);
    return {
      title: where ? `${def.title}: ${where}` : def.title,
      header,
      rows: sortedCells.map((c) => [...rowAxes.map((k) => String(c.cell[k])), ...def.metrics.map((m) => metricCell(m, c)), c.status]),
      note: 'median over seeds [min-max], at the chosen learning rate; test acc in %; lr marked (search limit) or (grid edge) when the search could not bracket it',
    };
  });
}
