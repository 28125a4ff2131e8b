#!/usr/bin/env node
// gemm throughput of reslab's wasm core (SIMD and relaxed SIMD) next to TensorFlow.js's
// wasm backend (SIMD, 1 thread), plus a measured 128-bit SIMD peak.
//
//   node bench/gemm.mjs [--procs N] [--ms T]
//
// Wasm code runs at one of two speeds per process, so the measurements are repeated in N
// child processes (default 3); inside a child the implementations are interleaved
// (A B C A B C ...), each keeps its best; the table shows the median over the children.
// TensorFlow.js gets a fresh B tensor per call (it caches packed weights per tensor, which
// training, where weights change every step, never benefits from); for NN the cached-B
// number is shown too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

const CASES = [
  ...[64, 128, 256, 512, 1024].map((s) => ({ name: `${s}x${s}x${s}`, M: s, N: s, K: s, tA: 0, tB: 0 })),
  // training shapes: op(A) 128x256 (batch x in), op(B) 256x256; forward NN, backward NT (dX) and TN (dW) layouts
  { name: '128x256 . 256x256', M: 128, N: 256, K: 256, tA: 0, tB: 0 },
  { name: '128x256 . 256x256', M: 128, N: 256, K: 256, tA: 0, tB: 1 },
  { name: '128x256 . 256x256', M: 128, N: 256, K: 256, tA: 1, tB: 0 },
];
const layout = (c) => `${c.tA ? 'T' : 'N'}${c.tB ? 'T' : 'N'}`;

// A tight loop of independent f32x4 multiply-adds: 12 chains, 12 x 8 flops per iteration.
const PEAK_SRC = `
export function peak(iters: i32, m: f32, c: f32): f32 {
  const vm = f32x4.splat(m); const vc = f32x4.splat(c);
  ${Array.from({ length: 12 }, (_, i) => `let a${i} = f32x4.splat(${1 + i * 0.01});`).join(' ')}
  for (let i = 0; i < iters; i++) {
    ${Array.from({ length: 12 }, (_, i) => `a${i} = MADD(a${i}, vm, vc);`).join(' ')}
  }
  let s = f32x4.splat(0);
  ${Array.from({ length: 12 }, (_, i) => `s = f32x4.add(s, a${i});`).join(' ')}
  return f32x4.extract_lane(s, 0);
}`;

async function buildPeak(relaxed) {
  const asc = (await import('assemblyscript/asc')).default;
  const madd = relaxed ? 'f32x4.relaxed_madd(x, y, z)' : 'f32x4.add(f32x4.mul(x, y), z)';
  const src = `// @ts-ignore\n@inline function MADD(x: v128, y: v128, z: v128): v128 { return ${madd}; }\n${PEAK_SRC}`;
  const r = await asc.compileString(src, {
    optimizeLevel: 3,
    runtime: 'stub',
    noAssert: true,
    enable: relaxed ? ['simd', 'relaxed-simd'] : ['simd'],
  });
  if (r.error) throw new Error(`peak kernel: ${r.error.message}\n${r.stderr.toString()}`);
  return r.binary;
}

function rate(fn, flops, minMs) {
  fn();
  let n = 0;
  const t0 = performance.now();
  let t = 0;
  do {
    fn();
    n++;
    t = performance.now() - t0;
  } while (t < minMs);
  return (flops * n) / t / 1e6;
}

async function child(peakDir, minMs) {
  const { loadCore } = await import('../dist/index.js');
  const simd = await loadCore({ relaxed: false });
  const relaxed = WebAssembly.validate(readFileSync(join(peakDir, 'peak-relaxed.wasm'))) ? await loadCore({ relaxed: true }) : null;

  const require = createRequire(here);
  const tf = await import('@tensorflow/tfjs-core');
  const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
  tf.env().set('IS_TEST', true);
  tfwasm.setWasmPaths(`${join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error(`tfjs backend is ${tf.getBackend()}, not wasm`);
  if (!tf.env().get('WASM_HAS_SIMD_SUPPORT')) throw new Error('tfjs wasm backend runs without SIMD');

  const peaks = {};
  for (const kind of ['simd', 'relaxed']) {
    const bytes = readFileSync(join(peakDir, `peak-${kind}.wasm`));
    if (!WebAssembly.validate(bytes)) continue;
    const { instance } = await WebAssembly.instantiate(bytes, { env: { abort() {} } });
    const iters = 2_000_000;
    peaks[kind] = Math.max(...[0, 1, 2].map(() => rate(() => instance.exports.peak(iters, 0.9999, 0.0001), iters * 96, minMs)));
  }

  const rand = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  const setup = (core, c) => {
    const base = core.kernels.heapBase();
    const a = base;
    const b = a + c.M * c.K * 4;
    const cc = b + c.K * c.N * 4;
    core.grow(cc + c.M * c.N * 4);
    const f = new Float32Array(core.memory.buffer);
    f.set(rand(c.M * c.K), a / 4);
    f.set(rand(c.K * c.N), b / 4);
    return () => core.kernels.gemm(c.tA, c.tB, c.M, c.N, c.K, 1, a, b, 0, cc);
  };

  const rows = [];
  for (const c of CASES) {
    const flops = 2 * c.M * c.N * c.K;
    const a = tf.tensor2d(rand(c.M * c.K), c.tA ? [c.K, c.M] : [c.M, c.K]);
    const bData = rand(c.K * c.N);
    const bShape = c.tB ? [c.N, c.K] : [c.K, c.N];
    const bCached = tf.tensor2d(bData, bShape);
    const impls = {
      simd: setup(simd, c),
      ...(relaxed ? { relaxed: setup(relaxed, c) } : {}),
      tfjs: () => {
        const b = tf.tensor2d(bData, bShape);
        tf.matMul(a, b, c.tA === 1, c.tB === 1).dispose();
        b.dispose();
      },
      ...(c.tA || c.tB ? {} : { tfjsCached: () => tf.matMul(a, bCached, false, false).dispose() }),
    };
    const best = {};
    for (let rep = 0; rep < 2; rep++) {
      for (const [k, fn] of Object.entries(impls)) best[k] = Math.max(best[k] ?? 0, rate(fn, flops, minMs));
    }
    a.dispose();
    bCached.dispose();
    rows.push({ name: c.name, layout: layout(c), ...best });
  }
  process.stdout.write(JSON.stringify({ peaks, rows }));
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((p, q) => p - q);
  if (!s.length) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function parent() {
  const procs = opt('--procs', 3);
  const minMs = opt('--ms', 80);
  if (!(procs >= 1) || !(minMs > 0)) {
    console.error('usage: node bench/gemm.mjs [--procs N>=1] [--ms T>0]');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'reslab-bench-'));
  try {
    writeFileSync(join(dir, 'peak-simd.wasm'), await buildPeak(false));
    writeFileSync(join(dir, 'peak-relaxed.wasm'), await buildPeak(true));
    const runs = [];
    for (let p = 0; p < procs; p++) {
      process.stderr.write(`process ${p + 1}/${procs}...\n`);
      const out = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', here, '--child', dir, String(minMs)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      runs.push(JSON.parse(out));
    }
    await report(runs, procs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function report(runs, procs) {
  const Table = (await import('cli-table3')).default;
  const peakS = median(runs.map((r) => r.peaks.simd));
  const peakR = median(runs.map((r) => r.peaks.relaxed));
  const f1 = (x) => (x === undefined ? '-' : x.toFixed(1));
  const ratio = (a, b) => (a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`);
  const pct = (a, b) => (a === undefined || b === undefined ? '-' : `${Math.round((100 * a) / b)}%`);
  const table = new Table({
    head: [
      'gemm (MxK . KxN)',
      'op',
      'reslab simd',
      'reslab relaxed',
      'tfjs wasm',
      'tfjs cached B',
      'simd / tfjs',
      'relaxed / tfjs',
      'simd % peak',
      'relaxed % peak',
    ],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  const summary = [];
  runs[0].rows.forEach((row, i) => {
    const m = (k) => median(runs.map((r) => r.rows[i][k]));
    const [s, r, t, tc] = [m('simd'), m('relaxed'), m('tfjs'), m('tfjsCached')];
    table.push([row.name, row.layout, f1(s), f1(r), f1(t), f1(tc), ratio(s, t), ratio(r, t), pct(s, peakS), pct(r, peakR)]);
    summary.push({ name: row.name, layout: row.layout, simd: s, relaxed: r, tfjs: t, tfjsCached: tc });
  });
  console.log(`\nreslab core-wasm gemm, GFLOP/s (float32, 1 thread; median of ${procs} process${procs > 1 ? 'es' : ''})`);
  console.log(table.toString());
  console.log(
    `measured 128-bit SIMD peak (12 independent f32x4 multiply-add chains): mul+add ${f1(peakS)} GFLOP/s, relaxed_madd ${f1(peakR)} GFLOP/s`,
  );
  console.log('tfjs wasm: @tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread, a fresh B tensor per call ("cached B": one B reused).');
  if (peakR === undefined) console.log('relaxed SIMD is not available in this runtime: relaxed columns are empty.');
}

if (args[0] === '--child') await child(args[1], Number(args[2]));
else await parent();
