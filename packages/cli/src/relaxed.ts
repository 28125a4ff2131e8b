/**
 * Relaxed SIMD for the CLI. The wasm core has a second build whose gemm uses
 * f32x4.relaxed_madd (one fused multiply-add where the CPU has FMA); the engine
 * picks it when the runtime validates it. Node 22+ does; Node 20 needs the V8
 * flag --experimental-wasm-relaxed-simd, which NODE_OPTIONS does not accept, so
 * the CLI sets it here, before any wasm is compiled. V8 flags are per process:
 * the worker threads of `--workers` get it too.
 *
 * `reslab bench` measures what it pays (gemm GFLOP/s, training steps, a whole
 * study: packages/cli/bench/relaxed.mjs). RESLAB_RELAXED_SIMD=0 keeps the plain SIMD
 * build on Node 20. The two builds' numbers differ (a fused multiply-add rounds
 * once, and training amplifies the difference); with relaxed SIMD on, the CLI
 * computes what the web lab computes in Chromium. For bit-identical shards use
 * the same setting and the same kind of CPU on every machine.
 */
import v8 from 'node:v8';
import { relaxedSimdSupported } from '@reslab/engine';

export const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

/** Turn relaxed SIMD on unless RESLAB_RELAXED_SIMD=0; returns whether the runtime now supports it. */
export function enableRelaxedSimd(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.RESLAB_RELAXED_SIMD === '0') return relaxedSimdSupported();
  if (!relaxedSimdSupported()) v8.setFlagsFromString(RELAXED_FLAG);
  return relaxedSimdSupported();
}
