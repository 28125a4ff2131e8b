/**
 * The main job end to end at a tiny budget: `reslab study skip` as a subprocess,
 * its printed table, its JSON, its files, and a verdict that follows from the
 * numbers it printed; resume after Ctrl-C; the same numbers for any --workers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Analysis, type CellSummary, flatText, type Threshold } from '@reslab/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, numbers, type Run, reslab, reslabAsync, tmp } from './helpers.js';

// 1 depth x 3 variants x 2 activations x Adam: 6 cells; the fixed grid of 2 rates tuned on seed 1 (12 runs), then
// seed 2 at each cell's chosen rate (6 runs) = 18 runs + 1 projection fold check, on 400 MNIST digits
const TINY = [
  'study',
  'skip',
  '--optimizer',
  'adam',
  '--lr-fixed',
  '--depth',
  '2',
  '--variants',
  'plain,post-1,post-2',
  '--act',
  'relu,tanh',
  '--seeds',
  '2',
  '--lr-grid',
  '0.003,0.01',
  '--steps',
  '24',
  '--eval-every',
  '8',
  '--width',
  '12',
  '--data-size',
  '400',
];

describe('reslab study skip (tiny budget)', () => {
  const dirText = join(tmp(), 'text');
  const dirJson = join(tmp(), 'json');
  let text: Run;
  let json: Run;
  beforeAll(() => {
    text = reslab([...TINY, '--workers', '2', '--out', dirText]);
    json = reslab([...TINY, '--workers', '2', '--out', dirJson, '--json']);
  }, 240_000);

  it('exits 0 and prints the table, profiles, algebra check, verdict and where it wrote', () => {
    expect(text.stderr).not.toMatch(/error/i);
    expect(text.code).toBe(0);
    const out = text.stdout;
    expect(out).toMatch(/One-layer vs two-layer skips, per activation: depth 2/);
    for (const h of ['variant', 'activation', 'train loss', 'test acc', 'diverged', 'lr', 'status']) expect(out).toContain(h);
    for (const v of ['plain', 'post-1', 'post-2']) expect(out).toMatch(new RegExp(`│ ${v}\\s+│ relu`));
    expect(out).toContain('Gradient norm per layer at initialisation');
    expect(out).toMatch(/Algebra check\n - every trained post-1 net of the grid \(6 runs\)/);
    expect(out).toMatch(/projection shortcut \(W_r \+ W\): max \|y_post1 - y_folded\|/);
    expect(out).toContain('Answer (computed from the numbers above)');
    expect(out).toMatch(/ 1\. Yes, a one-layer post-addition skip is a plain layer/);
    expect(out).toContain('Spread of the hidden state across inputs, per block, at initialisation');
    expect(out).toContain(join(dirText, 'report.html'));
    // progress went to stderr as plain lines (no TTY)
    expect(text.stderr).toMatch(/\[19\/19\]/);
  });

  it('--json prints only JSON, with the same numbers as the text run (same specs and seeds)', () => {
    expect(json.code).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.jobs).toEqual({ total: 19, ran: 19, reused: 0 });
    expect(r.analysis.cells.length).toBe(6);
    // every printed row matches the JSON cell (test acc median, chosen lr, diverged)
    for (const c of r.analysis.cells) {
      const acc = c.testAcc.median === null ? '-' : (100 * c.testAcc.median).toFixed(1);
      const row = new RegExp(
        `│ ${c.cell.variant}\\s+│ ${c.cell['model.activation']}\\s+│[^\\n]*│ ${acc.replace('.', '\\.')}[^\\n]*│ ${c.diverged}/${c.runs}\\s+│`,
      );
      expect(text.stdout).toMatch(row);
    }
  });

  it('the verdict follows from the data with the thresholds it states', () => {
    const a: Analysis = JSON.parse(json.stdout).analysis;
    const thr = (name: string): number => a.verdict.thresholds.find((t: Threshold) => t.name === name)!.value;
    const hi = thr('trained (depth 2, optimizer adam)');
    const lo = thr('failed (depth 2, optimizer adam)');
    const scored = a.cells.filter((c: CellSummary) => c.score !== null);
    const best = Math.max(...scored.map((c: CellSummary) => c.score!));
    expect(hi).toBeCloseTo(0.1 + 0.5 * (best - 0.1), 9);
    expect(lo).toBeCloseTo(0.1 + 0.1 * (best - 0.1), 9);
    const group = flatText(a.verdict.lines).find((l) => /^depth 2(, optimizer adam)?: trained:/.test(l))!;
    for (const c of a.cells) {
      const expected = c.diverged * 2 > c.runs || c.score === null || c.score < lo ? 'failed' : c.score >= hi ? 'trained' : 'partly';
      expect(c.status, c.cellKey).toBe(expected);
      // the words list the cell under its status
      const list = new RegExp(`${c.status}: ([^;(]*)`).exec(group)![1];
      expect(list.split(', ').map((x) => x.trim().replace(/\.$/, ''))).toContain(`${c.cell.variant}/${c.cell['model.activation']}`);
    }
    // each one- vs two-layer comparison is stated in the direction the numbers give
    for (const act of ['relu', 'tanh']) {
      const pair = a.verdict.lines.find((l) => l.id === 'pairs')!.children!.find((l) => l.id.startsWith(`pairs.${act}.`))!;
      expect(pair).toBeDefined();
      const c1 = a.cells.find((c: CellSummary) => c.cell.variant === 'post-1' && c.cell['model.activation'] === act)!;
      const c2 = a.cells.find((c: CellSummary) => c.cell.variant === 'post-2' && c.cell['model.activation'] === act)!;
      const cmp = pair.children!.find((l) => l.text.startsWith('post-1 '))!;
      if (c1.status === 'failed' || c2.status === 'failed') {
        expect(cmp.text).toContain(`post-1 ${c1.status} vs post-2 ${c2.status}`);
        continue;
      }
      const d = 100 * (c1.score! - c2.score!);
      const noise = 100 * Math.max(c1.scoreRange!, c2.scoreRange!);
      expect(cmp.text).toContain(`${d >= 0 ? '+' : ''}${d.toFixed(1)} points, seed range ${noise.toFixed(1)}`);
      expect(cmp.claim!.value).toBe(Math.abs(d) <= noise ? 'tie' : d < 0 ? 'post-2 better' : 'post-1 better');
    }
    // the algebra: every fold check passed and the verdict says so
    expect(a.checks.length).toBe(2);
    for (const c of a.checks) expect(c.ok).toBe(true);
    expect(a.verdict.lines.find((l) => l.id === 'algebra')!.text).toMatch(/Algebra \(2 of 2 checks passed\)/);
    // the answer opens the verdict: at most five sentences, each with its numbers
    expect(a.verdict.answer.length).toBeGreaterThan(0);
    expect(a.verdict.answer.length).toBeLessThanOrEqual(5);
    for (const l of a.verdict.answer) expect(l.evidence.length).toBeGreaterThan(0);
  });

  it('writes results.jsonl, the CSVs, summary.json, study.json and a self-contained report.html', () => {
    const recs = jsonLines(join(dirJson, 'results.jsonl'));
    expect(recs.length).toBe(19);
    for (const r of recs) {
      expect(r.spec.model.depth).toBe(2);
      expect(typeof r.seed).toBe('number');
      expect(r.timeMs).toBeGreaterThan(0);
    }
    const train = recs.filter((r) => r.kind === 'train');
    expect(train.every((r) => r.result!.history.length === 3 && r.result!.steps === 24)).toBe(true);
    expect(readFileSync(join(dirJson, 'table.csv'), 'utf8').trim().split('\n').length).toBe(7);
    expect(readFileSync(join(dirJson, 'runs.csv'), 'utf8').trim().split('\n').length).toBe(20);
    expect(JSON.parse(readFileSync(join(dirJson, 'study.json'), 'utf8'))).toMatchObject({ name: 'skip', builtin: true });
    const html = readFileSync(join(dirJson, 'report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(6);
    expect(html).toContain('Gradient-norm profile across depth');
    // nothing loaded from anywhere: no scripts, no links, no external URLs besides the SVG namespace
    expect(html).not.toMatch(/<script|<link|src=|@import/);
    expect(html.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '')).not.toMatch(/https?:\/\//);
    expect(existsSync(join(dirJson, 'summary.json'))).toBe(true);
  });

  it('reslab report rebuilds the same verdict from the saved results', () => {
    const r = reslab(['report', dirJson, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).analysis.verdict).toEqual(JSON.parse(json.stdout).analysis.verdict);
  });

  it('gives the same numbers with --workers 1 as with --workers 2', () => {
    const dir1 = join(tmp(), 'w1');
    const r = reslab([...TINY, '--workers', '1', '--out', dir1, '--quiet']);
    expect(r.code).toBe(0);
    expect(numbers(jsonLines(join(dir1, 'results.jsonl')))).toEqual(numbers(jsonLines(join(dirJson, 'results.jsonl'))));
  });

  it('stops cleanly on Ctrl-C and --resume finishes without redoing runs, to the same results', async () => {
    // longer runs than TINY, so that the interrupt lands mid-way; the learning-rate search on, so that the resumed
    // study must re-derive the rates it had added
    const slow = [...TINY.filter((a) => a !== '--lr-fixed'), '--steps', '150', '--eval-every', '50', '--width', '32'];
    const whole = join(tmp(), 'whole');
    expect(reslab([...slow, '--workers', '2', '--out', whole, '--quiet']).code).toBe(0);
    const total = jsonLines(join(whole, 'results.jsonl')).length;
    expect(total).toBeGreaterThan(19);
    const dir = join(tmp(), 'resume');
    const child = reslabAsync([...slow, '--workers', '1', '--out', dir]);
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    const code = await new Promise<number>((resolve) => {
      let sent = false;
      child.stderr!.on('data', () => {
        if (!sent && /\[\s*3\/\d+\+?\]/.test(err)) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : -1)));
    });
    expect(code).toBe(130);
    expect(err).toMatch(/stopped after .*: \d+ of \d+ runs known so far are saved in .*; continue with: reslab study skip --resume /);
    const saved = jsonLines(join(dir, 'results.jsonl')).length;
    expect(saved).toBeGreaterThanOrEqual(3);
    expect(saved).toBeLessThan(total);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);

    const r = reslab(['study', '--resume', dir, '--json', '--workers', '2']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).jobs).toEqual({ total, ran: total - saved, reused: saved });
    expect(numbers(jsonLines(join(dir, 'results.jsonl')))).toEqual(numbers(jsonLines(join(whole, 'results.jsonl'))));
  });
});
