/**
 * Beyond one machine: `reslab study --shard i/N` in three separate processes, then
 * `reslab merge`, give exactly the numbers of a single-process run; bad --shard values
 * and folders that do not belong together are refused with one clear line (exit 2).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, jsonLines, numbers, type Run, reslab, tmp } from './helpers.js';

// 1 depth x 2 variants x 2 activations, Adam: 4 cells, each tuned on seed 1 from the single rate 0.01 by the
// learning-rate search, then seed 2 at the chosen rate; + 1 fold check, tiny nets
const TINY = [
  'study',
  'skip',
  '--optimizer',
  'adam',
  '--depth',
  '2',
  '--variants',
  'plain,post-1',
  '--act',
  'relu,tanh',
  '--seeds',
  '2',
  '--lr-grid',
  '0.01',
  '--steps',
  '12',
  '--eval-every',
  '4',
  '--width',
  '8',
  '--data-size',
  '200',
  '--workers',
  '1',
  '--quiet',
  '--no-charts',
];

/** Start the CLI without waiting (the shards run at the same time, as on separate machines). */
function start(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const study = (dir: string) => JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8'));

describe('reslab study --shard i/N and reslab merge', () => {
  const root = tmp();
  const dir = (n: string) => join(root, n);
  let shards: Run[];
  let single: Run;
  let merged: Run;
  beforeAll(async () => {
    shards = await Promise.all([1, 2, 3].map((i) => start([...TINY, '--shard', `${i}/3`, '--out', dir(`s${i}`)], root)));
    single = reslab([...TINY, '--out', dir('single')], { cwd: root });
    merged = reslab(['merge', dir('s1'), dir('s2'), dir('s3'), '--out', dir('merged'), '--json'], { cwd: root });
  }, 240_000);

  it('three shards split the cells: each run in exactly one shard, each cell whole, recorded in its study.json', () => {
    for (const s of shards) expect(s.code, s.stderr).toBe(0);
    const recs = [1, 2, 3].map((i) => jsonLines(join(dir(`s${i}`), 'results.jsonl')));
    const all = recs.flat().map((r) => r.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(jsonLines(join(dir('single'), 'results.jsonl')).length);
    // the search added rates beyond the single starting rate
    expect(new Set(recs.flat().map((r) => r.lr)).size).toBeGreaterThan(1);
    const owner = new Map<string, number>();
    for (const [k, rs] of recs.entries()) {
      for (const r of rs) {
        if (!r.cellKey) continue;
        expect(owner.get(r.cellKey) ?? k, r.cellKey).toBe(k);
        owner.set(r.cellKey, k);
      }
    }
    expect(owner.size).toBe(4);
    for (const [k, i] of [1, 2, 3].entries()) {
      const sh = study(dir(`s${i}`)).shard;
      expect(sh).toMatchObject({ index: i, count: 3, planJobs: 5 });
      // the starting jobs recorded for the shard all ran there
      for (const id of sh.jobs) expect(recs[k].map((r) => r.id)).toContain(id);
      expect(recs[k].length).toBeGreaterThanOrEqual(1);
    }
  });

  it('the merged folder equals a single-process run exactly (final numbers and histories)', () => {
    expect(single.code, single.stderr).toBe(0);
    expect(merged.code, merged.stderr).toBe(0);
    const a = jsonLines(join(dir('single'), 'results.jsonl'));
    const b = jsonLines(join(dir('merged'), 'results.jsonl'));
    expect(b.map((r) => r.id)).toEqual(a.map((r) => r.id));
    expect(numbers(b)).toEqual(numbers(a));
    type Rec = { result: { timeMs: number; history: Array<{ timeMs: number }> } | null };
    const strip = (r: Rec) => r.result && { ...r.result, timeMs: 0, history: r.result.history.map((h) => ({ ...h, timeMs: 0 })) };
    expect(b.map(strip)).toEqual(a.map(strip));
    expect(readFileSync(join(dir('merged'), 'table.csv'), 'utf8')).toBe(readFileSync(join(dir('single'), 'table.csv'), 'utf8'));
    const r = JSON.parse(merged.stdout);
    expect(r.merged.map((m: { shard: string }) => m.shard)).toEqual(['1/3', '2/3', '3/3']);
    expect(r.missing).toEqual([]);
    expect(study(dir('merged')).shard).toBeUndefined();
  });

  it('refuses bad --shard values with one line and exit 2', () => {
    for (const [v, msg] of [
      ['0/3', /i must be in 1\.\.3/],
      ['4/3', /i must be in 1\.\.3/],
      ['x/y', /--shard takes i\/N/],
      ['1/0', /N must be in 1\.\./],
    ] as const) {
      const r = reslab([...TINY, '--shard', v, '--out', dir(`bad-${v.replace('/', '-')}`)], { cwd: root });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('refuses to merge missing shards, the same shard twice and folders of different studies', () => {
    const missing = reslab(['merge', dir('s1'), dir('s3'), '--out', dir('m-missing')], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/runs are missing .*shard\(s\) 2\/3 not given.*--partial/);
    const twice = reslab(['merge', dir('s1'), dir('s2'), dir('s3'), dir('single'), '--out', dir('m-dup')], { cwd: root });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/is in both '.*s\d' and '.*single'/);
    const other = reslab([...TINY, '--seeds', '1', '--shard', '2/3', '--out', dir('other')], { cwd: root });
    expect(other.code, other.stderr).toBe(0);
    const mixed = reslab(['merge', dir('s1'), dir('other'), dir('s3'), '--out', dir('m-mixed')], { cwd: root });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/cannot merge .*other.*different studies \(overrides/);
    const partial = reslab(['merge', dir('s1'), dir('s3'), '--out', dir('m-partial'), '--partial', '--json'], { cwd: root });
    expect(partial.code, partial.stderr).toBe(0);
    expect(JSON.parse(partial.stdout).missing).toEqual(study(dir('s2')).shard.jobs);
  });
});
