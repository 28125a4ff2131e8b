/**
 * A backend = byte-addressed float memory + the core kernels + an allocator.
 *
 * Memory layout (one bump pointer):
 *
 *   [0, heapBase) kernel statics | persistent (params, optimizer state) | arena (one step) ... capacity
 *
 * Persistent blocks are placed at the top; the arena restarts right after the
 * last persistent block on `resetArena()` (a persistent block allocated while
 * the arena is in use leaves a hole below it, reclaimed by `release`).
 * Views (`f`, `i32`) are re-derived after the memory grows: never hold one
 * across an allocation.
 */
import { type CoreKernels, createReferenceKernels, loadCore } from '@reslab/core-wasm';
import { Tape } from './tape.js';

/** Whether this runtime runs the relaxed-SIMD build of the core (Node 20: only with --experimental-wasm-relaxed-simd). */
export { relaxedSimdSupported } from '@reslab/core-wasm';

export type Ptr = number;
export type BackendKind = 'wasm' | 'js' | 'js64';
export const BACKEND_KINDS: readonly BackendKind[] = ['wasm', 'js', 'js64'];

const ALIGN = 64;
const up = (n: number): number => (n + ALIGN - 1) & ~(ALIGN - 1);

interface RawMemory {
  /** current size in bytes */
  size(): number;
  /** make the memory at least `bytes` long; returns the underlying buffer */
  ensure(bytes: number): void;
  buffer(): ArrayBuffer;
}

export class Backend {
  /** float element size in bytes, and log2 of it (ptr >> shift = float index) */
  readonly bytes: 4 | 8;
  readonly shift: 2 | 3;
  f!: Float32Array | Float64Array;
  i32!: Int32Array;
  /** the autograd tape of the current step (see tape.ts, tensor.ts) */
  readonly tape = new Tape();
  /**
   * Op records reused from step to step (see `reuseNode` in tensor.ts): the n-th op of a step takes the n-th
   * record of the previous step. `nodeCount` restarts with the arena.
   */
  readonly nodes: object[] = [];
  nodeCount = 0;
  /** nodeCount at each arena mark handed out by arenaTop(), restored with the mark */
  private readonly nodeMarks = new Map<number, number>();
  /** wasm: the relaxed-SIMD build of the core is in use (fused multiply-add in gemm) */
  relaxedSimd = false;
  private base: number;
  private persistentTop: number;
  private top: number;
  private buf: ArrayBuffer | null = null;

  constructor(
    readonly kind: BackendKind,
    readonly k: CoreKernels,
    private readonly mem: RawMemory,
    f64: boolean,
    heapBase: number,
  ) {
    this.bytes = f64 ? 8 : 4;
    this.shift = f64 ? 3 : 2;
    this.base = up(Math.max(heapBase, ALIGN));
    this.persistentTop = this.base;
    this.top = this.base;
    this.refresh();
  }

  /** Re-derive the typed views if the buffer changed (after grow). */
  refresh(): void {
    const b = this.mem.buffer();
    if (b === this.buf) return;
    this.buf = b;
    this.f = this.bytes === 8 ? new Float64Array(b) : new Float32Array(b);
    this.i32 = new Int32Array(b);
  }

  private bump(nbytes: number): Ptr {
    const p = this.top;
    this.top = up(p + Math.max(nbytes, 1));
    if (this.top > this.mem.size()) {
      this.mem.ensure(this.top);
    }
    this.refresh();
    return p;
  }

  /** n floats in the per-step arena (contents undefined). */
  alloc(n: number): Ptr {
    return this.bump(n * this.bytes);
  }
  /** n int32 in the per-step arena. */
  allocI32(n: number): Ptr {
    return this.bump(n * 4);
  }
  /** n floats in the persistent region, zero-filled. */
  allocPersistent(n: number): Ptr {
    const p = this.bump(n * this.bytes);
    this.persistentTop = this.top;
    this.k.fill(p, 0, n);
    return p;
  }
  /** n int32 in the persistent region (zero-filled). */
  allocPersistentI32(n: number): Ptr {
    const p = this.bump(n * 4);
    this.persistentTop = this.top;
    this.i32.fill(0, p >> 2, (p >> 2) + n);
    return p;
  }

  /** Drop everything allocated in the arena (activations, gradients of a step) and the tape. */
  resetArena(): void {
    this.top = this.persistentTop;
    this.tape.length = 0;
    this.nodeCount = 0;
  }
  /** The arena's current top, to restore with `arenaRestore` (scratch work inside a step). */
  arenaTop(): number {
    // NOTE: marks are arena addresses, the same ones step after step, so this map stays small.
    if (this.nodeMarks.size > 64) this.nodeMarks.clear();
    this.nodeMarks.set(this.top, this.nodeCount);
    return this.top;
  }
  arenaRestore(top: number): void {
    if (top < this.persistentTop || top > this.top) throw new Error(`arenaRestore: invalid mark ${top}`);
    this.top = top;
    const n = this.nodeMarks.get(top);
    if (n !== undefined && n < this.nodeCount) this.nodeCount = n;
  }
  /** A mark of the persistent region, to `release` later (frees a model and its optimizer). */
  mark(): number {
    return this.persistentTop;
  }
  release(mark: number): void {
    if (mark < this.base || mark > this.persistentTop) throw new Error(`release: invalid mark ${mark}`);
    this.persistentTop = mark;
    this.resetArena();
  }
  /** Free everything (persistent region included): the backend is as new, apart from its capacity. */
  clear(): void {
    this.release(this.base);
    this.nodes.length = 0;
    this.nodeMarks.clear();
  }
  /** bytes in use (persistent + arena) and capacity, for diagnostics. */
  usage(): { persistent: number; arena: number; capacity: number } {
    return { persistent: this.persistentTop - this.base, arena: this.top - this.persistentTop, capacity: this.mem.size() };
  }

  /** float index of a byte pointer */
  idx(p: Ptr): number {
    return p >> this.shift;
  }
  read(p: Ptr, n: number): number[] {
    return Array.from(this.f.subarray(p >> this.shift, (p >> this.shift) + n));
  }
  write(p: Ptr, data: ArrayLike<number>): void {
    this.f.set(data, p >> this.shift);
  }
}

function jsMemory(): RawMemory {
  // NOTE: a plain ArrayBuffer replaced by a larger copy on growth, not a resizable one: V8 (Node 20) reads
  // typed arrays over resizable buffers about 3x slower. Views are re-derived after growth anyway.
  let buf = new ArrayBuffer(1 << 20);
  return {
    size: () => buf.byteLength,
    ensure(bytes) {
      if (bytes > 2 ** 31) throw new RangeError(`js backend: out of memory (${bytes} bytes requested)`);
      const next = new ArrayBuffer(Math.min(2 ** 31, Math.max(bytes, buf.byteLength * 2)));
      new Uint8Array(next).set(new Uint8Array(buf));
      buf = next;
    },
    buffer: () => buf,
  };
}

/** The part of WebAssembly.Memory the backend uses. */
export interface WasmMemoryLike {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

function wasmMemory(memory: WasmMemoryLike): RawMemory {
  return {
    size: () => memory.buffer.byteLength,
    ensure(bytes) {
      const have = memory.buffer.byteLength;
      const want = Math.max(bytes, have * 1.5);
      memory.grow(Math.ceil((want - have) / 65536));
    },
    buffer: () => memory.buffer,
  };
}

/** The js backends' kernels read the current views through this. */
function refMemory(get: () => Backend): { f(): Float32Array | Float64Array; i32(): Int32Array } {
  return { f: () => get().f, i32: () => get().i32 };
}

export async function createBackend(kind: BackendKind = 'wasm'): Promise<Backend> {
  if (kind === 'wasm') {
    const core = await loadCore();
    const b = new Backend('wasm', core.kernels, wasmMemory(core.memory), false, core.kernels.heapBase());
    b.relaxedSimd = core.relaxed;
    return b;
  }
  if (kind === 'js' || kind === 'js64') {
    let b: Backend | null = null;
    const k = createReferenceKernels(refMemory(() => b!));
    b = new Backend(kind, k, jsMemory(), kind === 'js64', 0);
    return b;
  }
  throw new Error(`unknown backend '${kind}': use wasm, js or js64`);
}

const idle = new Map<BackendKind, Backend[]>();

/**
 * Run `fn` on a backend of this kind that is reused across calls in this thread (cleared before and after),
 * instead of a fresh one each time. A fresh wasm backend is a new WebAssembly.Memory of tens of MB; making one
 * per job churned external memory and made V8 start a full (concurrently marked) GC for nearly every job, work
 * that took the second core away from the other worker. Concurrent calls get separate backends. Results do not
 * change: allocation restarts at the same address, parameters are zero-filled, and kernels write before they read.
 */
export async function withBackend<T>(kind: BackendKind, fn: (b: Backend) => Promise<T>): Promise<T> {
  const b = idle.get(kind)?.pop() ?? (await createBackend(kind));
  b.clear();
  try {
    return await fn(b);
  } finally {
    b.clear();
    const free = idle.get(kind) ?? [];
    idle.set(kind, free);
    // NOTE: keep at most two idle backends per kind (one per concurrent caller seen so far is enough to avoid churn)
    if (free.length < 2) free.push(b);
  }
}
