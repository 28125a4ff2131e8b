/**
 * Analysis: finished job records -> per-cell summaries (learning rate chosen per cell by the search), tables,
 * gradient profiles, check summaries and a verdict as data. Every threshold the verdict uses is computed from the
 * measured data (chance level of the dataset, best cell measured, seed-to-seed range, float32 precision times the
 * measured output scale) and is returned and printed with the verdict; nothing about the outcome is written in
 * advance. Studies add their own lines and answer sentences in their analysis hooks (studies/*.ts).
 */
import { datasetInfo } from '../data/index.js';
import type { DataSpec } from '../spec.js';
import { datasetClasses, PLATEAU_RULE, summarizeCell } from './cells.js';
import { FOLD_RULE, gridFoldCheck, summarizeChecks, TWIN_RULE } from './checks.js';
import { CLASSIFY_RULE, classify } from './classify.js';
import { cartesian, cellKeyOf, cellStartLrs, type Plan } from './expand.js';
import { LR_SEARCH_RULE } from './lrsearch.js';
import type { JobRecord } from './records.js';
import { StudyScheduler } from './scheduler.js';
import { median, pct } from './stats.js';
import { type ResolvedStudy, type StudyData, type StudyDef, tableAxes } from './study.js';
import { buildTables, comboLabel } from './tables.js';
import type { Analysis, CellSummary, LrSearchSummary, Profile, Status, Threshold, VerdictLine } from './types.js';
import { line, scoreText } from './verdict.js';

export const DIVERGE_RULE =
  'a run diverged when a loss became non-finite, or when an evaluated train loss exceeded train.divergeFactor (default 10) x the chance loss (ln C for C classes, the variance of the targets for regression); the run stops there';

/** The learning-rate search over the trained cells: how many are bracketed, at the limit, or at an edge of a fixed grid. */
export function summarizeSearch(cells: CellSummary[]): LrSearchSummary {
  const present = cells.filter((c) => c.runs > 0);
  const trained = present.filter((c) => c.status === 'trained');
  const ends = (c: CellSummary) => [c.lr.below, c.lr.above];
  const bracket = (b: string | null) => b === 'worse' || b === 'diverged' || b === 'chance';
  return {
    cells: present.length,
    bracketed: present.filter((c) => ends(c).every(bracket)).length,
    trainedAtLimit: trained.filter((c) => ends(c).includes('limit')).length,
    trainedAtEdge: trained.filter((c) => ends(c).includes('off')).length,
    trainedUnbounded: trained.filter((c) => ends(c).some((b) => b === 'off' || b === null)).length,
    extraRuns: present.reduce((n, c) => n + c.lr.scores.filter((s) => !c.lr.start.includes(s.lr)).reduce((m, s) => m + s.runs, 0), 0),
  };
}

/** The generic analysis every study gets; built-in studies may extend it. `plan`: the (shard's) starting plan, to count what is missing. */
export function analyzeRecords(def: StudyData, study: ResolvedStudy, records: JobRecord[], plan?: Plan): Analysis {
  const trainRecs = records.filter((r) => r.kind === 'train');
  const byCell = new Map<string, JobRecord[]>();
  for (const r of trainRecs) {
    const k = r.cellKey ?? (r.cell ? cellKeyOf(study.grid, r.cell) : 'all');
    if (!byCell.has(k)) byCell.set(k, []);
    byCell.get(k)!.push(r);
  }
  const dataOf = (c: Record<string, unknown>): DataSpec['name'] =>
    String(c['data.name'] ?? study.base.data.name ?? 'mnist') as DataSpec['name'];
  const isCls = (c: Record<string, unknown>) => datasetInfo(dataOf(c)).kind === 'classification';
  const baselineLoss = median(trainRecs.filter((r) => r.result?.history.length).map((r) => r.result!.history[0].trainLoss));
  const scoreOf = (s: CellSummary): number | null => {
    if (isCls(s.cell)) return s.testAcc.median;
    if (s.trainLoss.median === null || !(baselineLoss > 0) || !(s.trainLoss.median > 0)) return null;
    return Math.log10(baselineLoss / s.trainLoss.median);
  };
  const rangeOf = (s: CellSummary): number | null => {
    if (isCls(s.cell)) return s.testAcc.finite >= 2 ? s.testAcc.max! - s.testAcc.min! : null;
    return s.trainLoss.finite >= 2 && s.trainLoss.min! > 0 ? Math.log10(s.trainLoss.max! / s.trainLoss.min!) : null;
  };
  // cells in grid order, including ones with no records yet
  const cells = cartesian(study.grid).map((c) =>
    summarizeCell(study, c, cellStartLrs(study, c), byCell.get(cellKeyOf(study.grid, c)) ?? [], isCls(c), scoreOf, rangeOf),
  );

  const tAxes = tableAxes(def.layout).filter((k) => study.grid.some((a) => a.key === k));
  const groupOf = (c: CellSummary): string => {
    const g: Record<string, CellSummary['cell'][string]> = {};
    for (const k of tAxes) g[k] = c.cell[k];
    if ('data.name' in c.cell && !tAxes.includes('data.name')) g['data.name'] = c.cell['data.name'];
    return comboLabel(g);
  };
  const chanceOf = (c: CellSummary): number => {
    const k = datasetClasses(dataOf(c.cell));
    return k === null ? 0 : 1 / k;
  };
  const thresholds: Threshold[] = classify(cells, groupOf, chanceOf);
  const classes = datasetClasses(dataOf(study.base.data));
  const classification = classes !== null;

  const lines: VerdictLine[] = [];
  let missing = 0;
  let openCells = 0;
  if (plan) {
    const sched = new StudyScheduler(plan, records);
    missing = sched.remaining;
    openCells = sched.openCells;
  }
  if (missing > 0 || openCells > 0) {
    lines.push(
      line(
        'incomplete',
        'warning',
        `INCOMPLETE: ${missing} run(s) have no result yet${openCells ? ` and the learning-rate search of ${openCells} cell(s) is not finished` : ''}; the verdict covers what finished.`,
        {
          evidence: [
            { label: 'runs missing', value: missing },
            { label: 'cells open', value: openCells },
          ],
        },
      ),
    );
  }
  const scoreRule = classification
    ? `score = median test accuracy over seeds; chance = 1/${classes} = ${pct(1 / classes!)}`
    : 'score = log10(first evaluated train loss / final train loss), chance = 0';
  lines.push(line('rule.status', 'detail', `Rule: ${scoreRule}; ${CLASSIFY_RULE}.`));
  const statusChildren: VerdictLine[] = [];
  for (const g of [...new Set(cells.map(groupOf))]) {
    const cs = cells.filter((c) => groupOf(c) === g && c.runs > 0);
    if (cs.length === 0) continue;
    const hidden = new Set([...tAxes, 'data.name']);
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
    statusChildren.push(
      line(
        `status.${g || 'all'}`,
        'detail',
        `${g ? `${g}: ` : ''}trained: ${t.join(', ') || 'none'}; partly: ${p.join(', ') || 'none'}; failed: ${f.join(', ') || 'none'}${best ? ` (best ${label(best)} at ${scoreText(best, classification)})` : ''}.`,
        {
          claim: { key: 'status', subject: g || 'all', value: `${t.length} trained, ${p.length} partly, ${f.length} failed` },
          evidence: cs.map((c) => ({
            label: label(c),
            value: c.score === null ? null : classification ? 100 * c.score : c.score,
            unit: classification ? '%' : 'decades',
          })),
        },
      ),
    );
  }
  if (statusChildren.length) lines.push(line('status', 'finding', 'Which cells trained:', { children: statusChildren }));

  const checks = summarizeChecks(records);
  const grid = gridFoldCheck(trainRecs);
  if (grid) checks.unshift(grid);
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
    const unjudged = checks.length - measured.length;
    if (parts.length || unjudged)
      lines.push(
        line(
          'algebra',
          'finding',
          `Algebra (${passed} of ${measured.length} checks passed${unjudged ? `, ${unjudged} not judged` : ''})${parts.length ? `: ${parts.join('; ')}` : ''}.`,
          {
            claim: { key: 'algebra', value: measured.length === 0 ? 'not judged' : passed === measured.length ? 'holds' : 'fails' },
            evidence: [
              { label: 'checks passed', value: passed },
              { label: 'checks judged', value: measured.length },
            ],
            children: checks.map((c) => line(`check.${c.id}`, 'detail', c.line)),
          },
        ),
      );
  }

  const lrSearch = summarizeSearch(cells);
  const trainedCells = cells.filter((c) => c.status === 'trained');
  const plateau = {
    rule: PLATEAU_RULE,
    trained: trainedCells.length,
    judged: trainedCells.filter((c) => c.plateaued !== null).length,
    met: trainedCells.filter((c) => c.plateaued === true).length,
  };
  lines.push(
    line(
      'protocol',
      'detail',
      `Protocol: ${lrSearch.cells} cell(s); the learning-rate search bracketed ${lrSearch.bracketed}, ${lrSearch.trainedAtLimit} trained cell(s) ended at the search limit${lrSearch.trainedAtEdge ? `, ${lrSearch.trainedAtEdge} at the edge of a fixed grid` : ''} (${lrSearch.extraRuns} run(s) beyond the starting grids); ${plateau.met} of ${plateau.judged} trained cell(s) had stopped improving by the end of the run.`,
      {
        evidence: [
          { label: 'cells bracketed', value: lrSearch.bracketed },
          { label: 'trained cells at the search limit', value: lrSearch.trainedAtLimit },
          { label: 'trained cells stopped improving', value: plateau.met },
          { label: 'trained cells judged for it', value: plateau.judged },
        ],
      },
    ),
  );

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
    verdict: { answer: [], lines, thresholds },
    missing,
    openCells,
    lrCriterion: def.lrCriterion ?? LR_SEARCH_RULE,
    lrSearch,
    plateau,
    divergeRule: DIVERGE_RULE,
  };
}

/** Analyse a study's records: the generic analysis, then the study's own hook if it has one. */
export function analyzeStudy(def: StudyDef | StudyData, study: ResolvedStudy, records: JobRecord[], plan?: Plan): Analysis {
  const base = analyzeRecords(def, study, records, plan);
  const hook = (def as StudyDef).analyze;
  return hook ? hook({ def, study, records }, base) : base;
}
