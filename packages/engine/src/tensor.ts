/**
 * Tensor + reverse-mode autograd on a tape (micrograd style, on raw memory).
 *
 * A tensor is a shape and a byte pointer into its backend's memory. Ops record
 * their output on the backend's tape with a backward function that reads
 * `y.grad` and adds into the inputs' gradients. The ops a training step runs
 * keep their records (inputs, output tensors, bound backward) in an OpNode that
 * the same op reuses the next step (`reuseNode`): after warm-up a step creates
 * no JS objects. Gradients accumulate (+=): a tensor used
 * twice (fan-out, i.e. a skip connection) receives the sum of both paths.
 * Non-parameter gradients live in the step arena and are allocated lazily;
 * a parameter's gradient lives next to it in the persistent region.
 */
import type { Backend, Ptr } from './backend.js';

let gradEnabled = true;

/** Run `fn` without recording anything on the tape (evaluation, probes). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}
export const isGradEnabled = (): boolean => gradEnabled;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

export class Tensor {
  /** byte pointer of the gradient (0 = none yet) */
  grad: Ptr = 0;
  /** false: `grad` holds nothing meaningful for this backward pass (the next contribution overwrites) */
  gradReady = false;
  backwardFn: (() => void) | null = null;
  /** set on parameters: data and grad are persistent, never adopted */
  isParam = false;
  /** element count; shape, ptr and size change only when an op reuses this object for a later step (`retarget`) */
  size: number;

  constructor(
    readonly b: Backend,
    public shape: readonly number[],
    public ptr: Ptr,
    public requiresGrad = false,
  ) {
    this.size = numel(shape);
  }

  /**
   * Reuse this object for a new arena tensor of `shape` (fresh memory, no gradient, off the tape). Only ops do
   * this, through their reused records (see `reuseNode`): the old contents were already dead.
   */
  retarget(shape: readonly number[]): this {
    return this.rebind(shape, this.b.alloc(numel(shape)));
  }
  /** Reuse this object for the data at `ptr` (shape `shape`; no gradient, off the tape), e.g. a reused batch view. */
  rebind(shape: readonly number[], ptr: Ptr): this {
    this.shape = shape;
    this.size = numel(shape);
    this.ptr = ptr;
    this.grad = 0;
    this.gradReady = false;
    this.backwardFn = null;
    this.requiresGrad = false;
    return this;
  }

  /** A copy of the values as plain numbers. */
  toArray(): number[] {
    return this.b.read(this.ptr, this.size);
  }
  /** The gradient as plain numbers (zeros if none). */
  gradArray(): number[] {
    return this.grad && this.gradReady ? this.b.read(this.grad, this.size) : new Array(this.size).fill(0);
  }
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a tensor of one element, got shape [${this.shape}]`);
    return this.b.f[this.ptr >> this.b.shift];
  }
  /** Overwrite the values (length must match). */
  set(data: ArrayLike<number>): this {
    if (data.length !== this.size) throw new Error(`set: expected ${this.size} values, got ${data.length}`);
    this.b.write(this.ptr, data);
    return this;
  }

  /** Backpropagate from this scalar through the tape (seed gradient 1), then clear the tape. */
  backward(): void {
    if (this.size !== 1) throw new Error(`backward() needs a scalar, got shape [${this.shape}]`);
    if (!this.requiresGrad) throw new Error('backward(): this tensor does not depend on anything that requires a gradient');
    const b = this.b;
    gradAcc(this);
    b.k.fill(this.grad, 1, 1);
    const tape = b.tape;
    for (let i = tape.length - 1; i >= 0; i--) {
      const t = tape.at(i);
      if (t.gradReady && t.backwardFn) t.backwardFn();
    }
    tape.length = 0;
  }
}

/** A tensor in the step arena (values undefined). */
export function empty(b: Backend, shape: readonly number[]): Tensor {
  return new Tensor(b, shape, b.alloc(numel(shape)));
}
export function zeros(b: Backend, shape: readonly number[]): Tensor {
  const t = empty(b, shape);
  b.k.fill(t.ptr, 0, t.size);
  return t;
}
/** A tensor in the step arena filled from `data`. */
export function tensor(b: Backend, data: ArrayLike<number>, shape: readonly number[] = [data.length]): Tensor {
  const t = empty(b, shape);
  if (data.length !== t.size) throw new Error(`tensor: ${data.length} values do not fit shape [${shape}]`);
  b.write(t.ptr, data);
  return t;
}
/** A trainable parameter: persistent data + persistent gradient. */
export function parameter(b: Backend, shape: readonly number[], data?: ArrayLike<number>): Tensor {
  const n = numel(shape);
  const t = new Tensor(b, shape, b.allocPersistent(n), true);
  t.isParam = true;
  t.grad = b.allocPersistent(n);
  if (data) t.set(data);
  return t;
}
/** Persistent, not trainable (running statistics). */
export function buffer(b: Backend, shape: readonly number[], fillValue = 0): Tensor {
  const t = new Tensor(b, shape, b.allocPersistent(numel(shape)));
  if (fillValue !== 0) b.k.fill(t.ptr, fillValue, t.size);
  return t;
}

/**
 * Make sure `t` has a gradient buffer; returns the kernels' `acc` flag
 * (0 = first contribution, overwrite; 1 = add) and marks the gradient ready.
 */
export function gradAcc(t: Tensor): number {
  if (!t.grad) t.grad = t.b.alloc(t.size);
  const acc = t.gradReady ? 1 : 0;
  t.gradReady = true;
  return acc;
}

/**
 * Add the gradient held at `p` (n = t.size floats, owned by the caller and not
 * used afterwards) into t. NOTE: when t has no gradient yet, t adopts the buffer
 * instead of copying it: each buffer may be handed over once only.
 */
export function passGrad(t: Tensor, p: Ptr): void {
  if (!t.gradReady && !t.isParam) {
    t.grad = p;
    t.gradReady = true;
    return;
  }
  const acc = gradAcc(t);
  t.b.k.axpby(1, p, acc, t.grad, t.size);
}

/** Record `y` on the tape if any input (a..e; null = none) needs a gradient; `fn` reads y.grad. */
export function record(
  y: Tensor,
  fn: () => void,
  a: Tensor,
  b: Tensor | null = null,
  c: Tensor | null = null,
  d: Tensor | null = null,
  e: Tensor | null = null,
): Tensor {
  if (!gradEnabled) return y;
  if (!a.requiresGrad && !b?.requiresGrad && !c?.requiresGrad && !d?.requiresGrad && !e?.requiresGrad) return y;
  return onTape(y, fn);
}

/** `record` for an op with any number of inputs. */
export function recordList(y: Tensor, fn: () => void, inputs: readonly Tensor[]): Tensor {
  if (!gradEnabled || !inputs.some((x) => x.requiresGrad)) return y;
  return onTape(y, fn);
}

function onTape(y: Tensor, fn: () => void): Tensor {
  y.requiresGrad = true;
  y.backwardFn = fn;
  y.b.tape.push(y);
  return y;
}

/**
 * An op's record that lives on from step to step, so that a training step allocates no JS objects: the op keeps
 * its inputs and settings in fields, its outputs in tensors it retargets each step, and its backward as a method
 * (`backwardFn` is bound once).
 */
export abstract class OpNode {
  /** the op's output (retargeted every step) */
  readonly y: Tensor;
  readonly backwardFn: () => void = () => this.backward();
  constructor(b: Backend) {
    this.y = new Tensor(b, [], 0);
  }
  abstract backward(): void;
}

/**
 * The record for the backend's next op: the one the op in the same position used last step if it was of the same
 * kind, else a new one. The previous step's tensors were dead from the arena reset on, so reusing their objects
 * is safe; the position restarts with the arena (resetArena, arenaRestore).
 */
export function reuseNode<T extends OpNode>(b: Backend, Kind: new (b: Backend) => T): T {
  const i = b.nodeCount++;
  const n = b.nodes[i];
  // NOTE: the exact kind, not instanceof: a subclass (another op) must not stand in for its base
  if (n !== undefined && n.constructor === Kind) return n as T;
  const fresh = new Kind(b);
  b.nodes[i] = fresh;
  return fresh;
}

/** [r, c], the same array as `prev` when it already says so (no allocation in the steady state). */
export function shape2(prev: readonly number[], r: number, c: number): readonly number[] {
  return prev.length === 2 && prev[0] === r && prev[1] === c ? prev : [r, c];
}

/** rows of a 2-D tensor (a 1-D tensor is one row); see dims2 */
export function rows2(op: string, t: Tensor): number {
  if (t.shape.length === 2) return t.shape[0];
  if (t.shape.length === 1) return 1;
  throw new Error(`${op}: expected a 2-D tensor, got shape [${t.shape}]`);
}
/** columns of a 2-D tensor (a 1-D tensor is one row); see dims2 */
export function cols2(op: string, t: Tensor): number {
  if (t.shape.length === 2) return t.shape[1];
  if (t.shape.length === 1) return t.shape[0];
  throw new Error(`${op}: expected a 2-D tensor, got shape [${t.shape}]`);
}

export function sameShape(op: string, a: Tensor, b: Tensor): void {
  let same = a.size === b.size && a.shape.length === b.shape.length;
  for (let i = 0; same && i < a.shape.length; i++) same = a.shape[i] === b.shape[i];
  if (!same) throw new Error(`${op}: shapes [${a.shape}] and [${b.shape}] differ`);
}
/** rows x cols of a 2-D tensor (a 1-D tensor is one row). */
export function dims2(op: string, t: Tensor): [number, number] {
  if (t.shape.length === 2) return [t.shape[0], t.shape[1]];
  if (t.shape.length === 1) return [1, t.shape[0]];
  throw new Error(`${op}: expected a 2-D tensor, got shape [${t.shape}]`);
}
