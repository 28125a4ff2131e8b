/**
 * Every kernel of the wasm core against the TypeScript reference (float64 memory, inputs
 * rounded to float32, so the reference is the exact-ish value), on odd sizes, with outputs
 * poisoned with NaN. The same suite runs for the relaxed-SIMD build (flag set below) and,
 * once, against the float32 reference.
 *
 * Error bounds (float32, unit roundoff u = 2^-24):
 * - gemm: |C - C_ref| <= 2 (K + 2) u (|alpha| |op(A)| |op(B)| + |beta| |C0|), the classic
 *   dot-product bound, element-wise.
 * - element-wise kernels: |y - y_ref| <= 1e-5 |y_ref| + 1e-6 (vector exp/tanh are a few ulp).
 * - colSum: (rows + 2) u sum_i |x_ij|; returned float64 sums: 1e-5 sum |terms| (products are
 *   rounded to float32 in wasm), sumSq: 1e-12 relative (float32 squares are exact in float64).
 */
import { execFileSync } from 'node:child_process';
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { ACT_NAMES, Act, activate, KERNEL_NAMES, loadCore, relaxedSimdSupported } from '../src/index.js';
import { type Buf, expectClose, Pair, rng, U32 } from './harness.js';

// Node 20 validates relaxed SIMD only behind this flag; it must be set before compiling.
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const SIZES = [1, 3, 17, 33, 127];
const MATS: [number, number][] = [
  [1, 1],
  [3, 17],
  [33, 3],
  [17, 127],
  [5, 33],
  [127, 1],
];
const rel = (_i: number, r: number) => 1e-5 * Math.abs(r) + 1e-6;

function uniform(rand: () => number, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

/** Inputs for activations: mostly moderate, some large (overflow traps) and exactly 0. */
function actInputs(rand: () => number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i % 11 === 5 ? 0 : i % 7 === 3 ? (rand() * 2 - 1) * 120 : (rand() * 2 - 1) * 4));
}

const relaxedOk = relaxedSimdSupported();

it('relaxed SIMD is available in this Node after setting the V8 flag', () => {
  expect(relaxedOk).toBe(true);
});

it('the wasm module exports every kernel of the ABI', async () => {
  const core = await loadCore({ relaxed: false });
  for (const name of [...KERNEL_NAMES, 'heapBase'] as const) expect(typeof core.kernels[name]).toBe('function');
  expect(core.kernels.heapBase() % 16).toBe(0);
  expect(core.kernels.heapBase()).toBeGreaterThan(0);
});

it('loadCore honours relaxed and initialPages', async () => {
  const core = await loadCore({ relaxed: 'auto', initialPages: 64 });
  expect(core.relaxed).toBe(relaxedOk);
  expect(core.memory.buffer.byteLength).toBeGreaterThanOrEqual(64 * 65536);
  const before = core.memory.buffer.byteLength;
  core.grow(before + 1);
  expect(core.memory.buffer.byteLength).toBe(before + 65536);
  expect(() => core.grow(Number.NaN)).toThrow(/bad byte count/);
});

it('loadCore({ relaxed: true }) fails with a clear message where relaxed SIMD is unavailable', (ctx) => {
  // A fresh Node 20 without --experimental-wasm-relaxed-simd (skipped, visibly, where it is on by default).
  const dist = new URL('../dist/index.js', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(dist)});
    if (m.relaxedSimdSupported()) { console.log('supported'); process.exit(0); }
    const auto = await m.loadCore();
    try { await m.loadCore({ relaxed: true }); console.log('no error'); } catch (e) { console.log(auto.relaxed + ' ' + e.message); }`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' }).trim();
  ctx.skip(out === 'supported', 'this Node runs relaxed SIMD without a flag: there is no runtime to refuse it');
  expect(out).toMatch(/^false relaxed SIMD is not supported by this WebAssembly runtime/);
});

const variants: { name: string; relaxed: boolean; ref: 'f64' | 'f32'; big: boolean }[] = [
  { name: 'simd vs f64 reference', relaxed: false, ref: 'f64', big: true },
  { name: 'relaxed simd vs f64 reference', relaxed: true, ref: 'f64', big: true },
  { name: 'simd vs f32 reference', relaxed: false, ref: 'f32', big: false },
];

for (const variant of variants) {
  describe(variant.name, () => {
    let P: Pair;
    const get = async () => {
      if (!P) P = new Pair(await loadCore({ relaxed: variant.relaxed }), variant.ref);
      expect(P.core.relaxed).toBe(variant.relaxed);
      P.reset();
      return P;
    };
    // The f32 reference rounds every intermediate store; widen the element-wise bound a little.
    const relv = variant.ref === 'f32' ? (_i: number, r: number) => 3e-5 * Math.abs(r) + 3e-6 : rel;

    it('gemm: all layouts, alpha/beta cases, odd and blocking-crossing sizes', async () => {
      const p = await get();
      const rand = rng(1);
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [3, 17, 33],
        [17, 3, 1],
        [33, 127, 17],
        [127, 33, 3],
        [4, 8, 4],
        [20, 40, 9],
      ];
      if (variant.big) shapes.push([131, 521, 259]);
      const ab: [number, number][] = [
        [1, 0],
        [0.5, 0],
        [1, 1],
        [-1.5, 0.75],
        [0, 0.5],
        [0, 0],
      ];
      let calls = 0;
      for (const [M, N, K] of shapes) {
        const big = M * N * K > 1e6;
        for (const tA of [0, 1]) {
          for (const tB of [0, 1]) {
            for (const [alpha, beta] of big ? ab.slice(2, 4) : ab) {
              p.reset();
              const av = uniform(rand, M * K);
              const bv = uniform(rand, K * N);
              const c0 = uniform(rand, M * N);
              const A = p.of(av);
              const B = p.of(bv);
              const C = beta === 0 ? p.poisoned(M * N) : p.of(c0);
              p.wasm.gemm(tA, tB, M, N, K, alpha, A.w, B.w, beta, C.w);
              p.ref.gemm(tA, tB, M, N, K, alpha, A.r, B.r, beta, C.r);
              // element-wise bound from |op(A)| |op(B)|
              const fa = p.get(A).r;
              const fb = p.get(B).r;
              const bound = (idx: number) => {
                const i = Math.floor(idx / N);
                const j = idx % N;
                let s = 0;
                for (let k = 0; k < K; k++) {
                  s += Math.abs((tA ? fa[k * M + i] : fa[i * K + k]) * (tB ? fb[j * K + k] : fb[k * N + j]));
                }
                return 2 * (K + 2) * U32 * (Math.abs(alpha) * s + Math.abs(beta) * Math.abs(Math.fround(c0[idx]))) + 1e-30;
              };
              const { w, r } = p.get(C);
              expectClose(`gemm ${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K} a=${alpha} b=${beta}`, w, r, bound);
              calls++;
            }
          }
        }
      }
      expect(calls).toBeGreaterThan(100);
    });

    it('gemm with beta = 0 ignores NaN in C and alpha = 0 ignores NaN in A and B', async () => {
      const p = await get();
      const A = p.poisoned(12);
      const B = p.poisoned(12);
      const C = p.of(uniform(rng(2), 9));
      p.wasm.gemm(0, 0, 3, 3, 4, 0, A.w, B.w, 2, C.w);
      p.ref.gemm(0, 0, 3, 3, 4, 0, A.r, B.r, 2, C.r);
      const { w, r } = p.get(C);
      expectClose('gemm alpha=0', w, r, 0);
    });

    it('biasAct forward and backward, every activation, with and without bias, acc 0/1', async () => {
      const p = await get();
      const rand = rng(3);
      for (const name of ACT_NAMES) {
        const act = Act[name];
        const slope = 0.07;
        for (const [rows, cols] of MATS) {
          for (const withBias of [true, false]) {
            p.reset();
            const n = rows * cols;
            const xv = actInputs(rand, n);
            const bv = uniform(rand, cols, 0.5);
            const X = p.of(xv);
            const Bi = withBias ? p.of(bv) : { w: 0, r: 0, n: 0 };
            const Y = p.poisoned(n);
            p.wasm.biasAct(act, X.w, Bi.w, Y.w, rows, cols, slope);
            p.ref.biasAct(act, X.r, Bi.r, Y.r, rows, cols, slope);
            const y = p.get(Y);
            expectClose(`biasAct ${name} ${rows}x${cols} bias=${withBias}`, y.w, y.r, relv);

            // backward: y given exactly (float32 of the true forward) to both sides
            const yv = xv.map((x, k) => activate(act, Math.fround(x) + (withBias ? Math.fround(bv[k % cols]) : 0), slope));
            const Yin = p.of(yv);
            const DY = p.of(uniform(rand, n));
            for (const acc of [0, 1]) {
              const DX = acc ? p.of(uniform(rand, n)) : p.poisoned(n);
              p.wasm.biasActBackward(act, X.w, Bi.w, Yin.w, DY.w, DX.w, rows, cols, slope, acc);
              p.ref.biasActBackward(act, X.r, Bi.r, Yin.r, DY.r, DX.r, rows, cols, slope, acc);
              const dx = p.get(DX);
              expectClose(`biasActBackward ${name} ${rows}x${cols} bias=${withBias} acc=${acc}`, dx.w, dx.r, relv);
            }
          }
        }
      }
    });

    it('biasAct works in place (y = x)', async () => {
      const p = await get();
      const X = p.of(actInputs(rng(4), 51));
      const Bi = p.of(uniform(rng(5), 17));
      p.wasm.biasAct(Act.gelu, X.w, Bi.w, X.w, 3, 17, 0);
      p.ref.biasAct(Act.gelu, X.r, Bi.r, X.r, 3, 17, 0);
      const x = p.get(X);
      expectClose('biasAct in place', x.w, x.r, relv);
    });

    it('residualPost forward and backward (dz, da, ds), every activation', async () => {
      const p = await get();
      const rand = rng(6);
      for (const name of ACT_NAMES) {
        const act = Act[name];
        for (const n of SIZES) {
          for (const s of [1, 0.3, -2]) {
            p.reset();
            const zv = actInputs(rand, n);
            const av = uniform(rand, n, 2);
            const Z = p.of(zv);
            const A = p.of(av);
            const Y = p.poisoned(n);
            p.wasm.residualPost(act, Z.w, A.w, s, Y.w, n, 0.1);
            p.ref.residualPost(act, Z.r, A.r, s, Y.r, n, 0.1);
            const y = p.get(Y);
            expectClose(`residualPost ${name} n=${n} s=${s}`, y.w, y.r, relv);

            const yv = zv.map((z, i) => activate(act, Math.fround(z) + s * Math.fround(av[i]), 0.1));
            const Yin = p.of(yv);
            const dyv = uniform(rand, n);
            const DY = p.of(dyv);
            for (const [accZ, accA, skip] of [
              [0, 0, ''],
              [1, 1, ''],
              [0, 1, 'dz'],
              [1, 0, 'da'],
            ] as const) {
              const DZ = skip === 'dz' ? { w: 0, r: 0, n: 0 } : accZ ? p.of(uniform(rand, n)) : p.poisoned(n);
              const DA = skip === 'da' ? { w: 0, r: 0, n: 0 } : accA ? p.of(uniform(rand, n)) : p.poisoned(n);
              const dsW = p.wasm.residualPostBackward(act, Z.w, A.w, s, Yin.w, DY.w, DZ.w, DA.w, n, 0.1, accZ, accA);
              const dsR = p.ref.residualPostBackward(act, Z.r, A.r, s, Yin.r, DY.r, DZ.r, DA.r, n, 0.1, accZ, accA);
              const what = `residualPostBackward ${name} n=${n} s=${s} accZ=${accZ} accA=${accA} skip=${skip}`;
              if (DZ.n) expectClose(`${what} dz`, p.get(DZ).w, p.get(DZ).r, relv);
              if (DA.n) expectClose(`${what} da`, p.get(DA).w, p.get(DA).r, relv);
              const scale = av.reduce((t, a, i) => t + Math.abs(a * dyv[i]), 0) * 2;
              expectClose(`${what} ds`, [dsW], [dsR], 3e-5 * scale + 1e-6);
            }
          }
        }
      }
    });

    it('biasResidualPost adds the bias into the branch in place and equals biasAct(identity) then residualPost, every activation', async () => {
      const p = await get();
      const rand = rng(61);
      for (const name of ACT_NAMES) {
        const act = Act[name];
        for (const [rows, cols] of [
          [1, 1],
          [3, 17],
          [5, 64],
          [2, 33],
        ] as const) {
          const n = rows * cols;
          for (const s of [1, -0.7]) {
            p.reset();
            const fv = actInputs(rand, n);
            const bv = uniform(rand, cols);
            const av = uniform(rand, n, 2);
            const F = p.of(fv);
            const Bi = p.of(bv);
            const A = p.of(av);
            const Y = p.poisoned(n);
            p.wasm.biasResidualPost(act, F.w, Bi.w, A.w, s, Y.w, rows, cols, 0.1);
            p.ref.biasResidualPost(act, F.r, Bi.r, A.r, s, Y.r, rows, cols, 0.1);
            const what = `biasResidualPost ${name} ${rows}x${cols} s=${s}`;
            expectClose(`${what} y`, p.get(Y).w, p.get(Y).r, relv);
            const fAfter = p.get(F);
            expectClose(`${what} f + bias`, fAfter.w, fAfter.r, relv);
            // the same numbers, bit for bit, as the two-pass path it replaces (wasm against wasm): y = g(a + s f)
            const F2 = p.of(fv);
            const Y2 = p.poisoned(n);
            p.wasm.biasAct(Act.identity, F2.w, Bi.w, F2.w, rows, cols, 0);
            p.wasm.residualPost(act, A.w, F2.w, s, Y2.w, n, 0.1);
            expect(p.get(Y2).w).toEqual(p.get(Y).w);
            expect(p.get(F2).w).toEqual(fAfter.w);
            // no bias: the branch is left as it was
            const F3 = p.of(fv);
            p.wasm.biasResidualPost(act, F3.w, 0, A.w, s, p.poisoned(n).w, rows, cols, 0.1);
            expect(p.get(F3).w).toEqual(p.get(p.of(fv)).w);
          }
        }
      }
    });

    it('residualAdd forward and backward (da, df, ds)', async () => {
      const p = await get();
      const rand = rng(7);
      for (const n of SIZES) {
        for (const s of [1, 0.25, -3]) {
          p.reset();
          const A = p.of(uniform(rand, n));
          const fv = uniform(rand, n);
          const F = p.of(fv);
          const Y = p.poisoned(n);
          p.wasm.residualAdd(A.w, F.w, s, Y.w, n);
          p.ref.residualAdd(A.r, F.r, s, Y.r, n);
          expectClose(`residualAdd n=${n}`, p.get(Y).w, p.get(Y).r, relv);
          const dyv = uniform(rand, n);
          const DY = p.of(dyv);
          for (const [accA, accF, skip] of [
            [0, 0, ''],
            [1, 1, ''],
            [0, 0, 'da'],
            [1, 0, 'df'],
          ] as const) {
            const DA = skip === 'da' ? { w: 0, r: 0, n: 0 } : accA ? p.of(uniform(rand, n)) : p.poisoned(n);
            const DF = skip === 'df' ? { w: 0, r: 0, n: 0 } : accF ? p.of(uniform(rand, n)) : p.poisoned(n);
            const dsW = p.wasm.residualAddBackward(F.w, s, DY.w, DA.w, DF.w, n, accA, accF);
            const dsR = p.ref.residualAddBackward(F.r, s, DY.r, DA.r, DF.r, n, accA, accF);
            const what = `residualAddBackward n=${n} s=${s} accA=${accA} accF=${accF} skip=${skip}`;
            if (DA.n) expectClose(`${what} da`, p.get(DA).w, p.get(DA).r, relv);
            if (DF.n) expectClose(`${what} df`, p.get(DF).w, p.get(DF).r, relv);
            const scale = fv.reduce((t, f, i) => t + Math.abs(f * dyv[i]), 0);
            expectClose(`${what} ds`, [dsW], [dsR], 1e-6 * scale + 1e-12);
          }
        }
      }
    });

    it('colSum and sumSq', async () => {
      const p = await get();
      const rand = rng(8);
      for (const [rows, cols] of [...MATS, [200, 37] as [number, number]]) {
        for (const acc of [0, 1]) {
          p.reset();
          const xv = uniform(rand, rows * cols, 3);
          const X = p.of(xv);
          const O = acc ? p.of(uniform(rand, cols)) : p.poisoned(cols);
          const o0 = p.get(O).r;
          p.wasm.colSum(X.w, rows, cols, O.w, acc);
          p.ref.colSum(X.r, rows, cols, O.r, acc);
          const bound = (j: number) => {
            let s = acc ? Math.abs(o0[j]) : 0;
            for (let i = 0; i < rows; i++) s += Math.abs(xv[i * cols + j]);
            return (rows + 2) * U32 * s * (variant.ref === 'f32' ? 2 : 1) + 1e-30;
          };
          expectClose(`colSum ${rows}x${cols} acc=${acc}`, p.get(O).w, p.get(O).r, bound);
        }
      }
      for (const n of [...SIZES, 1000]) {
        const X = p.of(uniform(rand, n, 10));
        const w = p.wasm.sumSq(X.w, n);
        const r = p.ref.sumSq(X.r, n);
        expect(Math.abs(w - r)).toBeLessThanOrEqual(1e-12 * r);
      }
    });

    it('softmaxXent: loss and gradient, large logits, scale', async () => {
      const p = await get();
      const rand = rng(9);
      for (const [rows, cols] of [...MATS.filter(([, c]) => c > 1), [4, 2] as [number, number]]) {
        for (const withGrad of [true, false]) {
          p.reset();
          const lv = uniform(rand, rows * cols, 5);
          lv[0] = 1000; // would overflow exp without the max subtraction
          if (lv.length > 2) lv[2] = -1000;
          const L = p.of(lv);
          const lab = p.labels(Array.from({ length: rows }, () => Math.floor(rand() * cols)));
          const D = withGrad ? p.poisoned(rows * cols) : { w: 0, r: 0, n: 0 };
          const lw = p.wasm.softmaxXent(L.w, lab.w, rows, cols, D.w, 0.5);
          const lr = p.ref.softmaxXent(L.r, lab.r, rows, cols, D.r, 0.5);
          expect(Number.isFinite(lw)).toBe(true);
          expectClose(`softmaxXent loss ${rows}x${cols}`, [lw], [lr], 1e-6 * Math.abs(lr) + 1e-6);
          if (withGrad) expectClose(`softmaxXent grad ${rows}x${cols}`, p.get(D).w, p.get(D).r, relv);
        }
      }
      // an out-of-range label gives NaN, not garbage
      p.reset();
      const L = p.of([1, 2, 3]);
      const lab = p.labels([3]);
      expect(p.wasm.softmaxXent(L.w, lab.w, 1, 3, 0, 1)).toBeNaN();
      expect(p.ref.softmaxXent(L.r, lab.r, 1, 3, 0, 1)).toBeNaN();
    });

    it('mse: loss and gradient', async () => {
      const p = await get();
      const rand = rng(10);
      for (const n of SIZES) {
        for (const withGrad of [true, false]) {
          p.reset();
          const P = p.of(uniform(rand, n, 2));
          const T = p.of(uniform(rand, n, 2));
          const D = withGrad ? p.poisoned(n) : { w: 0, r: 0, n: 0 };
          const lw = p.wasm.mse(P.w, T.w, n, D.w, 3);
          const lr = p.ref.mse(P.r, T.r, n, D.r, 3);
          expectClose(`mse loss n=${n}`, [lw], [lr], 1e-6 * lr + 1e-12);
          if (withGrad) expectClose(`mse grad n=${n}`, p.get(D).w, p.get(D).r, relv);
        }
      }
    });

    it('sgdStep: plain, momentum, nesterov, weight decay', async () => {
      const p = await get();
      const rand = rng(11);
      for (const n of SIZES) {
        for (const [mu, wd, nest] of [
          [0, 0, 0],
          [0, 0.01, 0],
          [0.9, 0, 0],
          [0.9, 0.05, 1],
        ]) {
          p.reset();
          const W = p.of(uniform(rand, n));
          const G = p.of(uniform(rand, n));
          const M = mu ? p.of(uniform(rand, n, 0.1)) : { w: 0, r: 0, n: 0 };
          for (let step = 0; step < 3; step++) {
            p.wasm.sgdStep(W.w, G.w, M.w, n, 0.1, mu, wd, nest);
            p.ref.sgdStep(W.r, G.r, M.r, n, 0.1, mu, wd, nest);
          }
          expectClose(`sgd w n=${n} mu=${mu} wd=${wd} nesterov=${nest}`, p.get(W).w, p.get(W).r, relv);
          if (mu) expectClose(`sgd m n=${n}`, p.get(M).w, p.get(M).r, relv);
        }
      }
    });

    it('adamStep: Adam and AdamW', async () => {
      const p = await get();
      const rand = rng(12);
      for (const n of SIZES) {
        for (const [wd, dec] of [
          [0, 0],
          [0.01, 0],
          [0.1, 1],
        ]) {
          p.reset();
          const W = p.of(uniform(rand, n));
          const M = p.of(new Array(n).fill(0));
          const V = p.of(new Array(n).fill(0));
          for (let t = 1; t <= 3; t++) {
            const G = p.of(uniform(rand, n));
            const bc1 = 1 - 0.9 ** t;
            const bc2 = 1 - 0.999 ** t;
            p.wasm.adamStep(W.w, G.w, M.w, V.w, n, 0.01, 0.9, 0.999, 1e-8, wd, dec, bc1, bc2);
            p.ref.adamStep(W.r, G.r, M.r, V.r, n, 0.01, 0.9, 0.999, 1e-8, wd, dec, bc1, bc2);
          }
          for (const [k, B] of [
            ['w', W],
            ['m', M],
            ['v', V],
          ] as [string, Buf][]) {
            expectClose(`adam ${k} n=${n} wd=${wd} decoupled=${dec}`, p.get(B).w, p.get(B).r, relv);
          }
        }
      }
    });

    it('axpby (beta = 0 never reads y) and fill', async () => {
      const p = await get();
      const rand = rng(13);
      for (const n of SIZES) {
        for (const [alpha, beta] of [
          [2, 0],
          [0.5, -1],
          [1, 1],
        ]) {
          p.reset();
          const X = p.of(uniform(rand, n));
          const Y = beta === 0 ? p.poisoned(n) : p.of(uniform(rand, n));
          p.wasm.axpby(alpha, X.w, beta, Y.w, n);
          p.ref.axpby(alpha, X.r, beta, Y.r, n);
          expectClose(`axpby n=${n} a=${alpha} b=${beta}`, p.get(Y).w, p.get(Y).r, relv);
        }
        const Z = p.poisoned(n);
        p.wasm.fill(Z.w, -1.25, n);
        p.ref.fill(Z.r, -1.25, n);
        expectClose(`fill n=${n}`, p.get(Z).w, p.get(Z).r, 0);
        expect(p.get(Z).w[n - 1]).toBe(-1.25);
      }
    });

    // The kernels below compute in float64 (or are exact in float32): against the float32 reference they must agree
    // bit for bit, against the float64 one to the rounding of their outputs.
    const exact = variant.ref === 'f32';
    const tol = exact ? 0 : relv;
    const close = (what: string, b: Buf, t: number | ((i: number, r: number) => number) = tol) =>
      expectClose(what, p().get(b).w, p().get(b).r, t);
    let current: Pair;
    const p = () => current;
    const start = async () => {
      current = await get();
      return current;
    };
    const none: Buf = { w: 0, r: 0, n: 0 };
    /** an output: poisoned (acc = 0) or holding values to add to (acc = 1) */
    const out = (acc: number, n: number, rand: () => number) => (acc ? p().of(uniform(rand, n)) : p().poisoned(n));
    /** |w - r| <= 1e-5 max |r| + 1e-6 over the whole output (cancellation makes element-wise bounds meaningless) */
    const normwise = (b: Buf) => (exact ? 0 : 1e-5 * Math.max(...p().get(b).r.map(Math.abs)) + 1e-6);

    it('mul forward and backward (da, db, skips, da = db as for mul(x, x))', async () => {
      const q = await start();
      const rand = rng(14);
      for (const n of SIZES) {
        q.reset();
        const A = q.of(uniform(rand, n, 3));
        const B = q.of(uniform(rand, n, 3));
        const Y = q.poisoned(n);
        q.wasm.mul(A.w, B.w, Y.w, n);
        q.ref.mul(A.r, B.r, Y.r, n);
        close(`mul n=${n}`, Y);
        const DY = q.of(uniform(rand, n));
        for (const [accA, accB, skip] of [
          [0, 0, ''],
          [1, 1, ''],
          [0, 1, 'da'],
          [1, 0, 'db'],
        ] as const) {
          const DA = skip === 'da' ? none : out(accA, n, rand);
          const DB = skip === 'db' ? none : out(accB, n, rand);
          q.wasm.mulBackward(A.w, B.w, DY.w, DA.w, DB.w, n, accA, accB);
          q.ref.mulBackward(A.r, B.r, DY.r, DA.r, DB.r, n, accA, accB);
          const what = `mulBackward n=${n} accA=${accA} accB=${accB} skip=${skip}`;
          if (DA.n) close(`${what} da`, DA);
          if (DB.n) close(`${what} db`, DB);
        }
        // mul(x, x): one gradient buffer for both inputs, the second contribution adds to the first
        for (const acc of [0, 1]) {
          const D = out(acc, n, rand);
          q.wasm.mulBackward(A.w, A.w, DY.w, D.w, D.w, n, acc, 1);
          q.ref.mulBackward(A.r, A.r, DY.r, D.r, D.r, n, acc, 1);
          close(`mulBackward da = db n=${n} acc=${acc}`, D);
        }
      }
    });

    it('sum and addScalar', async () => {
      const q = await start();
      const rand = rng(15);
      for (const n of [...SIZES, 1000]) {
        q.reset();
        const xv = uniform(rand, n, 5);
        const X = q.of(xv);
        const sw = q.wasm.sum(X.w, n);
        const sr = q.ref.sum(X.r, n);
        expectClose(`sum n=${n}`, [sw], [sr], exact ? 0 : 1e-12 * xv.reduce((t, v) => t + Math.abs(v), 0));
        for (const acc of [0, 1]) {
          const Z = out(acc, n, rand);
          // a value that is no float32: it is added in float64, rounded once
          q.wasm.addScalar(Z.w, Math.PI / 7, n, acc);
          q.ref.addScalar(Z.r, Math.PI / 7, n, acc);
          close(`addScalar n=${n} acc=${acc}`, Z);
        }
      }
    });

    it('copyRect: blocks of rows and of columns, copied and added', async () => {
      const q = await start();
      const rand = rng(16);
      for (const [rows, cols] of MATS) {
        for (const [r0, c0, r, c] of [
          [0, 0, rows, cols],
          [Math.floor(rows / 2), 0, rows - Math.floor(rows / 2), cols],
          [0, Math.floor(cols / 3), rows, cols - Math.floor(cols / 3)],
        ]) {
          for (const acc of [0, 1]) {
            q.reset();
            const S = q.of(uniform(rand, rows * cols));
            // the block [r0, r0 + r) x [c0, c0 + c) of S (rows x cols) into a dense r x c, then back into a wider matrix
            const D = out(acc, r * c, rand);
            q.wasm.copyRect(S.w + 4 * (r0 * cols + c0), cols, D.w, c, r, c, acc);
            q.ref.copyRect(S.r + q.refBytes * (r0 * cols + c0), cols, D.r, c, r, c, acc);
            close(`copyRect ${rows}x${cols} block ${r0},${c0} ${r}x${c} acc=${acc}`, D);
            const W = q.of(uniform(rand, r * (c + 5)));
            q.wasm.copyRect(D.w, c, W.w + 8, c + 5, r, c, 1);
            q.ref.copyRect(D.r, c, W.r + 2 * q.refBytes, c + 5, r, c, 1);
            close(`copyRect into a wider block ${r}x${c}`, W);
          }
        }
      }
    });

    it('dropout: the mask of the mulberry32 draws from the given state, and y = mask x', async () => {
      const q = await start();
      const rand = rng(17);
      for (const n of [...SIZES, 1000]) {
        for (const [pr, state] of [
          [0.3, 12345],
          [0.5, -7],
          [0.9, 0x7fffffff],
        ]) {
          q.reset();
          const X = q.of(uniform(rand, n, 2));
          const Y = q.poisoned(n);
          const M = q.poisoned(n);
          q.wasm.dropout(X.w, Y.w, M.w, n, pr, state);
          q.ref.dropout(X.r, Y.r, M.r, n, pr, state);
          close(`dropout mask n=${n} p=${pr}`, M, exact ? 0 : (_i, r) => 1e-7 * Math.abs(r));
          close(`dropout y n=${n} p=${pr}`, Y);
          if (n === 1000) {
            const kept = q.get(M).w.filter((m) => m !== 0).length / n;
            expect(Math.abs(kept - (1 - pr)), `kept fraction at p=${pr}`).toBeLessThan(0.06);
            expect(new Set(q.get(M).w)).toEqual(new Set([0, Math.fround(1 / (1 - pr))]));
          }
        }
      }
    });

    /** rows x cols inputs of a normalisation, with a spread of means and scales per column */
    const normInputs = (rand: () => number, rows: number, cols: number) =>
      Array.from({ length: rows * cols }, (_, k) => 2 * Math.sin(k % cols) + (1 + (k % cols) / cols) * (rand() * 2 - 1) * 3);
    const NORM_SHAPES: [number, number][] = [
      [1, 1],
      [1, 6],
      [2, 3],
      [5, 17],
      [7, 2],
      [33, 5],
      [64, 64],
      [3, 127],
    ];
    const OUTPUTS = [
      [0, 0, 0, ''],
      [1, 1, 1, ''],
      [0, 0, 1, 'dgamma dbeta'],
      [1, 0, 0, 'dx'],
    ] as const;

    it('batchNorm forward (training: batch and running statistics; eval) and backward, every output', async () => {
      const q = await start();
      const rand = rng(18);
      for (const [rows, cols] of NORM_SHAPES) {
        for (const training of [1, 0]) {
          q.reset();
          const X = q.of(normInputs(rand, rows, cols));
          const G = q.of(uniform(rand, cols, 2));
          const Bt = q.of(uniform(rand, cols));
          const RM = q.of(uniform(rand, cols));
          const RV = q.of(uniform(rand, cols).map((v) => 0.5 + Math.abs(v)));
          const XH = q.poisoned(rows * cols);
          const IV = q.poisoned(cols);
          const Y = q.poisoned(rows * cols);
          q.wasm.batchNorm(X.w, G.w, Bt.w, RM.w, RV.w, XH.w, IV.w, Y.w, rows, cols, training, 0.1, 1e-5);
          q.ref.batchNorm(X.r, G.r, Bt.r, RM.r, RV.r, XH.r, IV.r, Y.r, rows, cols, training, 0.1, 1e-5);
          const what = `batchNorm ${rows}x${cols} training=${training}`;
          for (const [name, b] of [
            ['y', Y],
            ['xhat', XH],
            ['inv', IV],
            ['runMean', RM],
            ['runVar', RV],
          ] as const)
            close(`${what} ${name}`, b, normwise(b));
          const DY = q.of(uniform(rand, rows * cols));
          for (const [accG, accB, accX, skip] of OUTPUTS) {
            const [dg, db] = skip === 'dgamma dbeta' ? [none, none] : [out(accG, cols, rand), out(accB, cols, rand)];
            const DX = skip === 'dx' ? none : out(accX, rows * cols, rand);
            q.wasm.batchNormBackward(DY.w, XH.w, G.w, IV.w, dg.w, db.w, DX.w, rows, cols, training, accG, accB, accX);
            q.ref.batchNormBackward(DY.r, XH.r, G.r, IV.r, dg.r, db.r, DX.r, rows, cols, training, accG, accB, accX);
            const w = `batchNormBackward ${rows}x${cols} training=${training} acc=${accG}${accB}${accX} skip=${skip}`;
            if (dg.n) close(`${w} dgamma`, dg, normwise(dg));
            if (db.n) close(`${w} dbeta`, db, normwise(db));
            if (DX.n) close(`${w} dx`, DX, normwise(DX));
          }
        }
      }
    });

    it('layerNorm forward and backward, every output', async () => {
      const q = await start();
      const rand = rng(19);
      for (const [rows, cols] of NORM_SHAPES) {
        q.reset();
        // rows of very different means and scales
        const X = q.of(normInputs(rand, cols, rows).map((v, k) => v * (1 + (k % rows))));
        const G = q.of(uniform(rand, cols, 2));
        const Bt = q.of(uniform(rand, cols));
        const XH = q.poisoned(rows * cols);
        const IV = q.poisoned(rows);
        const Y = q.poisoned(rows * cols);
        q.wasm.layerNorm(X.w, G.w, Bt.w, XH.w, IV.w, Y.w, rows, cols, 1e-5);
        q.ref.layerNorm(X.r, G.r, Bt.r, XH.r, IV.r, Y.r, rows, cols, 1e-5);
        for (const [name, b] of [
          ['y', Y],
          ['xhat', XH],
          ['inv', IV],
        ] as const)
          close(`layerNorm ${rows}x${cols} ${name}`, b, normwise(b));
        const DY = q.of(uniform(rand, rows * cols));
        for (const [accG, accB, accX, skip] of OUTPUTS) {
          const [dg, db] = skip === 'dgamma dbeta' ? [none, none] : [out(accG, cols, rand), out(accB, cols, rand)];
          const DX = skip === 'dx' ? none : out(accX, rows * cols, rand);
          q.wasm.layerNormBackward(DY.w, XH.w, G.w, IV.w, dg.w, db.w, DX.w, rows, cols, accG, accB, accX);
          q.ref.layerNormBackward(DY.r, XH.r, G.r, IV.r, dg.r, db.r, DX.r, rows, cols, accG, accB, accX);
          const w = `layerNormBackward ${rows}x${cols} acc=${accG}${accB}${accX} skip=${skip}`;
          if (dg.n) close(`${w} dgamma`, dg, normwise(dg));
          if (db.n) close(`${w} dbeta`, db, normwise(db));
          if (DX.n) close(`${w} dx`, DX, normwise(DX));
        }
      }
    });

    // NOTE: the last test of the block: it reads which kernels the tests above called.
    it('every kernel of the ABI was called on both sides (compared) by the tests above', async () => {
      const q = await get();
      expect(KERNEL_NAMES.filter((k) => !q.called.wasm.has(k) || !q.called.ref.has(k))).toEqual([]);
    });
  });
}
