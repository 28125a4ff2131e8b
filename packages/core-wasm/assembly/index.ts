/**
 * reslab core kernels (float32, WebAssembly SIMD). The ABI is src/abi.ts (CoreKernels):
 * pointers are byte offsets into this module's exported memory, sizes are element
 * counts, nothing is allocated. Every exported function has only required parameters.
 *
 * Element-wise kernels walk memory 4 floats (one v128) at a time; the last n % 4 elements
 * run the same vector code on a splat and keep lane 0. Sums that are returned (ds,
 * sumSq, losses) are accumulated in float64. The kernels that compute in float64 lanes
 * (float64 inside, to give the reference's float32 numbers bit for bit) are laid out in
 * wide.ts; dropout (dropout.ts) and the normalisations (norm.ts) have their own files.
 */
import {
  ACT_GELU,
  ACT_IDENTITY,
  ACT_LEAKY,
  ACT_RELU,
  ACT_SIGMOID,
  ACT_TANH,
  dotAcc,
  hsum64,
  vact,
  vactGrad,
} from './vmath';
import { ldHi, ldLo, stAcc } from './wide';

export { dropout } from './dropout';
export { gemm } from './gemm';
export { batchNorm, batchNormBackward, layerNorm, layerNormBackward } from './norm';

/** First free byte after static data (pack buffers), 16-byte aligned. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

// ---------------------------------------------------------------- bias + activation

// @ts-ignore: decorator
@inline
function biasActT(act: i32, x: usize, bias: usize, y: usize, rows: i32, cols: i32, slope: f32): void {
  const vs = f32x4.splat(slope);
  const zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    const off = <usize>i * cols;
    const xr = x + (off << 2);
    const yr = y + (off << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const z = f32x4.add(v128.load(xr + o), bias ? v128.load(bias + o) : zero);
      v128.store(yr + o, vact(act, z, vs));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const z = load<f32>(xr + o) + (bias ? load<f32>(bias + o) : 0);
      store<f32>(yr + o, f32x4.extract_lane(vact(act, f32x4.splat(z), vs), 0));
    }
  }
}

export function biasAct(act: i32, x: usize, bias: usize, y: usize, rows: i32, cols: i32, slope: f32): void {
  switch (act) {
    case ACT_RELU:
      biasActT(ACT_RELU, x, bias, y, rows, cols, slope);
      break;
    case ACT_LEAKY:
      biasActT(ACT_LEAKY, x, bias, y, rows, cols, slope);
      break;
    case ACT_SIGMOID:
      biasActT(ACT_SIGMOID, x, bias, y, rows, cols, slope);
      break;
    case ACT_TANH:
      biasActT(ACT_TANH, x, bias, y, rows, cols, slope);
      break;
    case ACT_GELU:
      biasActT(ACT_GELU, x, bias, y, rows, cols, slope);
      break;
    default:
      biasActT(ACT_IDENTITY, x, bias, y, rows, cols, slope);
  }
}

// @ts-ignore: decorator
@inline
function biasActBackwardT(
  act: i32,
  x: usize,
  bias: usize,
  y: usize,
  dy: usize,
  dx: usize,
  rows: i32,
  cols: i32,
  slope: f32,
  acc: i32,
): void {
  const vs = f32x4.splat(slope);
  const zero = f32x4.splat(0);
  for (let i = 0; i < rows; i++) {
    const base = (<usize>i * cols) << 2;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const p = base + o;
      const z = f32x4.add(v128.load(x + p), bias ? v128.load(bias + o) : zero);
      const g = f32x4.mul(v128.load(dy + p), vactGrad(act, z, v128.load(y + p), vs));
      v128.store(dx + p, acc ? f32x4.add(v128.load(dx + p), g) : g);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const p = base + o;
      const z = load<f32>(x + p) + (bias ? load<f32>(bias + o) : 0);
      const d = f32x4.extract_lane(vactGrad(act, f32x4.splat(z), f32x4.splat(load<f32>(y + p)), vs), 0);
      const g = load<f32>(dy + p) * d;
      store<f32>(dx + p, acc ? load<f32>(dx + p) + g : g);
    }
  }
}

export function biasActBackward(
  act: i32,
  x: usize,
  bias: usize,
  y: usize,
  dy: usize,
  dx: usize,
  rows: i32,
  cols: i32,
  slope: f32,
  acc: i32,
): void {
  switch (act) {
    case ACT_RELU:
      biasActBackwardT(ACT_RELU, x, bias, y, dy, dx, rows, cols, slope, acc);
      break;
    case ACT_LEAKY:
      biasActBackwardT(ACT_LEAKY, x, bias, y, dy, dx, rows, cols, slope, acc);
      break;
    case ACT_SIGMOID:
      biasActBackwardT(ACT_SIGMOID, x, bias, y, dy, dx, rows, cols, slope, acc);
      break;
    case ACT_TANH:
      biasActBackwardT(ACT_TANH, x, bias, y, dy, dx, rows, cols, slope, acc);
      break;
    case ACT_GELU:
      biasActBackwardT(ACT_GELU, x, bias, y, dy, dx, rows, cols, slope, acc);
      break;
    default:
      biasActBackwardT(ACT_IDENTITY, x, bias, y, dy, dx, rows, cols, slope, acc);
  }
}

// ---------------------------------------------------------------- residual kernels

// @ts-ignore: decorator
@inline
function residualPostT(
  act: i32,
  f: usize,
  bias: usize,
  a: usize,
  s: f32,
  y: usize,
  rows: i32,
  cols: i32,
  slope: f32,
): void {
  const vs = f32x4.splat(slope);
  const vsc = f32x4.splat(s);
  for (let r = 0; r < rows; r++) {
    const base = (<usize>r * cols) << 2;
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const p = base + o;
      let fv = v128.load(f + p);
      if (bias) {
        fv = f32x4.add(fv, v128.load(bias + o));
        v128.store(f + p, fv);
      }
      const u = f32x4.add(v128.load(a + p), f32x4.mul(vsc, fv));
      v128.store(y + p, vact(act, u, vs));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const p = base + o;
      let fv = load<f32>(f + p);
      if (bias) {
        fv += load<f32>(bias + o);
        store<f32>(f + p, fv);
      }
      const u = load<f32>(a + p) + s * fv;
      store<f32>(y + p, f32x4.extract_lane(vact(act, f32x4.splat(u), vs), 0));
    }
  }
}

export function biasResidualPost(
  act: i32,
  f: usize,
  bias: usize,
  a: usize,
  s: f32,
  y: usize,
  rows: i32,
  cols: i32,
  slope: f32,
): void {
  switch (act) {
    case ACT_RELU:
      residualPostT(ACT_RELU, f, bias, a, s, y, rows, cols, slope);
      break;
    case ACT_LEAKY:
      residualPostT(ACT_LEAKY, f, bias, a, s, y, rows, cols, slope);
      break;
    case ACT_SIGMOID:
      residualPostT(ACT_SIGMOID, f, bias, a, s, y, rows, cols, slope);
      break;
    case ACT_TANH:
      residualPostT(ACT_TANH, f, bias, a, s, y, rows, cols, slope);
      break;
    case ACT_GELU:
      residualPostT(ACT_GELU, f, bias, a, s, y, rows, cols, slope);
      break;
    default:
      residualPostT(ACT_IDENTITY, f, bias, a, s, y, rows, cols, slope);
  }
}

export function residualPost(act: i32, z: usize, a: usize, s: f32, y: usize, n: i32, slope: f32): void {
  // g(z + s * a): z is the kernel's shortcut, a its (bias-free) branch
  biasResidualPost(act, a, 0, z, s, y, 1, n, slope);
}

// @ts-ignore: decorator
@inline
function residualPostBackwardT(
  act: i32,
  z: usize,
  a: usize,
  s: f32,
  y: usize,
  dy: usize,
  dz: usize,
  da: usize,
  n: i32,
  slope: f32,
  accZ: i32,
  accA: i32,
): f64 {
  const vs = f32x4.splat(slope);
  const vsc = f32x4.splat(s);
  let ds = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const av = v128.load(a + o);
    const u = f32x4.add(v128.load(z + o), f32x4.mul(vsc, av));
    const p = f32x4.mul(v128.load(dy + o), vactGrad(act, u, v128.load(y + o), vs));
    if (dz) v128.store(dz + o, accZ ? f32x4.add(v128.load(dz + o), p) : p);
    if (da) {
      const q = f32x4.mul(vsc, p);
      v128.store(da + o, accA ? f32x4.add(v128.load(da + o), q) : q);
    }
    ds = dotAcc(ds, p, av);
  }
  let tail: f64 = 0;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const av = load<f32>(a + o);
    const u = load<f32>(z + o) + s * av;
    const d = f32x4.extract_lane(vactGrad(act, f32x4.splat(u), f32x4.splat(load<f32>(y + o)), vs), 0);
    const p = load<f32>(dy + o) * d;
    if (dz) store<f32>(dz + o, accZ ? load<f32>(dz + o) + p : p);
    if (da) store<f32>(da + o, accA ? load<f32>(da + o) + s * p : s * p);
    tail += <f64>p * <f64>av;
  }
  return hsum64(ds) + tail;
}

export function residualPostBackward(
  act: i32,
  z: usize,
  a: usize,
  s: f32,
  y: usize,
  dy: usize,
  dz: usize,
  da: usize,
  n: i32,
  slope: f32,
  accZ: i32,
  accA: i32,
): f64 {
  switch (act) {
    case ACT_RELU:
      return residualPostBackwardT(ACT_RELU, z, a, s, y, dy, dz, da, n, slope, accZ, accA);
    case ACT_LEAKY:
      return residualPostBackwardT(ACT_LEAKY, z, a, s, y, dy, dz, da, n, slope, accZ, accA);
    case ACT_SIGMOID:
      return residualPostBackwardT(ACT_SIGMOID, z, a, s, y, dy, dz, da, n, slope, accZ, accA);
    case ACT_TANH:
      return residualPostBackwardT(ACT_TANH, z, a, s, y, dy, dz, da, n, slope, accZ, accA);
    case ACT_GELU:
      return residualPostBackwardT(ACT_GELU, z, a, s, y, dy, dz, da, n, slope, accZ, accA);
    default:
      return residualPostBackwardT(ACT_IDENTITY, z, a, s, y, dy, dz, da, n, slope, accZ, accA);
  }
}

export function residualAdd(a: usize, f: usize, s: f32, y: usize, n: i32): void {
  const vsc = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(a + o), f32x4.mul(vsc, v128.load(f + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + s * load<f32>(f + o));
  }
}

export function residualAddBackward(f: usize, s: f32, dy: usize, da: usize, df: usize, n: i32, accA: i32, accF: i32): f64 {
  const vsc = f32x4.splat(s);
  let ds = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(dy + o);
    if (da) v128.store(da + o, accA ? f32x4.add(v128.load(da + o), g) : g);
    if (df) {
      const q = f32x4.mul(vsc, g);
      v128.store(df + o, accF ? f32x4.add(v128.load(df + o), q) : q);
    }
    ds = dotAcc(ds, g, v128.load(f + o));
  }
  let tail: f64 = 0;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    if (da) store<f32>(da + o, accA ? load<f32>(da + o) + g : g);
    if (df) store<f32>(df + o, accF ? load<f32>(df + o) + s * g : s * g);
    tail += <f64>g * <f64>load<f32>(f + o);
  }
  return hsum64(ds) + tail;
}

// ---------------------------------------------------------------- reductions

/** out[j] (+)= sum_i x[i,j]: rows are streamed in order, out (one row) is the accumulator. */
export function colSum(x: usize, rows: i32, cols: i32, out: usize, acc: i32): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const o = <usize>j << 2;
    v128.store(out + o, acc ? v128.load(out + o) : zero);
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    store<f32>(out + o, acc ? load<f32>(out + o) : 0);
  }
  for (let i = 0; i < rows; i++) {
    const xr = x + ((<usize>i * cols) << 2);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(xr + o)));
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(xr + o));
    }
  }
}

export function sumSq(x: usize, n: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const a = v128.load(p);
    const b = v128.load(p, 16);
    s0 = dotAcc(s0, a, a);
    s1 = dotAcc(s1, b, b);
  }
  let tail: f64 = 0;
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    tail += v * v;
  }
  return hsum64(f64x2.add(s0, s1)) + tail;
}

// ---------------------------------------------------------------- losses

/** Mean softmax cross-entropy (float64 inside a row; rows are short). Bad labels give NaN. */
export function softmaxXent(logits: usize, labels: usize, rows: i32, cols: i32, dlogits: usize, scale: f32): f64 {
  let loss: f64 = 0;
  const k: f64 = <f64>scale / <f64>rows;
  for (let i = 0; i < rows; i++) {
    const row = logits + ((<usize>i * cols) << 2);
    let mx: f64 = -Infinity;
    for (let j = 0; j < cols; j++) mx = max(mx, <f64>load<f32>(row + (<usize>j << 2)));
    // NOTE: max-subtracted, so exp never overflows and sum >= 1.
    let sum: f64 = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(<f64>load<f32>(row + (<usize>j << 2)) - mx);
    const y = load<i32>(labels + (<usize>i << 2));
    const ok = y >= 0 && y < cols;
    loss += ok ? Math.log(sum) + mx - <f64>load<f32>(row + (<usize>y << 2)) : NaN;
    if (dlogits) {
      const drow = dlogits + ((<usize>i * cols) << 2);
      for (let j = 0; j < cols; j++) {
        const p = Math.exp(<f64>load<f32>(row + (<usize>j << 2)) - mx) / sum;
        store<f32>(drow + (<usize>j << 2), <f32>(k * (j == y ? p - 1 : p)));
      }
    }
  }
  return loss / <f64>rows;
}

export function mse(pred: usize, target: usize, n: i32, dpred: usize, scale: f32): f64 {
  const k = <f32>((2 * <f64>scale) / <f64>n);
  const vk = f32x4.splat(k);
  let s = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const d = f32x4.sub(v128.load(pred + o), v128.load(target + o));
    s = dotAcc(s, d, d);
    if (dpred) v128.store(dpred + o, f32x4.mul(vk, d));
  }
  let tail: f64 = 0;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(pred + o) - load<f32>(target + o);
    tail += <f64>d * <f64>d;
    if (dpred) store<f32>(dpred + o, k * d);
  }
  return (hsum64(s) + tail) / <f64>n;
}

// ---------------------------------------------------------------- optimizers

export function sgdStep(w: usize, g: usize, m: usize, n: i32, lr: f32, momentum: f32, weightDecay: f32, nesterov: i32): void {
  const vlr = f32x4.splat(lr);
  const vmu = f32x4.splat(momentum);
  const vwd = f32x4.splat(weightDecay);
  const useM = momentum != 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(vwd, wv));
    let step = gv;
    if (useM) {
      const mv = f32x4.add(f32x4.mul(vmu, v128.load(m + o)), gv);
      v128.store(m + o, mv);
      step = nesterov ? f32x4.add(gv, f32x4.mul(vmu, mv)) : mv;
    }
    v128.store(w + o, f32x4.sub(wv, f32x4.mul(vlr, step)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + weightDecay * wv;
    let step = gv;
    if (useM) {
      const mv = momentum * load<f32>(m + o) + gv;
      store<f32>(m + o, mv);
      step = nesterov ? gv + momentum * mv : mv;
    }
    store<f32>(w + o, wv - lr * step);
  }
}

export function adamStep(
  w: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weightDecay: f32,
  decoupled: i32,
  bc1: f32,
  bc2: f32,
): void {
  const vb1 = f32x4.splat(beta1);
  const vb2 = f32x4.splat(beta2);
  const v1b1 = f32x4.splat(1 - beta1);
  const v1b2 = f32x4.splat(1 - beta2);
  const vstep = f32x4.splat(lr / bc1);
  // NOTE: sqrt(v / bc2) as sqrt(v) * (1 / sqrt(bc2)) (PyTorch's form): one sqrt and one division per element.
  const rsb2: f32 = <f32>(1 / Math.sqrt(<f64>bc2));
  const vrsb2 = f32x4.splat(rsb2);
  const veps = f32x4.splat(eps);
  const decay: f32 = decoupled ? 1 - lr * weightDecay : 1;
  const vdecay = f32x4.splat(decay);
  const vwdc = f32x4.splat(decoupled ? 0 : weightDecay);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let wv = v128.load(w + o);
    const gv = f32x4.add(v128.load(g + o), f32x4.mul(vwdc, wv));
    wv = f32x4.mul(wv, vdecay);
    const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(v1b1, gv));
    const vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(v1b2, f32x4.mul(gv, gv)));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vv), vrsb2), veps);
    v128.store(w + o, f32x4.sub(wv, f32x4.div(f32x4.mul(vstep, mv), den)));
  }
  const wdc: f32 = decoupled ? 0 : weightDecay;
  const step = lr / bc1;
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let wv = load<f32>(w + o);
    const gv = load<f32>(g + o) + wdc * wv;
    wv *= decay;
    const mv = beta1 * load<f32>(m + o) + (1 - beta1) * gv;
    const vv = beta2 * load<f32>(v + o) + (1 - beta2) * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    store<f32>(w + o, wv - (step * mv) / (Mathf.sqrt(vv) * rsb2 + eps));
  }
}

// ---------------------------------------------------------------- element-wise products, sums, copies

export function mul(a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

/** da (+)= dy b, then db (+)= dy a, for the W floats at byte offset o (float64, wide.ts) */
// @ts-ignore: decorator
@inline
function mulBackwardGroup(a: usize, b: usize, dy: usize, da: usize, db: usize, o: usize, accA: i32, accB: i32, W: i32): void {
  const dL = ldLo(dy + o, W);
  const dH = ldHi(dy + o, W);
  if (da) stAcc(da + o, f64x2.mul(dL, ldLo(b + o, W)), f64x2.mul(dH, ldHi(b + o, W)), accA, W);
  // NOTE: read after da is written: da may be db (the gradient of mul(x, x))
  if (db) stAcc(db + o, f64x2.mul(dL, ldLo(a + o, W)), f64x2.mul(dH, ldHi(a + o, W)), accB, W);
}

export function mulBackward(a: usize, b: usize, dy: usize, da: usize, db: usize, n: i32, accA: i32, accB: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) mulBackwardGroup(a, b, dy, da, db, <usize>i << 2, accA, accB, 4);
  for (; i < n; i++) mulBackwardGroup(a, b, dy, da, db, <usize>i << 2, accA, accB, 1);
}

/** NOTE: one float64 chain in element order (the reference's sum, bit for bit); sum is not on the training step. */
export function sum(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

export function addScalar(x: usize, value: f64, n: i32, acc: i32): void {
  if (!acc) {
    fill(x, <f32>value, n);
    return;
  }
  const v = f64x2.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) stAcc(x + (<usize>i << 2), v, v, 1, 4);
  for (; i < n; i++) stAcc(x + (<usize>i << 2), v, v, 1, 1);
}

/** dst rows (+)= src rows, cols floats each; rows start srcStride / dstStride floats apart */
export function copyRect(src: usize, srcStride: i32, dst: usize, dstStride: i32, rows: i32, cols: i32, acc: i32): void {
  for (let i = 0; i < rows; i++) {
    const s = src + ((<usize>i * srcStride) << 2);
    const d = dst + ((<usize>i * dstStride) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize>j << 2;
      const v = v128.load(s + o);
      v128.store(d + o, acc ? f32x4.add(v128.load(d + o), v) : v);
    }
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(s + o);
      store<f32>(d + o, acc ? load<f32>(d + o) + v : v);
    }
  }
}

// ---------------------------------------------------------------- BLAS-1

export function axpby(alpha: f32, x: usize, beta: f32, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  let i = 0;
  if (beta == 0) {
    // NOTE: beta = 0 never reads y.
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.mul(va, v128.load(x + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, alpha * load<f32>(x + o));
    }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(f32x4.mul(va, v128.load(x + o)), f32x4.mul(vb, v128.load(y + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, alpha * load<f32>(x + o) + beta * load<f32>(y + o));
  }
}

export function fill(x: usize, value: f32, n: i32): void {
  const vv = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), value);
}
