import { basename, join, resolve } from 'node:path';
import {
  type BackendKind,
  createBackend,
  FOLD_RULE,
  foldTolerance,
  type JobRecord,
  loadCheckpoint,
  loadDataset,
  type ModelSpec,
  measureFold,
  parseRunSpec,
  Rng,
  type RunSpec,
} from '@reslab/engine';
import type { Command } from 'commander';
import { addRunOptions, intParser } from '../options.js';
import { chooseOutDir, ensureWritableDir, RESULTS_FILE, readJsonFile, SUMMARY_FILE, writeAtomic, writeJsonAtomic } from '../output.js';
import { emit, type RunFlags } from './shared.js';

interface FoldResult {
  checkpoint: string;
  variant: string;
  activation: string;
  shortcut: string;
  depth: number;
  width: number;
  folded: string;
  inputs: string;
  compared: number;
  maxAbsDiff: number;
  maxAbsOutput: number;
  roundingError: number;
  maxAbsDiff64: number;
  tolerance: number;
  rule: string;
  ok: boolean;
  outDir: string;
  files: Record<string, string>;
}

export function registerFold(program: Command): void {
  const cmd = program
    .command('fold')
    .argument('<checkpoint>', 'a checkpoint saved by reslab train --save (a post-1 model)')
    .summary('the algebra check on a saved post-1 model: fold I + W (or W_r + W) into a plain net')
    .description(
      "Fold a saved post-1 model into a plain network (W' = I + W for an identity shortcut, W' = W_r + W for a projection) and compare " +
        'the outputs of both on the test set of the dataset it was trained on (or on random inputs when the checkpoint has no dataset).',
    )
    .option('--batch <n>', 'number of inputs to compare', intParser('--batch', 1, 10000), 256);
  addRunOptions(cmd, { workers: false });
  cmd
    .addHelpText(
      'after',
      `
Examples:
  $ reslab train --variant post-1 --depth 8 --steps 200 --save post1.json
  $ reslab fold post1.json
  $ reslab fold post1.json --batch 1000 --json`,
    )
    .action(async (file: string, flags: RunFlags & { batch: number }) => {
      const json = readJsonFile(file, 'checkpoint');
      const backend = await createBackend(flags.backend as BackendKind);
      const { model, spec } = loadCheckpoint(json, backend);
      const outDir = chooseOutDir(flags.out, 'fold');
      ensureWritableDir(outDir);
      const m: ModelSpec = 'model' in spec ? spec.model : spec;
      let x: Float32Array;
      let inputs: string;
      if ('data' in spec) {
        const ds = await loadDataset(spec.data, spec.seed);
        const n = Math.min(flags.batch, ds.nTest);
        x = ds.testX.slice(0, n * ds.inputDim);
        inputs = `${n} test examples of ${spec.data.name}`;
      } else {
        const rng = new Rng(1).fork('fold-inputs');
        x = Float32Array.from({ length: flags.batch * model.io.inputDim }, () => rng.normal());
        inputs = `${flags.batch} random normal inputs`;
      }
      const f = await measureFold(model, x);
      const tolerance = foldTolerance(f);
      const outFiles = { results: join(outDir, RESULTS_FILE), summary: join(outDir, SUMMARY_FILE) };
      const result: FoldResult = {
        checkpoint: resolve(file),
        variant: m.block === 'plain' ? 'plain' : `${m.block}-${m.skip}`,
        activation: m.activation,
        shortcut: m.shortcut,
        depth: m.depth,
        width: m.width,
        folded: m.shortcut === 'projection' ? "W' = W_r + W" : m.shortcut === 'scale' ? "W' = c I + W" : "W' = I + W",
        inputs,
        compared: f.batch * model.io.outputDim,
        maxAbsDiff: f.maxAbsDiff,
        maxAbsOutput: f.maxAbsOutput,
        roundingError: f.roundingError,
        maxAbsDiff64: f.maxAbsDiff64,
        tolerance,
        rule: FOLD_RULE,
        ok: f.maxAbsDiff <= tolerance,
        outDir,
        files: outFiles,
      };
      const runSpec: RunSpec = 'model' in spec ? spec : parseRunSpec({ model: spec });
      const record: JobRecord = {
        id: `fold:${basename(file)}`,
        kind: 'fold',
        study: 'fold-checkpoint',
        label: basename(file),
        lr: runSpec.train.lr,
        seed: runSpec.seed,
        spec: runSpec,
        result: null,
        fold: f,
        timeMs: 0,
        backend: backend.kind,
      };
      writeAtomic(outFiles.results, `${JSON.stringify(record)}\n`);
      writeJsonAtomic(outFiles.summary, result);
      emit(flags, result, (o, c) =>
        [
          `${c.bold('reslab fold')}: ${o.checkpoint}`,
          `${o.variant} ${o.activation}, depth ${o.depth}, width ${o.width}, ${o.shortcut} shortcut -> plain net with ${o.folded}`,
          `compared on ${o.inputs} (${o.compared} output values)`,
          `max |y_post1 - y_plain| = ${o.maxAbsDiff.toExponential(3)} in float32 (outputs up to ${o.maxAbsOutput.toPrecision(3)}), ${o.maxAbsDiff64.toExponential(3)} in float64`,
          `the post-1 net's own float32 rounding error (vs float64, same weights): ${o.roundingError.toExponential(3)}`,
          `tolerance ${o.tolerance.toExponential(3)} (${o.rule}): ${o.ok ? c.green('same function: the post-1 net is a plain net with folded weights') : c.red('NOT the same function')}`,
          `written: ${o.outDir}/ (results.jsonl, summary.json)`,
        ].join('\n'),
      );
    });
}
