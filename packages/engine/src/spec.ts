/**
 * Specs are data: a model, a training setup, a dataset and a run are plain
 * JSON objects, validated here (zod) with clear messages. The same specs drive
 * the CLI flags, the web URL, checkpoints and reports.
 */
import { z } from 'zod';

export const ACTIVATIONS = ['identity', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'gelu'] as const;
export const BLOCKS = ['plain', 'post', 'branch', 'preact'] as const;
export const SHORTCUTS = ['identity', 'projection', 'scale', 'gate', 'shortcut-gate', 'dropout'] as const;
export const NORMS = ['none', 'batch', 'layer'] as const;
/**
 * branch: before each activation in the branch; post: one norm after the addition (none in the branch);
 * after-add: in the branch except the last layer's, which moves after the addition (He et al. 2016 Fig. 4b);
 * after-linear: after each Linear of the branch (post/branch blocks: same as 'branch'; preact: g -> W -> norm, He et al. 2016 Fig. 4d).
 */
export const NORM_PLACES = ['branch', 'post', 'after-add', 'after-linear'] as const;
export const BRANCH_SCALES = ['none', 'fixed', 'rezero', 'zero-last', 'fixup'] as const;
/** he = Kaiming normal, xavier = Glorot normal, normal = N(0, initStd^2); auto = fitted to the activation (resolveInit). */
export const INITS = ['auto', 'he', 'xavier', 'normal'] as const;
/** Where the residual blocks sit: every block of the stack, or one block in the middle of an otherwise plain stack. */
export const RESIDUAL_AT = ['all', 'middle'] as const;
export const DATASETS = ['mnist', 'circle', 'xor', 'gauss', 'spiral', 'moons', 'plane', 'sine'] as const;
export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export const SCHEDULES = ['constant', 'step', 'cosine'] as const;

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const finite = z.number().finite();

export const ModelSpecSchema = z
  .strictObject({
    /** plain: a <- g(Wa+b); post: a <- g(F_k(a) + S a); branch: a <- S a + g(F_k(a)); preact: a <- S a + F_k(g(a)). */
    block: z.enum(BLOCKS).default('post'),
    /** k, the number of Linear layers a skip spans (ignored by plain). */
    skip: z.number().int().min(1).max(8).default(2),
    /** hidden layers in the stack; must be a multiple of skip. */
    depth: posInt.max(1024).default(24),
    width: posInt.max(4096).default(64),
    activation: z.enum(ACTIVATIONS).default('relu'),
    /** leaky-ReLU slope. */
    slope: finite.min(0).max(1).default(0.01),
    shortcut: z.enum(SHORTCUTS).default('identity'),
    /** for shortcut = 'scale': S a = shortcutScale * a. */
    shortcutScale: finite.default(0.5),
    /** for shortcut = 'dropout': drop probability on the shortcut. */
    shortcutDropout: finite.min(0).max(0.99).default(0.5),
    norm: z.enum(NORMS).default('none'),
    /** where the norm sits (see NORM_PLACES): inside the branch (before each activation), after the addition, or both ways of He et al. 2016 Fig. 4. */
    normPlace: z.enum(NORM_PLACES).default('branch'),
    branchScale: z.enum(BRANCH_SCALES).default('none'),
    /** for branchScale = 'fixed'. */
    branchScaleValue: finite.default(1),
    /** auto (the default): fitted to the activation (see resolveInit). */
    init: z.enum(INITS).default('auto'),
    /** for init = 'normal'. */
    initStd: finite.positive().default(0.05),
    /** dropout after each hidden activation (0 = off). */
    dropout: finite.min(0).max(0.99).default(0),
    /** all: the stack is made of blocks; middle: one block of the spec's kind in the middle, plain layers around it. */
    residualAt: z.enum(RESIDUAL_AT).default('all'),
  })
  .superRefine((m, ctx) => {
    if (m.block !== 'plain' && m.residualAt === 'middle' && m.depth < m.skip) {
      ctx.addIssue({
        code: 'custom',
        path: ['depth'],
        message: `depth ${m.depth} is less than the skip length ${m.skip}: one block in the middle needs depth >= ${m.skip}`,
      });
    }
    if (m.block !== 'plain' && m.residualAt === 'all' && m.depth % m.skip !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['depth'],
        message: `depth ${m.depth} is not a multiple of the skip length ${m.skip}: use a depth in {${m.skip}, ${2 * m.skip}, ${3 * m.skip}, ...}`,
      });
    }
  });
export type ModelSpec = z.infer<typeof ModelSpecSchema>;
export type ModelSpecInput = z.input<typeof ModelSpecSchema>;

export const DataSpecSchema = z.strictObject({
  name: z.enum(DATASETS).default('mnist'),
  /** number of examples drawn (synthetic) or used (mnist, at most 10000). */
  size: posInt.max(10000).default(2000),
  /** synthetic sets: noise level in [0, 1] (as in TensorFlow Playground, 0..50% maps to 0..0.5). */
  noise: finite.min(0).max(1).default(0.1),
  /** fraction of examples used for training; the rest is the test set. */
  trainRatio: finite.gt(0).lt(1).default(0.8),
});
export type DataSpec = z.infer<typeof DataSpecSchema>;

export const TrainSpecSchema = z.strictObject({
  optimizer: z.enum(OPTIMIZERS).default('adam'),
  lr: finite.positive().default(1e-3),
  momentum: finite.min(0).lt(1).default(0.9),
  nesterov: z.boolean().default(false),
  weightDecay: finite.min(0).default(0),
  beta1: finite.min(0).lt(1).default(0.9),
  beta2: finite.min(0).lt(1).default(0.999),
  eps: finite.positive().default(1e-8),
  schedule: z.enum(SCHEDULES).default('constant'),
  /** step schedule: multiply lr by gamma every stepEvery steps. */
  stepEvery: posInt.default(1000),
  gamma: finite.positive().default(0.1),
  /** linear warm-up steps (0 = none). */
  warmup: nonNegInt.default(0),
  /** clip the global gradient norm to this (0 = no clipping). */
  clipNorm: finite.min(0).default(0),
  batchSize: posInt.max(65536).default(64),
  epochs: posInt.max(10000).default(5),
  /** stop after this many steps in total (0 = no limit beyond epochs). */
  maxSteps: nonNegInt.default(0),
  /** evaluate on the test set and emit an 'eval' event every evalEvery steps (0 = once per epoch). */
  evalEvery: nonNegInt.default(0),
  /**
   * a run diverges when a loss becomes non-finite, or when an evaluated train loss exceeds divergeFactor x the chance
   * loss of the dataset (ln C for C classes, the targets' variance for regression); 0 = non-finite losses only.
   */
  divergeFactor: finite.min(0).default(10),
});
export type TrainSpec = z.infer<typeof TrainSpecSchema>;

export const RunSpecSchema = z.strictObject({
  model: ModelSpecSchema.default(() => ModelSpecSchema.parse({})),
  train: TrainSpecSchema.default(() => TrainSpecSchema.parse({})),
  data: DataSpecSchema.default(() => DataSpecSchema.parse({})),
  seed: nonNegInt.max(2 ** 31 - 1).default(1),
});
export type RunSpec = z.infer<typeof RunSpecSchema>;
export type RunSpecInput = z.input<typeof RunSpecSchema>;

/** Thrown for invalid user input; `message` is one readable line per problem. */
export class SpecError extends Error {
  override name = 'SpecError';
}

/** Validate with a schema, turning zod's issues into a SpecError with `path: message` lines. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(root)';
    return `${what}: ${path}: ${i.message}`;
  });
  throw new SpecError(lines.join('\n'));
}

export const parseModelSpec = (v: unknown): ModelSpec => parseWith(ModelSpecSchema, v, 'model');
export const parseRunSpec = (v: unknown): RunSpec => parseWith(RunSpecSchema, v, 'run spec');

/** 'post-2' -> { block: 'post', skip: 2 }; 'plain' -> { block: 'plain', skip: 1 }. */
export function parseVariant(name: string): { block: ModelSpec['block']; skip: number } {
  const m = /^(plain|post|branch|preact)(?:-(\d+))?$/.exec(name.trim());
  if (!m) throw new SpecError(`unknown variant '${name}': use plain, or post-K, branch-K, preact-K with K a skip length (e.g. post-2)`);
  const block = m[1] as ModelSpec['block'];
  if (block === 'plain') {
    if (m[2] !== undefined) throw new SpecError(`variant 'plain' takes no skip length (got '${name}')`);
    return { block, skip: 1 };
  }
  if (m[2] === undefined) throw new SpecError(`variant '${name}' needs a skip length, e.g. ${block}-1 or ${block}-2`);
  const skip = Number(m[2]);
  if (skip < 1 || skip > 8) throw new SpecError(`skip length in '${name}' must be 1..8`);
  return { block, skip };
}
/**
 * The initialisation a spec uses. 'auto' follows PyTorch and Keras practice: He (Kaiming) for the ReLU family and
 * GELU, Xavier (Glorot) for tanh, sigmoid and the identity (a linear net).
 */
export function resolveInit(m: Pick<ModelSpec, 'init' | 'activation'>): Exclude<ModelSpec['init'], 'auto'> {
  if (m.init !== 'auto') return m.init;
  return m.activation === 'relu' || m.activation === 'leaky_relu' || m.activation === 'gelu' ? 'he' : 'xavier';
}

export const variantName = (m: Pick<ModelSpec, 'block' | 'skip'>): string => (m.block === 'plain' ? 'plain' : `${m.block}-${m.skip}`);
