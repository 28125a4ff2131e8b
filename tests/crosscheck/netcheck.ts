/** Run one network configuration on an engine backend and on the TensorFlow.js oracle. */
import {
  type Backend,
  buildModel,
  labels,
  type ModelSpec,
  type ModelSpecInput,
  mse,
  noGrad,
  Rng,
  softmaxCrossEntropy,
  tensor,
} from '@reslab/engine';
import { type BnMode, mseLoss, oracleForward, ParamTable, softmaxXent, tf, withKinkMargin } from './oracle.js';

export interface Cfg {
  spec: ModelSpecInput;
  inputDim: number;
  outputDim: number;
  batch: number;
  loss: 'xent' | 'mse';
  /** replace the engine's initialisation by random values everywhere (zero-initialised parts then carry gradient too) */
  randomize: boolean;
  seed: number;
}

export interface Named {
  shape: number[];
  values: number[];
}
export interface EngineResult {
  loss: number;
  params: Map<string, Named>;
  grads: Map<string, Named>;
  buffers: Map<string, Named>;
  evalOut: number[];
  /** backend memory capacity (bytes) once the model is built, and after the training step */
  capacity: { built: number; stepped: number };
}

export function batchFor(cfg: Cfg): { x: number[]; y: number[] } {
  const rng = new Rng(cfg.seed).fork('batch');
  const x = Array.from({ length: cfg.batch * cfg.inputDim }, () => rng.normal());
  const y =
    cfg.loss === 'xent'
      ? Array.from({ length: cfg.batch }, () => rng.int(cfg.outputDim))
      : Array.from({ length: cfg.batch * cfg.outputDim }, () => rng.normal());
  return { x, y };
}

/** Random values for a parameter: weights N(0, 0.8^2 / fan_in), biases N(0, 0.1^2), norm gains 1 + N(0, 0.1^2), scalars U(0.3, 1.2). */
export function randomValues(name: string, shape: readonly number[], rng: Rng): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  const isNorm = /(^|\.)(norm\d*|final)\./.test(name);
  if (leaf === 'alpha' || leaf === 'scale') return [rng.range(0.3, 1.2)];
  if (isNorm && leaf === 'weight') return Array.from({ length: n }, () => 1 + 0.1 * rng.normal());
  if (leaf === 'weight') return Array.from({ length: n }, () => (0.8 / Math.sqrt(shape[1])) * rng.normal());
  const gateBias = /\.gate\.bias$/.test(name) ? -1 : 0;
  return Array.from({ length: n }, () => gateBias + 0.1 * rng.normal());
}

export function runEngine(b: Backend, cfg: Cfg): EngineResult {
  const mark = b.mark();
  try {
    const model = buildModel(cfg.spec, { inputDim: cfg.inputDim, outputDim: cfg.outputDim }, cfg.seed, b);
    if (cfg.randomize) {
      const rng = new Rng(cfg.seed).fork('weights');
      for (const [name, t] of model.namedParameters()) t.set(randomValues(name, t.shape, rng));
    }
    const params = new Map<string, Named>();
    for (const [name, t] of model.namedParameters()) params.set(name, { shape: [...t.shape], values: t.toArray() });

    const built = b.usage().capacity;
    const { x, y } = batchFor(cfg);
    model.train();
    model.zeroGrad();
    b.resetArena();
    const xt = tensor(b, x, [cfg.batch, cfg.inputDim]);
    const out = model.forward(xt);
    const loss = cfg.loss === 'xent' ? softmaxCrossEntropy(out, labels(b, y)) : mse(out, tensor(b, y, [cfg.batch, cfg.outputDim]));
    const lossValue = loss.item();
    loss.backward();
    const grads = new Map<string, Named>();
    for (const [name, t] of model.namedParameters()) grads.set(name, { shape: [...t.shape], values: t.gradArray() });
    const buffers = new Map<string, Named>();
    for (const [name, t] of model.namedBuffers()) buffers.set(name, { shape: [...t.shape], values: t.toArray() });
    const stepped = b.usage().capacity;
    b.resetArena();
    model.eval();
    const evalOut = noGrad(() => model.forward(tensor(b, x, [cfg.batch, cfg.inputDim])).toArray());
    b.resetArena();
    return { loss: lossValue, params, grads, buffers, evalOut, capacity: { built, stepped } };
  } finally {
    b.release(mark);
  }
}

export interface OracleResult {
  loss: number;
  grads: Map<string, number[]>;
  running: Map<string, { mean: number[]; variance: number[] }>;
  evalOut: number[];
  unused: string[];
  /** min over ReLU / leaky-ReLU inputs of |x| / rms(that input): how near a kink (where the gradient jumps) the case runs */
  kinkMargin: number;
}

/**
 * The same parameters, each multiplied by (1 + u 2^-22) with u uniform in [-1, 1]: a change at the level of float32
 * rounding. How much the oracle's answer moves under it measures the conditioning of the case at hand.
 */
export function jitter(params: Map<string, Named>, seed: number): Map<string, Named> {
  const rng = new Rng(seed).fork('jitter');
  const out = new Map<string, Named>();
  for (const [k, v] of params) out.set(k, { shape: v.shape, values: v.values.map((x) => x * (1 + rng.range(-1, 1) * 2 ** -22)) });
  return out;
}

export function runOracle(spec: ModelSpec, cfg: Cfg, params: Map<string, Named>): OracleResult {
  const { x, y } = batchFor(cfg);
  const names = [...params.keys()];
  let result: OracleResult | null = null;
  tf.tidy(() => {
    const vars = names.map((n) => tf.tensor(params.get(n)!.values, params.get(n)!.shape));
    const xt = tf.tensor2d(x, [cfg.batch, cfg.inputDim]);
    const target = cfg.loss === 'mse' ? tf.tensor2d(y, [cfg.batch, cfg.outputDim]) : null;
    let table: ParamTable | null = null;
    const f = (...ts: tf.Tensor[]): tf.Scalar => {
      table = new ParamTable(new Map(names.map((n, i) => [n, ts[i]])));
      const out = oracleForward(spec, table, xt);
      return cfg.loss === 'xent' ? softmaxXent(out, y) : mseLoss(out, target!);
    };
    const {
      result: { value, grads },
      kinkMargin,
    } = withKinkMargin(() => tf.valueAndGrads(f)(vars));
    const unused = table!.unused();
    // running statistics of one training batch, then the eval-mode forward with them
    const bn: BnMode = { training: true, running: new Map() };
    oracleForward(spec, new ParamTable(new Map(names.map((n, i) => [n, vars[i]]))), xt, bn);
    const evalOut = oracleForward(spec, new ParamTable(new Map(names.map((n, i) => [n, vars[i]]))), xt, {
      training: false,
      running: bn.running,
    });
    const running = new Map<string, { mean: number[]; variance: number[] }>();
    for (const [k, v] of bn.running!) running.set(k, { mean: [...v.mean.dataSync()], variance: [...v.variance.dataSync()] });
    result = {
      loss: value.dataSync()[0],
      grads: new Map(names.map((n, i) => [n, [...grads[i].dataSync()]])),
      running,
      evalOut: [...evalOut.dataSync()],
      unused,
      kinkMargin,
    };
  });
  return result!;
}
