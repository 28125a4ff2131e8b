/**
 * A study is data: a base run spec, a grid of axes over model/train/data
 * fields, seeds, a small learning-rate grid (every cell is compared at its own
 * best learning rate) and budgets. Built-in studies add an explanation, the
 * published finding to compare with, and an analysis hook; a user-written
 * study file is the same JSON without the hooks.
 */
import { z } from 'zod';
import { parseVariant, parseWith, SpecError } from '../spec.js';
import type { Analysis, AnalysisContext } from './analyze.js';

export type Value = string | number | boolean;

/** Changes applied on top of a study: a budget, or the user's CLI flags / URL. */
export interface StudyOverrides {
  /** replace (or add) grid axes: key is 'variant' or a dotted path like 'model.depth'. */
  grid?: Record<string, Value[]>;
  /** set base fields, e.g. { 'train.maxSteps': 300, 'data.size': 4000 }. */
  set?: Record<string, Value>;
  /** explicit seeds, or a count n meaning seeds 1..n. */
  seeds?: number[] | number;
  lrGrid?: number[];
  /** fold-check the trained post-1 runs of the grid (needs a post-1 variant). */
  foldTrained?: boolean;
  /** extra checks replace the study's own when given. */
  checks?: CheckDef[];
}

/**
 * Jobs that are not grid cells:
 * - fold: build a post-1 model (identity or projection shortcut from `set`), optionally train it,
 *   fold it into a plain net (W' = I + W, or W_r + W) and measure the max abs output difference;
 * - twin: train a post-1 net and a plain net initialised at I + W from the same seed and compare their trajectories.
 */
export interface CheckDef {
  kind: 'fold' | 'twin';
  label: string;
  set?: Record<string, Value>;
  /** fold: train before folding (false = at initialisation). */
  trained?: boolean;
  seed?: number;
}

export interface Layout {
  /** one table per value of this axis (e.g. 'model.depth'), or null for a single table. */
  tables: string | null;
  /** axes whose combinations make the rows, in this order; default: every other axis. */
  rows?: string[];
}

/**
 * A measurement every grid run of a study makes (built-in studies):
 * - lesion (Veit et al. 2016): after training, test accuracy with each block deleted (replaced by the identity),
 *   with `draws` random sets of k blocks deleted for each k of `ks`, and with each pair of neighbours swapped;
 * - shatter (Balduzzi et al. 2017): no training; the gradient of the (scalar) output with respect to a 1-D input at
 *   `points` evenly spaced inputs in [lo, hi), and its autocorrelation up to lag `maxLag`.
 */
export type ProbeDef =
  | { kind: 'lesion'; ks: number[]; draws: number }
  | { kind: 'shatter'; points: number; lo: number; hi: number; maxLag: number };

/** The JSON part of a study (what a study file holds, what study.json records). */
export interface StudyData {
  name: string;
  title: string;
  question: string;
  /** a few paragraphs with the equations, plain text. */
  explanation: string;
  /** the published result this study is compared with. */
  finding: { source: string; text: string };
  base: { model?: Record<string, Value>; train?: Record<string, Value>; data?: Record<string, Value> };
  grid: Record<string, Value[]>;
  seeds: number[];
  lrGrid: number[];
  /** how the learning rate of each cell is chosen, in words (printed with the tables). */
  lrCriterion?: string;
  budgets: { cli: StudyOverrides; browser: StudyOverrides };
  /** columns shown in the tables. */
  metrics: Metric[];
  layout: Layout;
  foldTrained?: boolean;
  checks?: CheckDef[];
  /** named combinations of settings: the values of a 'design' grid axis (e.g. the unit designs of He et al. 2016 Fig. 4). */
  designs?: Record<string, Record<string, Value>>;
  /** a measurement every grid run makes (see ProbeDef). */
  probe?: ProbeDef;
}

export const METRICS = ['trainLoss', 'testLoss', 'testAcc', 'trainAcc', 'diverged', 'lr', 'gradRatio', 'time'] as const;
export type Metric = (typeof METRICS)[number];

/** A built-in study: its data plus an optional analysis hook that adds verdict lines and tables. */
export interface StudyDef extends StudyData {
  analyze?: (ctx: AnalysisContext, base: Analysis) => Analysis;
}

export type Budget = 'cli' | 'browser';

/** A study with its budget and overrides applied: exactly what gets expanded into jobs. */
export interface ResolvedStudy {
  name: string;
  base: { model: Record<string, Value>; train: Record<string, Value>; data: Record<string, Value> };
  grid: Array<{ key: string; values: Value[] }>;
  seeds: number[];
  lrGrid: number[];
  foldTrained: boolean;
  checks: CheckDef[];
  designs: Record<string, Record<string, Value>>;
  probe: ProbeDef | null;
}

// ---------- grid keys ----------

const SECTIONS = ['model', 'train', 'data'] as const;

/** 'variant', 'design' or 'model.depth' -> [section, field]; throws a SpecError for anything else. */
export function splitKey(key: string): ['variant' | 'design', null] | [(typeof SECTIONS)[number], string] {
  if (key === 'variant' || key === 'design') return [key, null];
  const m = /^(model|train|data)\.([A-Za-z][A-Za-z0-9]*)$/.exec(key);
  if (!m) throw new SpecError(`unknown study key '${key}': use 'variant' or model.<field>, train.<field>, data.<field> (e.g. model.depth)`);
  if (m[1] === 'train' && m[2] === 'lr')
    throw new SpecError(`'train.lr' is chosen by the learning-rate grid: set lrGrid (--lr-grid) instead`);
  return [m[1] as (typeof SECTIONS)[number], m[2]];
}

/** Short column/label name of an axis key: 'model.depth' -> 'depth'. */
export const axisName = (key: string): string => (key === 'variant' ? 'variant' : key.slice(key.indexOf('.') + 1));

export function applyKey(target: ResolvedStudy['base'], key: string, value: Value): void {
  const [section, field] = splitKey(key);
  if (section === 'design') throw new SpecError(`'design' names a combination of settings: use it as a grid axis (a study's designs)`);
  if (section === 'variant') {
    if (typeof value !== 'string') throw new SpecError(`variant must be a name like post-2, got ${JSON.stringify(value)}`);
    const v = parseVariant(value);
    target.model.block = v.block;
    target.model.skip = v.skip;
    return;
  }
  target[section][field as string] = value;
}

/** A cell's (key, value) pairs with each 'design' value replaced by the settings it names. */
export function expandDesigns(study: Pick<ResolvedStudy, 'designs'>, entries: Array<[string, Value]>): Array<[string, Value]> {
  return entries.flatMap(([k, v]): Array<[string, Value]> => {
    if (k !== 'design') return [[k, v]];
    const d = study.designs[String(v)];
    if (!d) {
      const names = Object.keys(study.designs);
      throw new SpecError(`unknown design '${v}': ${names.length ? `use ${names.join(', ')}` : 'this study defines no designs'}`);
    }
    return Object.entries(d);
  });
}

// ---------- resolution ----------

function seedList(s: number[] | number): number[] {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 1 || s > 1000) throw new SpecError(`seeds must be a count in 1..1000 or a list of seeds, got ${s}`);
    return Array.from({ length: s }, (_, i) => i + 1);
  }
  return [...s];
}

function cloneBase(b: StudyData['base']): ResolvedStudy['base'] {
  return { model: { ...(b.model ?? {}) }, train: { ...(b.train ?? {}) }, data: { ...(b.data ?? {}) } };
}

export function resolveStudy(def: StudyData, budget: Budget = 'cli', overrides: StudyOverrides = {}): ResolvedStudy {
  const r: ResolvedStudy = {
    name: def.name,
    base: cloneBase(def.base),
    grid: Object.entries(def.grid).map(([key, values]) => ({ key, values: [...values] })),
    seeds: [...def.seeds],
    lrGrid: [...def.lrGrid],
    foldTrained: def.foldTrained ?? false,
    checks: [...(def.checks ?? [])],
    designs: { ...(def.designs ?? {}) },
    probe: def.probe ?? null,
  };
  for (const o of [def.budgets[budget], overrides]) {
    if (!o) continue;
    for (const [key, value] of Object.entries(o.set ?? {})) {
      // a set value for a key that is also an axis pins the axis to that single value
      const axis = r.grid.find((a) => a.key === key);
      if (axis) axis.values = [value];
      else applyKey(r.base, key, value);
    }
    for (const [key, values] of Object.entries(o.grid ?? {})) {
      splitKey(key);
      if (!Array.isArray(values) || values.length === 0) throw new SpecError(`grid '${key}' needs at least one value`);
      const axis = r.grid.find((a) => a.key === key);
      if (axis) axis.values = [...values];
      else r.grid.push({ key, values: [...values] });
    }
    if (o.seeds !== undefined) r.seeds = seedList(o.seeds);
    if (o.lrGrid !== undefined) r.lrGrid = [...o.lrGrid];
    if (o.foldTrained !== undefined) r.foldTrained = o.foldTrained;
    if (o.checks !== undefined) r.checks = [...o.checks];
  }
  for (const a of r.grid) splitKey(a.key);
  for (const [name, d] of Object.entries(r.designs)) {
    for (const k of Object.keys(d)) {
      if (splitKey(k)[0] === 'design') throw new SpecError(`design '${name}' cannot set 'design'`);
    }
  }
  for (const a of r.grid) if (a.key === 'design') for (const v of a.values) expandDesigns(r, [['design', v]]);
  if (r.seeds.length === 0) throw new SpecError('a study needs at least one seed');
  if (r.lrGrid.length === 0) throw new SpecError('a study needs at least one learning rate (lrGrid)');
  for (const lr of r.lrGrid) {
    if (!(Number.isFinite(lr) && lr > 0)) throw new SpecError(`learning rates must be positive numbers, got ${lr}`);
  }
  for (const s of r.seeds) {
    if (!(Number.isInteger(s) && s >= 0 && s < 2 ** 31)) throw new SpecError(`seeds must be integers in 0..2^31-1, got ${s}`);
  }
  return r;
}

// ---------- user-written study files ----------

const value = z.union([z.string(), z.number(), z.boolean()]);
const setSchema = z.record(z.string(), value);
const checkSchema = z.strictObject({
  kind: z.enum(['fold', 'twin']),
  label: z.string().min(1),
  set: setSchema.optional(),
  trained: z.boolean().optional(),
  seed: z.number().int().nonnegative().optional(),
});
const probeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('lesion'), ks: z.array(z.number().int().positive()).min(1), draws: z.number().int().min(1).max(1000) }),
  z.strictObject({
    kind: z.literal('shatter'),
    points: z.number().int().min(8).max(65536),
    lo: z.number().finite(),
    hi: z.number().finite(),
    maxLag: z.number().int().min(1).max(1024),
  }),
]);
const overridesSchema = z.strictObject({
  grid: z.record(z.string(), z.array(value).min(1)).optional(),
  set: setSchema.optional(),
  seeds: z.union([z.array(z.number().int().nonnegative()).min(1), z.number().int().min(1).max(1000)]).optional(),
  lrGrid: z.array(z.number().positive()).min(1).optional(),
  foldTrained: z.boolean().optional(),
  checks: z.array(checkSchema).optional(),
});

/** The JSON format of a study file (`reslab sweep --grid file.json`, the web page's study import). */
export const StudyFileSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _')
    .default('custom'),
  title: z.string().optional(),
  question: z.string().optional(),
  explanation: z.string().optional(),
  finding: z.strictObject({ source: z.string(), text: z.string() }).optional(),
  base: z.strictObject({ model: setSchema.optional(), train: setSchema.optional(), data: setSchema.optional() }).default({}),
  grid: z.record(z.string(), z.array(value).min(1, 'an axis needs at least one value')).default({}),
  seeds: z.union([z.array(z.number().int().nonnegative()).min(1), z.number().int().min(1).max(1000)]).default(1),
  lrGrid: z.array(z.number().positive()).min(1).optional(),
  lrCriterion: z.string().optional(),
  budgets: z.strictObject({ cli: overridesSchema.optional(), browser: overridesSchema.optional() }).optional(),
  metrics: z.array(z.enum(METRICS)).optional(),
  layout: z.strictObject({ tables: z.string().nullable(), rows: z.array(z.string()).optional() }).optional(),
  foldTrained: z.boolean().optional(),
  checks: z.array(checkSchema).optional(),
  designs: z.record(z.string(), setSchema).optional(),
  probe: probeSchema.optional(),
});
export type StudyFile = z.input<typeof StudyFileSchema>;

/** Validate a parsed study file (or a grid file) into study data, with clear `path: problem` messages. */
export function parseStudyFile(json: unknown, what = 'study file'): StudyData {
  const f = parseWith(StudyFileSchema, json, what);
  const lrGrid = f.lrGrid ?? [typeof f.base.train?.lr === 'number' ? f.base.train.lr : 1e-3];
  const base = { model: { ...f.base.model }, train: { ...f.base.train }, data: { ...f.base.data } };
  delete base.train.lr;
  const data: StudyData = {
    name: f.name,
    title: f.title ?? f.name,
    question: f.question ?? '',
    explanation: f.explanation ?? '',
    finding: f.finding ?? { source: '', text: '' },
    base,
    grid: f.grid,
    seeds: seedList(f.seeds),
    lrGrid,
    lrCriterion: f.lrCriterion,
    budgets: { cli: f.budgets?.cli ?? {}, browser: f.budgets?.browser ?? {} },
    metrics: f.metrics ?? ['trainLoss', 'testAcc', 'diverged', 'lr'],
    layout: f.layout ?? { tables: null },
    foldTrained: f.foldTrained,
    checks: f.checks,
    designs: f.designs,
    probe: f.probe,
  };
  // keys are checked here so a typo fails before anything runs
  try {
    for (const key of Object.keys(data.grid)) splitKey(key);
    for (const s of SECTIONS) for (const k of Object.keys(data.base[s] ?? {})) splitKey(`${s}.${k}`);
    if (data.layout.tables !== null && !(data.layout.tables in data.grid)) {
      throw new SpecError(
        `layout.tables '${data.layout.tables}' is not a grid axis (axes: ${Object.keys(data.grid).join(', ') || 'none'})`,
      );
    }
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`${what}: ${e.message}`);
    throw e;
  }
  return data;
}

/** The JSON part of a built-in study (drops the hooks), for study.json and the web page. */
export function studyData(def: StudyDef): StudyData {
  const { analyze: _a, ...data } = def;
  return data;
}
