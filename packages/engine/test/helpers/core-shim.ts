/**
 * TEMPORARY stand-in for '@reslab/core-wasm' while its index/loadCore are not
 * built: the real ABI and reference kernels, and a `loadCore` that runs the
 * reference kernels over a WebAssembly.Memory. vitest.config.ts uses it only
 * when packages/core-wasm/src/index.ts does not exist.
 */
import { createReferenceKernels } from '../../../core-wasm/src/reference.js';

export * from '../../../core-wasm/src/abi.js';
export { createReferenceKernels } from '../../../core-wasm/src/reference.js';

export async function loadCore() {
  // biome-ignore lint/suspicious/noExplicitAny: temporary shim
  const memory = new (globalThis as any).WebAssembly.Memory({ initial: 16 }) as { buffer: ArrayBuffer; grow(n: number): number };
  const kernels = createReferenceKernels({ f: () => new Float32Array(memory.buffer), i32: () => new Int32Array(memory.buffer) });
  return { kernels, memory, grow: (pages: number) => memory.grow(pages) };
}
