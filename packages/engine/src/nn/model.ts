/**
 * A residual MLP built from a ModelSpec:
 *
 *   x -> in (inputDim -> width, then g; preact: no g) -> block1 .. blockN -> [preact: norm, g] -> out (width -> outputDim)
 *
 * N = depth / skip blocks (plain: depth blocks of one layer). With residualAt 'middle' the stack is plain but for
 * one block of the spec's kind in the middle: floor((depth - skip) / 2) plain layers, the block, then the rest
 * (the input layer keeps its g and there is no final norm + g: the block sits inside a plain net). Layer names:
 * 'in', 'block3.fc1', 'block3.proj', 'block3.gate', 'out'.
 */
import { Act } from '@reslab/core-wasm';
import type { Backend } from '../backend.js';
import { activation } from '../ops/bias_act.js';
import { dropout } from '../ops/dropout.js';
import { Rng } from '../rng.js';
import { type ModelSpec, type ModelSpecInput, parseModelSpec, SpecError } from '../spec.js';
import type { Tensor } from '../tensor.js';
import { makeNorm, ResidualBlock } from './block.js';
import { initNormal, initStd } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface ModelIO {
  inputDim: number;
  outputDim: number;
}

export class Model extends Module {
  readonly inLayer: Linear;
  readonly blocks: ResidualBlock[] = [];
  readonly finalNorm: Module | null = null;
  readonly outLayer: Linear;
  readonly act: number;
  /**
   * Lesion (test-time surgery, Veit et al. 2016): the blocks to apply, by index, in this order; null = all in stack
   * order. Leaving a block out replaces it by the identity (for residual blocks: only the identity shortcut remains).
   */
  blockOrder: readonly number[] | null = null;

  constructor(
    readonly backend: Backend,
    readonly spec: ModelSpec,
    readonly io: ModelIO,
    /** dropout stream */
    readonly rng: Rng,
  ) {
    super();
    const { width } = spec;
    this.act = Act[spec.activation];
    const pre = this.preact;
    this.inLayer = this.registerModule('in', new Linear(backend, io.inputDim, width, { act: pre ? 0 : this.act, slope: spec.slope }));
    const kinds = blockKinds(spec);
    const plain = { ...spec, block: 'plain' as const };
    kinds.forEach((k, i) => {
      this.blocks.push(this.registerModule(`block${i + 1}`, new ResidualBlock(backend, k === 'plain' ? plain : spec, this.act, rng)));
    });
    if (pre && spec.norm !== 'none') this.finalNorm = this.registerModule('final', makeNorm(backend, spec.norm, width)!);
    this.outLayer = this.registerModule('out', new Linear(backend, width, io.outputDim));
  }

  /** A pre-activation stack: its input layer has no g, and a final (norm +) g comes before the output layer. */
  get preact(): boolean {
    return this.spec.block === 'preact' && this.spec.residualAt === 'all';
  }

  /** (Re)initialise every parameter from rng (deterministic order: in, blocks, out). */
  init(rng: Rng): void {
    const sp = this.spec;
    initNormal(this.inLayer.weight, initStd(sp, this.io.inputDim, sp.width), rng);
    this.inLayer.bias!.set(new Float64Array(sp.width));
    const residual = this.blocks.filter((b) => b.spec.block !== 'plain').length;
    for (const b of this.blocks) b.init(rng, b.spec.block === 'plain' ? this.blocks.length : residual);
    initNormal(this.outLayer.weight, initStd(sp, sp.width, this.io.outputDim), rng);
    this.outLayer.bias!.set(new Float64Array(this.io.outputDim));
  }

  forward(x: Tensor): Tensor {
    if (x.shape.length !== 2 || x.shape[1] !== this.io.inputDim) {
      throw new Error(`model: expected input of shape [batch, ${this.io.inputDim}], got [${x.shape}]`);
    }
    const sp = this.spec;
    let h = this.inLayer.forward(x);
    if (!this.preact && sp.dropout > 0) h = dropout(h, sp.dropout, this.rng, this.training);
    const order = this.blockOrder;
    const n = order ? order.length : this.blocks.length;
    for (let i = 0; i < n; i++) h = this.blocks[order ? order[i] : i].forward(h);
    if (this.preact) {
      if (this.finalNorm) h = this.finalNorm.forward(h);
      h = activation(h, this.act, sp.slope);
    }
    return this.outLayer.forward(h);
  }

  private linearList: Array<[string, Linear]> | null = null;
  /** Every Linear layer in stack order, with its name ('in', 'block3.fc1', ..., 'out'); computed once (the layers are fixed at construction). */
  linears(): Array<[string, Linear]> {
    this.linearList ??= [...this.namedModules()].filter((e): e is [string, Linear] => e[1] instanceof Linear);
    return this.linearList;
  }
}

/** The kind of each block of the stack, in order: the spec's block everywhere, or plain layers around one in the middle. */
export function blockKinds(spec: Pick<ModelSpec, 'block' | 'skip' | 'depth' | 'residualAt'>): Array<ModelSpec['block']> {
  if (spec.block === 'plain') return new Array(spec.depth).fill('plain');
  if (spec.residualAt === 'all') return new Array(spec.depth / spec.skip).fill(spec.block);
  const before = Math.floor((spec.depth - spec.skip) / 2);
  const after = spec.depth - spec.skip - before;
  return [...new Array(before).fill('plain'), spec.block, ...new Array(after).fill('plain')];
}

/**
 * Build and initialise a model. `rng` is the run's generator: weights come from
 * rng.fork('init'), dropout masks from rng.fork('dropout').
 */
export function buildModel(spec: ModelSpecInput | ModelSpec, io: ModelIO, rng: Rng | number, backend: Backend): Model {
  const sp = parseModelSpec(spec);
  for (const key of ['inputDim', 'outputDim'] as const) {
    const v = io?.[key];
    if (!Number.isInteger(v) || v < 1) throw new SpecError(`model io: ${key} must be a positive integer (got ${v})`);
  }
  const r = typeof rng === 'number' ? new Rng(rng) : rng;
  const m = new Model(backend, sp, { inputDim: io.inputDim, outputDim: io.outputDim }, r.fork('dropout'));
  m.init(r.fork('init'));
  return m;
}
