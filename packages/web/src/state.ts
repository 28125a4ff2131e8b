/**
 * The lab's whole state, and its URL form. Everything a visitor can set lives
 * here (seed included), so a copied link reproduces the experiment. A link
 * that cannot be read falls back to defaults with a note (never a blank page).
 */
import {
  ACTIVATIONS,
  BRANCH_SCALES,
  DATASETS,
  type DataSpec,
  type ModelSpec,
  NORM_PLACES,
  NORMS,
  OPTIMIZERS,
  parseRunSpec,
  parseVariant,
  type RunSpec,
  SpecError,
  variantName,
} from '@reslab/engine';

export const URL_VERSION = 1;
export const MAX_CONFIGS = 6;

/** One configuration trained side by side with the others: the block-level choices. */
export interface Config {
  block: ModelSpec['block'];
  skip: number;
  shortcut: 'identity' | 'projection';
  norm: ModelSpec['norm'];
  normPlace: ModelSpec['normPlace'];
  branchScale: ModelSpec['branchScale'];
  branchScaleValue: number;
}

export type Tab = 'train' | 'studies' | 'checkpoint';

export interface LabState {
  data: DataSpec;
  depth: number;
  width: number;
  activation: ModelSpec['activation'];
  optimizer: RunSpec['train']['optimizer'];
  lr: number;
  batchSize: number;
  /** steps to train (the run's maxSteps). */
  steps: number;
  /** evaluate (and plot) every this many steps. */
  evalEvery: number;
  seed: number;
  configs: Config[];
  tab: Tab;
  study: string;
}

export const baseConfig = (block: Config['block'], skip = 1): Config => ({
  block,
  skip: block === 'plain' ? 1 : skip,
  shortcut: 'identity',
  norm: 'none',
  normPlace: 'branch',
  branchScale: 'none',
  branchScaleValue: 1,
});

export const DEFAULT_STATE: LabState = {
  data: { name: 'spiral', size: 1000, noise: 0.1, trainRatio: 0.8 },
  depth: 12,
  width: 16,
  activation: 'relu',
  optimizer: 'adam',
  lr: 0.003,
  batchSize: 32,
  steps: 600,
  evalEvery: 20,
  seed: 1,
  configs: [baseConfig('plain'), baseConfig('post', 1), baseConfig('post', 2)],
  tab: 'train',
  study: 'skip',
};

/** The datasets the page offers: the 2-D classification sets, the regression sets and MNIST. */
export const PAGE_DATASETS = DATASETS;
export const isTwoD = (name: DataSpec['name']): boolean => name !== 'mnist';
export const isRegression = (name: DataSpec['name']): boolean => name === 'plane' || name === 'sine';

/** 'post-2.proj.ln@post.rezero' <-> Config. */
export function configToken(c: Config): string {
  const parts = [variantName(c)];
  if (c.shortcut === 'projection') parts.push('proj');
  if (c.norm !== 'none')
    parts.push(c.norm === 'batch' ? `bn${c.normPlace === 'post' ? '@post' : ''}` : `ln${c.normPlace === 'post' ? '@post' : ''}`);
  if (c.branchScale === 'fixed') parts.push(`x${c.branchScaleValue}`);
  else if (c.branchScale !== 'none') parts.push(c.branchScale);
  return parts.join('.');
}

export function parseConfigToken(token: string): Config {
  const [variant, ...mods] = token.trim().split('.');
  // A fixed scale like 'x0.5' was split on its dot: glue numeric pieces back on.
  const glued: string[] = [];
  for (const m of mods) {
    if (/^\d+$/.test(m) && glued.length && /^x\d*$/.test(glued[glued.length - 1])) glued[glued.length - 1] += `.${m}`;
    else glued.push(m);
  }
  const { block, skip } = parseVariant(variant ?? '');
  const c = baseConfig(block, skip);
  for (const m of glued) {
    if (m === 'proj') c.shortcut = 'projection';
    else if (/^(bn|ln)(@post|@branch)?$/.test(m)) {
      c.norm = m.startsWith('bn') ? 'batch' : 'layer';
      c.normPlace = m.endsWith('@post') ? 'post' : 'branch';
    } else if (/^x-?\d*\.?\d+(e-?\d+)?$/.test(m)) {
      c.branchScale = 'fixed';
      c.branchScaleValue = Number(m.slice(1));
    } else if ((BRANCH_SCALES as readonly string[]).includes(m) && m !== 'none' && m !== 'fixed') {
      c.branchScale = m as Config['branchScale'];
    } else
      throw new SpecError(
        `unknown modifier '${m}' in configuration '${token}' (use proj, bn, ln, bn@post, ln@post, x0.5, rezero, zero-last, fixup)`,
      );
  }
  return c;
}

/** The RunSpec for one configuration under the shared settings. */
export function runSpecFor(s: LabState, c: Config): RunSpec {
  return parseRunSpec({
    seed: s.seed,
    data: s.data,
    model: {
      block: c.block,
      skip: c.skip,
      depth: s.depth,
      width: s.width,
      activation: s.activation,
      shortcut: c.shortcut,
      norm: c.norm,
      normPlace: c.normPlace,
      branchScale: c.branchScale,
      branchScaleValue: c.branchScaleValue,
    },
    train: {
      optimizer: s.optimizer,
      lr: s.lr,
      batchSize: s.batchSize,
      epochs: 10000,
      maxSteps: s.steps,
      evalEvery: s.evalEvery,
    },
  });
}

/** The part of the state that the training runs depend on, as a string to compare (the tab and the study do not matter). */
export function trainKeyOf(s: LabState): string {
  const { tab: _tab, study: _study, ...train } = s;
  return JSON.stringify(train);
}

/** The problems with a state, one readable line each (empty when every configuration can run). */
export function stateProblems(s: LabState): string[] {
  const out: string[] = [];
  if (s.configs.length === 0) out.push('add at least one configuration');
  for (const c of s.configs) {
    try {
      runSpecFor(s, c);
    } catch (e) {
      out.push(`${configToken(c)}: ${(e as Error).message.replace(/run spec: /g, '').replace(/\n/g, '; ')}`);
    }
  }
  return [...new Set(out)];
}

// ---------- URL ----------

const num = (v: string, what: string): number => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new SpecError(`${what} '${v}' is not a number`);
  return x;
};
const int = (v: string, what: string): number => {
  const x = num(v, what);
  if (!Number.isInteger(x)) throw new SpecError(`${what} '${v}' is not a whole number`);
  return x;
};
const oneOf = <T extends string>(v: string, allowed: readonly T[], what: string): T => {
  if (!(allowed as readonly string[]).includes(v)) throw new SpecError(`${what} '${v}' is not one of ${allowed.join(', ')}`);
  return v as T;
};

export function stateToQuery(s: LabState): string {
  const q = new URLSearchParams();
  q.set('v', String(URL_VERSION));
  q.set('data', s.data.name);
  q.set('size', String(s.data.size));
  q.set('noise', String(s.data.noise));
  q.set('split', String(s.data.trainRatio));
  q.set('depth', String(s.depth));
  q.set('width', String(s.width));
  q.set('act', s.activation);
  q.set('opt', s.optimizer);
  q.set('lr', String(s.lr));
  q.set('batch', String(s.batchSize));
  q.set('steps', String(s.steps));
  q.set('every', String(s.evalEvery));
  q.set('seed', String(s.seed));
  q.set('cfg', s.configs.map(configToken).join(','));
  if (s.tab !== 'train') q.set('tab', s.tab);
  if (s.study !== DEFAULT_STATE.study) q.set('study', s.study);
  return q.toString();
}

export interface Loaded {
  state: LabState;
  /** Set when (part of) the link could not be used: what was wrong, for a visible note. */
  note: string | null;
}

/**
 * Read a state from a query string. Fields that are absent take their defaults;
 * any field that cannot be read makes the whole link fall back to the defaults
 * (a half-applied experiment would be misleading), with a note saying why.
 */
export function stateFromQuery(search: string): Loaded {
  const q = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  if ([...q.keys()].length === 0) return { state: structuredClone(DEFAULT_STATE), note: null };
  const problems: string[] = [];
  const s: LabState = structuredClone(DEFAULT_STATE);
  const read = (key: string, apply: (v: string) => void) => {
    const v = q.get(key);
    if (v === null) return;
    try {
      apply(v);
    } catch (e) {
      problems.push(e instanceof SpecError ? e.message : `${key}: ${String(e)}`);
    }
  };
  read('v', (v) => {
    if (v !== String(URL_VERSION)) throw new SpecError(`link version '${v}' is not ${URL_VERSION} (an older or newer link)`);
  });
  read('data', (v) => {
    s.data.name = oneOf(v, PAGE_DATASETS, 'dataset');
  });
  read('size', (v) => {
    s.data.size = int(v, 'size');
  });
  read('noise', (v) => {
    s.data.noise = num(v, 'noise');
  });
  read('split', (v) => {
    s.data.trainRatio = num(v, 'train ratio');
  });
  read('depth', (v) => {
    s.depth = int(v, 'depth');
  });
  read('width', (v) => {
    s.width = int(v, 'width');
  });
  read('act', (v) => {
    s.activation = oneOf(v, ACTIVATIONS, 'activation');
  });
  read('opt', (v) => {
    s.optimizer = oneOf(v, OPTIMIZERS, 'optimizer');
  });
  read('lr', (v) => {
    s.lr = num(v, 'learning rate');
  });
  read('batch', (v) => {
    s.batchSize = int(v, 'batch size');
  });
  read('steps', (v) => {
    s.steps = int(v, 'steps');
    if (s.steps < 1 || s.steps > 100000) throw new SpecError(`steps ${v} must be in 1..100000`);
  });
  read('every', (v) => {
    s.evalEvery = int(v, 'eval interval');
    if (s.evalEvery < 1) throw new SpecError(`eval interval ${v} must be at least 1`);
  });
  read('seed', (v) => {
    s.seed = int(v, 'seed');
  });
  read('cfg', (v) => {
    const tokens = v.split(',').filter((t) => t.trim() !== '');
    if (tokens.length === 0) throw new SpecError('no configuration in cfg');
    if (tokens.length > MAX_CONFIGS) throw new SpecError(`${tokens.length} configurations: at most ${MAX_CONFIGS}`);
    s.configs = tokens.map(parseConfigToken);
  });
  read('tab', (v) => {
    s.tab = oneOf(v, ['train', 'studies', 'checkpoint'] as const, 'tab');
  });
  read('study', (v) => {
    if (!/^[a-z][a-z0-9-]{0,40}$/.test(v)) throw new SpecError(`study '${v}' is not a study name`);
    s.study = v;
  });
  if (problems.length === 0) problems.push(...stateProblems(s));
  if (problems.length) {
    return {
      state: structuredClone(DEFAULT_STATE),
      note: `This link could not be used (${problems.join('; ')}), so the lab shows its defaults.`,
    };
  }
  return { state: s, note: null };
}

export { NORM_PLACES, NORMS };
