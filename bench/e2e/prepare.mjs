// Writes what the adapters need into a work folder, from reslab's own plan of the skip study:
//   jobs.json  one entry per training run of the grid (id, seed, model, train: lr, Adam betas/eps, batch, steps, evalEvery)
//   data.json  sizes; data.bin: trainX (float32), trainY (int32), testX, testY: the same MNIST digits reslab trains on
// The adapters run only the grid's training runs; reslab also runs the study's fold checks.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const engineUrl = new URL('../../packages/engine/dist/index.js', import.meta.url);
const engineNodeUrl = new URL('../../packages/engine/dist/node/index.js', import.meta.url);

/** The skip study's plan (cli budget) under `overrides` (reslab's StudyOverrides), as adapter jobs. */
export async function prepare(dir, overrides = {}) {
  await import(engineNodeUrl);
  const e = await import(engineUrl);
  const plan = e.expandStudy(e.getStudy('skip'), overrides, 'cli');
  const train = plan.jobs.filter((j) => j.kind === 'train');
  const dataKey = JSON.stringify(train[0].spec.data);
  if (train.some((j) => JSON.stringify(j.spec.data) !== dataKey)) throw new Error('the adapters expect one data spec for the whole grid');
  const ds = await e.loadDataset(train[0].spec.data, train[0].seed);
  const jobs = train.map((j) => {
    const { model: m, train: t } = j.spec;
    if (m.norm !== 'none' || m.shortcut !== 'identity' || m.branchScale !== 'none' || m.dropout !== 0 || m.init !== 'he')
      throw new Error(`job ${j.id}: the adapters implement norm none, identity shortcuts, no branch scaling, no dropout, He init`);
    if (t.optimizer !== 'adam' || t.weightDecay !== 0 || t.schedule !== 'constant' || t.clipNorm !== 0 || t.warmup !== 0)
      throw new Error(`job ${j.id}: the adapters implement plain Adam at a constant learning rate`);
    const perEpoch = Math.floor(ds.nTrain / Math.min(t.batchSize, ds.nTrain));
    const steps = t.maxSteps > 0 ? Math.min(t.maxSteps, t.epochs * perEpoch) : t.epochs * perEpoch;
    return {
      id: j.id,
      seed: j.seed,
      model: { variant: e.variantName(m), depth: m.depth, width: m.width, activation: m.activation },
      train: {
        lr: t.lr,
        beta1: t.beta1,
        beta2: t.beta2,
        eps: t.eps,
        batchSize: t.batchSize,
        steps,
        evalEvery: t.evalEvery > 0 ? t.evalEvery : perEpoch,
      },
    };
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'jobs.json'), JSON.stringify(jobs, null, 1));
  writeFileSync(
    join(dir, 'data.json'),
    JSON.stringify({ name: ds.name, inputDim: ds.inputDim, outputDim: ds.outputDim, nTrain: ds.nTrain, nTest: ds.nTest }),
  );
  const parts = [ds.trainX, ds.trainY, ds.testX, ds.testY].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  writeFileSync(join(dir, 'data.bin'), Buffer.concat(parts));
  return { plan, jobs, checks: plan.jobs.length - train.length, data: ds };
}
