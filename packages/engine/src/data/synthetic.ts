/**
 * Synthetic sets after TensorFlow Playground (circle, xor, gauss, spiral), plus
 * moons, and the regression sets plane and sine. Each generator draws from the
 * Rng it is given, so the same seed gives the same points.
 *
 * Coordinates are Playground's divided by 5: points lie in about [-1.2, 1.2]^2
 * (PLANE_EXTENT), a scale that suits the usual initialisations. Noise follows
 * Playground, whose slider 0..50% is noise 0..0.5; values up to 1 extrapolate.
 */
import type { Rng } from '../rng.js';

/** Half-width of the square the 2-D sets live in (and that grids sample). */
export const PLANE_EXTENT = 1.2;
/** Playground units -> ours. */
const S = 1 / 5;

export interface Points {
  /** n * inputDim, row-major. */
  x: Float32Array;
  /** labels 0/1 (classification) or n * outputDim targets (regression). */
  y: Int32Array | Float32Array;
}

type Gen = (n: number, noise: number, rng: Rng) => Points;

/** Inside a disc of radius 2.5 is class 1, a ring 3.5..5 is class 0; noise jitters the point the label is read from. */
const circle: Gen = (n, noise, rng) => {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const radius = 5;
  const nPos = Math.ceil(n / 2);
  for (let i = 0; i < n; i++) {
    const r = i < nPos ? rng.range(0, radius * 0.5) : rng.range(radius * 0.7, radius);
    const angle = rng.range(0, 2 * Math.PI);
    const px = r * Math.sin(angle);
    const py = r * Math.cos(angle);
    const nx = rng.range(-radius, radius) * noise;
    const ny = rng.range(-radius, radius) * noise;
    x[2 * i] = px * S;
    x[2 * i + 1] = py * S;
    y[i] = Math.hypot(px + nx, py + ny) < radius * 0.5 ? 1 : 0;
  }
  return { x, y };
};

/** Quadrants: class 1 where x*y >= 0 (read at the jittered point). */
const xor: Gen = (n, noise, rng) => {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const pad = 0.3;
  for (let i = 0; i < n; i++) {
    let px = rng.range(-5, 5);
    px += px > 0 ? pad : -pad;
    let py = rng.range(-5, 5);
    py += py > 0 ? pad : -pad;
    const nx = rng.range(-5, 5) * noise;
    const ny = rng.range(-5, 5) * noise;
    x[2 * i] = px * S;
    x[2 * i + 1] = py * S;
    y[i] = (px + nx) * (py + ny) >= 0 ? 1 : 0;
  }
  return { x, y };
};

/** Two Gaussians at (2,2) (class 1) and (-2,-2) (class 0); variance 0.5 + 7 * noise (Playground: 0.5..4 for 0..0.5). */
const gauss: Gen = (n, noise, rng) => {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const std = Math.sqrt(0.5 + 7 * noise);
  const nPos = Math.ceil(n / 2);
  for (let i = 0; i < n; i++) {
    const c = i < nPos ? 2 : -2;
    x[2 * i] = (c + std * rng.normal()) * S;
    x[2 * i + 1] = (c + std * rng.normal()) * S;
    y[i] = i < nPos ? 1 : 0;
  }
  return { x, y };
};

/** Two interleaved spirals of 1.75 turns, radius 0..5; noise is uniform jitter of +-noise. */
const spiral: Gen = (n, noise, rng) => {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const nPos = Math.ceil(n / 2);
  for (let i = 0; i < n; i++) {
    const pos = i < nPos;
    const m = pos ? nPos : n - nPos;
    const j = pos ? i : i - nPos;
    const r = (j / m) * 5;
    const t = ((1.75 * j) / m) * 2 * Math.PI + (pos ? 0 : Math.PI);
    x[2 * i] = (r * Math.sin(t) + rng.range(-1, 1) * noise) * S;
    x[2 * i + 1] = (r * Math.cos(t) + rng.range(-1, 1) * noise) * S;
    y[i] = pos ? 1 : 0;
  }
  return { x, y };
};

/** Two interleaving half circles (as scikit-learn's make_moons), Gaussian noise of std `noise` in moon units, centred and scaled by 0.6. */
const moons: Gen = (n, noise, rng) => {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  const nPos = Math.ceil(n / 2);
  for (let i = 0; i < n; i++) {
    const pos = i < nPos;
    const t = rng.range(0, Math.PI);
    const px = pos ? Math.cos(t) : 1 - Math.cos(t);
    const py = pos ? Math.sin(t) : 0.5 - Math.sin(t);
    x[2 * i] = (px - 0.5 + noise * rng.normal()) * 0.6;
    x[2 * i + 1] = (py - 0.25 + noise * rng.normal()) * 0.6;
    y[i] = pos ? 1 : 0;
  }
  return { x, y };
};

/** Regression: target (x + y) / 10 in [-1.2, 1.2] over Playground's [-6, 6]^2, read at the jittered point. */
const plane: Gen = (n, noise, rng) => {
  const x = new Float32Array(2 * n);
  const y = new Float32Array(n);
  const radius = 6;
  for (let i = 0; i < n; i++) {
    const px = rng.range(-radius, radius);
    const py = rng.range(-radius, radius);
    const nx = rng.range(-radius, radius) * noise;
    const ny = rng.range(-radius, radius) * noise;
    x[2 * i] = px * S;
    x[2 * i + 1] = py * S;
    y[i] = (px + nx + py + ny) / 10;
  }
  return { x, y };
};

/** Regression, 1-D input: t = sin(2 pi x) + noise * N(0, 1), x uniform in [-1, 1]. */
const sine: Gen = (n, noise, rng) => {
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.range(-1, 1);
    x[i] = u;
    y[i] = Math.sin(2 * Math.PI * u) + noise * rng.normal();
  }
  return { x, y };
};

export interface SyntheticInfo {
  kind: 'classification' | 'regression';
  inputDim: number;
  outputDim: number;
  generate: Gen;
}

export const SYNTHETIC: Record<'circle' | 'xor' | 'gauss' | 'spiral' | 'moons' | 'plane' | 'sine', SyntheticInfo> = {
  circle: { kind: 'classification', inputDim: 2, outputDim: 2, generate: circle },
  xor: { kind: 'classification', inputDim: 2, outputDim: 2, generate: xor },
  gauss: { kind: 'classification', inputDim: 2, outputDim: 2, generate: gauss },
  spiral: { kind: 'classification', inputDim: 2, outputDim: 2, generate: spiral },
  moons: { kind: 'classification', inputDim: 2, outputDim: 2, generate: moons },
  plane: { kind: 'regression', inputDim: 2, outputDim: 1, generate: plane },
  sine: { kind: 'regression', inputDim: 1, outputDim: 1, generate: sine },
};
