/**
 * Loader for reslab's wasm core. The module bytes are embedded (base64, generated at
 * build time), so this works unchanged in Node ESM, vitest, a Vite build and a module
 * Web Worker: no fetch, no fs, no bundler configuration.
 */
import { type CoreKernels, KERNEL_NAMES } from './abi.js';
import { CORE_RELAXED_WASM_BASE64, CORE_WASM_BASE64 } from './generated/core-wasm.js';

export * from './abi.js';
export * from './reference.js';

export const WASM_PAGE_BYTES = 65536;

export interface LoadCoreOptions {
  /** Grow the memory to at least this many 64 KiB pages right away. */
  initialPages?: number;
  /**
   * Use the relaxed-SIMD build (FMA in the gemm micro-kernel). 'auto' (default) uses it
   * when the runtime validates it; true requires it; false never uses it.
   */
  relaxed?: boolean | 'auto';
}

/**
 * The module's linear memory (structurally a WebAssembly.Memory; declared here so that
 * consumers need no DOM/WebAssembly lib). `buffer` changes after every grow.
 */
export interface CoreMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

export interface Core {
  kernels: CoreKernels;
  memory: CoreMemory;
  /** Whether the relaxed-SIMD build was loaded. */
  relaxed: boolean;
  /** Grows the memory so that it holds at least `bytesNeeded` bytes (views must be re-derived). */
  grow(bytesNeeded: number): void;
}

const KERNEL_LIST: readonly string[] = ['heapBase', ...KERNEL_NAMES];

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let plainBytes: Uint8Array<ArrayBuffer> | undefined;
let relaxedBytes: Uint8Array<ArrayBuffer> | undefined;

/** The plain SIMD module bytes. */
export function coreWasmBytes(): Uint8Array<ArrayBuffer> {
  plainBytes ??= decodeBase64(CORE_WASM_BASE64);
  return plainBytes;
}

/** The relaxed-SIMD module bytes. */
export function coreRelaxedWasmBytes(): Uint8Array<ArrayBuffer> {
  relaxedBytes ??= decodeBase64(CORE_RELAXED_WASM_BASE64);
  return relaxedBytes;
}

// NOTE: one compiled module per build, shared by every instance (every backend gets its own instance): V8 then keeps
// the optimised code of the hot kernels instead of starting every instance in its baseline tier again.
const compiled = new Map<boolean, Promise<WebAssembly.Module>>();
function compileCore(relaxed: boolean): Promise<WebAssembly.Module> {
  let p = compiled.get(relaxed);
  if (!p) {
    p = WebAssembly.compile(relaxed ? coreRelaxedWasmBytes() : coreWasmBytes());
    p.catch(() => compiled.delete(relaxed));
    compiled.set(relaxed, p);
  }
  return p;
}

/** Whether this runtime accepts the relaxed-SIMD build (Chromium: yes; Node 20: only with --experimental-wasm-relaxed-simd). */
export function relaxedSimdSupported(): boolean {
  return WebAssembly.validate(coreRelaxedWasmBytes());
}

export async function loadCore(opts: LoadCoreOptions = {}): Promise<Core> {
  const want = opts.relaxed ?? 'auto';
  let relaxed = false;
  if (want === true) {
    if (!relaxedSimdSupported()) {
      throw new Error('relaxed SIMD is not supported by this WebAssembly runtime (Node 20 needs --experimental-wasm-relaxed-simd)');
    }
    relaxed = true;
  } else if (want === 'auto') {
    relaxed = relaxedSimdSupported();
  }
  if (!WebAssembly.validate(coreWasmBytes())) {
    throw new Error('this WebAssembly runtime does not support SIMD (v128), which reslab core needs');
  }
  const instance = await WebAssembly.instantiate(await compileCore(relaxed), {
    env: {
      abort() {
        throw new Error('reslab core: abort');
      },
    },
  });
  const exports = instance.exports as unknown as CoreKernels & { memory: WebAssembly.Memory };
  const memory = exports.memory;
  const grow = (bytesNeeded: number): void => {
    if (!Number.isFinite(bytesNeeded) || bytesNeeded < 0) throw new RangeError(`grow: bad byte count ${bytesNeeded}`);
    const have = memory.buffer.byteLength;
    if (bytesNeeded > have) memory.grow(Math.ceil((bytesNeeded - have) / WASM_PAGE_BYTES));
  };
  if (opts.initialPages !== undefined) grow(opts.initialPages * WASM_PAGE_BYTES);
  const kernels = {} as Record<string, unknown>;
  for (const name of KERNEL_LIST) {
    const fn = (exports as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new Error(`reslab core: the wasm module does not export kernel '${name}'`);
    kernels[name] = fn;
  }
  return { kernels: kernels as unknown as CoreKernels, memory, relaxed, grow };
}
