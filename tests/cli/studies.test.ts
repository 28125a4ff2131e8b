/**
 * The literature studies end to end at tiny budgets: `reslab study <name> --json` as a subprocess, then
 * `reslab report` on the same folder for the printed text. Each test checks that the printed tables and verdict are
 * the JSON's, and recomputes the study's verdict from the numbers (the cells, or the raw records) independently.
 */
import { join } from 'node:path';
import { type Analysis, type CellSummary, flatText, type JobRecord } from '@reslab/engine';
import { describe, expect, it } from 'vitest';
import { jsonLines, reslab, tmp } from './helpers.js';

// the learning-rate grid is fixed here: these tests recompute each study's verdict from its cells
const COMMON = [
  '--lr-fixed',
  '--seeds',
  '2',
  '--steps',
  '20',
  '--eval-every',
  '10',
  '--width',
  '8',
  '--data-size',
  '300',
  '--workers',
  '2',
];

interface Ran {
  analysis: Analysis;
  jobs: { total: number; ran: number };
  text: string;
  records: JobRecord[];
}

/** Run a study with --json into a fresh folder, then print it with `reslab report` (no colour). */
function run(name: string, args: string[]): Ran {
  const dir = join(tmp(), name);
  const r = reslab(['study', name, ...args, '--out', dir, '--json', '--quiet']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  const rep = reslab(['report', dir, '--no-charts']);
  expect(rep.code).toBe(0);
  return { analysis: out.analysis, jobs: out.jobs, text: rep.stdout, records: jsonLines(join(dir, 'results.jsonl')) };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every table of the JSON is printed: its title, and each row with its cells in order between the │ borders. */
function expectTablesPrinted(r: Ran): void {
  for (const t of r.analysis.tables) {
    expect(r.text).toContain(t.title);
    for (const row of t.rows) expect(r.text).toMatch(new RegExp(`│ ${row.map(esc).join('\\s*│ ')}\\s*│`));
  }
  for (const l of allText(r.analysis)) expect(r.text).toContain(l);
}

/** Every sentence of the verdict: the answer first, then the findings with their children. */
const allText = (a: Analysis): string[] => flatText([...a.verdict.answer, ...a.verdict.lines]);

const cell = (a: Analysis, where: Record<string, string | number>): CellSummary =>
  a.cells.find((c) => Object.entries(where).every(([k, v]) => c.cell[k] === v))!;

/** The seed-range comparison of two cells' median test accuracy, as the studies state it. */
function compare(x: CellSummary, y: CellSummary): string {
  if (x.status === 'failed' && y.status !== 'failed') return 'worse';
  if (y.status === 'failed' && x.status !== 'failed') return 'better';
  const d = 100 * (x.score! - y.score!);
  const noise = 100 * Math.max(x.scoreRange!, y.scoreRange!);
  return Math.abs(d) <= noise ? 'same' : d > 0 ? 'better' : 'worse';
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
};

describe('literature studies, tiny budgets, through the CLI', () => {
  it('degradation: the trend per variant is the one the losses give', () => {
    const r = run('degradation', [...COMMON, '--depth', '2,4', '--lr-grid', '0.05']);
    expect(r.jobs.total).toBe(12);
    expectTablesPrinted(r);
    const a = r.analysis;
    expect(a.tables.map((t) => t.title)).toContain('Final train loss by depth (median [min-max] over seeds)');
    for (const v of ['plain', 'post-2', 'preact-2']) {
      const [c0, c1] = [cell(a, { variant: v, 'model.depth': 2 }), cell(a, { variant: v, 'model.depth': 4 })];
      const line = allText(a).find((l) => l.startsWith(`${v}: final train loss`))!;
      const d = Math.log10(c1.trainLoss.median! / c0.trainLoss.median!);
      const noise = Math.max(...[c0, c1].map((c) => Math.log10(c.trainLoss.max! / c.trainLoss.min!)));
      expect(line).toContain(d > noise ? 'rises with depth' : d < -noise ? 'falls with depth' : 'is flat within the seed spread');
      expect(line).toContain(`= ${d >= 0 ? '+' : ''}${d.toFixed(2)}, seed spread ${noise.toFixed(2)}`);
    }
    expect(a.verdict.answer.some((l) => /^This run (agrees|partly agrees|does not reproduce)/.test(l.text))).toBe(true);
  });

  it('placement: the five designs, each built as named, compared with the original as the numbers say', () => {
    const r = run('placement', [...COMMON, '--depth', '4', '--lr-grid', '0.05']);
    expect(r.jobs.total).toBe(10);
    expectTablesPrinted(r);
    const a = r.analysis;
    const built = Object.fromEntries(
      r.records.map((x) => [String(x.cell!.design), `${x.spec.model.block}-${x.spec.model.skip}/${x.spec.model.normPlace}`]),
    );
    expect(built).toEqual({
      original: 'post-2/branch',
      'bn-after-add': 'post-2/after-add',
      'relu-before-add': 'branch-2/branch',
      'relu-only-preact': 'preact-2/after-linear',
      'full-preact': 'preact-2/branch',
    });
    const orig = cell(a, { design: 'original' });
    for (const [d, label] of [
      ['bn-after-add', 'BN after the addition is worse than the original'],
      ['relu-before-add', 'ReLU before the addition is worse than the original'],
    ]) {
      const line = allText(a).find((l) => l.includes(label))!;
      expect(line).toContain(`${label}: ${compare(cell(a, { design: d }), orig) === 'worse' ? 'confirmed' : 'NOT confirmed'}`);
    }
    const table = a.tables.find((t) => t.title.startsWith('The five units'))!;
    expect(table.rows.map((row) => row[4])).toEqual(['6.61', '8.17', '7.84', '6.71', '6.37']);
  });

  it('shortcuts: worse / within the seed range / better than the identity, from the cells', () => {
    const r = run('shortcuts', [...COMMON, '--depth', '4', '--lr-grid', '0.05']);
    expect(r.jobs.total).toBe(12);
    expectTablesPrinted(r);
    const a = r.analysis;
    const id = cell(a, { 'model.shortcut': 'identity' });
    const groups: Record<string, string[]> = { worse: [], same: [], better: [] };
    for (const k of ['scale', 'gate', 'shortcut-gate', 'projection', 'dropout'])
      groups[compare(cell(a, { 'model.shortcut': k }), id)].push(k);
    const line = allText(a).find((l) => l.startsWith('Compared with the identity shortcut'))!;
    expect(line).toBe(
      `Compared with the identity shortcut: worse: ${groups.worse.join(', ') || 'none'}; within the seed range of it: ${groups.same.join(', ') || 'none'}; better: ${groups.better.join(', ') || 'none'}.`,
    );
    expect(new Set(r.records.map((x) => x.spec.model.shortcut))).toEqual(
      new Set(['identity', 'scale', 'gate', 'shortcut-gate', 'projection', 'dropout']),
    );
  });

  it('init: steps to the target loss are read off the median curves', () => {
    const r = run('init', [...COMMON, '--depth', '4,8', '--lr-grid', '0.003']);
    expect(r.jobs.total).toBe(16);
    expectTablesPrinted(r);
    const a = r.analysis;
    const t = a.tables.find((x) => x.title.startsWith('Initialisation without normalisation'))!;
    for (const depth of [4, 8]) {
      const cs = a.cells.filter((c) => c.cell['model.depth'] === depth);
      const trained = cs.filter((c) => c.status === 'trained');
      if (trained.length === 0) continue;
      // halfway on a log scale from the chance-level loss ln 10 to the highest final loss of a trained cell
      const target = Math.sqrt(Math.log(10) * Math.max(...trained.map((c) => c.trainLoss.median!)));
      for (const c of cs) {
        const i = c.curve.trainLoss.findIndex((l) => l <= target);
        const label = { default: 'default', 'zero-last': 'zero-last', fixup: 'Fixup', rezero: 'ReZero' }[c.cell.design as string]!;
        const row = t.rows.find((x) => x[0] === String(depth) && x[1] === label)!;
        expect(row[5]).toBe(i < 0 ? 'never' : String(c.curve.steps[i]));
        // mean log10 train loss over the run's evaluations, per seed at the chosen lr, recomputed from the raw records
        const per = r.records
          .filter((x) => x.cellKey === c.cellKey && x.lr === c.chosenLr && x.result?.status === 'ok')
          .map((x) => x.result!.history.reduce((s, h) => s + Math.log10(h.trainLoss), 0) / x.result!.history.length);
        if (per.length) expect(row[6].startsWith(median(per).toFixed(2))).toBe(true);
      }
    }
    // each design is the engine's branch scaling of the same name (default = none)
    for (const x of r.records) expect(x.spec.model.branchScale).toBe(x.cell!.design === 'default' ? 'none' : x.cell!.design);
  });

  it('lesion: accuracies per lesion are recorded, and the damage and verdict follow from them', () => {
    const r = run('lesion', [...COMMON, '--depth', '8', '--lr-grid', '0.05']);
    expect(r.jobs.total).toBe(6);
    expectTablesPrinted(r);
    const a = r.analysis;
    const t = a.tables.find((x) => x.title === 'Test accuracy (%) of lesioned nets')!;
    for (const v of ['plain', 'post-2', 'preact-2']) {
      const ms = r.records.filter((x) => x.cell!.variant === v).map((x) => x.lesion!);
      expect(ms.every((m) => m.single.length === (v === 'plain' ? 8 : 4) && m.swaps.length === m.single.length - 1)).toBe(true);
      // intact accuracy is the trained run's final test accuracy (same test set, eval mode)
      for (const x of r.records.filter((y) => y.cell!.variant === v)) expect(x.lesion!.full).toBeCloseTo(x.result!.finalTestAcc!, 9);
      const dmg = median(ms.flatMap((m) => m.single.map((s) => (m.full - s) / (m.full - m.chance))));
      const row = t.rows.find((x) => x[0] === v)!;
      expect(row[4]).toBe(dmg.toFixed(2));
      expect(row.at(-1)).toBe(dmg >= 0.5 ? 'breaks' : dmg <= 0.1 ? 'barely hurts' : 'hurts');
    }
  });

  it('shatter: rho(1) recomputed from the recorded gradients, and the white-noise verdict from its band', () => {
    const r = run('shatter', ['--seeds', '2', '--width', '16', '--depth', '1,8', '--workers', '2']);
    expect(r.jobs.total).toBe(8);
    expectTablesPrinted(r);
    const rho1 = (g: number[]) => {
      const m = g.reduce((s, x) => s + x, 0) / g.length;
      let c = 0;
      let v = 0;
      for (let i = 0; i < g.length; i++) {
        v += (g[i] - m) ** 2;
        if (i + 1 < g.length) c += (g[i] - m) * (g[i + 1] - m);
      }
      return c / v;
    };
    const t = r.analysis.tables[0];
    for (const variant of ['plain', 'preact-1']) {
      for (const depth of [1, 8]) {
        const ms = r.records.filter((x) => x.cell!.variant === variant && x.cell!['model.depth'] === depth).map((x) => x.shatter!);
        expect(ms.length).toBe(2);
        for (const m of ms) {
          expect(m.grads.length).toBe(256);
          expect(m.autocorr[1]).toBeCloseTo(rho1(m.grads), 9);
        }
        const r1 = median(ms.map((m) => m.autocorr[1]));
        const band = median(ms.map((m) => m.noiseBand));
        const row = t.rows.find((x) => x[0] === variant && x[1] === String(depth))!;
        expect(row[2].startsWith(r1.toFixed(2))).toBe(true);
        if (Math.abs(r1) <= band) expect(row.at(-1)).toBe('white noise');
        else expect(row.at(-1)).not.toBe('white noise');
      }
    }
  });
});
