/**
 * Verdicts as data: helpers to build verdict lines, to compare two cells against their seed ranges, and to say
 * whether a claim measured under each protocol (e.g. each optimizer) holds under all of them.
 */
import { pct } from './stats.js';
import type { CellSummary, Consistency, Evidence, VerdictLine } from './types.js';

export function line(
  id: string,
  level: VerdictLine['level'],
  text: string,
  more: Partial<Omit<VerdictLine, 'id' | 'level' | 'text'>> = {},
): VerdictLine {
  return { id, level, text, evidence: [], ...more };
}

/** The text of every line and its children, depth first (for tests and plain-text renderers). */
export function flatText(lines: readonly VerdictLine[]): string[] {
  return lines.flatMap((l) => [l.text, ...flatText(l.children ?? [])]);
}

/** Every line with its children, depth first. */
export function flatLines(lines: readonly VerdictLine[]): VerdictLine[] {
  return lines.flatMap((l) => [l, ...flatLines(l.children ?? [])]);
}

export type Comparison = 'better' | 'worse' | 'same' | 'not judged';

export interface Compared {
  /** score difference x - y in display units (points for accuracy, decades for loss reduction). */
  diff: number | null;
  /** the larger seed range (max - min over seeds) of the two cells, in the same units; null with fewer than two seeds. */
  noise: number | null;
  result: Comparison;
  text: string;
}

/** Display units of a score: test accuracy in points, or decades of loss reduction. */
export const scoreUnit = (classification: boolean): { unit: string; scale: number } =>
  classification ? { unit: 'points', scale: 100 } : { unit: 'decades', scale: 1 };

/**
 * Compare cell x with reference y by score: the difference counts when it is larger than the larger seed range of
 * the two cells; a failed cell (status 'failed') is worse than one that is not.
 */
export function compareCells(x: CellSummary, y: CellSummary, classification = true): Compared {
  if (x.status === 'failed' && y.status !== 'failed') return { diff: null, noise: null, result: 'worse', text: 'failed to train' };
  if (y.status === 'failed' && x.status !== 'failed')
    return { diff: null, noise: null, result: 'better', text: 'trained where the reference failed' };
  if (x.status === 'failed' && y.status === 'failed') return { diff: null, noise: null, result: 'same', text: 'both failed' };
  if (x.score === null || y.score === null) return { diff: null, noise: null, result: 'not judged', text: 'no score' };
  const { unit, scale } = scoreUnit(classification);
  const diff = scale * (x.score - y.score);
  const noise = x.scoreRange === null || y.scoreRange === null ? null : scale * Math.max(x.scoreRange, y.scoreRange);
  const sign = `${diff >= 0 ? '+' : ''}${diff.toFixed(1)} ${unit}`;
  if (noise === null) return { diff, noise, result: 'not judged', text: `${sign} (one seed: not judged)` };
  const result: Comparison = Math.abs(diff) <= noise ? 'same' : diff > 0 ? 'better' : 'worse';
  return { diff, noise, result, text: `${sign}, seed range ${noise.toFixed(1)}` };
}

/** A cell's score in words: '87.5%' or 'loss down 2.1 decades'. */
export const scoreText = (c: CellSummary, classification: boolean): string =>
  c.score === null ? 'no score' : classification ? pct(c.score) : `loss down ${c.score.toFixed(2)} decades`;

/** Evidence: a cell's score. */
export const scoreEvidence = (label: string, c: CellSummary | undefined, classification: boolean): Evidence => ({
  label,
  value: c?.score == null ? null : classification ? 100 * c.score : c.score,
  unit: classification ? '%' : 'decades',
});

/**
 * How the outcomes of one claim under each protocol compare. `opposite(a, b)` says whether two outcomes contradict
 * each other; `unjudged` outcomes do not count.
 */
export function consistency(
  values: Record<string, string>,
  opposite: (a: string, b: string) => boolean,
  unjudged = 'not judged',
): Consistency {
  const vs = Object.values(values);
  if (vs.length <= 1) return 'single';
  const judged = vs.filter((v) => v !== unjudged);
  if (judged.length < vs.length) return 'partial';
  const distinct = [...new Set(judged)];
  if (distinct.length === 1) return 'holds';
  for (const a of distinct) for (const b of distinct) if (opposite(a, b)) return 'contradicts';
  return 'depends';
}

/** A clause saying how a claim holds across protocols, e.g. 'holds under both optimizers (adam, sgd)'. */
export function consistencyText(c: Consistency, values: Record<string, string>, noun = 'optimizer'): string {
  const names = Object.keys(values);
  const both = names.length === 2 ? `both ${noun}s` : `all ${names.length} ${noun}s`;
  const each = names.map((n) => `${n}: ${values[n]}`).join('; ');
  switch (c) {
    case 'holds':
      return `holds under ${both}`;
    case 'depends':
      return `depends on the ${noun} (${each})`;
    case 'contradicts':
      return `the ${noun}s contradict each other (${each})`;
    case 'partial':
      return `judged under only some ${noun}s (${each})`;
    case 'single':
      return '';
  }
}
