/**
 * Grid expansion: a resolved study becomes a flat, deterministically ordered
 * list of jobs (cells in grid order, first axis outermost; then learning rate;
 * then seed; then the checks). Each job carries its full, validated RunSpec and
 * a stable id derived from its cell, lr, seed and a hash of the spec, so a
 * resumed study recognises finished jobs and never reuses a job whose spec
 * changed.
 */
import { type RunSpec, RunSpecSchema, SpecError } from '../spec.js';
import { canonicalJson, hash8 } from './stats.js';
import {
  applyKey,
  axisName,
  type Budget,
  type CheckDef,
  expandDesigns,
  type ProbeDef,
  type ResolvedStudy,
  resolveStudy,
  type StudyData,
  type StudyOverrides,
  type Value,
} from './study.js';

export interface TrainJob {
  kind: 'train';
  id: string;
  /** axis key -> value, in grid order. */
  cell: Record<string, Value>;
  cellKey: string;
  lr: number;
  seed: number;
  spec: RunSpec;
  /** fold the trained model into a plain one and measure the output difference (post-1 only). */
  fold: boolean;
  /** the study's probe (lesion after training, shatter instead of training), if any. */
  probe?: ProbeDef;
}

export interface CheckJob {
  kind: 'fold' | 'twin';
  id: string;
  label: string;
  trained: boolean;
  seed: number;
  spec: RunSpec;
}

export type Job = TrainJob | CheckJob;

export interface Plan {
  study: ResolvedStudy;
  jobs: Job[];
}

const fmtValue = (key: string, v: Value): string => (typeof v === 'string' ? v : `${axisName(key)}=${v}`);

export function cellKeyOf(grid: ResolvedStudy['grid'], cell: Record<string, Value>): string {
  return grid.map((a) => fmtValue(a.key, cell[a.key])).join('/') || 'all';
}

function cartesian(grid: ResolvedStudy['grid']): Array<Record<string, Value>> {
  let cells: Array<Record<string, Value>> = [{}];
  for (const a of grid) {
    const next: Array<Record<string, Value>> = [];
    for (const c of cells) for (const v of a.values) next.push({ ...c, [a.key]: v });
    cells = next;
  }
  return cells;
}

function buildSpec(study: ResolvedStudy, entries: Array<[string, Value]>, lr: number, seed: number, where: string): RunSpec {
  const base = { model: { ...study.base.model }, train: { ...study.base.train }, data: { ...study.base.data } };
  for (const [k, v] of expandDesigns(study, entries)) applyKey(base, k, v);
  base.train.lr = lr;
  const r = RunSpecSchema.safeParse({ ...base, seed });
  if (!r.success) {
    const i = r.error.issues[0];
    throw new SpecError(`${where}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}

function checkJob(study: ResolvedStudy, c: CheckDef): CheckJob {
  // a check runs at the first value of every axis unless it sets the field, at the middle learning rate
  const first: Array<[string, Value]> = study.grid.map((a) => [a.key, a.values[0]]);
  const lr = typeof c.set?.['train.lr'] === 'number' ? (c.set['train.lr'] as number) : study.lrGrid[Math.floor(study.lrGrid.length / 2)];
  const set = Object.entries(c.set ?? {}).filter(([k]) => k !== 'train.lr');
  const seed = c.seed ?? study.seeds[0];
  const spec = buildSpec(study, [...first, ...set], lr, seed, `check '${c.label}'`);
  if (spec.model.block !== 'post' || spec.model.skip !== 1) {
    throw new SpecError(
      `check '${c.label}': a ${c.kind} check needs a post-1 model (variant post-1), got ${spec.model.block}-${spec.model.skip}`,
    );
  }
  const trained = c.kind === 'twin' ? true : (c.trained ?? true);
  return { kind: c.kind, id: `${c.kind}:${c.label}#${hash8(canonicalJson({ spec, trained }))}`, label: c.label, trained, seed, spec };
}

/** Expand a resolved study into jobs. */
export function planStudy(study: ResolvedStudy): Plan {
  const jobs: Job[] = [];
  const seen = new Set<string>();
  for (const cell of cartesian(study.grid)) {
    const cellKey = cellKeyOf(study.grid, cell);
    for (const lr of study.lrGrid) {
      for (const seed of study.seeds) {
        const spec = buildSpec(study, Object.entries(cell), lr, seed, cellKey);
        const probe = study.probe ?? undefined;
        const id = `${cellKey}/lr=${lr}/seed=${seed}#${hash8(canonicalJson(probe ? { spec, probe } : spec))}`;
        if (seen.has(id)) throw new SpecError(`the grid repeats a value: ${cellKey} appears twice`);
        seen.add(id);
        const fold = study.foldTrained && spec.model.block === 'post' && spec.model.skip === 1;
        jobs.push({ kind: 'train', id, cell, cellKey, lr, seed, spec, fold, ...(probe ? { probe } : {}) });
      }
    }
  }
  for (const c of study.checks) jobs.push(checkJob(study, c));
  return { study, jobs };
}

/** Resolve a study at a budget with overrides and expand it: the deterministic list of jobs. */
export function expandStudy(def: StudyData, overrides: StudyOverrides = {}, budget: Budget = 'cli'): Plan {
  return planStudy(resolveStudy(def, budget, overrides));
}
