/** Cell status: trained, partly or failed, from thresholds computed per group from the data (chance and the best cell). */
import { fmt } from './stats.js';
import type { CellSummary, Threshold } from './types.js';

export const CLASSIFY_RULE =
  'a cell trained if score >= chance + 0.5 x (best - chance) in its group, failed if below chance + 0.1 x (best - chance) or if most seeds diverged (every cell fails when none beats chance by 0.02), partly otherwise';

/** Set each cell's status; returns the thresholds used, per group. */
export function classify(cells: CellSummary[], groupOf: (c: CellSummary) => string, chance: (c: CellSummary) => number): Threshold[] {
  const thresholds: Threshold[] = [];
  const groups = new Map<string, CellSummary[]>();
  for (const c of cells) {
    const g = groupOf(c);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(c);
  }
  for (const [g, cs] of groups) {
    const present = cs.filter((c) => c.runs > 0);
    const scored = present.filter((c) => c.score !== null);
    const ch = present.length ? chance(present[0]) : 0;
    const best = scored.length ? Math.max(...scored.map((c) => c.score!)) : ch;
    const hi = ch + 0.5 * (best - ch);
    const lo = ch + 0.1 * (best - ch);
    const where = g ? ` (${g})` : '';
    thresholds.push({
      name: `trained${where}`,
      value: hi,
      rule: `score >= chance + 0.5 x (best - chance) = ${fmt(ch)} + 0.5 x (${fmt(best)} - ${fmt(ch)})`,
    });
    thresholds.push({ name: `failed${where}`, value: lo, rule: `score < chance + 0.1 x (best - chance), or most seeds diverged` });
    for (const c of cs) {
      if (c.runs === 0) c.status = 'missing';
      else if (c.diverged * 2 > c.runs || c.score === null || c.score < lo || best - ch < 0.02) c.status = 'failed';
      else if (c.score >= hi) c.status = 'trained';
      else c.status = 'partly';
    }
  }
  return thresholds;
}
