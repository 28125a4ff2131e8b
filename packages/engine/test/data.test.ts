import { describe, expect, it } from 'vitest';
import { type Dataset, datasetInfo, lineGrid, loadDataset, PLANE_EXTENT, planeGrid } from '../src/data/index.js';
import { SpecError } from '../src/spec.js';

const SYNTH = ['circle', 'xor', 'gauss', 'spiral', 'moons', 'plane', 'sine'] as const;
const CLASSIFY = ['circle', 'xor', 'gauss', 'spiral', 'moons'] as const;

const allY = (d: Dataset) => [...d.trainY, ...d.testY];
const allX = (d: Dataset) => [...d.trainX, ...d.testX];

describe('synthetic datasets', () => {
  it.each(SYNTH)('%s: same seed gives identical arrays, another seed different ones', async (name) => {
    const a = await loadDataset({ name, size: 300, noise: 0.2 }, 7);
    const b = await loadDataset({ name, size: 300, noise: 0.2 }, 7);
    const c = await loadDataset({ name, size: 300, noise: 0.2 }, 8);
    expect(b.trainX).toEqual(a.trainX);
    expect(b.trainY).toEqual(a.trainY);
    expect(b.testX).toEqual(a.testX);
    expect(b.testY).toEqual(a.testY);
    expect(c.trainX).not.toEqual(a.trainX);
    expect(c.testX).not.toEqual(a.testX);
  });

  it.each(SYNTH)('%s: shapes, types, split sizes and finite values', async (name) => {
    const d = await loadDataset({ name, size: 251, trainRatio: 0.7 }, 3);
    expect(d.name).toBe(name);
    expect(d.nTrain).toBe(Math.round(251 * 0.7));
    expect(d.nTrain + d.nTest).toBe(251);
    expect(d.inputDim).toBe(name === 'sine' ? 1 : 2);
    expect(d.trainX.length).toBe(d.nTrain * d.inputDim);
    expect(d.testX.length).toBe(d.nTest * d.inputDim);
    if (d.kind === 'classification') {
      expect(d.outputDim).toBe(2);
      expect(d.trainY).toBeInstanceOf(Int32Array);
      expect(d.trainY.length).toBe(d.nTrain);
      expect(d.testY.length).toBe(d.nTest);
      expect(new Set(allY(d))).toEqual(new Set([0, 1]));
    } else {
      expect(d.outputDim).toBe(1);
      expect(d.trainY).toBeInstanceOf(Float32Array);
      expect(d.trainY.length).toBe(d.nTrain * d.outputDim);
    }
    for (const v of [...allX(d), ...allY(d)]) expect(Number.isFinite(v)).toBe(true);
    // inputs stay within the plotting square (noise can push a few points just outside)
    const outside = allX(d).filter((v) => Math.abs(v) > PLANE_EXTENT).length;
    expect(outside).toBeLessThanOrEqual(allX(d).length * 0.02);
  });

  it.each(CLASSIFY)('%s: the two classes are balanced', async (name) => {
    const d = await loadDataset({ name, size: 1000, noise: 0.1 }, 11);
    const ones = allY(d).filter((y) => y === 1).length;
    // gauss/spiral/moons draw exactly half per class; circle and xor read labels at jittered points (as Playground)
    expect(Math.abs(ones - 500)).toBeLessThanOrEqual(name === 'xor' || name === 'circle' ? 60 : 0);
    // the seeded shuffle spreads both classes over train and test
    const trainOnes = [...d.trainY].filter((y) => y === 1).length / d.nTrain;
    expect(Math.abs(trainOnes - 0.5)).toBeLessThan(0.06);
  });

  it('noise 0 gives labels that follow the rule exactly; noise flips some', async () => {
    const wrong = (d: Dataset, rule: (x: number, y: number) => number) => {
      const x = allX(d);
      const y = allY(d);
      let n = 0;
      for (let i = 0; i < y.length; i++) if (rule(x[2 * i], x[2 * i + 1]) !== y[i]) n++;
      return n;
    };
    const xorRule = (x: number, y: number) => (x * y >= 0 ? 1 : 0);
    const circleRule = (x: number, y: number) => (Math.hypot(x, y) < 0.5 ? 1 : 0);
    expect(wrong(await loadDataset({ name: 'xor', size: 800, noise: 0 }, 5), xorRule)).toBe(0);
    expect(wrong(await loadDataset({ name: 'xor', size: 800, noise: 0.5 }, 5), xorRule)).toBeGreaterThan(40);
    expect(wrong(await loadDataset({ name: 'circle', size: 800, noise: 0 }, 5), circleRule)).toBe(0);
    expect(wrong(await loadDataset({ name: 'circle', size: 800, noise: 0.5 }, 5), circleRule)).toBeGreaterThan(40);
  });

  it('noise widens the Gaussians and the sine residuals', async () => {
    const spread = (d: Dataset) => {
      const x = allX(d);
      const y = allY(d);
      let s = 0;
      for (let i = 0; i < y.length; i++) {
        const c = y[i] === 1 ? 0.4 : -0.4;
        s += (x[2 * i] - c) ** 2 + (x[2 * i + 1] - c) ** 2;
      }
      return Math.sqrt(s / (2 * y.length));
    };
    const g0 = spread(await loadDataset({ name: 'gauss', size: 2000, noise: 0 }, 2));
    const g5 = spread(await loadDataset({ name: 'gauss', size: 2000, noise: 0.5 }, 2));
    expect(g0).toBeCloseTo(Math.sqrt(0.5) / 5, 1);
    expect(g5).toBeCloseTo(2 / 5, 1);

    const resid = (d: Dataset) => {
      const x = allX(d);
      const y = allY(d);
      return Math.sqrt(x.reduce((s, xi, i) => s + (y[i] - Math.sin(2 * Math.PI * xi)) ** 2, 0) / x.length);
    };
    expect(resid(await loadDataset({ name: 'sine', size: 1000, noise: 0 }, 4))).toBeLessThan(1e-6);
    expect(resid(await loadDataset({ name: 'sine', size: 1000, noise: 0.3 }, 4))).toBeCloseTo(0.3, 1);
  });

  it('plane targets are (x + y) / 2 in our units when noise is 0', async () => {
    const d = await loadDataset({ name: 'plane', size: 200, noise: 0 }, 9);
    const x = allX(d);
    const y = allY(d);
    for (let i = 0; i < y.length; i++) expect(y[i]).toBeCloseTo((x[2 * i] + x[2 * i + 1]) / 2, 5);
  });

  it.each(SYNTH)('%s: datasetInfo agrees with the loaded set', async (name) => {
    const d = await loadDataset({ name, size: 20 }, 1);
    expect(datasetInfo(name)).toEqual({ name, kind: d.kind, inputDim: d.inputDim, outputDim: d.outputDim });
  });

  it('rejects bad input with one clear line', async () => {
    await expect(loadDataset({ name: 'circle', size: 2, trainRatio: 0.9 }, 1)).rejects.toThrow(/empty test set/);
    await expect(loadDataset({ name: 'circle', size: 0 }, 1)).rejects.toThrow(SpecError);
    await expect(loadDataset({ name: 'nope' as 'circle' }, 1)).rejects.toThrow(/data: name/);
    await expect(loadDataset({ name: 'circle' }, -1)).rejects.toThrow(/seed/);
    expect(() => datasetInfo('nope' as 'circle')).toThrow(/unknown dataset 'nope'/);
  });
});

describe('MNIST without a registered source', () => {
  it('says to import the Node entry when fetch cannot load the file', async () => {
    // this file never imports '@reslab/engine/node', and Node's fetch does not read file: URLs
    await expect(loadDataset({ name: 'mnist', size: 100 }, 1)).rejects.toThrow(/import '@reslab\/engine\/node'/);
  });
});

describe('grids', () => {
  it('planeGrid covers the square by cell centres, top row first', () => {
    const g = planeGrid(4, 2);
    expect(g.inputs.length).toBe(32);
    expect([g.inputs[0], g.inputs[1]]).toEqual([-1.5, 1.5]);
    expect([g.inputs[6], g.inputs[7]]).toEqual([1.5, 1.5]);
    expect([g.inputs[30], g.inputs[31]]).toEqual([1.5, -1.5]);
    expect(planeGrid(3).extent).toBe(PLANE_EXTENT);
    expect(() => planeGrid(0)).toThrow(/positive integer/);
  });

  it('lineGrid spans [-extent, extent] inclusive', () => {
    expect([...lineGrid(5)]).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(() => lineGrid(1)).toThrow(/at least 2/);
  });
});
