/** Grids over the input space, for decision-boundary and fit plots. */
import { PLANE_EXTENT } from './synthetic.js';

export interface PlaneGrid {
  /** points per side. */
  n: number;
  extent: number;
  /** n*n points (x, y), row-major: row r has y = extent - (r + 0.5) * 2 * extent / n (top row first), column c has x = -extent + (c + 0.5) * 2 * extent / n. */
  inputs: Float32Array;
}

/** Cell centres of an n x n grid over [-extent, extent]^2, top row (largest y) first: ready to feed a 2-input model and draw as an image. */
export function planeGrid(n: number, extent: number = PLANE_EXTENT): PlaneGrid {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`grid size must be a positive integer (got ${n})`);
  if (!(extent > 0) || !Number.isFinite(extent)) throw new RangeError(`grid extent must be a positive number (got ${extent})`);
  const inputs = new Float32Array(2 * n * n);
  const step = (2 * extent) / n;
  for (let r = 0; r < n; r++) {
    const y = extent - (r + 0.5) * step;
    for (let c = 0; c < n; c++) {
      const i = r * n + c;
      inputs[2 * i] = -extent + (c + 0.5) * step;
      inputs[2 * i + 1] = y;
    }
  }
  return { n, extent, inputs };
}

/** n evenly spaced points from -extent to extent inclusive, for 1-input models (the sine set lives in [-1, 1]). */
export function lineGrid(n: number, extent = 1): Float32Array {
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`line grid needs at least 2 points (got ${n})`);
  const xs = new Float32Array(n);
  for (let i = 0; i < n; i++) xs[i] = -extent + (2 * extent * i) / (n - 1);
  return xs;
}
