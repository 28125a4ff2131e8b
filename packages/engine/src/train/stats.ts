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

/** Attach the probes (forward hooks on the blocks) before a forward pass; `read()` after backward. */
export class StatsProbe {
  private readonly stream: number[];
  private readonly hooks: HookHandle[];
  private readonly acts: Tensor[][];
  constructor(private readonly model: Model) {
    const n = model.blocks.length;
    this.stream = new Array(n).fill(0);
    this.acts = model.blocks.map(() => []);
    model.blocks.forEach((b, i) => {
      b.probe = this.acts[i];
    });
    this.hooks = model.blocks.map((b, i) =>
      b.registerForwardHook((_m, _x, y) => {
        this.stream[i] = meanRowNorm(y);
      }),
    );
  }
  /** Activity is read at once (the probed tensors live in the arena); call after forward. */
  activity(): number[] {
    return this.acts.map((ts) => activeFraction(this.model.act, ts));
  }
  /** Detach; returns stream norms and activity (call after the forward, before the arena is reset). */
  detach(): { streamNorms: number[]; active: number[] } {
    const active = this.activity();
    for (const h of this.hooks) h.remove();
    for (const b of this.model.blocks) b.probe = null;
    return { streamNorms: [...this.stream], active };
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

const allFinite = (xs: number[]): boolean => xs.every(Number.isFinite);

/**
 * LayerStats of the gradients currently held and a probe's readings. `finite` is false when
 * any value overflowed; such values are stored as 0 (events never carry NaN) and the caller
 * treats the run as diverged.
 */
export function layerStats(model: Model, probe: { streamNorms: number[]; active: number[] }): { stats: LayerStats; finite: boolean } {
  const g = gradNorms(model);
  const finite = allFinite(g.gradNorms) && allFinite(probe.streamNorms) && allFinite(probe.active);
  const clean = (xs: number[]): number[] => xs.map((x) => (Number.isFinite(x) ? x : 0));
  return {
    stats: { gradNorms: clean(g.gradNorms), layerNames: g.layerNames, streamNorms: clean(probe.streamNorms), active: clean(probe.active) },
    finite,
  };
}
