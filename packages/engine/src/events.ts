/**
 * Runs are streams of events. The CLI progress bar, the web charts, the JSONL
 * writer and the report all consume these same objects. Every field is plain
 * JSON (numbers may be null where a value is undefined, e.g. accuracy on a
 * regression set); NaN/Infinity never appear in an event: a non-finite loss
 * ends the run as `diverged`.
 */
import type { RunSpec } from './spec.js';

/** Per-layer probes, in stack order: one entry per Linear layer (grad) / per block (stream). */
export interface LayerStats {
  /** L2 norm of each Linear weight's gradient (input projection first, output layer last). */
  gradNorms: number[];
  /** names matching gradNorms, e.g. 'in', 'block3.fc1', 'out'. */
  layerNames: string[];
  /** L2 norm of the residual stream (the hidden activation, averaged per example) after each block. */
  streamNorms: number[];
  /** mean of the hidden state after each block, over the batch and the units. */
  streamMean: number[];
  /**
   * spread of the hidden state after each block: the standard deviation over the batch of each unit, averaged over
   * the units. How much the state still differs between inputs (0: every input is mapped to the same point).
   */
  streamSpread: number[];
  /** fraction of active ReLU units (x > 0) or of saturated sigmoid/tanh units, per block. */
  active: number[];
}

export type RunEvent =
  | { type: 'start'; spec: RunSpec; params: number; stepsPerEpoch: number; totalSteps: number; backend: string }
  | { type: 'step'; step: number; epoch: number; loss: number; lr: number }
  | ({
      type: 'eval';
      step: number;
      epoch: number;
      trainLoss: number;
      testLoss: number;
      /** null for regression sets. */
      testAcc: number | null;
      trainAcc: number | null;
      timeMs: number;
    } & LayerStats)
  | { type: 'end'; result: RunResult };

export interface RunResult {
  spec: RunSpec;
  status: 'ok' | 'diverged';
  /** step at which the run diverged (diverged runs). */
  divergedAt: number | null;
  /** why it diverged: a non-finite loss, or an evaluated train loss above the limit (diverged runs). */
  divergedWhy: 'non-finite' | 'loss-limit' | null;
  /** the loss of a chance predictor on this dataset: ln C for C classes, the variance of the targets for regression. */
  chanceLoss: number;
  /** train.divergeFactor x chanceLoss (null: divergeFactor 0, only non-finite losses diverge). */
  divergeLimit: number | null;
  steps: number;
  finalTrainLoss: number | null;
  finalTestLoss: number | null;
  finalTestAcc: number | null;
  finalTrainAcc: number | null;
  /** layer stats measured at initialisation, before any step, on one training batch. */
  init: LayerStats;
  /** evaluation history (the 'eval' events without their type). */
  history: Array<Omit<Extract<RunEvent, { type: 'eval' }>, 'type'>>;
  params: number;
  timeMs: number;
  backend: string;
}
