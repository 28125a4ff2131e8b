/**
 * A study is data: a base run spec, a grid of axes over model/train/data
 * fields, seeds, a starting learning-rate grid (every cell is compared at its
 * own best learning rate, found by a search that extends the grid until the
 * best rate is bracketed, see lrsearch.ts) and budgets. Built-in studies add an
 * explanation, the published finding to compare with, and an analysis hook; a
 * user-written study file is the same JSON without the hooks.
 *
 * The zod schemas below are the one declaration of the JSON formats; the types are derived from them.
 */
import { z } from 'zod';
import { OPTIMIZERS, parseVariant, parseWith, SpecError } from '../spec.js';
import type { Analysis, AnalysisContext } from './types.js';

const ValueSchema = z.union([z.string(), z.number(), z.boolean()]);
export type Value = z.output<typeof ValueSchema>;
const SetSchema = z.record(z.string(), ValueSchema);
const lrList = z.array(z.number().finite('a learning rate must be a finite number').positive('a learning rate must be positive')).min(1);

/**
 * Jobs that are not grid cells:
 * - fold: build a post-1 model (identity or projection shortcut from `set`), optionally train it,
 *   fold it into a plain net (W' = I + W, or W_r + W) and measure the max abs output difference;
 * - twin: train a post-1 net and a plain net initialised at I + W from the same seed and compare their trajectories.
 * `trained` (fold): train before folding (false = at initialisation).
 */
const CheckSchema = z.strictObject({
  kind: z.enum(['fold', 'twin']),
  label: z.string().min(1),
  set: SetSchema.optional(),
  trained: z.boolean().optional(),
  seed: z.number().int().nonnegative().optional(),
});
export type CheckDef = z.output<typeof CheckSchema>;

/**
 * A measurement every grid run of a study makes (built-in studies):
 * - lesion (Veit et al. 2016): after training, test accuracy with each block deleted (replaced by the identity),
 *   with `draws` random sets of k blocks deleted for each k of `ks`, and with each pair of neighbours swapped;
 * - shatter (Balduzzi et al. 2017): no training; the gradient of the (scalar) output with respect to a 1-D input at
 *   `points` evenly spaced inputs in [lo, hi), and its autocorrelation up to lag `maxLag`.
 */
const ProbeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('lesion'), ks: z.array(z.number().int().positive()).min(1), draws: z.number().int().min(1).max(1000) }),
  z.strictObject({
    kind: z.literal('shatter'),
    points: z.number().int().min(8).max(65536),
    lo: z.number().finite(),
    hi: z.number().finite(),
    maxLag: z.number().int().min(1).max(1024),
  }),
]);
export type ProbeDef = z.output<typeof ProbeSchema>;

/**
 * The learning-rate search (see lrsearch.ts): extend the starting grid past an edge while the best rate sits there,
 * by the grid's factor, at most `maxExtra` rates beyond each end; `tuneSeeds` first seeds run at every rate tried
 * (the rate is chosen by their median), the other seeds only at the chosen rate. `extend: false` keeps the grid.
 */
const LrSearchSchema = z.strictObject({
  extend: z.boolean().default(true),
  maxExtra: z.number().int().min(0).max(8).default(3),
  tuneSeeds: z.number().int().min(1).max(1000).nullable().default(null),
});
export type LrSearch = z.output<typeof LrSearchSchema>;

/** Starting learning-rate grids per optimizer (cells with another optimizer use lrGrid). */
const LrGridsSchema = z.partialRecord(z.enum(OPTIMIZERS), lrList);

/** Changes applied on top of a study: a budget, or the user's CLI flags / URL. */
const OverridesSchema = z.strictObject({
  /** replace (or add) grid axes: key is 'variant' or a dotted path like 'model.depth'. */
  grid: z.record(z.string(), z.array(ValueSchema).min(1)).optional(),
  /** set base fields, e.g. { 'train.maxSteps': 300, 'data.size': 4000 }. */
  set: SetSchema.optional(),
  /** explicit seeds, or a count n meaning seeds 1..n. */
  seeds: z.union([z.array(z.number().int().nonnegative()).min(1), z.number().int().min(1).max(1000)]).optional(),
  /** the starting grid of every cell (replaces lrGrids too). */
  lrGrid: lrList.optional(),
  lrGrids: LrGridsSchema.optional(),
  lrSearch: LrSearchSchema.partial().optional(),
  /** fold-check the trained post-1 runs of the grid (needs a post-1 variant). */
  foldTrained: z.boolean().optional(),
  /** extra checks replace the study's own when given. */
  checks: z.array(CheckSchema).optional(),
});
export type StudyOverrides = z.output<typeof OverridesSchema>;

export const METRICS = ['trainLoss', 'testLoss', 'testAcc', 'trainAcc', 'diverged', 'lr', 'init', 'gradRatio', 'time'] as const;
export type Metric = (typeof METRICS)[number];

/** One table per combination of the `tables` axes (null: a single table); `rows`: axes whose combinations make the rows, in order. */
const LayoutSchema = z.strictObject({
  tables: z.union([z.string(), z.array(z.string()).min(1)]).nullable(),
  rows: z.array(z.string()).optional(),
});
export type Layout = z.output<typeof LayoutSchema>;

const BaseSchema = z.strictObject({ model: SetSchema.optional(), train: SetSchema.optional(), data: SetSchema.optional() });

/** The JSON of a study (what a study file holds after defaults, what study.json records). */
const StudyDataSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _'),
  title: z.string(),
  question: z.string(),
  /** a few paragraphs with the equations, plain text. */
  explanation: z.string(),
  /** the published result this study is compared with. */
  finding: z.strictObject({ source: z.string(), text: z.string() }),
  base: BaseSchema,
  grid: z.record(z.string(), z.array(ValueSchema).min(1, 'an axis needs at least one value')),
  seeds: z.array(z.number().int().nonnegative()).min(1),
  lrGrid: lrList,
  lrGrids: LrGridsSchema.optional(),
  lrSearch: LrSearchSchema.optional(),
  /** how the learning rate of each cell is chosen, in words (printed with the tables). */
  lrCriterion: z.string().optional(),
  budgets: z.strictObject({ cli: OverridesSchema, browser: OverridesSchema }),
  /** columns shown in the tables. */
  metrics: z.array(z.enum(METRICS)),
  layout: LayoutSchema,
  foldTrained: z.boolean().optional(),
  checks: z.array(CheckSchema).optional(),
  /** named combinations of settings: the values of a 'design' grid axis (e.g. the unit designs of He et al. 2016 Fig. 4). */
  designs: z.record(z.string(), SetSchema).optional(),
  /** a measurement every grid run makes (see ProbeDef). */
  probe: ProbeSchema.optional(),
  /**
   * a grid axis whose values are alternative protocols (e.g. 'train.optimizer'): every conclusion of the verdict
   * says whether it holds under each of them.
   */
  protocolAxis: z.string().optional(),
});
export type StudyData = z.output<typeof StudyDataSchema>;

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
  /** the starting learning-rate grid of cells whose optimizer has none in lrGrids */
  lrGrid: number[];
  lrGrids: Partial<Record<(typeof OPTIMIZERS)[number], number[]>>;
  lrSearch: LrSearch;
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

const positiveLrs = (lrs: number[], where: string): void => {
  if (lrs.length === 0) throw new SpecError(`${where}: a study needs at least one learning rate`);
  for (const lr of lrs) {
    if (!(Number.isFinite(lr) && lr > 0)) throw new SpecError(`${where}: learning rates must be positive finite numbers, got ${lr}`);
  }
};

export function resolveStudy(def: StudyData, budget: Budget = 'cli', overrides: StudyOverrides = {}): ResolvedStudy {
  const r: ResolvedStudy = {
    name: def.name,
    base: cloneBase(def.base),
    grid: Object.entries(def.grid).map(([key, values]) => ({ key, values: [...values] })),
    seeds: [...def.seeds],
    lrGrid: [...def.lrGrid],
    lrGrids: Object.fromEntries(Object.entries(def.lrGrids ?? {}).map(([k, v]) => [k, [...(v ?? [])]])),
    lrSearch: LrSearchSchema.parse(def.lrSearch ?? {}),
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
    if (o.lrGrids !== undefined) r.lrGrids = { ...r.lrGrids, ...o.lrGrids };
    if (o.lrGrid !== undefined) {
      // an explicit starting grid (--lr-grid) is the grid of every cell
      r.lrGrid = [...o.lrGrid];
      r.lrGrids = {};
    }
    if (o.lrSearch !== undefined) r.lrSearch = { ...r.lrSearch, ...o.lrSearch };
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
  positiveLrs(r.lrGrid, 'lrGrid');
  for (const [opt, lrs] of Object.entries(r.lrGrids)) positiveLrs(lrs ?? [], `lrGrids.${opt}`);
  for (const s of r.seeds) {
    if (!(Number.isInteger(s) && s >= 0 && s < 2 ** 31)) throw new SpecError(`seeds must be integers in 0..2^31-1, got ${s}`);
  }
  if (r.lrSearch.tuneSeeds !== null && r.lrSearch.tuneSeeds > r.seeds.length) r.lrSearch.tuneSeeds = r.seeds.length;
  return r;
}

/** The starting learning-rate grid of a cell (its optimizer's grid in lrGrids, else lrGrid), sorted ascending. */
export function startingLrs(study: Pick<ResolvedStudy, 'lrGrid' | 'lrGrids'>, optimizer: string): number[] {
  const g = study.lrGrids[optimizer as keyof ResolvedStudy['lrGrids']] ?? study.lrGrid;
  return [...new Set(g)].sort((a, b) => a - b);
}

// ---------- user-written study files ----------

/** The JSON format of a study file (`reslab sweep --grid file.json`, the web page's study import): StudyData with defaults. */
export const StudyFileSchema = StudyDataSchema.extend({
  name: StudyDataSchema.shape.name.default('custom'),
  title: z.string().optional(),
  question: z.string().default(''),
  explanation: z.string().default(''),
  finding: StudyDataSchema.shape.finding.default({ source: '', text: '' }),
  base: BaseSchema.default({}),
  grid: StudyDataSchema.shape.grid.default({}),
  seeds: z.union([StudyDataSchema.shape.seeds, z.number().int().min(1).max(1000)]).default(1),
  lrGrid: lrList.optional(),
  budgets: z.strictObject({ cli: OverridesSchema.optional(), browser: OverridesSchema.optional() }).optional(),
  metrics: StudyDataSchema.shape.metrics.default(['trainLoss', 'testAcc', 'diverged', 'lr']),
  layout: LayoutSchema.default({ tables: null }),
});
export type StudyFile = z.input<typeof StudyFileSchema>;

/** The axes a layout's `tables` names (none for a single table). */
export const tableAxes = (layout: Pick<Layout, 'tables'>): string[] =>
  layout.tables === null ? [] : Array.isArray(layout.tables) ? layout.tables : [layout.tables];

/** Validate a parsed study file (or a grid file) into study data, with clear `path: problem` messages. */
export function parseStudyFile(json: unknown, what = 'study file'): StudyData {
  const f = parseWith(StudyFileSchema, json, what);
  const lrGrid = f.lrGrid ?? [typeof f.base.train?.lr === 'number' ? f.base.train.lr : 1e-3];
  const base = { model: { ...f.base.model }, train: { ...f.base.train }, data: { ...f.base.data } };
  delete base.train.lr;
  const data: StudyData = {
    ...f,
    title: f.title ?? f.name,
    base,
    seeds: seedList(f.seeds),
    lrGrid,
    budgets: { cli: f.budgets?.cli ?? {}, browser: f.budgets?.browser ?? {} },
  };
  // keys are checked here so a typo fails before anything runs
  try {
    for (const key of Object.keys(data.grid)) splitKey(key);
    for (const s of SECTIONS) for (const k of Object.keys(data.base[s] ?? {})) splitKey(`${s}.${k}`);
    for (const t of tableAxes(data.layout)) {
      if (!(t in data.grid))
        throw new SpecError(`layout.tables '${t}' is not a grid axis (axes: ${Object.keys(data.grid).join(', ') || 'none'})`);
    }
    if (data.protocolAxis !== undefined && !(data.protocolAxis in data.grid))
      throw new SpecError(`protocolAxis '${data.protocolAxis}' is not a grid axis`);
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
