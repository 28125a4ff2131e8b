#!/usr/bin/env node
// gemm throughput of reslab's wasm core (SIMD and relaxed SIMD) next to TensorFlow.js's
// wasm backend (SIMD, 1 thread), plus a measured 128-bit SIMD peak.
//
//   node bench/gemm.mjs [--procs N] [--ms T] [--quick] [--json]
//
// Every layout (NN, NT, TN) at sizes 128..1024, and the shapes training actually runs
// (forward x W^T = NT, dW = dY^T x = TN, dX = dY W = NN) of the large residual MLP and of the
// small networks of the skip study.
// Wasm code runs at one of two speeds per process, so the measurements are repeated in N
// child processes (default 3); inside a child the implementations are interleaved
// (A B C A B C ...), each keeps its best; the table shows the median over the children.
// Times are CPU time of the process (this machine's cores are shared: wall time would also
// count the time other processes held the core); the load average is printed.
// TensorFlow.js gets a fresh B tensor per call (it caches packed weights per tensor, which
// training, where weights change every step, never benefits from); for NN the cached-B
// number is shown too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

const LAYOUTS = [
  [0, 0],
  [0, 1],
  [1, 0],
];
const square = (sizes) =>
  sizes.flatMap((s) => LAYOUTS.map(([tA, tB]) => ({ name: `${s}x${s}x${s}`, kind: 'square', M: s, N: s, K: s, tA, tB })));
/** the gemms of a linear layer y = x W^T (x: B x in, W: out x in): forward NT, dW TN, dX NN */
const layer = (what, B, nin, nout) => [
  { name: `${what} fwd ${B}x${nin} . (${nout}x${nin})^T`, kind: 'training', M: B, N: nout, K: nin, tA: 0, tB: 1 },
  { name: `${what} dW (${B}x${nout})^T . ${B}x${nin}`, kind: 'training', M: nout, N: nin, K: B, tA: 1, tB: 0 },
  ...(what.includes('input')
    ? []
    : [{ name: `${what} dX ${B}x${nout} . ${nout}x${nin}`, kind: 'training', M: B, N: nin, K: nout, tA: 0, tB: 0 }]),
];
const CASES = [
  ...square([128, 256, 512, 1024]),
  ...layer('MLP-256 input', 128, 784, 256),
  ...layer('MLP-256 block', 128, 256, 256),
  ...layer('small-64 input', 64, 784, 64),
  ...layer('small-64 block', 64, 64, 64),
];
const QUICK_CASES = [...square([128, 512]), ...layer('MLP-256 block', 128, 256, 256), ...layer('small-64 block', 64, 64, 64)];
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

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** GFLOP/s of fn over at least minMs of this process's CPU time. */
function rate(fn, flops, minMs) {
  fn();
  let n = 0;
  const t0 = cpuMs();
  let t = 0;
  do {
    fn();
    n++;
    t = cpuMs() - t0;
  } while (t < minMs);
  return (flops * n) / t / 1e6;
}

async function child(peakDir, minMs, quick) {
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
  for (const c of quick ? QUICK_CASES : CASES) {
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
    rows.push({ name: c.name, kind: c.kind, layout: layout(c), M: c.M, N: c.N, K: c.K, ...best });
  }
  process.stdout.write(JSON.stringify({ peaks, rows }));
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((p, q) => p - q);
  if (!s.length) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function parent() {
  const quick = args.includes('--quick');
  const procs = opt('--procs', quick ? 1 : 3);
  const minMs = opt('--ms', quick ? 40 : 80);
  if (!(procs >= 1) || !(minMs > 0)) {
    console.error('usage: node bench/gemm.mjs [--procs N>=1] [--ms T>0] [--quick] [--json]');
    process.exit(2);
  }
  const load0 = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'reslab-bench-'));
  try {
    writeFileSync(join(dir, 'peak-simd.wasm'), await buildPeak(false));
    writeFileSync(join(dir, 'peak-relaxed.wasm'), await buildPeak(true));
    const runs = [];
    for (let p = 0; p < procs; p++) {
      process.stderr.write(`process ${p + 1}/${procs}...\n`);
      const out = execFileSync(
        process.execPath,
        ['--experimental-wasm-relaxed-simd', here, '--child', dir, String(minMs), quick ? 'quick' : 'full'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      runs.push(JSON.parse(out));
    }
    await report(runs, procs, [load0, loadavg()]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The JSON result: medians over the processes, the measured peaks, the 45 GFLOP/s target per row. */
function summarize(runs, procs, load) {
  const peakS = median(runs.map((r) => r.peaks.simd));
  const peakR = median(runs.map((r) => r.peaks.relaxed));
  const rows = runs[0].rows.map((row, i) => {
    const m = (k) => median(runs.map((r) => r.rows[i][k]));
    const out = { name: row.name, kind: row.kind, layout: row.layout, M: row.M, N: row.N, K: row.K };
    for (const k of ['simd', 'relaxed', 'tfjs', 'tfjsCached']) out[k] = m(k) ?? null;
    return out;
  });
  // the build the engine picks where the runtime allows it
  const best = (r) => r.relaxed ?? r.simd;
  const worst = rows.reduce((w, r) => (best(r) < best(w) ? r : w), rows[0]);
  return {
    bench: 'gemm',
    title: 'gemm GFLOP/s of the wasm core (float32, 1 thread) vs TensorFlow.js wasm (XNNPACK, SIMD, 1 thread)',
    procs,
    load: load.map((l) => l.map((x) => Math.round(x * 100) / 100)),
    peaks: { simd: peakS ?? null, relaxed: peakR ?? null },
    target: { gflops: 45, note: '80% of the 128-bit SIMD limit (~56 GFLOP/s)' },
    worst: { name: worst.name, layout: worst.layout, gflops: best(worst) },
    rows,
  };
}

async function report(runs, procs, load) {
  const result = summarize(runs, procs, load);
  result.text = await renderGemm(result);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  else console.log(result.text);
}

async function renderGemm(r) {
  const Table = (await import('cli-table3')).default;
  const { simd: peakS, relaxed: peakR } = r.peaks;
  const f1 = (x) => (x === null || x === undefined ? '-' : x.toFixed(1));
  const ratio = (a, b) => (a == null || b == null ? '-' : `${(a / b).toFixed(1)}x`);
  const pct = (a, b) => (a == null || b == null ? '-' : `${Math.round((100 * a) / b)}%`);
  const table = new Table({
    head: [
      'gemm (M x K . K x N)',
      'op',
      'reslab simd',
      'reslab relaxed',
      'tfjs wasm',
      'tfjs cached B',
      'best / tfjs',
      '% SIMD limit',
      '>= 45',
    ],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of r.rows) {
    const best = row.relaxed ?? row.simd;
    table.push([
      row.name,
      row.layout,
      f1(row.simd),
      f1(row.relaxed),
      f1(row.tfjs),
      f1(row.tfjsCached),
      ratio(best, row.tfjs),
      pct(best, peakS),
      best >= r.target.gflops ? 'yes' : 'NO',
    ]);
  }
  return [
    `reslab core-wasm gemm, GFLOP/s (float32, 1 thread; CPU time; median of ${r.procs} process${r.procs > 1 ? 'es' : ''}; load ${r.load[0][0]} -> ${r.load[1][0]})`,
    table.toString(),
    `measured 128-bit SIMD limit (12 independent f32x4 multiply-add chains): mul+add ${f1(peakS)} GFLOP/s, relaxed_madd ${f1(peakR)} GFLOP/s; "% SIMD limit" is of the mul+add figure`,
    `slowest row for the build the engine picks (relaxed where available): ${r.worst.name} ${r.worst.layout} ${f1(r.worst.gflops)} GFLOP/s (target ${r.target.gflops})`,
    'tfjs wasm: @tensorflow/tfjs-backend-wasm 4.22.0, SIMD, 1 thread, a fresh B tensor per call ("cached B": one B reused, NN only).',
    peakR == null ? 'relaxed SIMD is not available in this runtime: relaxed columns are empty.' : '',
  ]
    .filter(Boolean)
    .join('\n');
}

if (args[0] === '--child') await child(args[1], Number(args[2]), args[3] === 'quick');
else await parent();
