/**
 * The performance targets of reslab (issue 7) checked against the JSON results of
 * the benchmark scripts: one row per target with the measured value, the peer it
 * is compared with, the ratio and whether the target is met. Pure: no I/O.
 */

/** One benchmark script's JSON result (each script prints one with --json); only the fields read here are typed. */
export type SectionResult = Record<string, unknown> & { bench?: string; text?: string };

export interface TargetRow {
  /** what is measured */
  target: string;
  /** reslab's number, formatted */
  reslab: string;
  /** the peer and its number, formatted ('-' when there is none) */
  peer: string;
  /** the ratio or fraction compared with the target, formatted */
  ratio: string;
  /** true / false, or null when not measured in this run */
  met: boolean | null;
  /** the section the row comes from */
  bench: string;
}

type Num = number | null | undefined;
const f = (x: Num, d = 1): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '-');
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const obj = (x: unknown): Record<string, unknown> => (x && typeof x === 'object' ? (x as Record<string, unknown>) : {});

function gemmRows(r: SectionResult): TargetRow[] {
  const rows = Array.isArray(r.rows) ? (r.rows as Record<string, unknown>[]) : [];
  if (!rows.length) return [];
  const peaks = obj(r.peaks);
  const best = (row: Record<string, unknown>) => num(row.relaxed) ?? num(row.simd);
  const build = rows.some((row) => num(row.relaxed) !== null) ? 'relaxed SIMD' : 'SIMD';
  const worst = rows.reduce((w, row) => ((best(row) ?? 0) < (best(w) ?? 0) ? row : w), rows[0]);
  const minBest = best(worst);
  const tf = rows.map((row) => [best(row), num(row.tfjs)] as const).filter(([a, b]) => a !== null && b !== null);
  const ratios = tf.map(([a, b]) => (a as number) / (b as number)).sort((a, b) => a - b);
  const peak = num(peaks.simd);
  const target = num(obj(r.target).gflops) ?? 45;
  return [
    {
      target: `gemm, every layout and size (${rows.length} shapes), >= ${target} GFLOP/s`,
      reslab: `slowest ${f(minBest)} GFLOP/s (${worst.name} ${worst.layout}, ${build})`,
      peer: `tfjs wasm ${f(tf.length ? Math.min(...tf.map(([, b]) => b as number)) : null)}..${f(tf.length ? Math.max(...tf.map(([, b]) => b as number)) : null)} GFLOP/s`,
      ratio: `${peak && minBest ? `${Math.round((100 * minBest) / peak)}% of the measured ${f(peak)} GFLOP/s limit; ` : ''}${ratios.length ? `${f(ratios[0])}x..${f(ratios.at(-1))}x tfjs` : ''}`,
      met: minBest === null ? null : minBest >= target,
      bench: 'gemm',
    },
  ];
}

function stepRows(r: SectionResult): TargetRow[] {
  const impls = obj(r.impls);
  const best = String(r.best ?? 'wasm');
  const me = num(obj(impls[best]).msPerStep);
  const ratios = obj(r.ratios);
  const out: TargetRow[] = [];
  for (const [peer, target] of [
    ['tfjs-wasm', 10],
    ['tfjs-cpu', 40],
  ] as const) {
    const x = num(ratios[peer]);
    out.push({
      target: `training step (MLP 784-256, 16 blocks, batch 128) >= ${target}x ${peer}`,
      reslab: `${f(me)} ms/step (${best})`,
      peer: `${peer} ${f(num(obj(impls[peer]).msPerStep))} ms/step`,
      ratio: x === null ? '-' : `${f(x)}x`,
      met: x === null ? null : x >= target,
      bench: 'step',
    });
  }
  const lb = num(r.lowerBoundFraction);
  out.push({
    target: 'training step >= 70% of the gemm-only lower bound',
    reslab: `${f(me)} ms/step`,
    peer: `lower bound ${f(num(obj(impls[best]).lowerBoundMs))} ms`,
    ratio: lb === null ? '-' : `${Math.round(100 * lb)}%`,
    met: lb === null ? null : lb >= 0.7,
    bench: 'step',
  });
  return out;
}

function smallRows(r: SectionResult): TargetRow[] {
  const rows = Array.isArray(r.rows) ? (r.rows as Record<string, unknown>[]) : [];
  return rows.map((row) => {
    const key = r.relaxedAvailable && obj(row['reslab-relaxed']).msPerStep ? 'reslab-relaxed' : 'reslab';
    const me = obj(row[key]);
    const tw = obj(row['tfjs-wasm']);
    const ms = num(me.msPerStep);
    const peerMs = num(tw.msPerStep);
    const lb = num(me.lowerBoundMs);
    return {
      target: `small net ${row.config} (width 64, batch 64): steps/s vs tfjs wasm`,
      reslab: `${f(ms ? 1000 / ms : null, 0)} steps/s${lb && ms ? `, gemm ${Math.round((100 * lb) / ms)}% of the step` : ''}${
        num(me.jsBytesPerStep) !== null ? `, ${f(num(me.jsBytesPerStep)! / 1024)} KiB of JS objects per step` : ''
      }`,
      peer: `tfjs wasm ${f(peerMs ? 1000 / peerMs : null, 0)} steps/s`,
      ratio: ms && peerMs ? `${f(peerMs / ms)}x` : '-',
      met: null,
      bench: 'small',
    };
  });
}

function memoryRows(r: SectionResult): TargetRow[] {
  if (typeof r.flat !== 'boolean') return [];
  const kib = (x: Num) => `${f(typeof x === 'number' ? x / 1024 : null)} KiB`;
  return [
    {
      target: `memory flat over ${r.steps} training steps`,
      reslab: `JS heap ${kib(num(r.heapGrowth))}, wasm memory ${kib(num(r.wasmGrowth))}`,
      peer: '-',
      ratio: '-',
      met: r.flat,
      bench: 'memory',
    },
  ];
}

function parallelRows(r: SectionResult): TargetRow[] {
  const s = num(r.speedup);
  if (s === null) return [];
  const w = obj(r.wallMs);
  const n = String(r.workers ?? 2);
  return [
    {
      target: `--workers ${n} >= ${f(num(r.target) ?? 1.8)}x faster than --workers 1, identical results`,
      reslab: `${f(num(w[n]) !== null ? (num(w[n]) as number) / 1000 : null)} s (identical: ${r.identical ? 'yes' : 'NO'})`,
      peer: `--workers 1 ${f(num(w['1']) !== null ? (num(w['1']) as number) / 1000 : null)} s`,
      ratio: `${f(s, 2)}x (on free cores, estimated: ${f(num(r.scheduleSpeedup), 2)}x; load average ${Array.isArray(r.load) ? String(r.load[0]?.[0]) : '-'})`,
      met: s >= (num(r.target) ?? 1.8) && r.identical === true,
      bench: 'parallel',
    },
  ];
}

function relaxedRows(r: SectionResult): TargetRow[] {
  const s = num(r.speedup);
  if (s === null) return [];
  const b = obj(obj(r.builds).relaxed);
  return [
    {
      target: 'relaxed SIMD picked where available, pays end to end',
      reslab: `CLI build: ${b.main ?? '-'} (workers: ${b.worker ?? '-'})`,
      peer: 'plain SIMD build',
      ratio: `${f(s, 2)}x less CPU time`,
      met: b.main === 'relaxed' && b.worker === 'relaxed' && s >= 1,
      bench: 'relaxed',
    },
  ];
}

function e2eRows(r: SectionResult): TargetRow[] {
  const peers = Array.isArray(r.peers) ? (r.peers as Record<string, unknown>[]) : [];
  const me = obj(r.reslab);
  const wall = num(me.wallMs);
  return peers.map((p) => {
    const ratio = num(p.ratio);
    const target = p.name === 'tfjs-wasm' ? 10 : p.name === 'pytorch' ? 1 : null;
    return {
      target: `the skip study end to end (${r.grid} grid, ${r.runs} runs) vs ${p.label}${target === 10 ? ': >= 10x' : target === 1 ? ': reslab <= PyTorch' : ''}`,
      reslab: `${f(wall !== null ? wall / 1000 : null)} s`,
      peer: p.failed
        ? `not measured: ${String(p.failed).split('\n')[0]}`
        : `${f(num(p.wallMs) !== null ? (num(p.wallMs) as number) / 1000 : null)} s${p.extrapolated ? ` (extrapolated from ${p.sampledRuns} runs)` : ''}`,
      ratio: ratio === null ? '-' : `${f(ratio, 2)}x (CPU ${f(num(p.cpuRatio), 2)}x)`,
      met: ratio === null || target === null ? null : ratio >= target,
      bench: 'e2e',
    };
  });
}

const BY_BENCH: Record<string, (r: SectionResult) => TargetRow[]> = {
  gemm: gemmRows,
  step: stepRows,
  small: smallRows,
  memory: memoryRows,
  parallel: parallelRows,
  relaxed: relaxedRows,
  e2e: e2eRows,
};

/** The target rows of the sections that ran (in the order given). */
export function targetRows(sections: SectionResult[]): TargetRow[] {
  return sections.flatMap((s) => (s.bench && BY_BENCH[s.bench] ? BY_BENCH[s.bench](s) : []));
}

export function renderTargets(rows: TargetRow[]): string {
  if (!rows.length) return 'no target rows (no benchmark produced a result)';
  const mark = (m: boolean | null) => (m === null ? '  -  ' : m ? ' met ' : ' NOT ');
  const lines = rows.map((r) => `[${mark(r.met)}] ${r.target}\n         reslab ${r.reslab} | ${r.peer} | ${r.ratio}`);
  const met = rows.filter((r) => r.met === true).length;
  const judged = rows.filter((r) => r.met !== null).length;
  return [`Targets (issue 7): ${met} of ${judged} met`, ...lines].join('\n');
}
