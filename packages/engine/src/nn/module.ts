/**
 * PyTorch-shaped modules: `forward`, parameters, train/eval, forward hooks.
 * Calling `m.forward(x)` runs the hooks too (the lab's probe into the residual stream).
 */
import type { Tensor } from '../tensor.js';

export type ForwardHook = (module: Module, input: Tensor, output: Tensor) => void;
export interface HookHandle {
  remove(): void;
}

let nextHookId = 1;

export abstract class Module {
  training = true;
  private readonly ownParams: Array<[string, Tensor]> = [];
  private readonly kids: Array<[string, Module]> = [];
  private readonly ownBuffers: Array<[string, Tensor]> = [];
  private readonly hooks = new Map<number, ForwardHook>();

  abstract forward(x: Tensor): Tensor;

  constructor() {
    const inner = this.forward;
    this.forward = (x: Tensor): Tensor => {
      const y = inner.call(this, x);
      if (this.hooks.size) for (const h of this.hooks.values()) h(this, x, y);
      return y;
    };
  }

  protected registerParameter(name: string, t: Tensor): Tensor {
    this.ownParams.push([name, t]);
    return t;
  }
  /** Persistent non-trainable state (running statistics), saved in checkpoints. */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.ownBuffers.push([name, t]);
    return t;
  }
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.kids.push([name, m]);
    return m;
  }

  /** (dotted name, module) for this module ('' ) and every descendant, depth first. */
  *namedModules(prefix = ''): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [n, m] of this.kids) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }
  *namedParameters(prefix = ''): Generator<[string, Tensor]> {
    for (const [n, t] of this.ownParams) yield [prefix ? `${prefix}.${n}` : n, t];
    for (const [n, m] of this.kids) yield* m.namedParameters(prefix ? `${prefix}.${n}` : n);
  }
  *namedBuffers(prefix = ''): Generator<[string, Tensor]> {
    for (const [n, t] of this.ownBuffers) yield [prefix ? `${prefix}.${n}` : n, t];
    for (const [n, m] of this.kids) yield* m.namedBuffers(prefix ? `${prefix}.${n}` : n);
  }
  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, t]) => t);
  }
  children(): Module[] {
    return this.kids.map(([, m]) => m);
  }
  /** Number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  train(mode = true): this {
    this.training = mode;
    for (let i = 0; i < this.kids.length; i++) this.kids[i][1].train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }

  /** Whether any forward hook is registered on this module. */
  hasForwardHooks(): boolean {
    return this.hooks.size > 0;
  }

  /** Call `hook(module, input, output)` after every forward; `remove()` the handle to stop. */
  registerForwardHook(hook: ForwardHook): HookHandle {
    const id = nextHookId++;
    this.hooks.set(id, hook);
    return { remove: () => void this.hooks.delete(id) };
  }

  /** Forget the gradients of all parameters (the next backward overwrites them). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.gradReady = false;
  }
}
