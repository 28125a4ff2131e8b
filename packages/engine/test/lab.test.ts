import { describe, expect, it } from 'vitest';
import { createBackend, withBackend } from '../src/backend.js';
import type { LayerStats } from '../src/events.js';
import {
  analyzeStudy,
  bestLr,
  expandStudy,
  flatText,
  foldStudy,
  foldTolerance,
  getStudy,
  type JobRecord,
  parseStudyFile,
  planStudy,
  resolveStudy,
  runJob,
  STUDIES,
  type StudyData,
  scoreLr,
  skipStudy,
  type TrainJob,
  twinTolerance,
} from '../src/lab/index.js';
import { analyzeSkip } from '../src/lab/studies/skip.js';
import { SpecError } from '../src/spec.js';
import { train } from '../src/train/trainer.js';

const tiny: StudyData = parseStudyFile({
  name: 'tiny',
  base: { model: { width: 8 }, train: { maxSteps: 20, epochs: 100, evalEvery: 10, batchSize: 16 }, data: { name: 'spiral', size: 200 } },
  grid: { variant: ['plain', 'post-1', 'post-2'], 'model.depth': [2, 4] },
  seeds: 2,
  lrGrid: [0.01, 0.03],
  lrSearch: { extend: false },
  layout: { tables: 'model.depth' },
});

const stats = (n: number, g: (i: number) => number): LayerStats => ({
  gradNorms: Array.from({ length: n }, (_, i) => g(i)),
  layerNames: Array.from({ length: n }, (_, i) => (i === 0 ? 'in' : i === n - 1 ? 'out' : `block${i}.fc1`)),
  streamNorms: [],
  streamMean: [],
  streamSpread: [],
  active: [],
});

/** A fake record for a train job with a chosen final loss/accuracy (null loss = diverged). */
function fake(job: TrainJob, loss: number | null, acc: number | null): JobRecord {
  return {
    id: job.id,
    kind: 'train',
    study: 'tiny',
    cell: job.cell,
    cellKey: job.cellKey,
    lr: job.lr,
    seed: job.seed,
    spec: job.spec,
    result: {
      status: loss === null ? 'diverged' : 'ok',
      divergedAt: loss === null ? 3 : null,
      divergedWhy: loss === null ? 'non-finite' : null,
      chanceLoss: Math.log(2),
      divergeLimit: 10 * Math.log(2),
      steps: 20,
      finalTrainLoss: loss,
      finalTestLoss: loss,
      finalTestAcc: acc,
      finalTrainAcc: acc,
      init: stats(5, (i) => 10 ** (i - 4)),
      history:
        loss === null
          ? []
          : [{ step: 10, epoch: 1, trainLoss: 2 * loss, testLoss: 2 * loss, testAcc: acc, trainAcc: acc, timeMs: 1, ...stats(5, () => 1) }],
      params: 100,
      timeMs: 5,
      backend: 'js',
    },
    timeMs: 5,
    backend: 'js',
  };
}

describe('study definitions', () => {
  it('built-in studies resolve and expand at both budgets with valid specs', () => {
    for (const def of STUDIES) {
      for (const budget of ['cli', 'browser'] as const) {
        const plan = expandStudy(def, {}, budget);
        expect(plan.jobs.length).toBeGreaterThan(0);
        expect(new Set(plan.jobs.map((j) => j.id)).size).toBe(plan.jobs.length);
      }
    }
    expect(getStudy('skip')).toBe(skipStudy);
    expect(() => getStudy('nope')).toThrow(/available studies are skip, fold/);
  });

  it('the skip study crosses 6 variants x 3 activations x 2 depths x 2 optimizers, plus a projection fold check', () => {
    const plan = expandStudy(skipStudy);
    const s = plan.study;
    const cells = s.grid.reduce((n, a) => n * a.values.length, 1);
    expect(cells).toBe(72);
    // the starting jobs: every cell at its optimizer's three starting rates, with the one tuning seed
    expect(s.lrSearch.tuneSeeds).toBe(1);
    expect(plan.jobs.filter((j) => j.kind === 'train').length).toBe(cells * 1 * 3);
    const sgd = plan.jobs.find((j) => j.kind === 'train' && j.spec.train.optimizer === 'sgd')!;
    expect(sgd.spec.train).toMatchObject({ momentum: 0.9, schedule: 'cosine' });
    const sgdLrs = plan.jobs.filter((j): j is TrainJob => j.kind === 'train' && j.spec.train.optimizer === 'sgd').map((j) => j.lr);
    expect([...new Set(sgdLrs)]).toEqual(s.lrGrids.sgd);
    const checks = plan.jobs.filter((j) => j.kind !== 'train');
    expect(checks.map((c) => c.spec.model.shortcut)).toEqual(['projection']);
    // every post-1 grid run is fold-checked, no other
    for (const j of plan.jobs) if (j.kind === 'train') expect(j.fold).toBe(j.spec.model.block === 'post' && j.spec.model.skip === 1);
  });

  it('the fold study has random and trained fold checks with both shortcuts, and twins', () => {
    const jobs = expandStudy(foldStudy).jobs.filter((j) => j.kind !== 'train');
    expect(jobs.some((j) => j.kind === 'fold' && !j.trained && j.spec.model.shortcut === 'projection')).toBe(true);
    expect(jobs.some((j) => j.kind === 'fold' && j.trained && j.spec.model.shortcut === 'projection')).toBe(true);
    expect(jobs.some((j) => j.kind === 'fold' && j.trained && j.spec.model.shortcut === 'identity')).toBe(true);
    expect(jobs.filter((j) => j.kind === 'twin').length).toBeGreaterThan(0);
  });
});

describe('expansion', () => {
  it('is deterministic, ordered cell -> lr -> seed, with stable ids', () => {
    const a = expandStudy(tiny);
    const b = expandStudy(structuredClone(tiny));
    expect(a.jobs.map((j) => j.id)).toEqual(b.jobs.map((j) => j.id));
    const t = a.jobs as TrainJob[];
    expect(t.length).toBe(3 * 2 * 2 * 2);
    expect(t[0].cell).toEqual({ variant: 'plain', 'model.depth': 2 });
    expect([t[0].lr, t[0].seed, t[1].seed, t[2].lr]).toEqual([0.01, 1, 2, 0.03]);
    expect(t[0].spec.train.lr).toBe(0.01);
    expect(t[4].spec.model).toMatchObject({ block: 'plain', depth: 4 });
    expect(t[8].spec.model).toMatchObject({ block: 'post', skip: 1, depth: 2 });
  });

  it('overrides replace axes, set fields, seeds and lrs; ids change with the spec', () => {
    const base = expandStudy(tiny);
    const o = expandStudy(tiny, { grid: { 'model.depth': [6] }, set: { 'model.width': 4 }, seeds: 1, lrGrid: [0.1] });
    expect(o.jobs.length).toBe(3);
    expect(o.jobs[0].spec.model).toMatchObject({ depth: 6, width: 4 });
    expect(o.jobs[0].id).not.toBe(base.jobs[0].id);
  });

  it('rejects bad input with one clear message', () => {
    expect(() => expandStudy(tiny, { grid: { 'model.depth': [3] } })).toThrow(/depth 3 is not a multiple of the skip length 2/);
    expect(() => expandStudy(tiny, { grid: { 'model.dept': [3] } })).toThrow(SpecError);
    expect(() => expandStudy(tiny, { grid: { 'model.activation': ['softmaxx'] } })).toThrow(/activation/);
    expect(() => expandStudy(tiny, { set: { 'train.lr': 0.1 } })).toThrow(/lrGrid/);
    expect(() => expandStudy(tiny, { lrGrid: [-1] })).toThrow(/positive/);
    expect(() => resolveStudy(tiny, 'cli', { seeds: 0 })).toThrow(/seeds/);
  });

  it('validates study files', () => {
    expect(() => parseStudyFile({ grid: { variant: [] } })).toThrow(/grid.variant: an axis needs at least one value/);
    expect(() => parseStudyFile({ grid: { 'model.depth': [4] }, colour: 1 })).toThrow(/colour/);
    expect(() => parseStudyFile({ grid: { depth: [4] } })).toThrow(/unknown study key 'depth'/);
    expect(() => parseStudyFile({ seeds: 'three' })).toThrow(/seeds/);
    const d = parseStudyFile({ base: { train: { lr: 0.05 } } });
    expect(d.lrGrid).toEqual([0.05]);
    expect(planStudy(resolveStudy(d)).jobs.length).toBe(1);
  });
});

describe('learning-rate choice and analysis', () => {
  it('picks the lr with the lowest median train loss; diverged counts as worst', () => {
    const jobs = expandStudy(tiny).jobs as TrainJob[];
    const cell = jobs.filter((j) => j.cellKey === jobs[0].cellKey);
    // lr 0.01: losses 0.5, 0.6; lr 0.03: 0.1 and diverged -> median +inf
    const recs = [fake(cell[0], 0.5, 0.8), fake(cell[1], 0.6, 0.8), fake(cell[2], 0.1, 0.9), fake(cell[3], null, null)];
    const scores = [0.01, 0.03].map((lr) => scoreLr(recs, lr, Math.log(2)));
    expect(bestLr(scores)).toBe(0.01);
    expect(scores[1]).toMatchObject({ medianTrainLoss: null, diverged: 1 });
    // with both fine, the lower median wins
    const fine = [fake(cell[0], 0.5, 0.8), fake(cell[1], 0.6, 0.8), fake(cell[2], 0.1, 0.9), fake(cell[3], 0.2, 0.9)];
    expect(bestLr([0.01, 0.03].map((lr) => scoreLr(fine, lr, Math.log(2))))).toBe(0.03);
  });

  it('classifies cells against thresholds computed from the data, and compares one- vs two-layer skips', () => {
    const plan = expandStudy(tiny);
    const quality: Record<string, number> = { plain: 0.5, 'post-1': 0.7, 'post-2': 0.95 };
    const recs = (plan.jobs as TrainJob[]).map((j) => {
      const q = quality[j.cell.variant as string] + (j.seed === 1 ? 0.01 : 0);
      return fake(j, 1 - q, q);
    });
    const skipLike = { ...tiny, analyze: analyzeSkip };
    const a = analyzeStudy(skipLike, plan.study, recs, plan);
    expect(a.missing).toBe(0);
    const st = (v: string, d: number) => a.cells.find((c) => c.cell.variant === v && c.cell['model.depth'] === d)!.status;
    // chance 0.5 (2 classes), best 0.955: trained >= 0.7275, failed < 0.5455
    expect(st('post-2', 2)).toBe('trained');
    expect(st('post-1', 2)).toBe('partly');
    expect(st('plain', 2)).toBe('failed');
    const thr = a.verdict.thresholds.find((t) => t.name === 'trained (depth 2)')!;
    expect(thr.value).toBeCloseTo(0.5 + 0.5 * (0.955 - 0.5), 6);
    const pair = flatText(a.verdict.lines).find((l) => l.includes('favour k=2'))!;
    expect(pair).toMatch(/two-layer skips did better \(2 of 2 comparisons favour k=2/);
    expect(a.tables.map((t) => t.title)).toEqual(['tiny: depth 2', 'tiny: depth 4']);
    expect(a.tables[0].rows.length).toBe(3);
    expect(a.cells[0].gradRatio).toBeCloseTo(1e-3 / 1e-1, 9);

    // the same analysis on other numbers reaches another verdict: nothing is written in advance
    const flipped = (plan.jobs as TrainJob[]).map((j) => {
      const q = { plain: 0.9, 'post-1': 0.95, 'post-2': 0.6 }[j.cell.variant as string]! + (j.seed === 1 ? 0.01 : 0);
      return fake(j, 1 - q, q);
    });
    const b = analyzeStudy(skipLike, plan.study, flipped, plan);
    expect(flatText(b.verdict.lines).join('\n')).toMatch(/one-layer skips did better/);
  });

  it('reports an incomplete study', () => {
    const plan = expandStudy(tiny);
    const recs = (plan.jobs as TrainJob[]).slice(0, 5).map((j) => fake(j, 0.3, 0.9));
    const a = analyzeStudy(tiny, plan.study, recs, plan);
    expect(a.missing).toBe(plan.jobs.length - 5);
    expect(a.verdict.lines[0]).toMatchObject({ level: 'warning' });
    expect(a.verdict.lines[0].text).toMatch(/INCOMPLETE/);
    expect(a.cells.filter((c) => c.status === 'missing').length).toBeGreaterThan(0);
  });
});

describe('running jobs (js backend, tiny)', () => {
  const def = parseStudyFile({
    name: 'tinyrun',
    base: {
      model: { width: 8, depth: 3 },
      train: { maxSteps: 12, epochs: 100, evalEvery: 4, batchSize: 16 },
      data: { name: 'spiral', size: 160 },
    },
    grid: { variant: ['post-1'] },
    seeds: 1,
    lrGrid: [0.01],
    foldTrained: true,
    checks: [
      { kind: 'fold', label: 'random projection', set: { 'model.shortcut': 'projection' }, trained: false },
      { kind: 'twin', label: 'twin' },
    ],
  });

  it('trains, folds and twins; the same job twice gives the same record', { timeout: 30_000 }, async () => {
    const plan = expandStudy(def);
    const recs = [];
    for (const j of plan.jobs) recs.push(await runJob(j, { study: 'tinyrun', backend: 'js' }));
    const [t, f, w] = recs;
    expect(t.error).toBeUndefined();
    expect(t.result?.status).toBe('ok');
    expect(t.result?.history.length).toBe(3);
    expect(t.fold!.maxAbsDiff).toBeLessThan(foldTolerance(t.fold!));
    expect(t.fold!.maxAbsDiff64).toBeLessThan(1e-12 * Math.max(1, t.fold!.maxAbsOutput));
    expect(t.fold!.roundingError).toBeGreaterThan(0);
    expect(f.fold!.shortcut).toBe('projection');
    expect(f.fold!.maxAbsDiff).toBeLessThan(foldTolerance(f.fold!));
    expect(w.twin!.steps).toEqual([4, 8, 12]);
    expect(w.twin!.maxAbsLossDiff).toBeLessThanOrEqual(twinTolerance(w.twin!));
    expect(w.twin!.controlMaxAbsLossDiff).toBeGreaterThanOrEqual(0);
    expect(w.twin!.maxWeightDiff!).toBeLessThan(1e-4);
    const again = await runJob(plan.jobs[0], { study: 'tinyrun', backend: 'js' });
    expect(again.result!.history.map((h) => h.trainLoss)).toEqual(t.result!.history.map((h) => h.trainLoss));
    const a = analyzeStudy(def, plan.study, recs, plan);
    expect(a.checks.map((c) => c.ok)).toEqual([true, true, true]);
    expect(a.checks[0].line).toMatch(/in float32 and .* in float64/);
  });

  it('on the float64 backend the fold check is its own float64 copy and says float64', async () => {
    const plan = expandStudy(def);
    const t = await runJob(plan.jobs[0], { study: 'tinyrun', backend: 'js64' });
    expect(t.backend).toBe('js64');
    expect(t.fold!.roundingError).toBe(0);
    expect(t.fold!.maxAbsDiff64).toBe(t.fold!.maxAbsDiff);
    expect(t.fold!.maxAbsDiff).toBeLessThan(1e-12 * Math.max(1, t.fold!.maxAbsOutput));
    const a = analyzeStudy(def, plan.study, [t], plan);
    const grid = a.checks.find((c) => c.id === 'fold:grid');
    expect(grid?.line).toMatch(/in float64 and .* in float64; .*own float64 rounding error 0/);
    expect(grid?.line).not.toMatch(/float32/);
  });
});

describe('jobs share one backend per thread (wasm)', () => {
  const def = parseStudyFile({
    name: 'reuse',
    base: {
      model: { width: 16, depth: 4 },
      train: { maxSteps: 15, epochs: 100, evalEvery: 5, batchSize: 16 },
      data: { name: 'moons', size: 200 },
    },
    grid: { variant: ['post-2', 'preact-2'], 'model.activation': ['relu', 'tanh'] },
    seeds: 1,
    lrGrid: [0.01],
  });
  const losses = (r: { history: { trainLoss: number; testLoss: number }[] }) => r.history.flatMap((h) => [h.trainLoss, h.testLoss]);

  it('a job on a reused backend whose memory is all NaN gives the same numbers as on a fresh backend', async () => {
    const jobs = expandStudy(def).jobs.filter((j): j is TrainJob => j.kind === 'train');
    expect(jobs.length).toBe(4);
    for (const job of jobs) {
      const fresh = await train(job.spec, { backend: await createBackend('wasm') });
      // dirty the backend the next job will get: every byte past the kernels' statics is NaN
      await withBackend('wasm', async (b) => {
        const p = b.alloc(0);
        b.alloc(((b.usage().capacity - p) >> 2) - 16);
        b.f.fill(Number.NaN, p >> 2);
      });
      const rec = await runJob(job, { study: 'reuse', backend: 'wasm' });
      expect(rec.error).toBeUndefined();
      expect(losses(rec.result!)).toEqual(losses(fresh));
      expect(losses(fresh).every(Number.isFinite)).toBe(true);
    }
  });

  it('concurrent callers get separate backends, each cleared before use', async () => {
    const seen: unknown[] = [];
    await Promise.all(
      [0, 1].map((i) =>
        withBackend('wasm', async (b) => {
          expect(b.usage().persistent).toBe(0);
          seen.push(b);
          b.allocPersistent(100 + i);
          await new Promise((r) => setTimeout(r, 5));
          expect(b.usage().persistent).toBeGreaterThanOrEqual(400);
        }),
      ),
    );
    expect(seen[0]).not.toBe(seen[1]);
    await withBackend('wasm', async (b) => {
      expect(seen).toContain(b);
      expect(b.usage()).toMatchObject({ persistent: 0, arena: 0 });
    });
  });
});
