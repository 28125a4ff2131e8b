/**
 * Messages between the page and a lab worker. The page sends a RunSpec and
 * commands; the worker streams the engine's RunEvents plus the pictures the
 * page draws (decision boundary, digit predictions). One configuration per
 * worker; study jobs go to the same workers one at a time.
 */
import type { FoldMeasure, Job, JobRecord, ModelIO, ModelSpec, RunEvent, RunSpec } from '@reslab/engine';
import type { BoundaryData, PointsData } from '../charts/Boundary';

export interface Extras {
  /** side of the decision-boundary grid for 2-D data (0 = none). */
  boundary: number;
  /** number of test digits to predict for MNIST (0 = none). */
  samples: number;
}

export type ToWorker =
  | { type: 'init'; runId: string; spec: RunSpec; extras: Extras }
  | { type: 'play'; runId: string }
  | { type: 'pause'; runId: string }
  /** advance by `steps` training steps (then pause). */
  | { type: 'step'; runId: string; steps: number }
  | { type: 'dispose'; runId: string }
  /** run a study job to completion (no streaming beyond progress). */
  | { type: 'job'; runId: string; job: Job; study: string }
  /** fold checks on a post-1 model of this spec: identity (I + W) and projection (W_r + W) shortcuts. */
  | { type: 'fold'; runId: string; spec: RunSpec; trainSteps: number }
  /** load a checkpoint (the JSON text of a file) and describe it. */
  | { type: 'checkpoint'; runId: string; text: string };

export interface Samples {
  /** pixels of the shown digits, 0..1, count * 784 (sent once). */
  pixels?: number[];
  labels: number[];
  preds: number[];
  /** probability of the predicted class. */
  probs: number[];
}

export interface FoldRow extends FoldMeasure {
  label: string;
  trainedSteps: number;
}

export type FromWorker =
  | { type: 'ready'; runId: string; points: PointsData | null; backend: string }
  | { type: 'event'; runId: string; event: RunEvent }
  /** the latest step (sent at most every ~50 ms while running). */
  | { type: 'progress'; runId: string; step: number; loss: number }
  | { type: 'status'; runId: string; status: 'running' | 'paused' | 'done' }
  | { type: 'boundary'; runId: string; step: number; data: BoundaryData }
  | { type: 'samples'; runId: string; step: number; samples: Samples }
  | { type: 'jobDone'; runId: string; record: JobRecord }
  | { type: 'checkpoint'; runId: string; info: CheckpointInfo }
  | { type: 'fold'; runId: string; rows: FoldRow[] }
  | { type: 'error'; runId: string; message: string };

export interface CheckpointInfo {
  spec: RunSpec | ModelSpec;
  model: ModelSpec;
  io: ModelIO;
  params: number;
  layers: Array<{ name: string; shape: number[]; norm: number; maxAbs: number; normIPlusW: number | null }>;
  eval: { dataset: string; nTest: number; testLoss: number; testAcc: number | null } | null;
  evalNote?: string;
  fold: FoldMeasure | null;
  boundary: BoundaryData | null;
  points: PointsData | null;
}
