/**
 * What a finished job leaves behind: one JSON record per job (one line of
 * results.jsonl). Plain JSON, no NaN/Infinity.
 */
import type { RunResult } from '../events.js';
import type { RunSpec } from '../spec.js';
import type { LesionMeasure, ShatterMeasure } from './probe.js';
import type { Value } from './study.js';

/** A fold check: a post-1 model and its folded plain model evaluated on the same inputs. */
export interface FoldMeasure {
  /** max |y_post1 - y_plain| over the batch and outputs. */
  maxAbsDiff: number;
  /** max |y_post1|, the scale the difference is compared with. */
  maxAbsOutput: number;
  /**
   * float32 rounding error of the post-1 net itself: max |y_post1 (float32) - y_post1 (float64)| on the same
   * weights and inputs. Folding cannot be expected to agree better than the net agrees with itself in exact-ish arithmetic.
   */
  roundingError: number;
  /** the fold check repeated in float64 (js64 backend): the algebra with rounding almost removed. */
  maxAbsDiff64: number;
  shortcut: string;
  /** number of folded layers. */
  layers: number;
  /** examples in the batch. */
  batch: number;
}

/** Trajectories of a post-1 net and a plain net initialised at I + W from the same seed. */
export interface TwinMeasure {
  steps: number[];
  /** train loss of the post-1 net at each eval step. */
  lossPost: number[];
  /** train loss of the plain net initialised at I + W. */
  lossPlain: number[];
  maxAbsLossDiff: number;
  /** the same for post-1 against itself with its initial weights nudged by one float32 rounding step: rounding-level chaos. */
  controlMaxAbsLossDiff: number;
  /** max |W'_plain - (I + W_post)| over all folded weights after training (null if not measured). */
  maxWeightDiff: number | null;
  /** the fold check of the post-1 net after training. */
  foldAfter: FoldMeasure | null;
}

export type RunSummary = Omit<RunResult, 'spec'>;

export interface JobRecord {
  id: string;
  kind: 'train' | 'fold' | 'twin';
  study: string;
  cell?: Record<string, Value>;
  cellKey?: string;
  label?: string;
  lr: number;
  seed: number;
  spec: RunSpec;
  /** the training run (for twin: the post-1 net; null for a fold check at initialisation). */
  result: RunSummary | null;
  fold?: FoldMeasure | null;
  twin?: TwinMeasure | null;
  /** the study's probe (lesion: after training; shatter: at initialisation), see ProbeDef. */
  lesion?: LesionMeasure | null;
  shatter?: ShatterMeasure | null;
  timeMs: number;
  backend: string;
  /** an engine error for this job (the job is a result, not a crash). */
  error?: string;
}

/** A record is diverged if its run diverged or errored. */
export const isDiverged = (r: JobRecord): boolean => r.error !== undefined || r.result === null || r.result.status === 'diverged';
