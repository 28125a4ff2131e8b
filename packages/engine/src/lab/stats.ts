/** Small order statistics for summaries over seeds. Non-finite values sort last. */

const byValue = (a: number, b: number): number => {
  const fa = Number.isFinite(a);
  const fb = Number.isFinite(b);
  if (fa && fb) return a - b;
  if (fa) return -1;
  if (fb) return 1;
  return 0;
};

export function sorted(xs: readonly number[]): number[] {
  return [...xs].sort(byValue);
}

/** Quantile with linear interpolation (q in [0, 1]); +Infinity if an interpolation end is infinite, NaN for an empty list. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi) return s[lo];
  if (!Number.isFinite(s[lo]) || !Number.isFinite(s[hi])) return s[hi];
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** min, median, max of the finite values, and how many were finite. */
export interface Summary {
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
  finite: number;
}

export function summarize(xs: ReadonlyArray<number | null>): Summary {
  const fin = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (fin.length === 0) return { median: null, min: null, max: null, n: xs.length, finite: 0 };
  const s = sorted(fin);
  return { median: median(s), min: s[0], max: s[s.length - 1], n: xs.length, finite: fin.length };
}

/** Element-wise median of equal-length vectors (shorter ones are ignored past their end). */
export function medianProfile(vs: ReadonlyArray<readonly number[]>): number[] {
  const len = Math.max(0, ...vs.map((v) => v.length));
  const out: number[] = [];
  for (let i = 0; i < len; i++) {
    const col = vs.filter((v) => i < v.length).map((v) => v[i]);
    out.push(median(col));
  }
  return out;
}

/** A short stable hash (FNV-1a 32-bit, hex) of a string. */
export function hash8(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** JSON with object keys sorted, so equal values give equal strings. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Compact number formatting for tables and verdicts: 3 significant digits, exponent for tiny/huge. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '-';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e5) return x.toExponential(Math.max(0, digits - 1)).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}

export const pct = (x: number | null | undefined, digits = 1): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(digits)}%`;
