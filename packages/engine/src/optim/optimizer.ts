/** SGD (momentum, Nesterov, L2 weight decay), Adam and AdamW on the core kernels; state in the persistent region. */
import type { Ptr } from '../backend.js';
import type { TrainSpec } from '../spec.js';
import type { Tensor } from '../tensor.js';

export interface Optimizer {
  readonly params: readonly Tensor[];
  lr: number;
  /** Update every parameter that received a gradient since zeroGrad. */
  step(): void;
  zeroGrad(): void;
}

abstract class Base implements Optimizer {
  constructor(
    readonly params: readonly Tensor[],
    public lr: number,
  ) {
    if (!(lr > 0) || !Number.isFinite(lr)) throw new Error(`optimizer: lr must be a positive number (got ${lr})`);
  }
  abstract step(): void;
  zeroGrad(): void {
    for (let i = 0; i < this.params.length; i++) this.params[i].gradReady = false;
  }
}

export class SGD extends Base {
  private readonly m: Ptr[];
  constructor(params: readonly Tensor[], opts: { lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }) {
    super(params, opts.lr);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    if (this.nesterov && this.momentum === 0) throw new Error('optimizer: Nesterov momentum needs momentum > 0');
    this.m = params.map((p) => (this.momentum ? p.b.allocPersistent(p.size) : 0));
  }
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  step(): void {
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (p.gradReady) p.b.k.sgdStep(p.ptr, p.grad, this.m[i], p.size, this.lr, this.momentum, this.weightDecay, this.nesterov ? 1 : 0);
    }
  }
}

export class Adam extends Base {
  private readonly m: Ptr[];
  private readonly v: Ptr[];
  /** steps taken (bias correction) */
  t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** true: AdamW (decoupled weight decay) */
  readonly decoupled: boolean;
  constructor(
    params: readonly Tensor[],
    opts: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number; decoupled?: boolean },
  ) {
    super(params, opts.lr);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decoupled = opts.decoupled ?? false;
    this.m = params.map((p) => p.b.allocPersistent(p.size));
    this.v = params.map((p) => p.b.allocPersistent(p.size));
  }
  step(): void {
    this.t++;
    // NOTE: a float32 kernel sees beta rounded to float32; correct the bias with that same beta,
    // or the first steps are off by ~1e-5 relative (6e-5 at beta2 = 0.9998).
    const f32 = this.params[0]?.b.bytes === 4;
    const bc1 = 1 - (f32 ? Math.fround(this.beta1) : this.beta1) ** this.t;
    const bc2 = 1 - (f32 ? Math.fround(this.beta2) : this.beta2) ** this.t;
    const d = this.decoupled ? 1 : 0;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i];
      if (p.gradReady)
        p.b.k.adamStep(
          p.ptr,
          p.grad,
          this.m[i],
          this.v[i],
          p.size,
          this.lr,
          this.beta1,
          this.beta2,
          this.eps,
          this.weightDecay,
          d,
          bc1,
          bc2,
        );
    }
  }
}

export class AdamW extends Adam {
  constructor(params: readonly Tensor[], opts: { lr: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }) {
    super(params, { ...opts, decoupled: true });
  }
}

/** The optimizer a TrainSpec names. */
export function makeOptimizer(params: readonly Tensor[], t: TrainSpec): Optimizer {
  switch (t.optimizer) {
    case 'sgd':
      return new SGD(params, { lr: t.lr, momentum: t.momentum, nesterov: t.nesterov, weightDecay: t.weightDecay });
    case 'adam':
      return new Adam(params, { lr: t.lr, beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay });
    case 'adamw':
      return new AdamW(params, { lr: t.lr, beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay });
  }
}

/** sqrt of the sum of squares of every gradient that is set. */
export function gradNorm(params: readonly Tensor[]): number {
  let s = 0;
  for (const p of params) if (p.gradReady) s += p.b.k.sumSq(p.grad, p.size);
  return Math.sqrt(s);
}

/** Scale all gradients so their global norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  const n = gradNorm(params);
  if (maxNorm > 0 && n > maxNorm) {
    const c = maxNorm / (n + 1e-6);
    for (const p of params) if (p.gradReady) p.b.k.axpby(c, p.grad, 0, p.grad, p.size);
  }
  return n;
}
