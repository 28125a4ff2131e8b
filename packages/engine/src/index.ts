/**
 * @reslab/engine: autograd on the wasm core, the residual block family,
 * optimizers, the training loop and the exact algebra of skips.
 * No Node built-ins or DOM here (Node-only helpers: '@reslab/engine/node').
 *
 * The public surface, grouped by source file (README: "What the engine exports"). What ops are made of (op records
 * and their reuse, the tape, gradient hand-over, shape helpers) stays inside: add a name here to publish it.
 */
export { BACKEND_KINDS, Backend, type BackendKind, createBackend, type Ptr, relaxedSimdSupported, withBackend } from './backend.js';
export { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, loadCheckpoint, saveCheckpoint, type TensorRecord } from './checkpoint.js';
export {
  type Dataset,
  datasetInfo,
  decodeMnist,
  lineGrid,
  loadDataset,
  loadMnist,
  type MnistData,
  type MnistSource,
  PLANE_EXTENT,
  type PlaneGrid,
  planeGrid,
  registerMnistSource,
  splitSizes,
} from './data/index.js';
export type { LayerStats, RunEvent, RunResult } from './events.js';
export { type FoldCheck, foldCheck, foldPost1 } from './fold.js';
export * from './lab/index.js';
export { ResidualBlock } from './nn/block.js';
export { initNormal, initStd } from './nn/init.js';
export { Linear } from './nn/linear.js';
export { buildModel, Model, type ModelIO } from './nn/model.js';
export { type ForwardHook, type HookHandle, Module } from './nn/module.js';
export { BatchNorm, LayerNorm } from './nn/norm.js';
export { Sequential } from './nn/sequential.js';
export {
  actCode,
  activation,
  add,
  type BatchNormState,
  batchNorm,
  biasAct,
  concat,
  dropout,
  Labels,
  labels,
  layerNorm,
  linear,
  linearResidualPost,
  matmul,
  mean,
  mse,
  mul,
  relu,
  reshape,
  residualAdd,
  residualPost,
  scale,
  sigmoid,
  slice,
  softmaxCrossEntropy,
  sub,
  sum,
  tanh,
} from './ops/index.js';
export { Adam, AdamW, clipGradNorm, gradNorm, makeOptimizer, type Optimizer, SGD } from './optim/optimizer.js';
export { lrAt } from './optim/schedule.js';
export { Rng } from './rng.js';
export {
  ACTIVATIONS,
  BLOCKS,
  BRANCH_SCALES,
  DATASETS,
  type DataSpec,
  DataSpecSchema,
  INITS,
  type ModelSpec,
  type ModelSpecInput,
  ModelSpecSchema,
  NORM_PLACES,
  NORMS,
  OPTIMIZERS,
  parseModelSpec,
  parseRunSpec,
  parseVariant,
  type RunSpec,
  type RunSpecInput,
  RunSpecSchema,
  SCHEDULES,
  SHORTCUTS,
  SpecError,
  type TrainSpec,
  TrainSpecSchema,
  variantName,
} from './spec.js';
export { buffer, empty, isGradEnabled, noGrad, numel, parameter, Tensor, tensor, zeros } from './tensor.js';
export { predict } from './train/predict.js';
export { EVAL_TRAIN_MAX, type EvalEvent, type EvalRecord, type StepEvent, Trainer, type TrainOptions, train } from './train/trainer.js';
