/**
 * reslab merge: put the result folders of one study back together (typically the
 * shards of `reslab study --shard i/N` run on several machines), check that they
 * belong to the same study with the same overrides and that every run is there
 * exactly once, and rebuild the tables, the verdict and report.html.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canonicalJson, expandStudy, type JobRecord, StudyScheduler } from '@reslab/engine';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { chooseOutDir, ensureWritableDir, RESULTS_FILE, readJsonLines, STUDY_FILE, writeJsonAtomic } from '../output.js';
import { colorEnabled } from '../render/color.js';
import { loadStudyFolder, STUDY_FORMAT, type StudyFolder } from '../runner.js';
import { shardLabel } from '../shard.js';
import { commandLine, emit, rebuildResult, renderStudy, type StudyCommandResult } from './shared.js';

export interface MergeFlags {
  out?: string;
  json?: boolean;
  charts?: boolean;
  partial?: boolean;
}

export interface MergeResult extends StudyCommandResult {
  merged: Array<{ dir: string; shard: string | null; runs: number }>;
  missing: string[];
}

const list = (ids: string[], n = 3): string => ids.slice(0, n).join(', ') + (ids.length > n ? `, ... (${ids.length - n} more)` : '');

/** The fields that make two folders the same study; the first one that differs, or null. */
function difference(a: StudyFolder, b: StudyFolder): string | null {
  if (a.name !== b.name) return `the study '${a.name}' vs '${b.name}'`;
  if (a.builtin !== b.builtin) return 'a built-in study vs a study file';
  if (a.budget !== b.budget) return `budget '${a.budget}' vs '${b.budget}'`;
  if (canonicalJson(a.overrides) !== canonicalJson(b.overrides))
    return `overrides ${canonicalJson(a.overrides)} vs ${canonicalJson(b.overrides)}`;
  if (canonicalJson(a.study) !== canonicalJson(b.study)) return 'the study definition (grid, seeds or base specs differ)';
  return null;
}

export function mergeFolders(dirs: string[], flags: MergeFlags): MergeResult {
  const srcs = dirs.map((d) => resolve(d));
  const seenDir = new Set<string>();
  for (const d of srcs) {
    if (seenDir.has(d)) throw new UsageError(`'${d}' is given twice: give each results folder once`);
    seenDir.add(d);
  }
  const loaded = srcs.map((dir) => ({ dir, ...loadStudyFolder(dir) }));
  const first = loaded[0];
  for (const l of loaded.slice(1)) {
    const diff = difference(first.folder, l.folder);
    if (diff) throw new UsageError(`cannot merge '${l.dir}' with '${first.dir}': they hold different studies (${diff})`);
  }
  const { def, folder } = first;
  const outDir = flags.out ? resolve(flags.out) : chooseOutDir(undefined, `${def.name}-merged`);
  if (srcs.includes(outDir)) throw new UsageError(`--out '${outDir}' is one of the folders being merged: choose a new folder`);
  if (existsSync(join(outDir, RESULTS_FILE)) && readJsonLines(join(outDir, RESULTS_FILE)).length > 0)
    throw new UsageError(`'${outDir}' already holds results: choose another --out`);

  const plan = expandStudy(def, folder.overrides, folder.budget);
  const from = new Map<string, { rec: JobRecord; dir: string }>();
  const merged: MergeResult['merged'] = [];
  for (const l of loaded) {
    const recs = readJsonLines<JobRecord>(join(l.dir, RESULTS_FILE));
    const own = new Set<string>();
    for (const rec of recs) {
      if (own.has(rec.id)) continue; // a rewrite interrupted mid-way can repeat a line: keep the first
      own.add(rec.id);
      const prev = from.get(rec.id);
      if (prev) throw new UsageError(`the run '${rec.id}' is in both '${prev.dir}' and '${l.dir}': give each shard's folder once`);
      from.set(rec.id, { rec, dir: l.dir });
    }
    merged.push({ dir: l.dir, shard: l.folder.shard ? shardLabel(l.folder.shard) : null, runs: own.size });
  }

  // the learning-rate search is replayed on every record: it names the runs the study needs
  const sched = new StudyScheduler(
    plan,
    [...from.values()].map((v) => v.rec),
  );
  const foreign = sched.unused[0];
  if (foreign) {
    const dir = from.get(foreign.id)!.dir;
    throw new UsageError(
      `'${dir}' holds the run '${foreign.id}', which is not in the study's plan (was it run with another version of reslab?)`,
    );
  }
  const missing = sched.missingJobs().map((j) => j.id);
  if (missing.length && !flags.partial) {
    const counts = new Set(loaded.map((l) => l.folder.shard?.count).filter((c): c is number => c !== undefined));
    let hint = '';
    if (counts.size === 1) {
      const n = [...counts][0];
      const have = new Set(loaded.map((l) => l.folder.shard?.index));
      const absent = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !have.has(i));
      const incomplete = loaded.filter((l) => l.folder.shard?.jobs.some((id) => !from.has(id)));
      const parts = [];
      if (absent.length) parts.push(`shard(s) ${absent.map((i) => `${i}/${n}`).join(', ')} not given`);
      if (incomplete.length)
        parts.push(
          `unfinished: ${incomplete.map((l) => `${shardLabel(l.folder.shard!)} in '${l.dir}'`).join(', ')} (continue it with --resume)`,
        );
      hint = parts.length ? `; ${parts.join('; ')}` : '';
    }
    throw new UsageError(
      `${missing.length} of the study's ${sched.total} runs are missing (${list(missing)})${hint}; merge anyway with --partial`,
    );
  }

  const records = [...from.values()].map((v) => v.rec);
  ensureWritableDir(outDir);
  const out: StudyFolder = {
    format: STUDY_FORMAT,
    builtin: folder.builtin,
    name: folder.name,
    budget: folder.budget,
    overrides: folder.overrides,
    study: folder.study,
    jobs: sched.total,
    command: commandLine(),
    created: new Date().toISOString(),
  };
  writeJsonAtomic(join(outDir, STUDY_FILE), out);
  return {
    ...rebuildResult(outDir, def, plan, records),
    wallMs: 0,
    merged,
    missing,
  };
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .argument('<dirs...>', 'results folders of one study (e.g. the shard folders of reslab study --shard i/N)')
    .summary('combine the result folders of one study (its shards) into one, with the report')
    .description(
      'Combine results folders of the same study (same study, budget and overrides, checked) into one folder: every run of the plan ' +
        'exactly once (a run missing or present twice is an error), then the tables, the verdict, results.jsonl in plan order and ' +
        'report.html are rebuilt as if the study had run in one process.',
    )
    .option('--out <dir>', 'the merged folder (default: a fresh folder under ./reslab-results/)')
    .option('--partial', 'merge even if some runs are missing (the report says how many)')
    .option('--json', 'print the machine-readable result on stdout')
    .option('--no-charts', 'no terminal loss charts')
    .option('--debug', 'show stack traces on errors')
    .addHelpText(
      'after',
      '\nExamples:\n  $ reslab study skip --shard 1/3 --out r/s1   (on three machines: 1/3, 2/3, 3/3)\n  $ reslab merge r/s1 r/s2 r/s3 --out r/skip',
    )
    .action((dirs: string[], flags: MergeFlags) => {
      const result = mergeFolders(dirs, flags);
      emit(flags, result, (r, c) => {
        const head = `Merged ${r.merged.length} folder(s): ${r.merged.map((m) => `${m.shard ? `shard ${m.shard}` : 'full'} (${m.runs} runs)`).join(', ')}`;
        const miss = r.missing.length ? `\n${c.red(`${r.missing.length} run(s) missing (--partial)`)}` : '';
        const body = renderStudy(r, c, flags.charts !== false && colorEnabled(process.stdout)).replace(
          /^\d+ job\(s\).*$/m,
          `${r.jobs.reused} of ${r.jobs.total} job(s) merged, backend ${r.backend}`,
        );
        return `${head}${miss}\n\n${body}`;
      });
    });
}
