/**
 * Float64 lanes over float32 memory, for the kernels that compute in float64 (mul's backward, dropout, the
 * normalisations): they must give the plain reference's numbers over a Float32Array bit for bit, i.e. read float32,
 * do every operation in float64 in the reference's order, round once on store.
 *
 * A group of W consecutive floats (W = 4, 2 or 1, a constant at every call so the branches fold) is held as two
 * f64x2, lo and hi:
 *
 *   memory (f32)  | x0 | x1 | x2 | x3 |        W = 4: lo = (x0, x1), hi = (x2, x3)
 *                                               W = 2: lo = (x0, x1), hi unused (zero)
 *                                               W = 1: lo = (x0, x0), hi unused; only lane 0 is stored
 *
 * Rows are walked 4 floats at a time; a row's last cols % 4 floats go as one group of 2 and/or one of 1, through
 * the same code, so an element's value never depends on its position.
 */

/** lanes 0-1 of the group at p, as float64 */
// @ts-ignore: decorator
@inline
export function ldLo(p: usize, W: i32): v128 {
  if (W == 4) return f64x2.promote_low_f32x4(v128.load(p));
  if (W == 2) return f64x2.promote_low_f32x4(v128.load64_zero(p));
  return f64x2.splat(<f64>load<f32>(p));
}

/** lanes 2-3 of the group at p, as float64 (zero when W < 4) */
// @ts-ignore: decorator
@inline
export function ldHi(p: usize, W: i32): v128 {
  if (W == 4) return f64x2.promote_low_f32x4(v128.load64_zero(p, 8));
  return f64x2.splat(0);
}

/** the group (lo, hi) rounded to float32 and stored at p */
// @ts-ignore: decorator
@inline
export function st(p: usize, lo: v128, hi: v128, W: i32): void {
  if (W == 4) v128.store(p, v128.shuffle<i64>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 2));
  else if (W == 2) v128.store64_lane(p, f32x4.demote_f64x2_zero(lo), 0);
  else store<f32>(p, <f32>f64x2.extract_lane(lo, 0));
}

/** the group (lo, hi), or acc ? (what is at p) + (lo, hi) in float64, rounded to float32 and stored at p */
// @ts-ignore: decorator
@inline
export function stAcc(p: usize, lo: v128, hi: v128, acc: i32, W: i32): void {
  if (acc) {
    lo = f64x2.add(ldLo(p, W), lo);
    hi = f64x2.add(ldHi(p, W), hi);
  }
  st(p, lo, hi, W);
}
