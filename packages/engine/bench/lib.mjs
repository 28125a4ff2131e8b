// Shared by the engine benchmarks: interleaved child processes, medians, machine load,
// and the gemm-only lower bound of a training step.
//
// Wasm code (ours and TensorFlow.js's) runs at one of two speeds per process, and this
// machine's cores are shared: every implementation is measured in several processes,
// interleaved (A B C A B C ...), and medians are compared. The load average is recorded
// with the numbers.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

export const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';

export const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

export function args(argv = process.argv.slice(2)) {
  const get = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  return { get, has: (name) => argv.includes(`--${name}`), argv };
}

/**
 * Run `script --child <impl> ...childArgs` for every impl, `rounds` times, interleaved.
 * Each child prints one JSON object on stdout. impls: [{ name, flags?: node flags, args?: [] }].
 * Returns { [name]: object[] }.
 */
export function interleaved(script, impls, rounds, { childArgs = [], log = true } = {}) {
  const out = Object.fromEntries(impls.map((i) => [i.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const impl of impls) {
      const argv = [...(impl.flags ?? []), script, '--child', impl.name, ...(impl.args ?? []), ...childArgs];
      const text = execFileSync(process.execPath, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
      const v = JSON.parse(text);
      out[impl.name].push(v);
      if (log) process.stderr.write(`  round ${r + 1}/${rounds} ${impl.name}: ${v.summary ?? ''}\n`);
    }
  }
  return out;
}

/** CPU time (user + system) of this process in ms. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Time `fn` for at least `minMs` of CPU time (after `warm` calls). Returns ms per call of
 * CPU time of this process, the number the benchmarks compare: on a machine whose cores
 * are shared, wall time also counts the time other processes held the core.
 * `msPerCallWall` has the wall-clock ms per call.
 */
export function msPerCall(fn, { warm = 2, minMs = 300, minCalls = 3 } = {}) {
  return timeCalls(fn, { warm, minMs, minCalls }).cpu;
}
export function msPerCallWall(fn, opts) {
  return timeCalls(fn, opts).wall;
}
export function timeCalls(fn, { warm = 2, minMs = 300, minCalls = 3 } = {}) {
  for (let i = 0; i < warm; i++) fn();
  let n = 0;
  const w0 = performance.now();
  const c0 = cpuMs();
  let c = 0;
  do {
    fn();
    n++;
    c = cpuMs() - c0;
  } while (c < minMs || n < minCalls);
  return { cpu: c / n, wall: (performance.now() - w0) / n, calls: n };
}

/**
 * Record the gemm calls one call of `fn` makes on backend `b` (transA, transB, M, N, K).
 * The backend's kernel table is patched for the duration of the call only.
 */
export function recordGemms(b, fn) {
  const calls = [];
  const orig = b.k.gemm;
  b.k.gemm = (tA, tB, M, N, K, alpha, a, bb, beta, c) => {
    calls.push([tA, tB, M, N, K, beta === 0 ? 0 : 1]);
    return orig(tA, tB, M, N, K, alpha, a, bb, beta, c);
  };
  try {
    fn();
  } finally {
    b.k.gemm = orig;
  }
  return calls;
}

/**
 * The gemm-only lower bound of a step: every recorded gemm call timed on its own (same
 * kernels, same process, operands in the arena, best of a few repetitions), summed.
 * Also returns the flops and the GFLOP/s those isolated calls reach.
 */
export function gemmLowerBound(b, calls, { minMs = 20 } = {}) {
  const shapes = new Map();
  for (const c of calls) {
    const key = c.join(',');
    shapes.set(key, { c, n: (shapes.get(key)?.n ?? 0) + 1 });
  }
  let ms = 0;
  let flops = 0;
  const top = b.arenaTop();
  for (const { c, n } of shapes.values()) {
    const [tA, tB, M, N, K, beta] = c;
    const pa = b.alloc(M * K);
    const pb = b.alloc(K * N);
    const pc = b.alloc(M * N);
    const f = b.f;
    for (const [p, len] of [
      [pa, M * K],
      [pb, K * N],
      [pc, M * N],
    ])
      for (let i = 0; i < len; i++) f[(p >> b.shift) + i] = ((i * 7919) % 1000) / 1000 - 0.5;
    const once = () => b.k.gemm(tA, tB, M, N, K, 1, pa, pb, beta, pc);
    // repeat small calls so that one timing covers a few ms
    const reps = Math.max(1, Math.ceil(2e6 / (2 * M * N * K)));
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++)
      best = Math.min(
        best,
        msPerCall(
          () => {
            for (let i = 0; i < reps; i++) once();
          },
          { warm: 1, minMs },
        ) / reps,
      );
    ms += best * n;
    flops += 2 * M * N * K * n;
    b.arenaRestore(top);
  }
  return { ms, flops, gflops: flops / ms / 1e6, calls: calls.length, shapes: shapes.size };
}

/**
 * One training step of `model` on the fixed batch (x, y) (B x IN float32, B int labels): forward, softmax
 * cross-entropy, backward, optimizer step, arena reset. The step the step and small-net benchmarks time.
 */
export function stepFn(e, b, model, opt, x, y, shape) {
  return () => {
    const xt = e.tensor(b, x, shape);
    const loss = e.softmaxCrossEntropy(model.forward(xt), e.labels(b, y));
    opt.zeroGrad();
    loss.backward();
    opt.step();
    b.resetArena();
  };
}
