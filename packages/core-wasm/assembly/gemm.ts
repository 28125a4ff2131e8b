/**
 * gemm: C = alpha * op(A) * op(B) + beta * C, float32, row-major, any M, N, K >= 1.
 *
 * Blocking (Goto / BLIS). Both operands are packed into static buffers, and the
 * transposes are folded into the packing, so NN, NT, TN and TT run the same
 * micro-kernel on the same packed layout (same speed).
 *
 *   for jc in [0, N) step NC
 *     for pc in [0, K) step KC            beta applies to the first K block only; later blocks add
 *       pack op(B)[pc:+KC, jc:+NC] -> PACK_B   (KC x NC, in 8-column panels)
 *       for ic in [0, M) step MC
 *         pack op(A)[ic:+MC, pc:+KC] -> PACK_A (MC x KC, in 4-row panels)
 *         for jr in [0, NC) step 8, ir in [0, MC) step 4: 4x8 micro-kernel
 *
 * PACK_A, one 4-row panel (16 B per k):    PACK_B, one 8-column panel (32 B per k):
 *   k=0  | a00 a10 a20 a30 |                 k=0  | b00 b01 b02 b03 | b04 b05 b06 b07 |
 *   k=1  | a01 a11 a21 a31 |                 k=1  | b10 b11 b12 b13 | b14 b15 b16 b17 |
 *   ...  (rows past M are 0)                 ...  (columns past N are 0)
 *   a(i,k) = op(A)[ic+ir+i, pc+k]            b(k,j) = op(B)[pc+k, jc+jr+j]
 *
 *   transA = 0: a panel is 4 rows of A read 4 k at a time and transposed in registers
 *               (4x4 shuffle transpose); transA = 1: one v128 load per k.
 *   transB = 0: two v128 loads per k; transB = 1: 4x4 shuffle transposes of B rows.
 *
 * Micro-kernel, per k: 2 loads of B, 4 splat-loads of A, 8 multiply-adds into a 4x8 tile
 * held in 8 v128 accumulators (8 acc + 2 B + 1 A = 11 of V8's 16 xmm registers):
 *
 *               b_lo = b(k,0..3)     b_hi = b(k,4..7)
 *   a(0,k) x4 | c00 += a * b_lo   | c01 += a * b_hi |   row 0 of the tile
 *   a(1,k) x4 | c10               | c11             |   row 1
 *   a(2,k) x4 | c20               | c21             |   row 2
 *   a(3,k) x4 | c30               | c31             |   row 3
 *
 * Full tiles are written straight to C with v128 stores; edge tiles (M % 4, N % 8) go
 * through TILE and only the valid elements are written. beta = 0 never reads C.
 * With relaxed SIMD (core-relaxed.wasm) the multiply-add is f32x4.relaxed_madd (FMA).
 */

const MR: i32 = 4;
const NR: i32 = 8;
const MC: i32 = 128;
const KC: i32 = 256;
const NC: i32 = 512;

/** Operands up to this many rows (op(A) stored K x M) or columns (op(B) stored K x N) are read in place. */
const DIRECT_MAX: i32 = 128;

const PACK_A: usize = memory.data(MC * KC * 4, 64);
const PACK_B: usize = memory.data(KC * NC * 4, 64);
/** the last, partial panel of an operand read in place (zero-padded to a full panel) */
const EDGE_A: usize = memory.data(MR * KC * 4, 64);
const EDGE_B: usize = memory.data(NR * KC * 4, 64);
const TILE: usize = memory.data(MR * NR * 4, 64);

// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Stores the 4 columns of the 4x4 block whose rows are r0..r3 at dst, dst+step, dst+2step, dst+3step. */
// @ts-ignore: decorator
@inline
function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/** Packs op(A)[i0:i0+mc, p0:p0+kc] into 4-row panels at dst. */
function packA(transA: i32, a: usize, M: i32, K: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const i = i0 + ir;
    if (mr == MR) {
      if (transA) {
        // A is K x M: the 4 values of one k are contiguous.
        let src = a + ((<usize>p0 * M + i) << 2);
        const ld = <usize>M << 2;
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          src += ld;
          dst += 16;
        }
      } else {
        // A is M x K: read 4 rows x 4 k and transpose.
        const ld = <usize>K << 2;
        let src = a + ((<usize>i * K + p0) << 2);
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          transpose4(v128.load(src), v128.load(src + ld), v128.load(src + 2 * ld), v128.load(src + 3 * ld), dst, 16);
          src += 16;
          dst += 64;
        }
        for (; k < kc; k++) {
          store<f32>(dst, load<f32>(src));
          store<f32>(dst, load<f32>(src + ld), 4);
          store<f32>(dst, load<f32>(src + 2 * ld), 8);
          store<f32>(dst, load<f32>(src + 3 * ld), 12);
          src += 4;
          dst += 16;
        }
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          let v: f32 = 0;
          if (r < mr) {
            const idx = transA ? <usize>(p0 + k) * M + (i + r) : <usize>(i + r) * K + (p0 + k);
            v = load<f32>(a + (idx << 2));
          }
          store<f32>(dst + (<usize>r << 2), v);
        }
        dst += 16;
      }
    }
  }
}

/** Packs op(B)[p0:p0+kc, j0:j0+nc] into 8-column panels at dst. */
function packB(transB: i32, b: usize, N: i32, K: i32, j0: i32, nc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const j = j0 + jr;
    if (nr == NR) {
      if (transB) {
        // B is N x K: read 4 columns-of-op(B) (rows of B) x 4 k and transpose, twice.
        const ld = <usize>K << 2;
        let src = b + ((<usize>j * K + p0) << 2);
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          transpose4(v128.load(src), v128.load(src + ld), v128.load(src + 2 * ld), v128.load(src + 3 * ld), dst, 32);
          const s4 = src + 4 * ld;
          transpose4(v128.load(s4), v128.load(s4 + ld), v128.load(s4 + 2 * ld), v128.load(s4 + 3 * ld), dst + 16, 32);
          src += 16;
          dst += 128;
        }
        for (; k < kc; k++) {
          for (let c = 0; c < NR; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + <usize>c * ld));
          src += 4;
          dst += 32;
        }
      } else {
        // B is K x N: the 8 values of one k are contiguous.
        let src = b + ((<usize>p0 * N + j) << 2);
        const ld = <usize>N << 2;
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += ld;
          dst += 32;
        }
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let c = 0; c < NR; c++) {
          let v: f32 = 0;
          if (c < nr) {
            const idx = transB ? <usize>(j + c) * K + (p0 + k) : <usize>(p0 + k) * N + (j + c);
            v = load<f32>(b + (idx << 2));
          }
          store<f32>(dst + (<usize>c << 2), v);
        }
        dst += 32;
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function storeRow(c: usize, lo: v128, hi: v128, va: v128, vb: v128, beta: f32): void {
  if (beta == 0) {
    v128.store(c, f32x4.mul(lo, va));
    v128.store(c, f32x4.mul(hi, va), 16);
  } else if (beta == 1) {
    v128.store(c, madd(lo, va, v128.load(c)));
    v128.store(c, madd(hi, va, v128.load(c, 16)), 16);
  } else {
    v128.store(c, madd(lo, va, f32x4.mul(v128.load(c), vb)));
    v128.store(c, madd(hi, va, f32x4.mul(v128.load(c, 16), vb)), 16);
  }
}

/**
 * C[0:mr, 0:nr] = alpha * (A panel) x (B panel) + beta * C; ldc in bytes. The panels are packed (sa = 16, sb = 32
 * bytes per k) or read in place (sa = M * 4: op(A) stored K x M; sb = N * 4: op(B) stored K x N), same layout per k.
 */
function micro4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, alpha: f32, beta: f32, mr: i32, nr: i32, sa: usize, sb: usize): void {
  let c00 = f32x4.splat(0);
  let c01 = c00;
  let c10 = c00;
  let c11 = c00;
  let c20 = c00;
  let c21 = c00;
  let c30 = c00;
  let c31 = c00;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += sa;
    pb += sb;
  }
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  if (mr == MR && nr == NR) {
    storeRow(c, c00, c01, va, vb, beta);
    storeRow(c + ldc, c10, c11, va, vb, beta);
    storeRow(c + 2 * ldc, c20, c21, va, vb, beta);
    storeRow(c + 3 * ldc, c30, c31, va, vb, beta);
    return;
  }
  v128.store(TILE, c00);
  v128.store(TILE, c01, 16);
  v128.store(TILE, c10, 32);
  v128.store(TILE, c11, 48);
  v128.store(TILE, c20, 64);
  v128.store(TILE, c21, 80);
  v128.store(TILE, c30, 96);
  v128.store(TILE, c31, 112);
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ldc;
    for (let j = 0; j < nr; j++) {
      const p = row + (<usize>j << 2);
      const t = alpha * load<f32>(TILE + ((<usize>(i * NR + j)) << 2));
      store<f32>(p, beta == 0 ? t : t + beta * load<f32>(p));
    }
  }
}

export function gemm(transA: i32, transB: i32, M: i32, N: i32, K: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize): void {
  if (M <= 0 || N <= 0) return;
  if (alpha == 0 || K <= 0) {
    // NOTE: BLAS semantics: alpha = 0 reads neither A nor B; beta = 0 never reads C.
    const n = <usize>M * N;
    for (let i: usize = 0; i < n; i++) {
      const p = c + (i << 2);
      store<f32>(p, beta == 0 ? 0 : beta * load<f32>(p));
    }
    return;
  }
  const ldc = <usize>N << 2;
  // NOTE: small operands that need no transpose are read in place (no packing): op(A) = A^T stored K x M gives the
  // 4 values of a k contiguous, op(B) = B stored K x N the 8 values; the same multiply-adds in the same order.
  const directA = transA != 0 && M <= DIRECT_MAX;
  const directB = transB == 0 && N <= DIRECT_MAX;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    const nFull = nc & ~(NR - 1);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const bk: f32 = pc == 0 ? beta : 1;
      if (!directB) packB(transB, b, N, K, jc, nc, pc, kc, PACK_B);
      else if (nFull < nc) packB(transB, b, N, K, jc + nFull, nc - nFull, pc, kc, EDGE_B);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        const mFull = mc & ~(MR - 1);
        if (!directA) packA(transA, a, M, K, ic, mc, pc, kc, PACK_A);
        else if (mFull < mc) packA(transA, a, M, K, ic + mFull, mc - mFull, pc, kc, EDGE_A);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          let pb = PACK_B + <usize>jr * kc * 4;
          let sb: usize = 32;
          if (directB) {
            if (nr == NR) {
              pb = b + ((<usize>pc * N + jc + jr) << 2);
              sb = <usize>N << 2;
            } else pb = EDGE_B;
          }
          const cj = c + ((<usize>ic * N + jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            let pa = PACK_A + <usize>ir * kc * 4;
            let sa: usize = 16;
            if (directA) {
              if (mr == MR) {
                pa = a + ((<usize>pc * M + ic + ir) << 2);
                sa = <usize>M << 2;
              } else pa = EDGE_A;
            }
            micro4x8(kc, pa, pb, cj + <usize>ir * ldc, ldc, alpha, bk, mr, nr, sa, sb);
          }
        }
      }
    }
  }
}
