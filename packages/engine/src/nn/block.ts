/**
 * The residual block family (g = activation, F_k = k Linear layers with g between, S = shortcut):
 *
 *   plain    a <- g(W a + b)                    (one layer per block)
 *   post-k   a <- g(S a + s F_k(a))             k = 1: g((I + W) a + b); k = 2: the original ResNet block
 *   branch-k a <- S a + s g(F_k(a))             the addition outside the activation
 *   preact-k a <- S a + s F_k(g(a))             pre-activation (He et al. 2016)
 *
 * s is the branch scale (1, a constant, or a learnable scalar: ReZero / Fixup).
 * Norms sit before each activation in the branch ('branch'), or after the
 * addition ('post': post-k normalises before its final g); 'after-add' keeps
 * the branch norms but moves the last layer's after the addition (He et al.
 * 2016 Fig. 4b); 'after-linear' puts them after each Linear (for preact:
 * g -> W -> norm, the ReLU-only pre-activation of Fig. 4d; otherwise 'branch').
 */
import type { Backend } from '../backend.js';
import { activation } from '../ops/bias_act.js';
import { dropout } from '../ops/dropout.js';
import { linear, linearResidualPost } from '../ops/linear.js';
import { mul } from '../ops/mul.js';
import { residualAdd } from '../ops/residual_add.js';
import { residualPost } from '../ops/residual_post.js';
import { scale } from '../ops/scale.js';
import type { Rng } from '../rng.js';
import type { ModelSpec } from '../spec.js';
import { parameter, type Tensor } from '../tensor.js';
import { initNormal, initStd } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { BatchNorm, LayerNorm } from './norm.js';

const SIGMOID = 3;
/** NOTE: gate bias at init: 1 - sigmoid(-2) = 0.88 of the shortcut passes (He et al. 2016 use a negative bias so gating starts near identity). */
export const GATE_BIAS_INIT = -2;

export function makeNorm(b: Backend, kind: ModelSpec['norm'], width: number): Module | null {
  if (kind === 'batch') return new BatchNorm(b, width);
  if (kind === 'layer') return new LayerNorm(b, width);
  return null;
}

export class ResidualBlock extends Module {
  readonly fcs: Linear[] = [];
  /** one norm per branch layer (normPlace 'branch' / 'after-linear', plain blocks; 'after-add': all but the last) */
  readonly norms: Module[] = [];
  /** the norm after the addition (normPlace 'post' / 'after-add') */
  readonly postNorm: Module | null = null;
  readonly proj: Linear | null = null;
  readonly gate: Linear | null = null;
  /** learnable branch scale: ReZero's alpha (init 0) or Fixup's multiplier (init 1) */
  readonly alpha: Tensor | null = null;
  readonly fixedScale: number;
  readonly act: number;
  /** when set, every activation output of this block is pushed here (activity statistics) */
  probe: Tensor[] | null = null;

  constructor(
    b: Backend,
    readonly spec: ModelSpec,
    act: number,
    private readonly rng: Rng,
  ) {
    super();
    const { width: w, block } = spec;
    this.act = act;
    const k = block === 'plain' ? 1 : spec.skip;
    const branchNorm = spec.norm !== 'none' && (spec.normPlace !== 'post' || block === 'plain');
    const afterAdd = block !== 'plain' && spec.normPlace === 'after-add';
    for (let l = 1; l <= k; l++) {
      this.fcs.push(this.registerModule(`fc${l}`, new Linear(b, w, w)));
      if (branchNorm && !(afterAdd && l === k)) this.norms.push(this.registerModule(`norm${l}`, makeNorm(b, spec.norm, w)!));
    }
    if (block === 'plain') {
      this.fixedScale = 1;
      return;
    }
    if (spec.norm !== 'none' && (spec.normPlace === 'post' || afterAdd))
      this.postNorm = this.registerModule('norm', makeNorm(b, spec.norm, w)!);
    if (spec.shortcut === 'projection') this.proj = this.registerModule('proj', new Linear(b, w, w, { bias: false }));
    if (spec.shortcut === 'gate' || spec.shortcut === 'shortcut-gate') {
      this.gate = this.registerModule('gate', new Linear(b, w, w, { act: SIGMOID }));
    }
    this.fixedScale = spec.branchScale === 'fixed' ? spec.branchScaleValue : 1;
    if (spec.branchScale === 'rezero') this.alpha = this.registerParameter('alpha', parameter(b, [1], [0]));
    if (spec.branchScale === 'fixup') this.alpha = this.registerParameter('scale', parameter(b, [1], [1]));
  }

  /** (Re)initialise from rng: weights N(0, std^2) per the spec, biases 0, branch scaling rules. */
  init(rng: Rng, nBlocks: number): void {
    const sp = this.spec;
    const k = this.fcs.length;
    let mult = 1;
    if (sp.branchScale === 'fixup' && sp.block !== 'plain') mult = k >= 2 ? nBlocks ** (-1 / (2 * k - 2)) : nBlocks ** -0.5;
    this.fcs.forEach((fc, i) => {
      const last = i === k - 1;
      const zero = sp.block !== 'plain' && last && (sp.branchScale === 'zero-last' || (sp.branchScale === 'fixup' && k >= 2));
      initNormal(fc.weight, zero ? 0 : mult * initStd(sp, sp.width, sp.width), rng);
      fc.bias?.set(new Float64Array(fc.bias.size));
    });
    if (this.proj) initNormal(this.proj.weight, initStd(sp, sp.width, sp.width), rng);
    if (this.gate) {
      initNormal(this.gate.weight, initStd(sp, sp.width, sp.width), rng);
      this.gate.bias!.set(new Float64Array(sp.width).fill(GATE_BIAS_INIT));
    }
    if (this.alpha) this.alpha.set([sp.branchScale === 'rezero' ? 0 : 1]);
  }

  private g(t: Tensor): Tensor {
    const y = activation(t, this.act, this.spec.slope);
    this.probe?.push(y);
    return y;
  }
  private drop(t: Tensor, p = this.spec.dropout): Tensor {
    return p > 0 ? dropout(t, p, this.rng, this.training) : t;
  }
  /** Linear layer l, then its branch norm, then (if withAct) g and dropout; bias+g fused when there is no norm. */
  private layer(h: Tensor, l: number, withAct: boolean): Tensor {
    const fc = this.fcs[l];
    const norm = this.norms[l];
    if (!norm && withAct) {
      const y = linear(h, fc.weight, fc.bias, this.act, this.spec.slope);
      this.probe?.push(y);
      return this.drop(y);
    }
    let z = fc.forward(h);
    if (norm) z = norm.forward(z);
    return withAct ? this.drop(this.g(z)) : z;
  }

  forward(a: Tensor): Tensor {
    const sp = this.spec;
    const k = this.fcs.length;
    if (sp.block === 'plain') return this.layer(a, 0, true);

    const gt = this.gate ? this.gate.forward(a) : null;
    let sc = a;
    if (this.proj) sc = this.proj.forward(a);
    else if (sp.shortcut === 'scale') sc = scale(a, sp.shortcutScale);
    else if (gt) sc = mul(scale(gt, -1, 1), a);
    else if (sp.shortcut === 'dropout') sc = this.drop(a, sp.shortcutDropout);
    const s = this.alpha ?? this.fixedScale;

    let h = a;
    if (sp.block === 'post') {
      for (let l = 0; l < k - 1; l++) h = this.layer(h, l, true);
      const last = this.fcs[k - 1];
      if (!gt && !this.postNorm && !this.norms[k - 1] && !last.hasForwardHooks()) {
        // the last layer, its bias, the shortcut and g in one op (one pass over the gemm's output)
        const y = linearResidualPost(h, last.weight, last.bias, sc, s, this.act, sp.slope);
        this.probe?.push(y);
        return this.drop(y);
      }
      let z = this.layer(h, k - 1, false);
      if (gt && sp.shortcut === 'gate') z = mul(gt, z);
      if (this.postNorm) return this.drop(this.g(this.postNorm.forward(residualAdd(sc, z, s))));
      const y = residualPost(sc, z, s, this.act, sp.slope);
      this.probe?.push(y);
      return this.drop(y);
    }
    if (sp.block === 'branch') {
      for (let l = 0; l < k; l++) h = this.layer(h, l, true);
    } else {
      const afterLinear = sp.normPlace === 'after-linear';
      for (let l = 0; l < k; l++) {
        if (this.norms[l] && !afterLinear) h = this.norms[l].forward(h);
        h = this.drop(this.g(h));
        h = this.fcs[l].forward(h);
        if (this.norms[l] && afterLinear) h = this.norms[l].forward(h);
      }
    }
    if (gt && sp.shortcut === 'gate') h = mul(gt, h);
    const y = residualAdd(sc, h, s);
    return this.postNorm ? this.postNorm.forward(y) : y;
  }
}
