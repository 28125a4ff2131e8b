/** Run optimizer steps on an engine backend and with TensorFlow.js's optimizers (see optim.test.ts). */
import {
  Adam,
  AdamW,
  type Backend,
  buildModel,
  labels,
  type ModelSpec,
  mse,
  type Optimizer,
  Rng,
  SGD,
  softmaxCrossEntropy,
  tensor,
} from '@reslab/engine';
import { batchFor, type Cfg, type Named, randomValues } from './netcheck.js';
import { mseLoss, oracleForward, ParamTable, softmaxXent, tf, withKinkMargin } from './oracle.js';

export const STEPS = 3;

export interface Opt {
  kind: 'sgd' | 'adam' | 'adamw';
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}
export interface OptCfg {
  net: Cfg;
  opt: Opt;
}

export function makeEngineOptimizer(params: ReturnType<ReturnType<typeof buildModel>['parameters']>, o: Opt): Optimizer {
  if (o.kind === 'sgd') return new SGD(params, { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
  const a = { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay };
  return o.kind === 'adam' ? new Adam(params, a) : new AdamW(params, a);
}

/** Weights before the first step and after each step, by name. */
export type Trajectory = Array<Map<string, Named>>;

export function engineSteps(b: Backend, c: OptCfg, steps = STEPS): Trajectory {
  const mark = b.mark();
  try {
    const { net } = c;
    const model = buildModel(net.spec, { inputDim: net.inputDim, outputDim: net.outputDim }, net.seed, b);
    const rng = new Rng(net.seed).fork('weights');
    for (const [name, t] of model.namedParameters()) t.set(randomValues(name, t.shape, rng));
    const snap = () => new Map([...model.namedParameters()].map(([n, t]) => [n, { shape: [...t.shape], values: t.toArray() }]));
    const traj: Trajectory = [snap()];
    const opt = makeEngineOptimizer(model.parameters(), c.opt);
    model.train();
    for (let s = 0; s < steps; s++) {
      const { x, y } = batchFor({ ...net, seed: net.seed + s });
      opt.zeroGrad();
      b.resetArena();
      const out = model.forward(tensor(b, x, [net.batch, net.inputDim]));
      const loss = net.loss === 'xent' ? softmaxCrossEntropy(out, labels(b, y)) : mse(out, tensor(b, y, [net.batch, net.outputDim]));
      loss.backward();
      opt.step();
      b.resetArena();
      traj.push(snap());
    }
    return traj;
  } finally {
    b.release(mark);
  }
}

let nextVar = 0;

export function oracleSteps(
  spec: ModelSpec,
  c: OptCfg,
  start: Map<string, Named>,
  steps = STEPS,
): { traj: Trajectory; kinkMargin: number } {
  const { net, opt: o } = c;
  const names = [...start.keys()];
  const vars = names.map((n) => tf.variable(tf.tensor(start.get(n)!.values, start.get(n)!.shape), true, `oracle${nextVar++}`));
  const optimizer: tf.Optimizer =
    o.kind === 'sgd'
      ? o.momentum > 0
        ? tf.train.momentum(o.lr, o.momentum, o.nesterov)
        : tf.train.sgd(o.lr)
      : tf.train.adam(o.lr, o.beta1, o.beta2, o.eps);
  const snap = () => new Map(names.map((n, i) => [n, { shape: start.get(n)!.shape, values: [...vars[i].dataSync()] }]));
  const traj: Trajectory = [snap()];
  let kinkMargin = Infinity;
  try {
    for (let s = 0; s < steps; s++) {
      const { x, y } = batchFor({ ...net, seed: net.seed + s });
      tf.tidy(() => {
        const xt = tf.tensor2d(x, [net.batch, net.inputDim]);
        const target = net.loss === 'mse' ? tf.tensor2d(y, [net.batch, net.outputDim]) : null;
        const f = () => {
          const out = oracleForward(spec, new ParamTable(new Map(names.map((n, i) => [n, vars[i]]))), xt);
          let loss = net.loss === 'xent' ? softmaxXent(out, y) : mseLoss(out, target!);
          if (o.kind !== 'adamw' && o.weightDecay > 0) {
            // coupled (L2) weight decay: gradient wd * w on every parameter
            loss = tf.add(loss, tf.mul(0.5 * o.weightDecay, tf.addN(vars.map((v) => tf.sum(tf.square(v)))))) as tf.Scalar;
          }
          return loss;
        };
        const r = withKinkMargin(() => tf.variableGrads(f, vars));
        kinkMargin = Math.min(kinkMargin, r.kinkMargin);
        if (o.kind === 'adamw' && o.weightDecay > 0) for (const v of vars) v.assign(tf.mul(v, 1 - o.lr * o.weightDecay));
        optimizer.applyGradients(r.result.grads);
      });
      traj.push(snap());
    }
  } finally {
    optimizer.dispose();
    for (const v of vars) v.dispose();
  }
  return { traj, kinkMargin };
}
