/**
 * Test harness: the same arrays placed in the wasm memory (float32) and in a reference
 * memory (float64 or float32), so one kernel call can run on both and be compared.
 */
import { type Core, type CoreKernels, createReferenceKernels, KERNEL_NAMES, type KernelName } from '../src/index.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A buffer present in both memories: w = wasm byte offset, r = reference byte offset. */
export interface Buf {
  w: number;
  r: number;
  n: number;
}

/** `k` with every kernel call noted in `called` (by name). */
function traced(k: CoreKernels, called: Set<KernelName>): CoreKernels {
  const t = { ...k };
  for (const name of KERNEL_NAMES) {
    const fn = k[name] as (...a: number[]) => number | undefined;
    (t as Record<KernelName, unknown>)[name] = (...a: number[]) => {
      called.add(name);
      return fn(...a);
    };
  }
  return t;
}

export class Pair {
  readonly wasm: CoreKernels;
  readonly ref: CoreKernels;
  /** the kernels called on each side so far (a kernel called on both was compared, see kernels.test.ts) */
  readonly called = { wasm: new Set<KernelName>(), ref: new Set<KernelName>() };
  private readonly base: number;
  /** bytes per float of the reference memory */
  readonly refBytes: number;
  private refBuf: ArrayBuffer;
  private next = 16; // element 0..15 unused so that no buffer sits at byte offset 0 ("absent")

  constructor(
    readonly core: Core,
    readonly refKind: 'f64' | 'f32',
    capacity = 1 << 20,
  ) {
    this.wasm = traced(core.kernels, this.called.wasm);
    this.base = core.kernels.heapBase();
    core.grow(this.base + (capacity + 64) * 4);
    this.refBytes = refKind === 'f64' ? 8 : 4;
    this.refBuf = new ArrayBuffer((capacity + 64) * this.refBytes);
    const F = refKind === 'f64' ? Float64Array : Float32Array;
    this.ref = traced(createReferenceKernels({ f: () => new F(this.refBuf), i32: () => new Int32Array(this.refBuf) }), this.called.ref);
  }

  reset(): void {
    this.next = 16;
  }

  private wf(): Float32Array {
    return new Float32Array(this.core.memory.buffer);
  }
  private rf(): Float32Array | Float64Array {
    return this.refKind === 'f64' ? new Float64Array(this.refBuf) : new Float32Array(this.refBuf);
  }

  alloc(n: number): Buf {
    const off = this.next;
    this.next += Math.ceil(Math.max(n, 1) / 4) * 4 + 4; // 16-byte aligned in wasm, with a gap
    return { w: this.base + off * 4, r: off * this.refBytes, n };
  }

  /** A buffer holding `values` (rounded to float32) in both memories. */
  of(values: ArrayLike<number>): Buf {
    const b = this.alloc(values.length);
    this.set(b, values);
    return b;
  }

  set(b: Buf, values: ArrayLike<number>): void {
    const w = this.wf();
    const r = this.rf();
    for (let i = 0; i < b.n; i++) {
      const v = Math.fround(values[i]);
      w[b.w / 4 + i] = v;
      r[b.r / this.refBytes + i] = v;
    }
  }

  /** A buffer of NaN (an output): any element the kernel does not write stays NaN. */
  poisoned(n: number): Buf {
    const b = this.alloc(n);
    this.set(b, new Array<number>(n).fill(Number.NaN));
    return b;
  }

  labels(values: ArrayLike<number>): Buf {
    const b = this.alloc(values.length);
    const w = new Int32Array(this.core.memory.buffer);
    const r = new Int32Array(this.refBuf);
    for (let i = 0; i < b.n; i++) {
      w[b.w / 4 + i] = values[i];
      r[b.r / 4 + i] = values[i];
    }
    return b;
  }

  get(b: Buf): { w: number[]; r: number[] } {
    const w = this.wf();
    const r = this.rf();
    const ri = b.r / this.refBytes;
    return { w: Array.from(w.subarray(b.w / 4, b.w / 4 + b.n)), r: Array.from(r.subarray(ri, ri + b.n)) };
  }
}

/**
 * Asserts |w - r| <= tol[i] for every element (tol: a number or per-element bounds),
 * and that w is a number (NaN, i.e. unwritten poison, fails).
 */
export function expectClose(what: string, w: number[], r: number[], tol: number | ((i: number, r: number) => number)): void {
  if (w.length !== r.length) throw new Error(`${what}: length ${w.length} vs ${r.length}`);
  for (let i = 0; i < w.length; i++) {
    const t = typeof tol === 'number' ? tol : tol(i, r[i]);
    const d = Math.abs(w[i] - r[i]);
    if (!(d <= t)) {
      throw new Error(`${what}: element ${i} of ${w.length}: wasm ${w[i]} vs reference ${r[i]} (|diff| ${d} > ${t})`);
    }
  }
}

/** Unit roundoff of float32. */
export const U32 = 2 ** -24;
