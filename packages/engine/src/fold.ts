/**
 * The algebra of the one-layer post-addition skip: g(S a + s (W a + b)) = g((S + s W) a + s b).
 * A post-1 network is exactly a plain network whose weights are S + s W
 * (S = I for the identity shortcut, W_r for a projection, c I for a scaled one).
 */
import { buildModel, type Model } from './nn/model.js';
import { type ModelSpec, SpecError, variantName } from './spec.js';
import { noGrad, tensor } from './tensor.js';

/** Why a model cannot be folded into a plain net, or null when it can (post-1, no norm, a shortcut linear in a). */
export function whyNotFoldable(sp: Pick<ModelSpec, 'block' | 'skip' | 'norm' | 'shortcut'>): string | null {
  if (sp.block !== 'post' || sp.skip !== 1) return `the model is ${variantName(sp)}, not post-1`;
  if (sp.norm !== 'none') return `norm '${sp.norm}' does not fold into one matrix (use norm 'none')`;
  if (!['identity', 'projection', 'scale'].includes(sp.shortcut))
    return `shortcut '${sp.shortcut}' is not linear in a (use identity, projection or scale)`;
  return null;
}

/** The equivalent plain model of a post-1 model (norm none; identity, projection or scale shortcut). Same backend. */
export function foldPost1(model: Model): Model {
  const sp = model.spec;
  const why = whyNotFoldable(sp);
  if (why) throw new SpecError(`foldPost1: ${why}`);
  const plain = buildModel(
    { ...sp, block: 'plain', skip: 1, shortcut: 'identity', branchScale: 'none', residualAt: 'all' },
    model.io,
    0,
    model.backend,
  );
  const copy = (dst: { set(d: ArrayLike<number>): unknown }, src: { toArray(): number[] }) => dst.set(src.toArray());
  copy(plain.inLayer.weight, model.inLayer.weight);
  copy(plain.inLayer.bias!, model.inLayer.bias!);
  copy(plain.outLayer.weight, model.outLayer.weight);
  copy(plain.outLayer.bias!, model.outLayer.bias!);
  const w = sp.width;
  model.blocks.forEach((blk, i) => {
    const fc = plain.blocks[i].fcs[0];
    if (blk.spec.block === 'plain') {
      // the plain layers around a single block in the middle (residualAt 'middle') are copied as they are
      copy(fc.weight, blk.fcs[0].weight);
      copy(fc.bias!, blk.fcs[0].bias!);
      return;
    }
    const s = blk.alpha ? blk.alpha.item() : blk.fixedScale;
    const W = blk.fcs[0].weight.toArray();
    const S = blk.proj ? blk.proj.weight.toArray() : null;
    const c = sp.shortcut === 'scale' ? sp.shortcutScale : 1;
    for (let r = 0; r < w; r++) {
      for (let j = 0; j < w; j++) W[r * w + j] = s * W[r * w + j] + (S ? S[r * w + j] : r === j ? c : 0);
    }
    fc.weight.set(W);
    fc.bias!.set(blk.fcs[0].bias!.toArray().map((v) => s * v));
  });
  return plain;
}

export interface FoldCheck {
  /** max |post-1 output - folded output| */
  maxAbsDiff: number;
  /** maxAbsDiff relative to the largest |output| */
  maxRelDiff: number;
  /** number of output values compared */
  compared: number;
  /** the two models' outputs (rows x outputDim, row-major) */
  original: number[];
  folded: number[];
}

/**
 * Fold a post-1 model and compare both models' outputs (eval mode) on x
 * (rows x inputDim values, row-major). The folded model's memory is released.
 */
export function foldCheck(model: Model, x: ArrayLike<number>, fold: (m: Model) => Model = foldPost1): FoldCheck {
  const d = model.io.inputDim;
  if (x.length === 0 || x.length % d !== 0)
    throw new SpecError(`foldCheck: ${x.length} input values are not a whole number of rows of ${d}`);
  const b = model.backend;
  const mark = b.mark();
  const wasTraining = model.training;
  try {
    const plain = fold(model);
    model.eval();
    plain.eval();
    const top = b.arenaTop();
    const [original, folded] = noGrad(() => {
      const xt = tensor(b, x, [x.length / d, d]);
      return [model.forward(xt).toArray(), plain.forward(xt).toArray()];
    });
    b.arenaRestore(top);
    let maxAbsDiff = 0;
    let scale = 0;
    for (let i = 0; i < original.length; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(original[i] - folded[i]));
      scale = Math.max(scale, Math.abs(original[i]));
    }
    return { maxAbsDiff, maxRelDiff: maxAbsDiff / Math.max(scale, Number.MIN_VALUE), compared: original.length, original, folded };
  } finally {
    model.train(wasTraining);
    b.release(mark);
  }
}
