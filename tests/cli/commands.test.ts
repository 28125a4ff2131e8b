/** Every command's happy path, --help on every command, and each kind of bad input (exit 2, one line, no stack). */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Analysis, CheckSummary } from '@reslab/engine';
import { describe, expect, it } from 'vitest';
import { jsonLines, reslab, tmp } from './helpers.js';

const COMMANDS = ['study', 'train', 'sweep', 'fold', 'bench', 'report', 'list'];

describe('help', () => {
  it('every command has --help with examples', () => {
    const top = reslab(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) {
      expect(top.stdout).toContain(c);
      const r = reslab([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Examples:\n\s+\$ reslab /);
    }
  });
});

describe('happy paths', () => {
  it('list names the studies (text and JSON)', () => {
    const r = reslab(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^skip\s+One-layer vs two-layer skips/m);
    const j = JSON.parse(reslab(['list', '--json']).stdout);
    expect(j.studies.map((s: { name: string; runs: { cli: number } }) => s.name)).toEqual(expect.arrayContaining(['skip', 'fold']));
    expect(j.studies.find((s: { name: string; runs: { cli: number } }) => s.name === 'skip').runs.cli).toBeGreaterThan(100);
  });

  it('train prints live metrics, writes results and a checkpoint; fold checks the checkpoint', () => {
    const dir = tmp();
    const ck = join(dir, 'post1.json');
    const r = reslab([
      'train',
      '--dataset',
      'spiral',
      '--data-size',
      '300',
      '--variant',
      'post-1',
      '--depth',
      '4',
      '--width',
      '12',
      '--act',
      'tanh',
      '--steps',
      '60',
      '--eval-every',
      '20',
      '--lr',
      '0.01',
      '--save',
      ck,
      '--out',
      join(dir, 'run'),
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/step 20\/60 {2}train loss [\d.]+ {2}test loss [\d.]+ {2}test acc [\d.]+%/);
    expect(r.stdout).toMatch(/final: train loss [\d.]+, test loss [\d.]+, test acc [\d.]+%/);
    expect(jsonLines(join(dir, 'run', 'results.jsonl'))[0].result!.history.length).toBe(3);
    expect(existsSync(join(dir, 'run', 'report.html'))).toBe(true);
    expect(existsSync(ck)).toBe(true);

    const j = JSON.parse(
      reslab(['train', '--spec', writeSpec(dir), '--seed', '3', '--json', '--quiet', '--out', join(dir, 'run2')]).stdout,
    );
    expect(j.spec.seed).toBe(3);
    expect(j.spec.model).toMatchObject({ block: 'preact', skip: 2, depth: 4 });
    expect(j.history.length).toBeGreaterThan(0);

    const f = reslab(['fold', ck, '--json', '--out', join(dir, 'fold')]);
    expect(f.code).toBe(0);
    const fr = JSON.parse(f.stdout);
    expect(fr).toMatchObject({ variant: 'post-1', shortcut: 'identity', ok: true });
    expect(fr.maxAbsDiff).toBeLessThanOrEqual(fr.tolerance);
    expect(fr.maxAbsDiff64).toBeLessThan(1e-9);
    const ft = reslab(['fold', ck]);
    expect(ft.stdout).toMatch(/same function: the post-1 net is a plain net with folded weights/);
  });

  it('sweep runs a user-written study file', () => {
    const dir = tmp();
    const grid = join(dir, 'grid.json');
    writeFileSync(
      grid,
      JSON.stringify({
        name: 'widths',
        base: {
          model: { depth: 2, activation: 'tanh' },
          train: { maxSteps: 20, epochs: 1000, evalEvery: 10 },
          data: { name: 'moons', size: 200 },
        },
        grid: { variant: ['plain', 'branch-2'], 'model.width': [4, 8] },
        seeds: 2,
        lrGrid: [0.01],
        layout: { tables: 'model.width' },
      }),
    );
    const r = reslab(['sweep', '--grid', grid, '--lr-fixed', '--json', '--workers', '2', '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.study).toBe('widths');
    expect(j.jobs.total).toBe(8);
    expect(j.analysis.tables.map((t: { title: string }) => t.title)).toEqual(['widths: width 4', 'widths: width 8']);
    expect(readFileSync(join(dir, 'out', 'table.csv'), 'utf8').split('\n')[0]).toMatch(/^variant,width,chosen_lr/);
  });

  it('the fold study runs at a tiny budget with every check passing', () => {
    const dir = tmp();
    const r = reslab([
      'study',
      'fold',
      '--seeds',
      '2',
      '--steps',
      '20',
      '--eval-every',
      '10',
      '--width',
      '8',
      '--depth',
      '4',
      '--data-size',
      '300',
      '--json',
      '--out',
      dir,
    ]);
    expect(r.code).toBe(0);
    const a: Analysis = JSON.parse(r.stdout).analysis;
    const kinds = a.checks.map((c: CheckSummary) => c.kind);
    expect(kinds.filter((k: string) => k === 'fold').length).toBe(6);
    expect(kinds.filter((k: string) => k === 'twin').length).toBe(2);
    for (const c of a.checks) expect(c.ok, c.line).toBe(true);
    expect(a.verdict.lines.find((l) => l.id === 'algebra')!.text).toMatch(/Algebra \(8 of 8 checks passed\)/);
  });

  it('bench lists what it would run', () => {
    const r = reslab(['bench', '--list', '--json']);
    expect(r.code).toBe(0);
    const names = JSON.parse(r.stdout).benches.map((b: { name: string }) => b.name);
    expect(names).toContain('core-wasm/gemm');
    const bad = reslab(['bench', '--only', 'nothing-like-this']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no benchmark matches 'nothing-like-this': available are /);
  });

  it('--dry-run lists the runs without running them', () => {
    const r = reslab(['study', 'skip', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    // the starting jobs: 72 cells at their optimizer's 3 starting rates, tuned on one seed, + 1 check
    const j = JSON.parse(r.stdout);
    expect(j.jobs.length).toBe(72 * 3 + 1);
    expect(j.lrSearch).toMatchObject({ extend: true, tuneSeeds: 1 });
  });
});

function writeSpec(dir: string): string {
  const p = join(dir, 'spec.json');
  writeFileSync(
    p,
    JSON.stringify({
      model: { block: 'preact', skip: 2, depth: 4, width: 8 },
      train: { maxSteps: 10, epochs: 100, evalEvery: 5 },
      data: { name: 'xor', size: 200 },
    }),
  );
  return p;
}

describe('bad input: one line on stderr, exit 2, no stack trace', () => {
  const dir = tmp();
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ "grid": { "variant": ["plain"] ');
  const wrong = join(dir, 'wrong.json');
  writeFileSync(wrong, JSON.stringify({ grid: { 'model.depth': [4] }, seeds: 'three' }));
  const wrongSpec = join(dir, 'wrong-spec.json');
  writeFileSync(wrongSpec, JSON.stringify({ model: { depth: 'deep' }, colour: 'red' }));
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const ro = join(dir, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o500);
  const asRoot = process.getuid?.() === 0;

  const cases: Array<[string, string[], RegExp]> = [
    ['unknown flag', ['study', 'skip', '--colour'], /unknown option '--colour'/],
    ['unknown command', ['stduy'], /unknown command 'stduy'/],
    ['negative depth', ['study', 'skip', '--depth', '-3'], /--depth must be integers in 1\.\.1024/],
    ['unknown activation', ['study', 'skip', '--act', 'softmaxx'], /unknown activation 'softmaxx': use identity, relu/],
    [
      'depth not a multiple of the skip',
      ['study', 'skip', '--depth', '25', '--dry-run'],
      /depth 25 is not a multiple of the skip length 2/,
    ],
    ['train depth not a multiple', ['train', '--variant', 'post-3', '--depth', '4'], /depth 4 is not a multiple of the skip length 3/],
    ['unknown variant', ['study', 'skip', '--variants', 'post'], /variant 'post' needs a skip length/],
    ['unknown study', ['study', 'nope'], /unknown study 'nope': available studies are skip, fold/],
    ['malformed JSON', ['sweep', '--grid', bad], /is not valid JSON/],
    ['wrong-schema study file', ['sweep', '--grid', wrong], /seeds/],
    ['wrong-schema spec file', ['train', '--spec', wrongSpec], /run spec: (model\.depth|\(root\))/],
    ['unreadable file', ['sweep', '--grid', join(dir, 'missing.json')], /cannot read study file '.*missing\.json': no such file/],
    ['unreadable checkpoint', ['fold', join(dir, 'missing.json')], /cannot read checkpoint/],
    ['not a checkpoint', ['fold', wrongSpec], /checkpoint: format is 'undefined'/],
    [
      'unwritable --out (a file in the way)',
      ['study', 'skip', '--depth', '2', '--act', 'relu', '--variants', 'plain', '--seeds', '1', '--steps', '1', '--out', join(file, 'x')],
      /cannot write to output folder .*: choose a writable folder with --out/,
    ],
    ['resume of a non-results folder', ['study', '--resume', dir], /is not a reslab results folder: study\.json is missing/],
    ['resume with overrides', ['study', 'skip', '--resume', dir, '--depth', '4'], /--resume continues the study exactly as recorded/],
    ['bad --workers', ['study', 'skip', '--workers', '0'], /--workers must be an integer in 1\.\.256/],
  ];
  if (!asRoot)
    cases.push([
      'read-only --out',
      ['study', 'skip', '--depth', '2', '--act', 'relu', '--variants', 'plain', '--seeds', '1', '--out', join(ro, 'x')],
      /permission denied/,
    ]);

  // Under /proc nothing can be created (even as root), and Node 20's recursive mkdir loops there forever:
  // the CLI must still answer at once.
  if (existsSync('/proc/self'))
    cases.push([
      'uncreatable --out (under /proc)',
      ['study', 'skip', '--depth', '2', '--act', 'relu', '--variants', 'plain', '--seeds', '1', '--out', '/proc/reslab-x/y'],
      /cannot write to output folder '\/proc\/reslab-x\/y'/,
    ]);

  for (const [name, args, msg] of cases) {
    it(name, () => {
      const r = reslab(args, { cwd: dir, timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n').filter((l) => l.trim());
      expect(lines.length, r.stderr).toBe(1);
      expect(lines[0]).toMatch(/^reslab: /);
      expect(lines[0]).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('--debug adds the stack trace', () => {
    const r = reslab(['sweep', '--grid', bad, '--debug'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('a diverged run is a result, not a crash', () => {
    const r = reslab(
      [
        'train',
        '--dataset',
        'spiral',
        '--data-size',
        '200',
        '--variant',
        'post-2',
        '--depth',
        '16',
        '--width',
        '16',
        '--optimizer',
        'sgd',
        '--lr',
        '50',
        '--steps',
        '30',
        '--json',
        '--quiet',
        '--out',
        join(dir, 'div'),
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.status).toBe('diverged');
    expect(j.divergedAt).toBeGreaterThanOrEqual(0);
  });
});
