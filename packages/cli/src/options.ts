/**
 * Flag parsers (each rejects bad values with a message saying what is allowed;
 * commander turns that into one line and we exit with code 2) and the option
 * sets shared by several commands.
 */
import { availableParallelism } from 'node:os';
import {
  ACTIVATIONS,
  BACKEND_KINDS,
  DATASETS,
  OPTIMIZERS,
  parseVariant,
  type StudyData,
  type StudyOverrides,
  type Value,
} from '@reslab/engine';
import { type Command, InvalidArgumentError, Option } from 'commander';

const splitList = (v: string): string[] =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export function intParser(what: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be an integer in ${min}..${max}, got '${v}'.`);
    return n;
  };
}

export function intListParser(what: string, min: number, max: number, example: string): (v: string) => number[] {
  return (v) => {
    const parts = splitList(v);
    if (parts.length === 0) throw new InvalidArgumentError(`${what} needs at least one value, e.g. ${example}.`);
    return parts.map((p) => {
      const n = Number(p);
      if (!/^-?\d+$/.test(p) || n < min || n > max) {
        throw new InvalidArgumentError(`${what} must be integers in ${min}..${max} separated by commas (e.g. ${example}), got '${p}'.`);
      }
      return n;
    });
  };
}

export function numberListParser(what: string, example: string): (v: string) => number[] {
  return (v) => {
    const parts = splitList(v);
    if (parts.length === 0) throw new InvalidArgumentError(`${what} needs at least one value, e.g. ${example}.`);
    return parts.map((p) => {
      const n = Number(p);
      if (!Number.isFinite(n) || n <= 0)
        throw new InvalidArgumentError(`${what} must be positive numbers separated by commas (e.g. ${example}), got '${p}'.`);
      return n;
    });
  };
}

export function numberParser(what: string, min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be a number in ${min}..${max}, got '${v}'.`);
    return n;
  };
}

export function enumListParser(what: string, allowed: readonly string[]): (v: string) => string[] {
  return (v) => {
    const parts = splitList(v);
    if (parts.length === 0) throw new InvalidArgumentError(`${what} needs at least one of: ${allowed.join(', ')}.`);
    for (const p of parts) if (!allowed.includes(p)) throw new InvalidArgumentError(`unknown ${what} '${p}': use ${allowed.join(', ')}.`);
    return parts;
  };
}

export function enumParser(what: string, allowed: readonly string[]): (v: string) => string {
  return (v) => {
    if (!allowed.includes(v)) throw new InvalidArgumentError(`unknown ${what} '${v}': use ${allowed.join(', ')}.`);
    return v;
  };
}

export const variantListParser = (v: string): string[] => {
  const parts = splitList(v);
  if (parts.length === 0) throw new InvalidArgumentError('--variants needs at least one variant, e.g. plain,post-1,post-2.');
  for (const p of parts) {
    try {
      parseVariant(p);
    } catch (e) {
      throw new InvalidArgumentError(`${(e as Error).message}.`);
    }
  }
  return parts;
};

/** 'train.batchSize=128' -> ['train.batchSize', 128]; values: numbers, true/false, else strings. */
export function parseSetValue(v: string): Value {
  if (v === 'true') return true;
  if (v === 'false') return false;
  const n = Number(v);
  if (v.trim() !== '' && Number.isFinite(n)) return n;
  return v;
}

const collectSet = (v: string, prev: Array<[string, Value]> = []): Array<[string, Value]> => {
  const m = /^([a-z]+\.[A-Za-z][A-Za-z0-9]*|variant)=(.*)$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--set takes section.field=value (e.g. train.batchSize=128 or model.norm=layer), got '${v}'.`);
  return [...prev, [m[1], parseSetValue(m[2])]];
};

export const defaultWorkers = (): number => Math.max(1, availableParallelism());

/** --out, --json, --workers, --backend, --debug: every computing command has these. */
export function addRunOptions(cmd: Command, { workers = true }: { workers?: boolean } = {}): Command {
  cmd
    .option('--out <dir>', 'folder for results.jsonl, table.csv, report.html (default: a fresh folder under ./reslab-results/)')
    .option('--json', 'print the machine-readable result on stdout (nothing else goes there)')
    .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_KINDS]).default('wasm'));
  if (workers)
    cmd.option(
      '--workers <n>',
      'parallel runs (one run per worker thread; results do not depend on it)',
      intParser('--workers', 1, 256),
      defaultWorkers(),
    );
  cmd.option('--debug', 'show stack traces on errors');
  return cmd;
}

/** The study override flags (reslab study, reslab sweep). */
export function addOverrideOptions(cmd: Command): Command {
  return cmd
    .option(
      '--depth <list>',
      'hidden layers, comma-separated (e.g. 24,48); each a multiple of every skip length',
      intListParser('--depth', 1, 1024, '24,48'),
    )
    .option('--act <list>', `activations, comma-separated: ${ACTIVATIONS.join(', ')}`, enumListParser('activation', ACTIVATIONS))
    .option('--variants <list>', 'block variants: plain, post-K, branch-K, preact-K (e.g. plain,post-1,post-2)', variantListParser)
    .option('--width <list>', 'hidden width(s), comma-separated', intListParser('--width', 1, 4096, '64'))
    .option('--seeds <n>', 'number of seeds per cell (seeds 1..n)', intParser('--seeds', 1, 1000))
    .option(
      '--lr-grid <list>',
      'starting learning rates of every cell (both optimizers); the search extends past an edge while the best rate sits there (e.g. 3e-4,1e-3,3e-3)',
      numberListParser('--lr-grid', '3e-4,1e-3'),
    )
    .option('--lr-fixed', 'keep the starting learning-rate grid: no search beyond its ends (cells at an edge are marked)')
    .option('--dataset <list>', `dataset(s): ${DATASETS.join(', ')}`, enumListParser('dataset', DATASETS))
    .option('--data-size <n>', 'examples used (train + test); MNIST has 10000', intParser('--data-size', 2, 10000))
    .option('--steps <n>', 'training steps per run', intParser('--steps', 1, 10_000_000))
    .option('--epochs <n>', 'epochs per run (instead of --steps)', intParser('--epochs', 1, 10000))
    .option('--batch-size <n>', 'mini-batch size', intParser('--batch-size', 1, 65536))
    .option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')}`, enumParser('optimizer', OPTIMIZERS))
    .option('--eval-every <n>', 'evaluate every n steps (0 = once per epoch)', intParser('--eval-every', 0, 10_000_000))
    .option('--set <key=value>', 'set any spec field, repeatable (e.g. --set model.norm=layer --set train.clipNorm=1)', collectSet)
    .addOption(new Option('--budget <name>', 'which budget of the study').choices(['cli', 'browser']).default('cli'))
    .option('--resume <dir>', 'continue an interrupted study from its results folder, without redoing finished runs')
    .option('--dry-run', 'print the runs the study would do, and stop');
}

export interface OverrideFlags {
  depth?: number[];
  act?: string[];
  variants?: string[];
  width?: number[];
  seeds?: number;
  lrGrid?: number[];
  lrFixed?: boolean;
  dataset?: string[];
  dataSize?: number;
  steps?: number;
  epochs?: number;
  batchSize?: number;
  optimizer?: string;
  evalEvery?: number;
  set?: Array<[string, Value]>;
}

export const OVERRIDE_FLAG_NAMES = [
  'depth',
  'act',
  'variants',
  'width',
  'seeds',
  'lrGrid',
  'lrFixed',
  'dataset',
  'dataSize',
  'steps',
  'epochs',
  'batchSize',
  'optimizer',
  'evalEvery',
  'set',
] as const;

/** Flags -> study overrides. A list flag for a field that is a grid axis (or has several values) becomes an axis. */
export function overridesFromFlags(def: StudyData, f: OverrideFlags): StudyOverrides {
  const o: StudyOverrides = { grid: {}, set: {} };
  const axis = (key: string, values: Value[] | undefined) => {
    if (!values) return;
    if (values.length > 1 || key in def.grid) o.grid![key] = values;
    else o.set![key] = values[0];
  };
  axis('model.depth', f.depth);
  axis('model.activation', f.act);
  axis('variant', f.variants);
  axis('model.width', f.width);
  axis('data.name', f.dataset);
  if (f.dataSize !== undefined) o.set!['data.size'] = f.dataSize;
  if (f.steps !== undefined) {
    o.set!['train.maxSteps'] = f.steps;
    if (f.epochs === undefined) o.set!['train.epochs'] = 10000;
  }
  if (f.epochs !== undefined) {
    o.set!['train.epochs'] = f.epochs;
    if (f.steps === undefined) o.set!['train.maxSteps'] = 0;
  }
  if (f.batchSize !== undefined) o.set!['train.batchSize'] = f.batchSize;
  if (f.optimizer !== undefined) o.set!['train.optimizer'] = f.optimizer;
  if (f.evalEvery !== undefined) o.set!['train.evalEvery'] = f.evalEvery;
  for (const [k, v] of f.set ?? []) {
    if (k === 'train.lr') {
      // one rate set by hand is that rate: no search around it
      o.lrGrid = [Number(v)];
      o.lrSearch = { extend: false };
    } else o.set![k] = v;
  }
  if (f.seeds !== undefined) o.seeds = f.seeds;
  if (f.lrGrid !== undefined) o.lrGrid = f.lrGrid;
  if (f.lrFixed) o.lrSearch = { extend: false };
  if (Object.keys(o.grid!).length === 0) delete o.grid;
  if (Object.keys(o.set!).length === 0) delete o.set;
  return o;
}

export const hasOverrides = (f: OverrideFlags): boolean => OVERRIDE_FLAG_NAMES.some((k) => f[k] !== undefined);
