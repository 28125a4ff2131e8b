/**
 * The algebra checks: the one judgement of a fold measurement (used by the analysis, `reslab fold`, the page's
 * fold panel and checkpoint view), the twin judgement, and their summaries for a study.
 */
import type { FoldMeasure, JobRecord, TwinMeasure } from './records.js';
import { fmt } from './stats.js';
import type { CheckSummary, FoldJudgement } from './types.js';

const FLOAT32_EPS = 2 ** -23;
const FLOAT64_EPS = 2 ** -52;
/** A fold is judged only when the net's own float32 rounding error is below this fraction of max(1, max|y|). */
export const FOLD_JUDGE_LIMIT = 1e-2;

/**
 * Tolerance of a fold check in the net's own precision, from its own measurements: 4 x the float32 rounding error
 * of the unfolded net (measured against float64 on the same weights), plus a floor of 16 x 2^-23 x max(1, max|y|).
 */
export function foldTolerance(f: Pick<FoldMeasure, 'maxAbsOutput' | 'roundingError'>): number {
  return 4 * f.roundingError + 16 * FLOAT32_EPS * Math.max(1, f.maxAbsOutput);
}

/**
 * Tolerance of the float64 repeat: the float32 rounding error scaled to float64 (x 2^-29, the ratio of the two
 * precisions: the same net amplifies rounding the same way), x 16, plus 16 x 2^-52 x max(1, max|y|). A fold that is
 * off by one float32 rounding step in one weight is far above it.
 */
export function fold64Tolerance(f: Pick<FoldMeasure, 'maxAbsOutput' | 'roundingError'>): number {
  return 16 * f.roundingError * 2 ** -29 + 16 * FLOAT64_EPS * Math.max(1, f.maxAbsOutput);
}

export const FOLD_RULE = `same function when max |y_post1 - y_folded| <= 4 x (the post-1 net's own float32 rounding error, max |y_float32 - y_float64|) + 16 x 2^-23 x max(1, max|y|), and the float64 repeat is within 16 x that rounding error x 2^-29 + 16 x 2^-52 x max(1, max|y|); not judged when a value is not finite or the net's own rounding error exceeds ${FOLD_JUDGE_LIMIT} x max(1, max|y|)`;

/**
 * Is the folded net the same function? `precision`: what the net itself computed in (a float64 run has no
 * independent rounding estimate, so only the first test applies).
 */
export function judgeFold(f: FoldMeasure, precision: 'float32' | 'float64' = 'float32'): FoldJudgement {
  const values = [f.maxAbsDiff, f.maxAbsOutput, f.roundingError, f.maxAbsDiff64];
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v)))
    return { ok: null, tolerance: null, tolerance64: null, why: 'not judged: the outputs are not finite numbers' };
  const scale = Math.max(1, f.maxAbsOutput);
  if (f.roundingError > FOLD_JUDGE_LIMIT * scale) {
    return {
      ok: null,
      tolerance: null,
      tolerance64: null,
      why: `not judged: the net's own float32 rounding error ${fmt(f.roundingError)} is more than ${100 * FOLD_JUDGE_LIMIT}% of its outputs (up to ${fmt(f.maxAbsOutput)}), so float32 cannot compare the two nets`,
    };
  }
  const tol = foldTolerance(f);
  const tol64 = precision === 'float64' ? null : fold64Tolerance(f);
  if (f.maxAbsDiff > tol)
    return { ok: false, tolerance: tol, tolerance64: tol64, why: `NOT the same function: ${fmt(f.maxAbsDiff)} > tolerance ${fmt(tol)}` };
  if (tol64 !== null && f.maxAbsDiff64 > tol64)
    return {
      ok: false,
      tolerance: tol,
      tolerance64: tol64,
      why: `NOT the same function: the float64 repeat differs by ${fmt(f.maxAbsDiff64)} > ${fmt(tol64)}`,
    };
  return { ok: true, tolerance: tol, tolerance64: tol64, why: 'same function' };
}

/** Twin tolerance: 10 x the control's loss difference (rounding-level chaos of this run), floor 1e-5 x the loss scale. */
export function twinTolerance(t: Pick<TwinMeasure, 'controlMaxAbsLossDiff' | 'lossPost'>): number {
  const scale = Math.max(...t.lossPost.map(Math.abs), 1e-12);
  return Math.max(10 * t.controlMaxAbsLossDiff, 1e-5 * scale);
}

export const TWIN_RULE =
  'max |loss_post1 - loss_plain(I+W)| over the evaluations <= max(10 x the same difference for post-1 vs itself with initial weights nudged by one float32 rounding step, 1e-5 x max loss)';

/** The float precision a record's run computed in (the js64 backend: float64; wasm and js: float32). */
export const precisionOf = (r: Pick<JobRecord, 'backend'>): 'float32' | 'float64' => (r.backend === 'js64' ? 'float64' : 'float32');

/** One line describing a fold measurement and its judgement. */
export function foldLine(label: string, f: FoldMeasure, precision: 'float32' | 'float64'): { j: FoldJudgement; line: string } {
  const j = judgeFold(f, precision);
  const tol = j.tolerance === null ? '' : `, tolerance ${fmt(j.tolerance)}`;
  return {
    j,
    line: `${label}: max |y_post1 - y_folded| = ${fmt(f.maxAbsDiff)} in ${precision} (outputs up to ${fmt(f.maxAbsOutput)}, the net's own ${precision} rounding error ${fmt(f.roundingError)}${tol}), ${fmt(f.maxAbsDiff64)} in float64: ${j.why}`,
  };
}

export function summarizeChecks(records: JobRecord[]): CheckSummary[] {
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
      const { j, line } = foldLine(label, r.fold, precisionOf(r));
      out.push({ id: r.id, kind: 'fold', label, trained, ok: j.ok, value: r.fold.maxAbsDiff, tolerance: j.tolerance, line });
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

/** The fold checks of a grid's trained post-1 runs, as one summary check (null when the grid folded nothing). */
export function gridFoldCheck(trainRecs: JobRecord[]): CheckSummary | null {
  const foldRecs = trainRecs.filter((r) => r.fold);
  if (foldRecs.length === 0) return null;
  const judged = foldRecs.map((r) => ({ r, j: judgeFold(r.fold!, precisionOf(r)) }));
  const ratio = ({ r, j }: (typeof judged)[number]) => (j.tolerance ? r.fold!.maxAbsDiff / j.tolerance : 0);
  const measured = judged.filter((x) => x.j.ok !== null);
  const bad = measured.filter((x) => x.j.ok === false);
  const notJudged = judged.length - measured.length;
  const rel = (d: number, f: FoldMeasure) => d / Math.max(1, f.maxAbsOutput);
  const label = `every trained post-1 net of the grid (${foldRecs.length} runs) folded into a plain net W' = I + W`;
  if (measured.length === 0) {
    return {
      id: 'fold:grid',
      kind: 'fold',
      label,
      trained: true,
      ok: null,
      value: null,
      tolerance: null,
      line: `${label}: none could be judged (${judged[0].j.why})`,
    };
  }
  const worst = measured.reduce((w, x) => (ratio(x) > ratio(w) ? x : w));
  const w = worst.r.fold!;
  const maxRel = Math.max(...measured.map((x) => rel(x.r.fold!.maxAbsDiff, x.r.fold!)));
  const maxRel64 = Math.max(...measured.map((x) => rel(x.r.fold!.maxAbsDiff64, x.r.fold!)));
  const prec = precisionOf(worst.r);
  return {
    id: 'fold:grid',
    kind: 'fold',
    label,
    trained: true,
    ok: bad.length === 0,
    value: w.maxAbsDiff,
    tolerance: worst.j.tolerance,
    nets: measured.length,
    maxRel,
    maxRel64,
    line: `${label}: max |y_post1 - y_folded| / max(1, max|y|) up to ${fmt(maxRel)} in ${prec} and ${fmt(maxRel64)} in float64; closest to its tolerance: ${worst.r.cellKey ?? worst.r.id} with ${fmt(w.maxAbsDiff)} vs tolerance ${fmt(worst.j.tolerance)} (outputs up to ${fmt(w.maxAbsOutput)}, own ${prec} rounding error ${fmt(w.roundingError)}); ${bad.length === 0 ? `all ${measured.length}` : `${measured.length - bad.length} of ${measured.length}`} within tolerance${notJudged ? `, ${notJudged} not judged (their own rounding error is too large to compare)` : ''}`,
  };
}
