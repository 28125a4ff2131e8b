import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { chooseOutDir, ensureWritableDir, writeJsonAtomic } from '../output.js';
import { formatDuration } from '../progress.js';
import { emit } from './shared.js';

/** The repository's packages folder, from this file's place (packages/cli/dist/commands). */
const packagesDir = (): string => join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface BenchScript {
  name: string;
  what: string;
  script: string;
}

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
 * The benchmark scripts this checkout has: the executable scripts (a #!/usr/bin/env node first line) in
 * packages/{core-wasm,engine,cli}/bench; helper modules there are skipped.
 */
export function findBenches(root = packagesDir()): BenchScript[] {
  const out: BenchScript[] = [];
  for (const pkg of ['core-wasm', 'engine', 'cli']) {
    const dir = join(root, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(mjs|js)$/.test(f)) continue;
      const script = join(dir, f);
      const text = readFileSync(script, 'utf8');
      if (!text.startsWith('#!')) continue;
      out.push({ name: `${pkg}/${f.replace(/\.(mjs|js)$/, '')}`, what: describe(text) || 'benchmark', script });
    }
  }
  return out;
}

function run(script: string, args: string[], capture: boolean): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
      cwd: dirname(dirname(script)),
    });
    let output = '';
    child.stdout?.on('data', (d) => {
      output += d;
    });
    child.stderr?.on('data', (d) => process.stderr.write(d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .argument('[args...]', 'arguments passed to every benchmark script (after --), e.g. -- --procs 1 --ms 200')
    .summary('run the kernel and training-step benchmarks (vs TensorFlow.js)')
    .description(
      'Run the benchmark scripts of this checkout one after the other, naming each: the executable scripts in packages/core-wasm/bench ' +
        "(gemm of the wasm core vs TensorFlow.js's wasm backend, with the measured SIMD peak), packages/engine/bench (training steps vs " +
        'TensorFlow.js, memory over long runs) and packages/cli/bench (whole studies). They take minutes: run them on an otherwise idle machine.',
    )
    .option('--only <name>', 'run only the benchmarks whose name contains this (e.g. gemm)')
    .option('--list', 'list the benchmark scripts and stop')
    .option('--out <dir>', 'folder for bench.json (default: a fresh folder under ./reslab-results/)')
    .option('--json', 'capture every script output and print one JSON result on stdout')
    .option('--debug', 'show stack traces on errors')
    .addHelpText(
      'after',
      '\nExamples:\n  $ reslab bench --list\n  $ reslab bench --only gemm -- --procs 1 --ms 300\n  $ reslab bench --json > bench.json',
    )
    .action(async (args: string[], flags: { only?: string; list?: boolean; out?: string; json?: boolean }) => {
      const all = findBenches();
      const chosen = flags.only ? all.filter((b) => b.name.includes(flags.only!)) : all;
      if (flags.list) {
        emit(flags, { benches: all.map((b) => ({ ...b, script: relative(process.cwd(), b.script) })) }, (r) =>
          r.benches.length ? r.benches.map((b) => `${b.name}: node ${b.script}\n    ${b.what}`).join('\n') : 'no benchmark scripts found',
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
      const results = [];
      for (const b of chosen) {
        process.stderr.write(`reslab bench: running ${b.name} (${b.what}): node ${relative(process.cwd(), b.script)} ${args.join(' ')}\n`);
        const t0 = Date.now();
        const r = await run(b.script, args, Boolean(flags.json));
        const ms = Date.now() - t0;
        process.stderr.write(`reslab bench: ${b.name} finished in ${formatDuration(ms)} (exit ${r.code})\n`);
        let parsed: unknown = null;
        try {
          parsed = r.output.trim() ? JSON.parse(r.output) : null;
        } catch {
          parsed = null;
        }
        results.push({ name: b.name, what: b.what, script: b.script, args, exitCode: r.code, timeMs: ms, output: parsed ?? r.output });
      }
      writeJsonAtomic(join(outDir, 'bench.json'), { benches: results, created: new Date().toISOString() });
      if (flags.json) process.stdout.write(`${JSON.stringify({ outDir, benches: results }, null, 2)}\n`);
      else process.stdout.write(`\nwritten: ${join(outDir, 'bench.json')} (exit codes and timings${flags.json ? ' and outputs' : ''})\n`);
      if (results.some((r) => r.exitCode !== 0)) process.exitCode = 1;
    });
}
