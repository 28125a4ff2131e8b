import { loadCore } from '@reslab/core-wasm';
import { CASES } from './cases.js';

/** Loads the core and runs every case; returns C of each case as plain numbers. */
export async function runCases(): Promise<{ relaxed: boolean; results: Record<string, number[]> }> {
  const core = await loadCore();
  const k = core.kernels;
  const results: Record<string, number[]> = {};
  for (const c of CASES) {
    const a = k.heapBase();
    const b = a + c.a.length * 4;
    const out = b + c.b.length * 4;
    core.grow(out + c.M * c.N * 4);
    const f = new Float32Array(core.memory.buffer);
    f.set(c.a, a / 4);
    f.set(c.b, b / 4);
    if (c.beta === 0) f.fill(Number.NaN, out / 4, out / 4 + c.M * c.N);
    else f.set(c.c, out / 4);
    k.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, a, b, c.beta, out);
    results[c.name] = Array.from(new Float32Array(core.memory.buffer, out, c.M * c.N));
  }
  return { relaxed: core.relaxed, results };
}
