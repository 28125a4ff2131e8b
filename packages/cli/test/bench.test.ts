/** reslab bench without running a benchmark: the suite, the script arguments, the JSON parsing and the target rows. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderTargets, targetRows } from '../src/bench-summary.js';
import { findBenches, parseResult, SUITE, scriptArgs } from '../src/commands/bench.js';

const BIN = fileURLToPath(new URL('../bin/reslab.js', import.meta.url));

describe('reslab bench', () => {
  it('finds the whole suite, in suite order', () => {
    const names = findBenches().map((b) => b.name);
    expect(names.slice(0, SUITE.length)).toEqual([...SUITE]);
  });

  it('asks every script for JSON, passes --quick and the arguments after --', () => {
    expect(scriptArgs({ name: 'engine/step' }, { quick: false, extra: [] })).toEqual(['--json']);
    expect(scriptArgs({ name: 'engine/step' }, { quick: true, extra: ['--rounds', '1'] })).toEqual(['--json', '--quick', '--rounds', '1']);
    expect(scriptArgs({ name: 'e2e/run' }, { quick: true, extra: [] })).toContain('--grid');
  });

  it('takes the last JSON object a script prints', () => {
    expect(parseResult('progress\n{"bench":"gemm","a":1}\n')).toEqual({ bench: 'gemm', a: 1 });
    expect(parseResult('{"bench":"x"}\nnot json')).toEqual({ bench: 'x' });
    expect(parseResult('no json here\n[1,2]')).toBeNull();
  });

  it('judges each target from the numbers', () => {
    const gemm = (slowest: number) => ({
      bench: 'gemm',
      peaks: { simd: 56, relaxed: 66 },
      target: { gflops: 45 },
      rows: [
        { name: '128x128x128', layout: 'NN', simd: 47, relaxed: 55, tfjs: 16 },
        { name: '64x64 dW', layout: 'TN', simd: slowest - 5, relaxed: slowest, tfjs: 2 },
      ],
    });
    const [ok] = targetRows([gemm(46)]);
    expect(ok.met).toBe(true);
    expect(ok.reslab).toMatch(/slowest 46\.0 GFLOP\/s \(64x64 dW TN, relaxed SIMD\)/);
    expect(targetRows([gemm(44)])[0].met).toBe(false);

    const step = {
      bench: 'step',
      best: 'wasm-relaxed',
      impls: { 'wasm-relaxed': { msPerStep: 40, lowerBoundMs: 30 }, 'tfjs-wasm': { msPerStep: 500 }, 'tfjs-cpu': { msPerStep: 1500 } },
      ratios: { 'tfjs-wasm': 12.5, 'tfjs-cpu': 37.5 },
      lowerBoundFraction: 0.75,
    };
    const rows = targetRows([step]);
    expect(rows.map((r) => r.met)).toEqual([true, false, true]);

    const small = targetRows([
      {
        bench: 'small',
        relaxedAvailable: true,
        rows: [
          {
            config: 'post-2 relu d48',
            'reslab-relaxed': { msPerStep: 2, lowerBoundMs: 1.5, jsBytesPerStep: 1536 },
            'tfjs-wasm': { msPerStep: 40 },
          },
        ],
      },
    ]);
    expect(small[0].reslab).toBe('500 steps/s, gemm 75% of the step, 1.5 KiB of JS objects per step');
    expect(small[0].ratio).toBe('20.0x');

    const mem = targetRows([{ bench: 'memory', steps: 10000, flat: false, heapGrowth: 1e6, wasmGrowth: 0 }]);
    expect(mem[0].met).toBe(false);
    const par = targetRows([{ bench: 'parallel', speedup: 1.9, identical: false, workers: 2, wallMs: { 1: 10, 2: 5 }, target: 1.8 }]);
    expect(par[0].met).toBe(false);
    const e2e = targetRows([
      {
        bench: 'e2e',
        grid: 'full',
        runs: 324,
        reslab: { wallMs: 100000 },
        peers: [
          { name: 'pytorch', label: 'PyTorch', ratio: 1.2, wallMs: 120000 },
          { name: 'tfjs-wasm', label: 'tfjs', ratio: 9, wallMs: 900000, extrapolated: true, sampledRuns: 12 },
        ],
      },
    ]);
    expect(e2e.map((r) => r.met)).toEqual([true, false]);
    expect(renderTargets([...rows, ...e2e])).toMatch(/^Targets \(issue 7\): 3 of 5 met/);
    expect(targetRows([{ bench: 'unknown' }])).toEqual([]);
  });

  it('--list --json describes each script with its command line', () => {
    const r = spawnSync(process.execPath, [BIN, 'bench', '--list', '--json', '--quick'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout).benches;
    expect(list.map((b: { name: string }) => b.name)).toEqual(expect.arrayContaining([...SUITE]));
    for (const b of list) expect(b.args.slice(0, 2)).toEqual(['--json', '--quick']);
  });
});
