/**
 * Batch and layer normalisation, forward and backward, float64 inside (see wide.ts): the reference's numbers over
 * float32 memory, bit for bit. x, xhat, y, dy, dx are rows x cols, row-major; gamma, beta, dgamma, dbeta are one row;
 * inv holds one float per normalised line (batchNorm: per column, layerNorm: per row).
 *
 * A sum must run in the reference's order (over i = 0, 1, 2, ...) to give its numbers, so only independent sums go
 * side by side:
 *
 *   batchNorm (per column)           layerNorm (per row)
 *   row 0 | c0 c1 c2 c3 | c4 ..      row i   | c0 c1 c2 c3 ... |  \
 *   row 1 | c0 c1 c2 c3 | c4 ..      row i+1 | c0 c1 c2 c3 ... |   | four rows side by side, each summed
 *   row 2 | c0 c1 c2 c3 | c4 ..      row i+2 | c0 c1 c2 c3 ... |   | along its columns in order (scalar
 *     ...   \_ one group _/          row i+3 | c0 c1 c2 c3 ... |  /  float64, four independent chains)
 *   a group of 4 columns is summed down the rows, one
 *   lane per column (two f64x2); the last cols % 4
 *   columns as groups of 2 and 1
 *
 * The last group of four rows repeats the last row where rows % 4 != 0 and stores only rows that exist.
 * Element-wise passes (xhat, y, dx) walk a row in groups of 4, 2, 1 floats (wide.ts).
 */
import { ldHi, ldLo, st, stAcc } from './wide';

// ---------------------------------------------------------------- batch normalisation

/** batchNorm for the columns [j, j + W): the column statistics, the running statistics, inv, xhat, y */
// @ts-ignore: decorator
@inline
function batchNormGroup(
  x: usize,
  gamma: usize,
  beta: usize,
  rm: usize,
  rv: usize,
  xhat: usize,
  inv: usize,
  y: usize,
  rows: i32,
  cols: i32,
  training: i32,
  momentum: f64,
  eps: f64,
  j: i32,
  W: i32,
): void {
  const o = <usize>j << 2;
  const rs = <usize>cols << 2;
  const n = f64x2.splat(<f64>rows);
  let muL = ldLo(rm + o, W);
  let muH = ldHi(rm + o, W);
  let vL = ldLo(rv + o, W);
  let vH = ldHi(rv + o, W);
  if (training) {
    let sL = f64x2.splat(0);
    let sH = sL;
    let p = x + o;
    for (let i = 0; i < rows; i++, p += rs) {
      sL = f64x2.add(sL, ldLo(p, W));
      sH = f64x2.add(sH, ldHi(p, W));
    }
    muL = f64x2.div(sL, n);
    muH = f64x2.div(sH, n);
    let qL = f64x2.splat(0);
    let qH = qL;
    p = x + o;
    for (let i = 0; i < rows; i++, p += rs) {
      const dL = f64x2.sub(ldLo(p, W), muL);
      const dH = f64x2.sub(ldHi(p, W), muH);
      qL = f64x2.add(qL, f64x2.mul(dL, dL));
      qH = f64x2.add(qH, f64x2.mul(dH, dH));
    }
    const m = f64x2.splat(momentum);
    const m1 = f64x2.splat(1 - momentum);
    st(rm + o, f64x2.add(f64x2.mul(m1, ldLo(rm + o, W)), f64x2.mul(m, muL)), f64x2.add(f64x2.mul(m1, ldHi(rm + o, W)), f64x2.mul(m, muH)), W);
    vL = f64x2.div(qL, n);
    vH = f64x2.div(qH, n);
    // the running variance is the unbiased one
    let uL = vL;
    let uH = vH;
    if (rows > 1) {
      const n1 = f64x2.splat(<f64>(rows - 1));
      uL = f64x2.div(f64x2.mul(vL, n), n1);
      uH = f64x2.div(f64x2.mul(vH, n), n1);
    }
    st(rv + o, f64x2.add(f64x2.mul(m1, ldLo(rv + o, W)), f64x2.mul(m, uL)), f64x2.add(f64x2.mul(m1, ldHi(rv + o, W)), f64x2.mul(m, uH)), W);
  }
  const one = f64x2.splat(1);
  const e = f64x2.splat(eps);
  const isL = f64x2.div(one, f64x2.sqrt(f64x2.add(vL, e)));
  const isH = f64x2.div(one, f64x2.sqrt(f64x2.add(vH, e)));
  st(inv + o, isL, isH, W);
  const gL = ldLo(gamma + o, W);
  const gH = ldHi(gamma + o, W);
  const bL = ldLo(beta + o, W);
  const bH = ldHi(beta + o, W);
  let p = o;
  for (let i = 0; i < rows; i++, p += rs) {
    const hL = f64x2.mul(f64x2.sub(ldLo(x + p, W), muL), isL);
    const hH = f64x2.mul(f64x2.sub(ldHi(x + p, W), muH), isH);
    st(xhat + p, hL, hH, W);
    st(y + p, f64x2.add(f64x2.mul(gL, hL), bL), f64x2.add(f64x2.mul(gH, hH), bH), W);
  }
}

export function batchNorm(
  x: usize,
  gamma: usize,
  beta: usize,
  runMean: usize,
  runVar: usize,
  xhat: usize,
  inv: usize,
  y: usize,
  rows: i32,
  cols: i32,
  training: i32,
  momentum: f64,
  eps: f64,
): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) batchNormGroup(x, gamma, beta, runMean, runVar, xhat, inv, y, rows, cols, training, momentum, eps, j, 4);
  if (j + 2 <= cols) {
    batchNormGroup(x, gamma, beta, runMean, runVar, xhat, inv, y, rows, cols, training, momentum, eps, j, 2);
    j += 2;
  }
  if (j < cols) batchNormGroup(x, gamma, beta, runMean, runVar, xhat, inv, y, rows, cols, training, momentum, eps, j, 1);
}

/**
 * The columns [j, j + W) of a normalisation's backward: sd = sum_i dy, sdh = sum_i dy xhat into dbeta and dgamma
 * (0 = skip), then (dx != 0) batchNorm's dx.
 */
// @ts-ignore: decorator
@inline
function normColumns(
  dy: usize,
  xhat: usize,
  gamma: usize,
  inv: usize,
  dgamma: usize,
  dbeta: usize,
  dx: usize,
  rows: i32,
  cols: i32,
  training: i32,
  accG: i32,
  accB: i32,
  accX: i32,
  j: i32,
  W: i32,
): void {
  const o = <usize>j << 2;
  const rs = <usize>cols << 2;
  let sdL = f64x2.splat(0);
  let sdH = sdL;
  let shL = sdL;
  let shH = sdL;
  let p = o;
  for (let i = 0; i < rows; i++, p += rs) {
    const dL = ldLo(dy + p, W);
    const dH = ldHi(dy + p, W);
    sdL = f64x2.add(sdL, dL);
    sdH = f64x2.add(sdH, dH);
    shL = f64x2.add(shL, f64x2.mul(dL, ldLo(xhat + p, W)));
    shH = f64x2.add(shH, f64x2.mul(dH, ldHi(xhat + p, W)));
  }
  if (dgamma) stAcc(dgamma + o, shL, shH, accG, W);
  if (dbeta) stAcc(dbeta + o, sdL, sdH, accB, W);
  if (dx) {
    const cL = f64x2.mul(ldLo(gamma + o, W), ldLo(inv + o, W));
    const cH = f64x2.mul(ldHi(gamma + o, W), ldHi(inv + o, W));
    const n = f64x2.splat(<f64>rows);
    p = o;
    for (let i = 0; i < rows; i++, p += rs) {
      const dL = ldLo(dy + p, W);
      const dH = ldHi(dy + p, W);
      let gL = f64x2.mul(cL, dL);
      let gH = f64x2.mul(cH, dH);
      if (training) {
        // the batch statistics depend on x too: c (rows dy - sd - xhat sdh) / rows
        gL = f64x2.div(f64x2.mul(cL, f64x2.sub(f64x2.sub(f64x2.mul(n, dL), sdL), f64x2.mul(ldLo(xhat + p, W), shL))), n);
        gH = f64x2.div(f64x2.mul(cH, f64x2.sub(f64x2.sub(f64x2.mul(n, dH), sdH), f64x2.mul(ldHi(xhat + p, W), shH))), n);
      }
      stAcc(dx + p, gL, gH, accX, W);
    }
  }
}

export function batchNormBackward(
  dy: usize,
  xhat: usize,
  gamma: usize,
  inv: usize,
  dgamma: usize,
  dbeta: usize,
  dx: usize,
  rows: i32,
  cols: i32,
  training: i32,
  accG: i32,
  accB: i32,
  accX: i32,
): void {
  let j = 0;
  for (; j + 4 <= cols; j += 4) normColumns(dy, xhat, gamma, inv, dgamma, dbeta, dx, rows, cols, training, accG, accB, accX, j, 4);
  if (j + 2 <= cols) {
    normColumns(dy, xhat, gamma, inv, dgamma, dbeta, dx, rows, cols, training, accG, accB, accX, j, 2);
    j += 2;
  }
  if (j < cols) normColumns(dy, xhat, gamma, inv, dgamma, dbeta, dx, rows, cols, training, accG, accB, accX, j, 1);
}

// ---------------------------------------------------------------- layer normalisation

/** xhat and y of the columns [j, j + W) of the row at byte offset r, given the row's mean and inv */
// @ts-ignore: decorator
@inline
function layerNormGroup(x: usize, gamma: usize, beta: usize, xhat: usize, y: usize, r: usize, j: i32, mu: v128, is: v128, W: i32): void {
  const o = <usize>j << 2;
  const p = r + o;
  const hL = f64x2.mul(f64x2.sub(ldLo(x + p, W), mu), is);
  const hH = f64x2.mul(f64x2.sub(ldHi(x + p, W), mu), is);
  st(xhat + p, hL, hH, W);
  st(y + p, f64x2.add(f64x2.mul(ldLo(gamma + o, W), hL), ldLo(beta + o, W)), f64x2.add(f64x2.mul(ldHi(gamma + o, W), hH), ldHi(beta + o, W)), W);
}

/** inv, xhat and y of row i */
function layerNormRow(x: usize, gamma: usize, beta: usize, xhat: usize, inv: usize, y: usize, cols: i32, i: i32, mu: f64, is: f64): void {
  store<f32>(inv + (<usize>i << 2), <f32>is);
  const r = (<usize>i * cols) << 2;
  const vmu = f64x2.splat(mu);
  const vis = f64x2.splat(is);
  let j = 0;
  for (; j + 4 <= cols; j += 4) layerNormGroup(x, gamma, beta, xhat, y, r, j, vmu, vis, 4);
  if (j + 2 <= cols) {
    layerNormGroup(x, gamma, beta, xhat, y, r, j, vmu, vis, 2);
    j += 2;
  }
  if (j < cols) layerNormGroup(x, gamma, beta, xhat, y, r, j, vmu, vis, 1);
}

export function layerNorm(x: usize, gamma: usize, beta: usize, xhat: usize, inv: usize, y: usize, rows: i32, cols: i32, eps: f64): void {
  const rs = <usize>cols << 2;
  const n = <f64>cols;
  const last = rows - 1;
  for (let i = 0; i < rows; i += 4) {
    const p0 = x + <usize>i * rs;
    const p1 = x + <usize>min(i + 1, last) * rs;
    const p2 = x + <usize>min(i + 2, last) * rs;
    const p3 = x + <usize>min(i + 3, last) * rs;
    let s0: f64 = 0;
    let s1: f64 = 0;
    let s2: f64 = 0;
    let s3: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      s0 += <f64>load<f32>(p0 + o);
      s1 += <f64>load<f32>(p1 + o);
      s2 += <f64>load<f32>(p2 + o);
      s3 += <f64>load<f32>(p3 + o);
    }
    const mu0 = s0 / n;
    const mu1 = s1 / n;
    const mu2 = s2 / n;
    const mu3 = s3 / n;
    let q0: f64 = 0;
    let q1: f64 = 0;
    let q2: f64 = 0;
    let q3: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const d0 = <f64>load<f32>(p0 + o) - mu0;
      const d1 = <f64>load<f32>(p1 + o) - mu1;
      const d2 = <f64>load<f32>(p2 + o) - mu2;
      const d3 = <f64>load<f32>(p3 + o) - mu3;
      q0 += d0 * d0;
      q1 += d1 * d1;
      q2 += d2 * d2;
      q3 += d3 * d3;
    }
    layerNormRow(x, gamma, beta, xhat, inv, y, cols, i, mu0, 1 / Math.sqrt(q0 / n + eps));
    if (i + 1 < rows) layerNormRow(x, gamma, beta, xhat, inv, y, cols, i + 1, mu1, 1 / Math.sqrt(q1 / n + eps));
    if (i + 2 < rows) layerNormRow(x, gamma, beta, xhat, inv, y, cols, i + 2, mu2, 1 / Math.sqrt(q2 / n + eps));
    if (i + 3 < rows) layerNormRow(x, gamma, beta, xhat, inv, y, cols, i + 3, mu3, 1 / Math.sqrt(q3 / n + eps));
  }
}

/** dx of the columns [j, j + W) of the row at byte offset r: inv (cols dy gamma - s1 - xhat s2) / cols */
// @ts-ignore: decorator
@inline
function layerNormDxGroup(
  dy: usize,
  xhat: usize,
  gamma: usize,
  dx: usize,
  r: usize,
  j: i32,
  n: v128,
  is: v128,
  s1: v128,
  s2: v128,
  accX: i32,
  W: i32,
): void {
  const o = <usize>j << 2;
  const p = r + o;
  const tL = f64x2.sub(f64x2.sub(f64x2.mul(f64x2.mul(n, ldLo(dy + p, W)), ldLo(gamma + o, W)), s1), f64x2.mul(ldLo(xhat + p, W), s2));
  const tH = f64x2.sub(f64x2.sub(f64x2.mul(f64x2.mul(n, ldHi(dy + p, W)), ldHi(gamma + o, W)), s1), f64x2.mul(ldHi(xhat + p, W), s2));
  stAcc(dx + p, f64x2.div(f64x2.mul(is, tL), n), f64x2.div(f64x2.mul(is, tH), n), accX, W);
}

/** dx of row i, given the row's sums s1 = sum_j dy gamma and s2 = sum_j dy gamma xhat */
function layerNormDxRow(dy: usize, xhat: usize, gamma: usize, inv: usize, dx: usize, cols: i32, i: i32, s1: f64, s2: f64, accX: i32): void {
  const r = (<usize>i * cols) << 2;
  const n = f64x2.splat(<f64>cols);
  const is = f64x2.splat(<f64>load<f32>(inv + (<usize>i << 2)));
  const v1 = f64x2.splat(s1);
  const v2 = f64x2.splat(s2);
  let j = 0;
  for (; j + 4 <= cols; j += 4) layerNormDxGroup(dy, xhat, gamma, dx, r, j, n, is, v1, v2, accX, 4);
  if (j + 2 <= cols) {
    layerNormDxGroup(dy, xhat, gamma, dx, r, j, n, is, v1, v2, accX, 2);
    j += 2;
  }
  if (j < cols) layerNormDxGroup(dy, xhat, gamma, dx, r, j, n, is, v1, v2, accX, 1);
}

export function layerNormBackward(
  dy: usize,
  xhat: usize,
  gamma: usize,
  inv: usize,
  dgamma: usize,
  dbeta: usize,
  dx: usize,
  rows: i32,
  cols: i32,
  accG: i32,
  accB: i32,
  accX: i32,
): void {
  if (dgamma || dbeta) {
    let j = 0;
    for (; j + 4 <= cols; j += 4) normColumns(dy, xhat, gamma, inv, dgamma, dbeta, 0, rows, cols, 0, accG, accB, 0, j, 4);
    if (j + 2 <= cols) {
      normColumns(dy, xhat, gamma, inv, dgamma, dbeta, 0, rows, cols, 0, accG, accB, 0, j, 2);
      j += 2;
    }
    if (j < cols) normColumns(dy, xhat, gamma, inv, dgamma, dbeta, 0, rows, cols, 0, accG, accB, 0, j, 1);
  }
  if (!dx) return;
  const rs = <usize>cols << 2;
  const last = rows - 1;
  for (let i = 0; i < rows; i += 4) {
    const r0 = <usize>i * rs;
    const r1 = <usize>min(i + 1, last) * rs;
    const r2 = <usize>min(i + 2, last) * rs;
    const r3 = <usize>min(i + 3, last) * rs;
    let a0: f64 = 0;
    let a1: f64 = 0;
    let a2: f64 = 0;
    let a3: f64 = 0;
    let b0: f64 = 0;
    let b1: f64 = 0;
    let b2: f64 = 0;
    let b3: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j << 2;
      const g = <f64>load<f32>(gamma + o);
      // dh = dy gamma; s1 += dh; s2 += dh xhat
      const h0 = <f64>load<f32>(dy + r0 + o) * g;
      const h1 = <f64>load<f32>(dy + r1 + o) * g;
      const h2 = <f64>load<f32>(dy + r2 + o) * g;
      const h3 = <f64>load<f32>(dy + r3 + o) * g;
      a0 += h0;
      a1 += h1;
      a2 += h2;
      a3 += h3;
      b0 += h0 * <f64>load<f32>(xhat + r0 + o);
      b1 += h1 * <f64>load<f32>(xhat + r1 + o);
      b2 += h2 * <f64>load<f32>(xhat + r2 + o);
      b3 += h3 * <f64>load<f32>(xhat + r3 + o);
    }
    layerNormDxRow(dy, xhat, gamma, inv, dx, cols, i, a0, b0, accX);
    if (i + 1 < rows) layerNormDxRow(dy, xhat, gamma, inv, dx, cols, i + 1, a1, b1, accX);
    if (i + 2 < rows) layerNormDxRow(dy, xhat, gamma, inv, dx, cols, i + 2, a2, b2, accX);
    if (i + 3 < rows) layerNormDxRow(dy, xhat, gamma, inv, dx, cols, i + 3, a3, b3, accX);
  }
}
