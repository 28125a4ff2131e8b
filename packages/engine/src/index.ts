/**
 * @reslab/engine: autograd on the wasm core, the residual block family,
 * optimizers, the training loop and the exact algebra of skips.
 * No Node built-ins or DOM here (Node-only helpers: '@reslab/engine/node').
 */
export * from './backend.js';
export * from './checkpoint.js';
export * from './data/index.js';
export * from './events.js';
export * from './fold.js';
export * from './lab/index.js';
export * from './nn/block.js';
export * from './nn/init.js';
export * from './nn/linear.js';
export * from './nn/model.js';
export * from './nn/module.js';
export * from './nn/norm.js';
export * from './nn/sequential.js';
export * from './ops/index.js';
export * from './optim/optimizer.js';
export * from './optim/schedule.js';
export * from './rng.js';
export * from './spec.js';
export * from './tensor.js';
export * from './train/predict.js';
export * from './train/stats.js';
export * from './train/trainer.js';
