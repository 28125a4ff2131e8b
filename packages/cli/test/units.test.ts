import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandStudy, skipStudy } from '@reslab/engine';
import { CommanderError, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, UsageError } from '../src/errors.js';
import { enumListParser, intListParser, overridesFromFlags, variantListParser } from '../src/options.js';
import { appendJsonLine, ensureWritableDir, readJsonLines, writeAtomic } from '../src/output.js';
import { jobCost } from '../src/pool.js';
import { formatDuration } from '../src/progress.js';
import { lineChart } from '../src/render/html.js';
import { sparkline } from '../src/render/text.js';

describe('flag parsers', () => {
  it('parse good lists and reject bad values with what is allowed', () => {
    const depth = intListParser('--depth', 1, 1024, '24,48');
    expect(depth('24, 48')).toEqual([24, 48]);
    expect(() => depth('-3')).toThrow(InvalidArgumentError);
    expect(() => depth('2.5')).toThrow(/integers in 1..1024/);
    expect(() => enumListParser('activation', ['relu', 'tanh'])('relu,softmaxx')).toThrow(/unknown activation 'softmaxx': use relu, tanh/);
    expect(variantListParser('plain,post-1')).toEqual(['plain', 'post-1']);
    expect(() => variantListParser('post')).toThrow(/needs a skip length/);
  });

  it('turn flags into study overrides: axes stay axes, single values of non-axes become set', () => {
    const o = overridesFromFlags(skipStudy, {
      depth: [6],
      act: ['relu'],
      width: [16],
      steps: 40,
      seeds: 2,
      lrGrid: [0.01],
      set: [['train.clipNorm', 1]],
    });
    expect(o.grid).toEqual({ 'model.depth': [6], 'model.activation': ['relu'] });
    expect(o.set).toEqual({ 'model.width': 16, 'train.maxSteps': 40, 'train.epochs': 10000, 'train.clipNorm': 1 });
    expect(o.seeds).toBe(2);
    expect(overridesFromFlags(skipStudy, { width: [16, 32] }).grid).toEqual({ 'model.width': [16, 32] });
    expect(overridesFromFlags(skipStudy, { epochs: 3 }).set).toEqual({ 'train.epochs': 3, 'train.maxSteps': 0 });
  });
});

describe('errors', () => {
  it('bad input exits 2, commander help 0, internal errors 1', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(2);
    expect(exitCodeFor(new CommanderError(1, 'commander.unknownOption', 'x'))).toBe(2);
    expect(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', ''))).toBe(0);
    expect(exitCodeFor(Object.assign(new Error('bad spec'), { name: 'SpecError' }))).toBe(2);
    expect(exitCodeFor(new TypeError('bug'))).toBe(1);
  });
});

describe('results files', () => {
  it('writes atomically, appends lines, ignores a torn last line and rejects a damaged middle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reslab-cli-'));
    const f = join(dir, 'r.jsonl');
    writeAtomic(f, '');
    appendJsonLine(f, { a: 1 });
    appendJsonLine(f, { a: 2 });
    expect(readJsonLines(f)).toEqual([{ a: 1 }, { a: 2 }]);
    writeFileSync(f, `${readFileSync(f, 'utf8')}{"a": 3, "b`);
    expect(readJsonLines(f)).toEqual([{ a: 1 }, { a: 2 }]);
    writeFileSync(f, '{"a":1}\n{oops\n{"a":2}\n');
    expect(() => readJsonLines(f)).toThrow(/line 2 is not valid JSON/);
    writeFileSync(join(dir, 'file'), '');
    expect(() => ensureWritableDir(join(dir, 'file', 'sub'))).toThrow(/cannot write to output folder/);
  });
});

describe('pool schedule', () => {
  it('ranks jobs by cost: deeper costs more, a projection shortcut adds its matrices', () => {
    const jobs = expandStudy(skipStudy).jobs;
    const train = (variant: string, depth: number) => {
      const j = jobs.find((x) => x.kind === 'train' && x.cell.variant === variant && x.cell['model.depth'] === depth);
      if (!j) throw new Error(`no ${variant} d${depth} job`);
      return jobCost(j);
    };
    expect(train('post-2', 48)).toBeGreaterThan(1.5 * train('post-2', 24));
    const fold = jobs.find((x) => x.kind === 'fold');
    expect(fold?.spec.model.shortcut).toBe('projection');
    // the same job with an identity shortcut: one width x width matrix per block less
    const identity = { ...fold!, spec: { ...fold!.spec, model: { ...fold!.spec.model, shortcut: 'identity' as const } } };
    const { depth, width } = fold!.spec.model;
    expect(jobCost(fold!) / jobCost(identity)).toBeCloseTo(1 + (depth * width * width) / (width * (784 + 10) + depth * width * width), 6);
  });
});

describe('rendering', () => {
  it('sparkline follows the log of the values', () => {
    expect(sparkline([1, 10, 100, 1000])).toBe('▁▃▆█');
    expect(sparkline([])).toBe('');
  });

  it('line charts are plain SVG with no NaN, a path per connected run and a dot per isolated point', () => {
    const svg = lineChart(
      [
        { name: 'a', color: '#000', xs: [1, 2, 3], ys: [1, 0.5, 0.25] },
        { name: 'b', color: '#f00', xs: [1, 2, 3], ys: [2, null, 1] },
      ],
      { title: 't<x>', xLabel: 'step', yLabel: 'loss', logY: true },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined/);
    // series a is one connected run; series b's two points are separated by a gap, so each is a dot
    expect(svg.match(/<path /g)?.length).toBe(1);
    expect(svg.match(/<circle [^>]*fill="#f00"/g)?.length).toBe(2);
    expect(svg).toContain('t&lt;x&gt;');
  });

  it('formats durations', () => {
    expect([formatDuration(900), formatDuration(61_000), formatDuration(3_720_000)]).toEqual(['1s', '1m01s', '1h02m']);
  });
});
