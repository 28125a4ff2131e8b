/**
 * The learning-rate search every study shares: each cell starts from the study's grid (its optimizer's grid);
 * while the best rate sits at an edge of the rates tried, the next rate past that edge (the grid's factor away)
 * is tried, until the best rate is interior, the rate past the edge diverged or scored at chance, or a stated
 * limit is reached (`maxExtra` rates beyond each end of the starting grid). The best rate is the one with the
 * lowest median final train loss over the tuning seeds (a diverged run counts as +infinity; ties go to fewer
 * diverged runs, then to the smaller rate). The search is a pure function of the records, so a resumed or
 * merged study finds the same rates.
 */
import { isDiverged, type JobRecord } from './records.js';
import { median } from './stats.js';
import type { LrSearch } from './study.js';

/** What bounds the chosen rate on one side. */
export type LrBound =
  /** a rate on that side was tried and trained to a higher loss */
  | 'worse'
  /** the rate on that side diverged (most tuning seeds) */
  | 'diverged'
  /** the rate on that side (or the chosen rate itself, reached by extension) scored at chance */
  | 'chance'
  /** the search reached its limit of rates beyond the starting grid */
  | 'limit'
  /** the search was off (lrSearch.extend false): the chosen rate is at the end of the grid */
  | 'off';

export interface LrScore {
  lr: number;
  /** median final train loss over the tuning seeds, a diverged run counting as +infinity; null when that median is infinite. */
  medianTrainLoss: number | null;
  diverged: number;
  runs: number;
  /** median final train loss >= AT_CHANCE x the chance loss (or most runs diverged) */
  atChance: boolean;
}

export interface LrSearchResult {
  /** the starting grid, ascending */
  start: number[];
  /** every rate tried so far, ascending */
  tried: number[];
  /** the factor between neighbouring rates (the starting grid's geometric step; sqrt(10) for a single rate) */
  factor: number;
  scores: LrScore[];
  chosen: number | null;
  below: LrBound | null;
  above: LrBound | null;
  /** rates to try next (the search goes on) */
  next: number[];
  /** some tuning runs of the rates tried have no record yet */
  pending: boolean;
  /** the search is over: chosen is final */
  done: boolean;
}

/** A rate scores at chance when its median final train loss is at least this fraction of the chance loss. */
export const AT_CHANCE = 0.9;

export const LR_SEARCH_RULE = `per cell, the learning rate with the lowest median final train loss over the tuning seeds (a diverged run counts as +infinity; ties go to fewer diverged runs, then the smaller rate). The search starts from the study's grid; while the best rate is the largest (smallest) tried, the next rate up (down) by the grid's factor is tried, until a worse rate brackets it, the rate past it diverged or scored at chance (median final train loss >= ${AT_CHANCE} x the chance loss), or the limit of extra rates beyond the starting grid is reached`;

/** The geometric step of a grid (sorted ascending): (max / min)^(1 / (n - 1)); sqrt(10) for a single rate. */
export function lrFactor(start: readonly number[]): number {
  if (start.length < 2) return Math.sqrt(10);
  return (start[start.length - 1] / start[0]) ** (1 / (start.length - 1));
}

/** A rate of the extended ladder, rounded to 3 significant digits so that every run computes the same value. */
const rung = (lr: number): number => Number(lr.toPrecision(3));

/** The i-th rate beyond the top (i > 0) or below the bottom (i < 0) of the starting grid. */
export function ladderRate(start: readonly number[], i: number): number {
  const f = lrFactor(start);
  return i > 0 ? rung(start[start.length - 1] * f ** i) : rung(start[0] / f ** -i);
}

const finalLoss = (r: JobRecord): number =>
  isDiverged(r) || r.result?.finalTrainLoss == null ? Number.POSITIVE_INFINITY : r.result.finalTrainLoss;

/** The chance loss the records measured (ln C, or the targets' variance); null when none recorded it. */
function chanceOf(records: readonly JobRecord[]): number | null {
  for (const r of records) if (typeof r.result?.chanceLoss === 'number') return r.result.chanceLoss;
  return null;
}

export function scoreLr(records: readonly JobRecord[], lr: number, chance: number | null): LrScore {
  const rs = records.filter((r) => r.lr === lr);
  const m = rs.length ? median(rs.map(finalLoss)) : Number.POSITIVE_INFINITY;
  const diverged = rs.filter(isDiverged).length;
  const atChance = diverged * 2 > rs.length || (chance !== null && m >= AT_CHANCE * chance);
  return { lr, medianTrainLoss: Number.isFinite(m) ? m : null, diverged, runs: rs.length, atChance };
}

/** The best of some scored rates (see LR_SEARCH_RULE); null when none has a run. */
export function bestLr(scores: readonly LrScore[]): number | null {
  const ranked = scores
    .filter((s) => s.runs > 0)
    .sort(
      (a, b) =>
        // NOTE: Infinity - Infinity is NaN (falsy), so fully diverged rates fall through to the next criteria.
        (a.medianTrainLoss ?? Number.POSITIVE_INFINITY) - (b.medianTrainLoss ?? Number.POSITIVE_INFINITY) ||
        a.diverged / a.runs - b.diverged / b.runs ||
        a.lr - b.lr,
    );
  return ranked.length ? ranked[0].lr : null;
}

/**
 * The state of one cell's search from its records. `records`: the cell's train records (any seeds); only those of
 * `tuneSeeds` take part in the choice.
 */
export function searchLr(
  records: readonly JobRecord[],
  start: readonly number[],
  search: LrSearch,
  tuneSeeds: readonly number[],
): LrSearchResult {
  const grid = [...new Set(start)].sort((a, b) => a - b);
  const tuning = records.filter((r) => tuneSeeds.includes(r.seed));
  const tried = [...new Set([...grid, ...tuning.map((r) => r.lr)])].sort((a, b) => a - b);
  const chance = chanceOf(records);
  const scores = tried.map((lr) => scoreLr(tuning, lr, chance));
  const factor = lrFactor(grid);
  const pending = tried.some((lr) => tuneSeeds.some((s) => !tuning.some((r) => r.lr === lr && r.seed === s)));
  const base = { start: grid, tried, factor, scores };
  if (pending) return { ...base, chosen: null, below: null, above: null, next: [], pending, done: false };
  const chosen = bestLr(scores)!;
  const i = tried.indexOf(chosen);
  const next: number[] = [];
  const side = (dir: 1 | -1): LrBound | null => {
    const j = i + dir;
    if (j >= 0 && j < tried.length) {
      const s = scores[j];
      return s.diverged * 2 > s.runs ? 'diverged' : s.atChance ? 'chance' : 'worse';
    }
    // the chosen rate is the end of what was tried on this side
    const extra = dir > 0 ? tried.filter((lr) => lr > grid[grid.length - 1]).length : tried.filter((lr) => lr < grid[0]).length;
    // NOTE: past an edge the search stops at a rate that scored at chance; one that diverged stops it going up (it
    // cannot be the best then) but not going down, where smaller rates may train
    const s = scores[i];
    if (extra > 0 && s.atChance && !(s.diverged * 2 > s.runs && dir < 0)) return 'chance';
    if (!search.extend) return 'off';
    if (extra >= search.maxExtra) return 'limit';
    next.push(ladderRate(grid, dir * (extra + 1)));
    return null;
  };
  const below = side(-1);
  const above = side(1);
  return { ...base, chosen, below, above, next, pending: false, done: next.length === 0 };
}

/** A short mark for a chosen rate at the end of what the search could try ('limit', 'off'), or '' when bracketed. */
export function lrMark(s: Pick<LrSearchResult, 'below' | 'above'>): string {
  const ends = [s.below, s.above];
  if (ends.includes('limit')) return 'search limit';
  if (ends.includes('off')) return 'grid edge';
  return '';
}
