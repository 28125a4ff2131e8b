import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { renderTargets, type SectionResult, type TargetRow, targetRows } from '../bench-summary.js';
import { UsageError } from '../errors.js';
import { chooseOutDir, ensureWritableDir, writeJsonAtomic } from '../output.js';
import { formatDuration } from '../progress.js';
import { emit } from './shared.js';

/** The repository's packages folder, from this file's place (packages/cli/dist/commands). */
const packagesDir = (): string => join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface BenchScript {
  name: string;
  what: string;
  script: string;
}

/**
 * The suite, in the order `reslab bench` runs it. Every script takes --json (one JSON object on stdout,
 * progress on stderr) and --quick (a short version), measures reslab and its peers in the same run and
 * prints ratios. e2e (the skip study vs PyTorch and TensorFlow.js) lives outside the packages (bench/e2e).
 */
export const SUITE = ['core-wasm/gemm', 'engine/step', 'engine/small', 'engine/memory', 'cli/parallel', 'cli/relaxed', 'e2e/run'] as const;

/** What a script says about itself: its leading // comment up to the first blank comment line, as one line. */
function describe(text: string): string {
  const lines = text.split('\n').slice(1);
  const out: string[] = [];
  for (const l of lines) {
    const m = /^\/\/ ?(.*)$/.exec(l.trim());
    if (!m?.[1].trim()) break;
    out.push(m[1].trim());
  }
  const d = out.join(' ');
  return d.length > 160 ? `${d.slice(0, 157)}...` : d;
}

/**
 * The benchmark scripts this checkout has, suite order first: the executable scripts (a #!/usr/bin/env node
 * first line) in packages/{core-wasm,engine,cli}/bench and bench/e2e/run.mjs; helper modules are skipped.
 */
export function findBenches(root = packagesDir()): BenchScript[] {
  const out: BenchScript[] = [];
  const dirs: Array<[string, string]> = [
    ['core-wasm', join(root, 'core-wasm', 'bench')],
    ['engine', join(root, 'engine', 'bench')],
    ['cli', join(root, 'cli', 'bench')],
    ['e2e', join(root, '..', 'bench', 'e2e')],
  ];
  for (const [pkg, dir] of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(mjs|js)$/.test(f) || (pkg === 'e2e' && f !== 'run.mjs')) continue;
      const script = join(dir, f);
      const text = readFileSync(script, 'utf8');
      if (!text.startsWith('#!')) continue;
      out.push({ name: `${pkg}/${f.replace(/\.(mjs|js)$/, '')}`, what: describe(text) || 'benchmark', script });
    }
  }
  const rank = (n: string) => {
    const i = (SUITE as readonly string[]).indexOf(n);
    return i < 0 ? SUITE.length : i;
  };
  return out.sort((a, b) => rank(a.name) - rank(b.name));
}

/** Extra arguments per script in --quick mode beyond --quick itself. */
const QUICK_ARGS: Record<string, string[]> = {
  'e2e/run': ['--grid', 'reduced', '--skip', 'torch-refblas', '--tfjs-sample', '4'],
};
const FULL_ARGS: Record<string, string[]> = {
  'e2e/run': ['--grid', 'reduced', '--tfjs-sample', '12', '--torch-refblas-sample', '12'],
};

export interface BenchOptions {
  quick: boolean;
  json: boolean;
  /** arguments after -- */
  extra: string[];
}

/** The command line of one script of the suite. */
export function scriptArgs(b: Pick<BenchScript, 'name'>, o: Pick<BenchOptions, 'quick' | 'extra'>): string[] {
  return ['--json', ...(o.quick ? ['--quick', ...(QUICK_ARGS[b.name] ?? [])] : (FULL_ARGS[b.name] ?? [])), ...o.extra];
}

function run(script: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dirname(dirname(script)) });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The last line of a script's stdout that parses as a JSON object. */
export function parseResult(output: string): SectionResult | null {
  const lines = output.trim().split('\n').reverse();
  for (const l of lines) {
    try {
      const v = JSON.parse(l);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as SectionResult;
    } catch {
      // not JSON
    }
  }
  return null;
}

export interface BenchSection {
  name: string;
  what: string;
  script: string;
  args: string[];
  exitCode: number;
  timeMs: number;
  result: SectionResult | null;
  /** stdout when it was not JSON (an error) */
  output?: string;
}

export interface BenchReport {
  quick: boolean;
  outDir: string;
  node: string;
  load: { before: number[]; after: number[] };
  sections: BenchSection[];
  targets: TargetRow[];
}

export function renderBench(r: BenchReport): string {
  const out: string[] = [];
  for (const s of r.sections) {
    out.push(`== ${s.name} (${formatDuration(s.timeMs)}${s.exitCode ? `, exit ${s.exitCode}` : ''})`);
    out.push(s.result?.text ?? (s.output?.trim() || '(no result)'), '');
  }
  out.push(renderTargets(r.targets));
  out.push(
    '',
    `Node ${r.node}; load average ${r.load.before[0]} -> ${r.load.after[0]} on this machine's cores (the scripts compare CPU time where cores are shared, and say so).`,
    `written: ${join(r.outDir, 'bench.json')}`,
  );
  return out.join('\n');
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .argument('[args...]', 'arguments passed to every benchmark script (after --), e.g. -- --rounds 1')
    .summary('measure reslab against its peers: gemm, training steps, small nets, memory, parallel studies, relaxed SIMD, end to end')
    .description(
      'Run the benchmark suite and check the performance targets: gemm of the wasm core in every layout vs TensorFlow.js wasm and a ' +
        'measured SIMD limit (core-wasm/gemm), the residual-MLP training step vs TensorFlow.js wasm/cpu and its gemm-only lower bound ' +
        '(engine/step), small networks of the skip study vs TensorFlow.js (engine/small), memory over 10,000 steps (engine/memory), ' +
        '--workers 2 vs 1 (cli/parallel), relaxed vs plain SIMD end to end (cli/relaxed), and the skip study vs PyTorch and ' +
        'TensorFlow.js (e2e/run, needs python3-torch). Each script measures reslab and its peers in the same run, in several ' +
        'processes interleaved; the full suite takes about 10 minutes on an idle 2-core machine, --quick about 2.',
    )
    .option('--quick', 'a short version of every benchmark (fewer processes, sizes and steps)')
    .option('--only <names>', 'run only the benchmarks whose name contains one of these (comma-separated, e.g. gemm,step)')
    .option('--list', 'list the benchmark scripts and stop')
    .option('--out <dir>', 'folder for bench.json (default: a fresh folder under ./reslab-results/)')
    .option('--json', 'print one JSON result on stdout (every section and the target rows)')
    .option('--debug', 'show stack traces on errors')
    .addHelpText(
      'after',
      '\nExamples:\n  $ reslab bench --quick\n  $ reslab bench --only gemm,step -- --rounds 1\n  $ reslab bench --json > bench.json\n  $ reslab bench --list',
    )
    .action(async (args: string[], flags: { only?: string; list?: boolean; out?: string; json?: boolean; quick?: boolean }) => {
      const all = findBenches();
      const wanted = flags.only
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const chosen = wanted ? all.filter((b) => wanted.some((w) => b.name.includes(w))) : all;
      const opts: BenchOptions = { quick: Boolean(flags.quick), json: Boolean(flags.json), extra: args };
      if (flags.list) {
        emit(flags, { benches: all.map((b) => ({ ...b, script: relative(process.cwd(), b.script), args: scriptArgs(b, opts) })) }, (r) =>
          r.benches.length
            ? r.benches.map((b) => `${b.name}: node ${b.script} ${b.args.join(' ')}\n    ${b.what}`).join('\n')
            : 'no benchmark scripts found',
        );
        return;
      }
      if (chosen.length === 0) {
        throw new UsageError(
          flags.only
            ? `no benchmark matches '${flags.only}': available are ${all.map((b) => b.name).join(', ') || 'none'}`
            : 'no benchmark scripts found in packages/*/bench',
        );
      }
      const outDir = chooseOutDir(flags.out, 'bench');
      ensureWritableDir(outDir);
      const before = loadavg();
      const sections: BenchSection[] = [];
      for (const b of chosen) {
        const a = scriptArgs(b, opts);
        process.stderr.write(`reslab bench: ${b.name}: node ${relative(process.cwd(), b.script)} ${a.join(' ')}\n`);
        const t0 = Date.now();
        const r = await run(b.script, a);
        const ms = Date.now() - t0;
        const result = parseResult(r.output);
        sections.push({
          name: b.name,
          what: b.what,
          script: b.script,
          args: a,
          exitCode: r.code,
          timeMs: ms,
          result,
          ...(result ? {} : { output: r.output }),
        });
        process.stderr.write(`reslab bench: ${b.name} finished in ${formatDuration(ms)} (exit ${r.code})\n`);
      }
      const report: BenchReport = {
        quick: opts.quick,
        outDir,
        node: process.versions.node,
        load: { before: before.map((x) => Math.round(x * 100) / 100), after: loadavg().map((x) => Math.round(x * 100) / 100) },
        sections,
        targets: targetRows(sections.map((s) => s.result).filter((x): x is SectionResult => x !== null)),
      };
      writeJsonAtomic(join(outDir, 'bench.json'), { ...report, created: new Date().toISOString() });
      emit(flags, report, renderBench);
      if (sections.some((s) => s.exitCode !== 0)) process.exitCode = 1;
    });
}
