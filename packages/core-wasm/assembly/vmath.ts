/**
 * f32x4 transcendental helpers and activations. Tails of a row use the same vector code
 * on a splat (lane 0), so an element's value never depends on its position.
 *
 *   exp(x)     = 2^n * p(r), n = round(x / ln2), r = x - n ln2 (Cody-Waite, 2 parts),
 *                p = degree-6 Cephes polynomial, 2^n built in the exponent bits; x clamped to
 *                [-87.3, 88.7] so 2^n stays a normal float (no inf, no denormal).
 *   sigmoid(x) = e = exp(-|x|); x >= 0 ? 1 / (1 + e) : e / (1 + e)   (never overflows)
 *   tanh(x)    = |x| < 0.625 ? odd polynomial (no cancellation near 0)
 *                            : sign(x) (1 - t) / (1 + t), t = exp(-2|x|)
 *   gelu(x)    = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3)   (= 0.5 x (1 + tanh u))
 * The polynomials' multiply-adds are fused in the relaxed-SIMD build (one rounding each).
 */

export const ACT_IDENTITY: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_LEAKY: i32 = 2;
export const ACT_SIGMOID: i32 = 3;
export const ACT_TANH: i32 = 4;
export const ACT_GELU: i32 = 5;

const GELU_C: f32 = 0.7978845608028654;
const GELU_K: f32 = 0.044715;

/** a * b + c; fused (one rounding) in the relaxed-SIMD build where the CPU has FMA. */
// @ts-ignore: decorator
@inline
function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline
export function vexp(x: v128): v128 {
  // NOTE: pmin/pmax (one instruction each on x86) instead of min/max (NaN-propagating sequences of ~8);
  // a NaN x still comes out NaN: pmax(x, lo) = x < lo ? lo : x.
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.3)), f32x4.splat(88.7));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.4426950408889634)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.add(r, f32x4.mul(n, f32x4.splat(2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = fma(p, r, f32x4.splat(1.3981999507e-3));
  p = fma(p, r, f32x4.splat(8.3334519073e-3));
  p = fma(p, r, f32x4.splat(4.1665795894e-2));
  p = fma(p, r, f32x4.splat(1.6666665459e-1));
  p = fma(p, r, f32x4.splat(5.0000001201e-1));
  p = f32x4.add(fma(f32x4.mul(p, r), r, r), f32x4.splat(1));
  // 2^n from the bits of n + 1.5 * 2^23, whose low mantissa bits hold the integer n (|n| <= 128): the same bits
  // as (trunc(n) + 127) << 23 without the saturating conversion, which x86 has no single instruction for.
  const pow2n = i32x4.shl(i32x4.sub(f32x4.add(n, f32x4.splat(12582912)), i32x4.splat(0x4b400000 - 127)), 23);
  return f32x4.mul(p, pow2n);
}

// @ts-ignore: decorator
@inline
export function vsigmoid(x: v128): v128 {
  const e = vexp(f32x4.neg(f32x4.abs(x)));
  const r = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), e));
  return v128.bitselect(r, f32x4.mul(e, r), f32x4.ge(x, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline
export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  // |x| >= 0.625
  const t = vexp(f32x4.mul(ax, f32x4.splat(-2)));
  const big = f32x4.div(f32x4.sub(f32x4.splat(1), t), f32x4.add(f32x4.splat(1), t));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  // |x| < 0.625
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = fma(p, z, f32x4.splat(2.06390887954e-2));
  p = fma(p, z, f32x4.splat(-5.37397155531e-2));
  p = fma(p, z, f32x4.splat(1.33314422036e-1));
  p = fma(p, z, f32x4.splat(-3.33332819422e-1));
  const small = fma(f32x4.mul(p, z), x, x);
  return v128.bitselect(small, signed, f32x4.lt(ax, f32x4.splat(0.625)));
}

// @ts-ignore: decorator
@inline
function geluU2(x: v128): v128 {
  // 2u = 2 c (x + k x^3)
  const x3 = f32x4.mul(f32x4.mul(x, x), x);
  return f32x4.mul(f32x4.splat(2 * GELU_C), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_K), x3)));
}

/** g(z). `act` is a compile-time constant at every call site (callers switch on it). */
// @ts-ignore: decorator
@inline
export function vact(act: i32, z: v128, slope: v128): v128 {
  // NOTE: max(z, 0) as pmax(z, 0) + 0: one maxps and one addps (the + 0 turns -0 into +0; NaN stays NaN).
  if (act == ACT_RELU) return f32x4.add(f32x4.pmax(z, f32x4.splat(0)), f32x4.splat(0));
  if (act == ACT_LEAKY) return v128.bitselect(z, f32x4.mul(z, slope), f32x4.gt(z, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return vsigmoid(z);
  if (act == ACT_TANH) return vtanh(z);
  if (act == ACT_GELU) return f32x4.mul(z, vsigmoid(geluU2(z)));
  return z;
}

/** g'(z) from the pre-activation z and output y (sigmoid, tanh use y). */
// @ts-ignore: decorator
@inline
export function vactGrad(act: i32, z: v128, y: v128, slope: v128): v128 {
  const one = f32x4.splat(1);
  if (act == ACT_RELU) return v128.and(f32x4.gt(z, f32x4.splat(0)), one);
  if (act == ACT_LEAKY) return v128.bitselect(one, slope, f32x4.gt(z, f32x4.splat(0)));
  if (act == ACT_SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  if (act == ACT_TANH) return f32x4.sub(one, f32x4.mul(y, y));
  if (act == ACT_GELU) {
    const s = vsigmoid(geluU2(z));
    const du = f32x4.mul(f32x4.splat(GELU_C), f32x4.add(one, f32x4.mul(f32x4.splat(3 * GELU_K), f32x4.mul(z, z))));
    // s + x * 2 s (1 - s) du
    return f32x4.add(s, f32x4.mul(f32x4.mul(z, f32x4.mul(f32x4.splat(2), s)), f32x4.mul(f32x4.sub(one, s), du)));
  }
  return one;
}

/** acc (f64x2) + sum of the 4 lanes of p * q, products formed in float64. */
// @ts-ignore: decorator
@inline
export function dotAcc(acc: v128, p: v128, q: v128): v128 {
  const plo = f64x2.promote_low_f32x4(p);
  const qlo = f64x2.promote_low_f32x4(q);
  const phi = f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 2, 3));
  const qhi = f64x2.promote_low_f32x4(i32x4.shuffle(q, q, 2, 3, 2, 3));
  return f64x2.add(f64x2.add(acc, f64x2.mul(plo, qlo)), f64x2.mul(phi, qhi));
}

// @ts-ignore: decorator
@inline
export function hsum64(acc: v128): f64 {
  return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
}
