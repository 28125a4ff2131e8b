import { dirname, join, resolve } from 'node:path';
import {
  ACTIVATIONS,
  DATASETS,
  INITS,
  type JobRecord,
  NORMS,
  OPTIMIZERS,
  parseRunSpec,
  parseStudyFile,
  parseVariant,
  planStudy,
  type RunEvent,
  type RunResult,
  type RunSpec,
  resolveStudy,
  SCHEDULES,
  SHORTCUTS,
  saveCheckpoint,
  train,
} from '@reslab/engine';
import asciichart from 'asciichart';
import cliProgress from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { Interrupted, UsageError } from '../errors.js';
import { addRunOptions, enumParser, intParser, numberParser, parseSetValue } from '../options.js';
import { chooseOutDir, ensureWritableDir, readJsonFile, STUDY_FILE, writeAtomic, writeJsonAtomic } from '../output.js';
import { formatDuration } from '../progress.js';
import type { Colors } from '../render/color.js';
import { STUDY_FORMAT, type StudyFolder, writeOutputs } from '../runner.js';
import { commandLine, emit, type RunFlags } from './shared.js';

interface TrainFlags extends RunFlags {
  spec?: string;
  variant?: string;
  depth?: number;
  width?: number;
  act?: string;
  shortcut?: string;
  norm?: string;
  init?: string;
  dataset?: string;
  dataSize?: number;
  noise?: number;
  optimizer?: string;
  lr?: number;
  batchSize?: number;
  epochs?: number;
  steps?: number;
  evalEvery?: number;
  schedule?: string;
  clipNorm?: number;
  seed?: number;
  set?: Array<[string, string | number | boolean]>;
  save?: string;
  quiet?: boolean;
}

const variantParser = (v: string): string => {
  try {
    parseVariant(v);
  } catch (e) {
    throw new InvalidArgumentError(`${(e as Error).message}.`);
  }
  return v;
};

const collectSet = (v: string, prev: Array<[string, string | number | boolean]> = []): Array<[string, string | number | boolean]> => {
  const m = /^(model|train|data)\.([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--set takes section.field=value (e.g. train.weightDecay=0.01), got '${v}'.`);
  return [...prev, [`${m[1]}.${m[2]}`, parseSetValue(m[3])]];
};

/** The spec: --spec file (if any), then the flags on top, validated. */
function specFromFlags(f: TrainFlags): RunSpec {
  const base = (f.spec ? readJsonFile(f.spec, 'spec file') : {}) as Record<string, Record<string, unknown>>;
  if (base === null || typeof base !== 'object' || Array.isArray(base))
    throw new UsageError(`spec file '${f.spec}' must hold a JSON object with model, train, data, seed`);
  const s = {
    model: { ...(base.model ?? {}) },
    train: { ...(base.train ?? {}) },
    data: { ...(base.data ?? {}) },
    seed: base.seed as unknown,
  };
  for (const k of Object.keys(base)) if (!['model', 'train', 'data', 'seed'].includes(k)) (s as Record<string, unknown>)[k] = base[k];
  if (f.variant) Object.assign(s.model, parseVariant(f.variant));
  const put = (o: Record<string, unknown>, k: string, v: unknown) => {
    if (v !== undefined) o[k] = v;
  };
  put(s.model, 'depth', f.depth);
  put(s.model, 'width', f.width);
  put(s.model, 'activation', f.act);
  put(s.model, 'shortcut', f.shortcut);
  put(s.model, 'norm', f.norm);
  put(s.model, 'init', f.init);
  put(s.data, 'name', f.dataset);
  put(s.data, 'size', f.dataSize);
  put(s.data, 'noise', f.noise);
  put(s.train, 'optimizer', f.optimizer);
  put(s.train, 'lr', f.lr);
  put(s.train, 'batchSize', f.batchSize);
  put(s.train, 'evalEvery', f.evalEvery);
  put(s.train, 'schedule', f.schedule);
  put(s.train, 'clipNorm', f.clipNorm);
  if (f.steps !== undefined) {
    s.train.maxSteps = f.steps;
    if (f.epochs === undefined) s.train.epochs = 10000;
  }
  if (f.epochs !== undefined) {
    s.train.epochs = f.epochs;
    if (f.steps === undefined) s.train.maxSteps = 0;
  }
  if (f.seed !== undefined) s.seed = f.seed;
  for (const [k, v] of f.set ?? []) {
    const [sec, field] = k.split('.') as ['model' | 'train' | 'data', string];
    s[sec][field] = v;
  }
  if (s.seed === undefined) delete (s as { seed?: unknown }).seed;
  return parseRunSpec(s);
}

/** What `reslab train` reports (--json prints it): the run's result without the layer statistics, and its files. */
type TrainResult = Pick<
  RunResult,
  'spec' | 'status' | 'divergedAt' | 'steps' | 'finalTrainLoss' | 'finalTestLoss' | 'finalTestAcc' | 'params' | 'timeMs' | 'backend'
> & {
  history: Array<Pick<RunResult['history'][number], 'step' | 'trainLoss' | 'testLoss' | 'testAcc'>>;
  outDir: string;
  files: Record<string, string>;
  checkpoint: string | null;
};

function renderTrain(r: TrainResult, c: Colors, charts: boolean): string {
  const m = r.spec.model;
  const v = m.block === 'plain' ? 'plain' : `${m.block}-${m.skip}`;
  const out = [
    `${c.bold('reslab train')}: ${v} ${m.activation}, depth ${m.depth}, width ${m.width}, ${r.spec.data.name}, ${r.spec.train.optimizer} lr ${r.spec.train.lr}, seed ${r.spec.seed}`,
    `${r.params} parameters, ${r.steps} steps in ${formatDuration(r.timeMs)} on ${r.backend}`,
  ];
  if (r.status === 'diverged') out.push(c.red(`diverged at step ${r.divergedAt} (a non-finite loss): try a smaller --lr`));
  else {
    const acc = r.finalTestAcc === null ? '' : `, test acc ${(100 * r.finalTestAcc).toFixed(2)}%`;
    out.push(`final: train loss ${r.finalTrainLoss?.toPrecision(4)}, test loss ${r.finalTestLoss?.toPrecision(4)}${acc}`);
  }
  if (r.history.length >= 2) {
    const series = [r.history.map((h) => h.trainLoss), r.history.map((h) => h.testLoss)];
    const chart = asciichart.plot(charts ? series : [series[0]], {
      height: 8,
      colors: charts ? [asciichart.blue, asciichart.red] : undefined,
      format: (x: number) => x.toPrecision(3).padStart(8),
    });
    const legend = charts ? `${asciichart.blue}-- train${asciichart.reset}  ${asciichart.red}-- test${asciichart.reset}` : '(train loss)';
    out.push('', `${c.bold('loss per evaluation')} ${legend}`, chart);
  }
  out.push(
    '',
    `written: ${r.outDir}/ (${Object.values(r.files)
      .map((f) => f.slice(r.outDir.length + 1))
      .join(', ')})`,
  );
  if (r.checkpoint) out.push(`checkpoint: ${r.checkpoint}  (check its algebra: reslab fold ${r.checkpoint})`);
  return out.join('\n');
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .summary('train one model and print live metrics')
    .description(
      'Train one model from flags or a --spec file (flags override the file), print live metrics, save a checkpoint with --save.',
    )
    .option('--spec <file>', 'a RunSpec JSON file: { "model": {...}, "train": {...}, "data": {...}, "seed": 1 }')
    .option('--variant <name>', 'plain, post-K, branch-K or preact-K (e.g. post-2)', variantParser)
    .option('--depth <n>', 'hidden layers (a multiple of the skip length)', intParser('--depth', 1, 1024))
    .option('--width <n>', 'hidden width', intParser('--width', 1, 4096))
    .option('--act <name>', `activation: ${ACTIVATIONS.join(', ')}`, enumParser('activation', ACTIVATIONS))
    .option('--shortcut <name>', `shortcut: ${SHORTCUTS.join(', ')}`, enumParser('shortcut', SHORTCUTS))
    .option('--norm <name>', `normalisation: ${NORMS.join(', ')}`, enumParser('norm', NORMS))
    .option('--init <name>', `initialisation: ${INITS.join(', ')}`, enumParser('init', INITS))
    .option('--dataset <name>', `dataset: ${DATASETS.join(', ')}`, enumParser('dataset', DATASETS))
    .option('--data-size <n>', 'examples (train + test)', intParser('--data-size', 2, 10000))
    .option('--noise <x>', 'noise of a synthetic set, 0..1', numberParser('--noise', 0, 1))
    .option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')}`, enumParser('optimizer', OPTIMIZERS))
    .option('--lr <x>', 'learning rate', numberParser('--lr', Number.MIN_VALUE, 100))
    .option('--batch-size <n>', 'mini-batch size', intParser('--batch-size', 1, 65536))
    .option('--epochs <n>', 'epochs', intParser('--epochs', 1, 10000))
    .option('--steps <n>', 'training steps (instead of epochs)', intParser('--steps', 1, 10_000_000))
    .option('--eval-every <n>', 'evaluate every n steps (0 = once per epoch)', intParser('--eval-every', 0, 10_000_000))
    .option('--schedule <name>', `lr schedule: ${SCHEDULES.join(', ')}`, enumParser('schedule', SCHEDULES))
    .option('--clip-norm <x>', 'clip the gradient norm (0 = off)', numberParser('--clip-norm', 0, 1e9))
    .option('--seed <n>', 'seed (init, data order, dropout)', intParser('--seed', 0, 2 ** 31 - 1))
    .option('--set <key=value>', 'any spec field, repeatable (e.g. --set model.branchScale=rezero)', collectSet)
    .option('--save <file>', 'save the trained model as a JSON checkpoint')
    .option('--quiet', 'no live metrics on stderr');
  addRunOptions(cmd, { workers: false });
  cmd.option('--no-charts', 'no terminal chart').addHelpText(
    'after',
    `
Examples:
  $ reslab train --variant post-2 --depth 24 --act tanh --steps 300
  $ reslab train --dataset spiral --variant preact-2 --depth 8 --width 16 --lr 0.01 --epochs 20
  $ reslab train --variant post-1 --depth 8 --save post1.json && reslab fold post1.json
  $ reslab train --spec run.json --seed 3 --json`,
  );
  cmd.action(async (flags: TrainFlags & { charts?: boolean }) => {
    const spec = specFromFlags(flags);
    const outDir = chooseOutDir(flags.out, 'train');
    ensureWritableDir(outDir);
    const save = flags.save ? resolve(flags.save) : null;
    if (save) ensureWritableDir(dirname(save), '--save');

    const live = !flags.quiet;
    const tty = Boolean(process.stderr.isTTY);
    let bar: cliProgress.SingleBar | null = null;
    let total = 0;
    const onEvent = (e: RunEvent) => {
      if (!live) return;
      if (e.type === 'start') {
        total = e.totalSteps;
        process.stderr.write(`training ${e.params} parameters for ${e.totalSteps} steps on ${e.backend}\n`);
        if (tty) {
          bar = new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format: ' {bar} step {value}/{total} | loss {loss} | test acc {acc} | ETA {eta_formatted}',
              hideCursor: true,
              fps: 5,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, 0, { loss: '-', acc: '-' });
        }
      } else if (e.type === 'step') bar?.update(e.step, { loss: e.loss.toPrecision(3) });
      else if (e.type === 'eval') {
        const acc = e.testAcc === null ? '-' : `${(100 * e.testAcc).toFixed(1)}%`;
        if (bar) bar.update(e.step, { acc });
        else
          process.stderr.write(
            `step ${e.step}/${total}  train loss ${e.trainLoss.toPrecision(4)}  test loss ${e.testLoss.toPrecision(4)}  test acc ${acc}  (${formatDuration(e.timeMs)})\n`,
          );
      }
    };
    const ac = new AbortController();
    const onSigint = () => ac.abort(new Interrupted('reslab: training interrupted; nothing was written'));
    process.once('SIGINT', onSigint);
    let res: Awaited<ReturnType<typeof train>>;
    try {
      res = await train(spec, { backend: flags.backend as 'wasm', onEvent, keepModel: Boolean(save), signal: ac.signal });
    } finally {
      (bar as cliProgress.SingleBar | null)?.stop();
      process.off('SIGINT', onSigint);
    }

    // the run as a one-job study, so results.jsonl, the CSVs and report.html look like a study's
    const def = parseStudyFile({
      name: 'train',
      title: 'reslab train',
      question: 'one training run',
      base: { model: spec.model, train: { ...spec.train, lr: spec.train.lr }, data: spec.data },
      seeds: [spec.seed],
    });
    const plan = planStudy(resolveStudy(def));
    const job = plan.jobs[0];
    const { model, spec: _s, ...summary } = res;
    const record: JobRecord = {
      id: job.id,
      kind: 'train',
      study: 'train',
      cell: {},
      cellKey: 'all',
      lr: spec.train.lr,
      seed: spec.seed,
      spec,
      result: summary,
      timeMs: res.timeMs,
      backend: res.backend,
    };
    const folder: StudyFolder = {
      format: STUDY_FORMAT,
      builtin: false,
      name: 'train',
      budget: 'cli',
      overrides: {},
      study: def,
      jobs: 1,
      command: commandLine(),
      created: new Date().toISOString(),
    };
    writeJsonAtomic(join(outDir, STUDY_FILE), folder);
    const { files } = writeOutputs(outDir, def, plan, [record], {
      command: commandLine(),
      wallMs: res.timeMs,
      workers: 1,
      backend: res.backend,
    });
    if (save && model && res.status === 'ok') writeAtomic(save, JSON.stringify(saveCheckpoint(model, spec, model.io)));
    const result: TrainResult = {
      spec,
      status: res.status,
      divergedAt: res.divergedAt,
      steps: res.steps,
      finalTrainLoss: res.finalTrainLoss,
      finalTestLoss: res.finalTestLoss,
      finalTestAcc: res.finalTestAcc,
      params: res.params,
      timeMs: res.timeMs,
      backend: res.backend,
      history: res.history.map((h) => ({ step: h.step, trainLoss: h.trainLoss, testLoss: h.testLoss, testAcc: h.testAcc })),
      outDir,
      files,
      checkpoint: save && model && res.status === 'ok' ? save : null,
    };
    emit(flags, result, (r, c) => renderTrain(r, c, flags.charts !== false && c.isColorSupported));
  });
}
