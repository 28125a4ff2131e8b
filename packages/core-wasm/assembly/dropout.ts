/**
 * Inverted dropout with the engine's generator, mulberry32, four draws at a time. The generator adds STEP to its
 * state before each draw, so draw k (k = 1, 2, ...) from the state s0 mixes s0 + k STEP (mod 2^32) and the draws are
 * independent of each other:
 *
 *   i32x4 lanes at element i:  | s0 + (i+1) STEP | s0 + (i+2) STEP | s0 + (i+3) STEP | s0 + (i+4) STEP |
 *   each lane:  t = imul(t ^ t >>> 15, t | 1);  t ^= t + imul(t ^ t >>> 7, t | 61);  u32 = t ^ t >>> 14
 *   u = f64(u32) / 2^32 (lanes 0-1 and 2-3 as two f64x2), keep the element unless u < p
 *
 * mask = 0 or 1 / (1 - p) (rounded to float32), y = mask x with the float64 1 / (1 - p), rounded once (wide.ts).
 * The last n % 4 elements run the same code on a splat of their state and keep lane 0.
 */
import { ldHi, ldLo, st } from './wide';

const STEP: i32 = 0x6d2b79f5;

/** mulberry32's output for each lane's state (after the increment) */
// @ts-ignore: decorator
@inline
function mix(s: v128): v128 {
  let t = i32x4.mul(v128.xor(s, i32x4.shr_u(s, 15)), v128.or(s, i32x4.splat(1)));
  t = v128.xor(t, i32x4.add(t, i32x4.mul(v128.xor(t, i32x4.shr_u(t, 7)), v128.or(t, i32x4.splat(61)))));
  return v128.xor(t, i32x4.shr_u(t, 14));
}

// @ts-ignore: decorator
@inline
function dropoutGroup(x: usize, y: usize, mask: usize, o: usize, state: v128, p: v128, keep: v128, W: i32): void {
  const r = mix(state);
  const two32 = f64x2.splat(4294967296);
  const uL = f64x2.div(f64x2.convert_low_i32x4_u(r), two32);
  const uH = f64x2.div(f64x2.convert_low_i32x4_u(v128.shuffle<i32>(r, r, 2, 3, 2, 3)), two32);
  const mL = v128.andnot(keep, f64x2.lt(uL, p));
  const mH = v128.andnot(keep, f64x2.lt(uH, p));
  st(mask + o, mL, mH, W);
  st(y + o, f64x2.mul(mL, ldLo(x + o, W)), f64x2.mul(mH, ldHi(x + o, W)), W);
}

export function dropout(x: usize, y: usize, mask: usize, n: i32, p: f64, state: i32): void {
  const vp = f64x2.splat(p);
  const keep = f64x2.splat(1 / (1 - p));
  let s = i32x4.add(i32x4.splat(state), i32x4(STEP, STEP * 2, STEP * 3, STEP * 4));
  const s4 = i32x4.splat(STEP * 4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    dropoutGroup(x, y, mask, <usize>i << 2, s, vp, keep, 4);
    s = i32x4.add(s, s4);
  }
  for (; i < n; i++) dropoutGroup(x, y, mask, <usize>i << 2, i32x4.splat(state + (i + 1) * STEP), vp, keep, 1);
}
