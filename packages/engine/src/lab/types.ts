/**
 * The lab's result types, in one place: what the analysis of a study's records produces (cells, tables, profiles,
 * checks, a verdict as data) and reads (the context). The JSON formats (study files, records) are declared by
 * their zod schemas and the types derived there (study.ts, records.ts).
 */
import type { LrSearchResult } from './lrsearch.js';
import type { JobRecord } from './records.js';
import type { Summary } from './stats.js';
import type { ResolvedStudy, StudyData, Value } from './study.js';

export type { LrScore } from './lrsearch.js';

export type Status = 'trained' | 'partly' | 'failed' | 'missing';

export interface CellSummary {
  cellKey: string;
  cell: Record<string, Value>;
  /** the cell's learning-rate search: rates tried, their scores, the chosen rate and what brackets it */
  lr: LrSearchResult;
  chosenLr: number | null;
  /** the initialisation the cell's runs used (init 'auto' resolved to he or xavier) */
  init: string | null;
  /** runs finished at the chosen lr, and how many of those diverged. */
  runs: number;
  expectedRuns: number;
  diverged: number;
  /** over the non-diverged seeds at the chosen lr. */
  trainLoss: Summary;
  testLoss: Summary;
  testAcc: Summary;
  trainAcc: Summary;
  /** median over seeds of the per-layer statistics at initialisation. */
  gradInit: {
    layerNames: string[];
    gradNorms: number[];
    streamNorms: number[];
    /** mean and spread (std over the batch, averaged over units) of the hidden state after each block */
    streamMean: number[];
    streamSpread: number[];
  };
  /** gradient norm of the first hidden layer / last hidden layer at initialisation (median over seeds). */
  gradRatio: number | null;
  /** median train loss over seeds at each eval step (chosen lr; diverged seeds left out). */
  curve: { steps: number[]; trainLoss: number[]; testAcc: Array<number | null> };
  /**
   * whether the cell had stopped improving by the end of its runs (see PLATEAU_RULE): the score gained over the
   * last quarter of the run; null without evaluations at 3/4 and at the end.
   */
  lateGain: number | null;
  plateaued: boolean | null;
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

/** The judgement of one fold measurement (see judgeFold). */
export interface FoldJudgement {
  /** true: the same function within tolerance; false: not; null: not judged (why says why) */
  ok: boolean | null;
  /** tolerance in the net's own precision and in float64 */
  tolerance: number | null;
  tolerance64: number | null;
  why: string;
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
  /** the grid summary of folds: how many nets, the largest |y_post1 - y_folded| / max(1, max|y|) in float32 and float64 */
  nets?: number;
  maxRel?: number;
  maxRel64?: number;
}

export interface Threshold {
  name: string;
  value: number;
  rule: string;
}

/** One number behind a verdict line. */
export interface Evidence {
  /** what the number is, e.g. 'post-2 test acc (relu, depth 24, adam)' */
  label: string;
  value: number | null;
  /** e.g. '%', 'points', 'loss', 'ratio', 'decades' */
  unit?: string;
}

/** How a claim measured under each protocol (e.g. each optimizer) compares. */
export type Consistency =
  /** the same outcome under every protocol */
  | 'holds'
  /** different outcomes, none the opposite of another */
  | 'depends'
  /** opposite outcomes */
  | 'contradicts'
  /** judged under only some of the protocols */
  | 'partial'
  /** the study has a single protocol */
  | 'single';

export interface VerdictLine {
  /** stable id, e.g. 'answer.two-layer', 'pairs.relu' */
  id: string;
  /** answer: one of the few sentences that answer the study's question; finding: a claim with its numbers; detail: supporting lines (collapsed in reports); warning: e.g. an incomplete study */
  level: 'answer' | 'finding' | 'detail' | 'warning';
  text: string;
  /** the claim as data: what is claimed about what, and the outcome (e.g. { key: 'k2-vs-k1', subject: 'relu', value: 'k2-better' }) */
  claim?: { key: string; subject?: string; value: string };
  /** the claim's outcome under each protocol, and how they compare */
  protocols?: { axis: string; values: Record<string, string>; consistency: Consistency };
  /** agreement with the published finding */
  paper?: 'agrees' | 'partly agrees' | 'disagrees' | 'not judged';
  evidence: Evidence[];
  children?: VerdictLine[];
}

export interface Verdict {
  /** at most five sentences that answer the study's question (empty when the study has no answer rules) */
  answer: VerdictLine[];
  /** findings, comparisons and details, in reading order */
  lines: VerdictLine[];
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
  /** jobs with no record yet (an interrupted study), and cells whose learning-rate search is not finished */
  missing: number;
  openCells: number;
  lrCriterion: string;
  /** the learning-rate search over the trained cells (see summarizeSearch) */
  lrSearch: LrSearchSummary;
  /** the stopping criterion over the trained cells */
  plateau: { rule: string; met: number; judged: number; trained: number };
  /** the divergence rule the runs used */
  divergeRule: string;
}

export interface LrSearchSummary {
  cells: number;
  /** cells whose chosen rate has a tried rate (worse, diverged or at chance) on both sides */
  bracketed: number;
  /** trained cells whose chosen rate is at the search limit, or at the grid's edge with the search off */
  trainedAtLimit: number;
  trainedAtEdge: number;
  /** trained cells at an edge bounded by neither divergence nor the limit (goal: none) */
  trainedUnbounded: number;
  extraRuns: number;
}

export interface AnalysisContext {
  def: StudyData;
  study: ResolvedStudy;
  records: JobRecord[];
}
