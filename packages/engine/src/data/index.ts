/**
 * Datasets: the synthetic 2-D sets of TensorFlow Playground (+ moons), the
 * regression sets plane and sine, and MNIST. `loadDataset(spec, seed)` is the
 * one entry point; the seed fixes the points and the train/test split.
 */
import type { z } from 'zod';
import { Rng } from '../rng.js';
import { DATASETS, type DataSpec, DataSpecSchema, parseWith, SpecError } from '../spec.js';
import { loadMnist } from './mnist.js';
import { SYNTHETIC } from './synthetic.js';

export type { PlaneGrid } from './grid.js';
export { lineGrid, planeGrid } from './grid.js';
export type { MnistData, MnistSource } from './mnist.js';
export { decodeMnist, loadMnist, registerMnistSource } from './mnist.js';
export { PLANE_EXTENT } from './synthetic.js';

export interface Dataset {
  name: string;
  kind: 'classification' | 'regression';
  inputDim: number;
  /** number of classes, or of regression targets. */
  outputDim: number;
  nTrain: number;
  nTest: number;
  /** nTrain * inputDim, row-major. */
  trainX: Float32Array;
  /** labels (Int32Array, classification) or nTrain * outputDim targets (Float32Array, regression). */
  trainY: Int32Array | Float32Array;
  testX: Float32Array;
  testY: Int32Array | Float32Array;
}

type DataSpecInput = z.input<typeof DataSpecSchema>;

/** What a dataset is, without loading it (e.g. to size a model or pick a plot). */
export function datasetInfo(name: DataSpec['name']): Pick<Dataset, 'name' | 'kind' | 'inputDim' | 'outputDim'> {
  if (name === 'mnist') return { name, kind: 'classification', inputDim: 784, outputDim: 10 };
  const info = SYNTHETIC[name];
  if (!info) throw new SpecError(`data: unknown dataset '${name}': use ${DATASETS.join(', ')}`);
  return { name, kind: info.kind, inputDim: info.inputDim, outputDim: info.outputDim };
}

/** Train/test sizes for `size` examples; both parts must be non-empty. */
export function splitSizes(size: number, trainRatio: number): { nTrain: number; nTest: number } {
  const nTrain = Math.round(size * trainRatio);
  if (nTrain < 1 || nTrain >= size) {
    throw new SpecError(
      `data: size ${size} with trainRatio ${trainRatio} leaves an empty ${nTrain < 1 ? 'training' : 'test'} set: use a larger size or a trainRatio nearer 0.5`,
    );
  }
  return { nTrain, nTest: size - nTrain };
}

/** Copy rows `idx[from..to)` of a row-major array with `dim` columns. */
function gather<T extends Float32Array | Int32Array>(src: T, dim: number, idx: ArrayLike<number>, from: number, to: number): T {
  const out = new (src.constructor as new (n: number) => T)((to - from) * dim);
  for (let i = from; i < to; i++) {
    const s = idx[i] * dim;
    out.set(src.subarray(s, s + dim), (i - from) * dim);
  }
  return out;
}

/**
 * Build the dataset `spec` describes (validated; defaults filled). Synthetic
 * sets are drawn from `new Rng(seed).fork('dataset')`, then shuffled with a
 * seeded permutation and split by trainRatio. MNIST takes the first `size`
 * digits of the balanced, interleaved order; its split is the same for every
 * seed (train = the first nTrain of them, test = the rest) so that runs with
 * different seeds are scored on the same digits.
 */
export async function loadDataset(spec: DataSpecInput, seed: number): Promise<Dataset> {
  const s = parseWith(DataSpecSchema, spec, 'data');
  if (!Number.isInteger(seed) || seed < 0) throw new SpecError(`data: seed must be a non-negative integer (got ${seed})`);
  const { nTrain, nTest } = splitSizes(s.size, s.trainRatio);

  if (s.name === 'mnist') {
    const m = await loadMnist();
    if (s.size > m.count) throw new SpecError(`data: size ${s.size} exceeds the ${m.count} MNIST digits available`);
    const d = m.rows * m.cols;
    const toFloat = (from: number, to: number) => {
      const px = m.pixels.subarray(from * d, to * d);
      const out = new Float32Array(px.length);
      for (let i = 0; i < px.length; i++) out[i] = px[i] / 255;
      return out;
    };
    return {
      name: 'mnist',
      kind: 'classification',
      inputDim: d,
      outputDim: 10,
      nTrain,
      nTest,
      trainX: toFloat(0, nTrain),
      trainY: Int32Array.from(m.labels.subarray(0, nTrain)),
      testX: toFloat(nTrain, s.size),
      testY: Int32Array.from(m.labels.subarray(nTrain, s.size)),
    };
  }

  const info = SYNTHETIC[s.name];
  const rng = new Rng(seed).fork('dataset');
  const pts = info.generate(s.size, s.noise, rng.fork(s.name));
  const perm = rng.fork('split').permutation(s.size);
  const yDim = info.kind === 'classification' ? 1 : info.outputDim;
  return {
    name: s.name,
    kind: info.kind,
    inputDim: info.inputDim,
    outputDim: info.outputDim,
    nTrain,
    nTest,
    trainX: gather(pts.x, info.inputDim, perm, 0, nTrain),
    trainY: gather(pts.y, yDim, perm, 0, nTrain),
    testX: gather(pts.x, info.inputDim, perm, nTrain, s.size),
    testY: gather(pts.y, yDim, perm, nTrain, s.size),
  };
}
