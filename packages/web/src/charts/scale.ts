/** Scales, ticks and number formatting for the hand-written SVG charts. */

export interface Scale {
  (v: number): number;
  ticks: number[];
  log: boolean;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

/** A linear scale from [d0, d1] to [r0, r1] with about `count` round ticks. */
export function linear(d0: number, d1: number, r0: number, r1: number, count = 5): Scale {
  if (!(d1 > d0)) {
    const pad = Math.abs(d0) > 0 ? Math.abs(d0) * 0.1 : 1;
    d0 -= pad;
    d1 += pad;
  }
  const step = niceStep(d1 - d0, count);
  const ticks: number[] = [];
  for (let t = Math.ceil(d0 / step) * step; t <= d1 + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  const f = ((v: number) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0)) as Scale;
  f.ticks = ticks;
  f.log = false;
  return f;
}

/** A log10 scale; ticks at powers of ten (or 1-2-5 steps when the span is short). */
export function log10(d0: number, d1: number, r0: number, r1: number): Scale {
  d0 = Math.max(d0, 1e-12);
  d1 = Math.max(d1, d0 * 1.0001);
  let l0 = Math.log10(d0);
  let l1 = Math.log10(d1);
  if (l1 - l0 < 0.3) {
    l0 -= 0.15;
    l1 += 0.15;
  }
  const ticks: number[] = [];
  const span = l1 - l0;
  const mults = span < 1 ? [1, 1.5, 2, 3, 5, 7] : span < 3 ? [1, 2, 5] : [1];
  const every = span > 8 ? Math.ceil(span / 6) : 1;
  for (let e = Math.floor(l0); e <= Math.ceil(l1); e++) {
    if (e % every !== 0) continue;
    for (const m of mults) {
      const t = m * 10 ** e;
      const lt = Math.log10(t);
      if (lt >= l0 - 1e-9 && lt <= l1 + 1e-9) ticks.push(t);
    }
  }
  const f = ((v: number) => r0 + ((Math.log10(Math.max(v, 1e-300)) - l0) / (l1 - l0)) * (r1 - r0)) as Scale;
  // A very short span may hold no round log tick: use round linear ticks inside it instead.
  f.ticks = ticks.length >= 2 ? ticks : linear(10 ** l0, 10 ** l1, 0, 1, 4).ticks.filter((t) => t > 0);
  f.log = true;
  return f;
}

/** Compact number for ticks and tooltips: 3 significant digits, exponent form when very large or small. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(digits - 1).replace('e+', 'e');
  return Number(v.toPrecision(digits)).toString();
}

export const pct = (v: number | null | undefined): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(v * 100).toFixed(1)}%`;

/** A perceptual colour ramp (viridis, 9 stops), t in [0, 1]. */
const VIRIDIS = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];
export function viridisRgb(t: number): [number, number, number] {
  if (!Number.isFinite(t)) return [208, 208, 208];
  t = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(t));
  const f = t - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export function viridis(t: number): string {
  const [r, g, b] = viridisRgb(t);
  return `rgb(${r},${g},${b})`;
}

/** Diverging blue-white-orange for a class probability p in [0, 1] (0 -> class 0 blue, 1 -> class 1 orange). */
export function diverging(p: number): [number, number, number] {
  const a = [33, 102, 172];
  const m = [247, 247, 247];
  const b = [214, 96, 77];
  const t = Math.min(1, Math.max(0, p));
  const [from, to, f] = t < 0.5 ? [a, m, t * 2] : [m, b, (t - 0.5) * 2];
  return [0, 1, 2].map((k) => Math.round(from[k] + (to[k] - from[k]) * f)) as [number, number, number];
}
