/** Layer statistics: per-Linear gradient norms, residual-stream norms and unit activity per block. */
import { Act } from '@reslab/core-wasm';
import type { LayerStats } from '../events.js';
import type { Model } from '../nn/model.js';
import type { HookHandle } from '../nn/module.js';
import type { Tensor } from '../tensor.js';

/**
 * Is a unit "active" (ReLU family, GELU, identity: output > 0) or "saturated"
 * (sigmoid, tanh: g'(x) < 0.1 g'(0))? Returns the fraction over all elements.
 */
export function activeFraction(act: number, ts: readonly Tensor[]): number {
  let hit = 0;
  let n = 0;
  for (const t of ts) {
    const f = t.b.f;
    const o = t.ptr >> t.b.shift;
    for (let i = 0; i < t.size; i++) {
      const y = f[o + i];
      if (act === Act.sigmoid) hit += y * (1 - y) < 0.025 ? 1 : 0;
      else if (act === Act.tanh) hit += 1 - y * y < 0.1 ? 1 : 0;
      else hit += y > 0 ? 1 : 0;
    }
    n += t.size;
  }
  return n ? hit / n : 0;
}

/** Mean over rows of the L2 norm of each row. */
export function meanRowNorm(t: Tensor): number {
  const cols = t.shape[t.shape.length - 1];
  const rows = t.size / cols;
  const f = t.b.f;
  const o = t.ptr >> t.b.shift;
  let s = 0;
  for (let r = 0; r < rows; r++) {
    let q = 0;
    for (let j = 0; j < cols; j++) q += f[o + r * cols + j] ** 2;
    s += Math.sqrt(q);
  }
  return s / rows;
}

/** Mean over all elements, and the standard deviation over rows of each column averaged over the columns. */
export function meanAndSpread(t: Tensor): { mean: number; spread: number } {
  const cols = t.shape[t.shape.length - 1];
  const rows = t.size / cols;
  const f = t.b.f;
  const o = t.ptr >> t.b.shift;
  let total = 0;
  let spread = 0;
  for (let j = 0; j < cols; j++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m += f[o + r * cols + j];
    m /= rows;
    let q = 0;
    for (let r = 0; r < rows; r++) q += (f[o + r * cols + j] - m) ** 2;
    total += m;
    spread += Math.sqrt(q / rows);
  }
  return { mean: total / cols, spread: spread / cols };
}

/** Attach the probes (forward hooks on the blocks) before a forward pass; `read()` after backward. */
export class StatsProbe {
  private readonly stream: number[];
  private readonly mean: number[];
  private readonly spread: number[];
  private readonly hooks: HookHandle[];
  private readonly acts: Tensor[][];
  constructor(private readonly model: Model) {
    const n = model.blocks.length;
    this.stream = new Array(n).fill(0);
    this.mean = new Array(n).fill(0);
    this.spread = new Array(n).fill(0);
    this.acts = model.blocks.map(() => []);
    model.blocks.forEach((b, i) => {
      b.probe = this.acts[i];
    });
    this.hooks = model.blocks.map((b, i) =>
      b.registerForwardHook((_m, _x, y) => {
        this.stream[i] = meanRowNorm(y);
        const ms = meanAndSpread(y);
        this.mean[i] = ms.mean;
        this.spread[i] = ms.spread;
      }),
    );
  }
  /** Activity is read at once (the probed tensors live in the arena); call after forward. */
  activity(): number[] {
    return this.acts.map((ts) => activeFraction(this.model.act, ts));
  }
  /** Detach; returns stream norms and activity (call after the forward, before the arena is reset). */
  detach(): Readings {
    const active = this.activity();
    for (const h of this.hooks) h.remove();
    for (const b of this.model.blocks) b.probe = null;
    return { streamNorms: [...this.stream], streamMean: [...this.mean], streamSpread: [...this.spread], active };
  }
}

/** Gradient norm of each Linear weight (the gradients currently held). */
export function gradNorms(model: Model): { gradNorms: number[]; layerNames: string[] } {
  const ls = model.linears();
  return {
    layerNames: ls.map(([n]) => n),
    gradNorms: ls.map(([, l]) => (l.weight.gradReady ? Math.sqrt(l.weight.b.k.sumSq(l.weight.grad, l.weight.size)) : 0)),
  };
}

/** What a StatsProbe reads during one forward pass. */
export type Readings = Pick<LayerStats, 'streamNorms' | 'streamMean' | 'streamSpread' | 'active'>;

const allFinite = (xs: number[]): boolean => xs.every(Number.isFinite);

/**
 * LayerStats of the gradients currently held and a probe's readings. `finite` is false when
 * any value overflowed; such values are stored as 0 (events never carry NaN) and the caller
 * treats the run as diverged.
 */
export function layerStats(model: Model, probe: Readings): { stats: LayerStats; finite: boolean } {
  const g = gradNorms(model);
  const lists = [g.gradNorms, probe.streamNorms, probe.streamMean, probe.streamSpread, probe.active];
  const finite = lists.every(allFinite);
  const clean = (xs: number[]): number[] => xs.map((x) => (Number.isFinite(x) ? x : 0));
  return {
    stats: {
      gradNorms: clean(g.gradNorms),
      layerNames: g.layerNames,
      streamNorms: clean(probe.streamNorms),
      streamMean: clean(probe.streamMean),
      streamSpread: clean(probe.streamSpread),
      active: clean(probe.active),
    },
    finite,
  };
}
