/** Pieces every command uses: output routing (--json keeps stdout for the JSON alone) and the study runner wiring. */
import { basename } from 'node:path';
import { type Budget, expandStudy, type JobRecord, type Plan, type StudyData, type StudyDef, StudyScheduler } from '@reslab/engine';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addOverrideOptions, addRunOptions, hasOverrides, type OverrideFlags, overridesFromFlags } from '../options.js';
import { chooseOutDir } from '../output.js';
import { formatDuration } from '../progress.js';
import { type Colors, colorEnabled, colors } from '../render/color.js';
import { renderLossCharts, renderProfiles, renderSpread, renderTable, renderVerdict } from '../render/text.js';
import { loadStudyFolder, runStudy, type StudyRunResult, shardPlan, writeOutputs } from '../runner.js';
import { addShardOption, type Shard, shardLabel } from '../shard.js';

export interface RunFlags {
  out?: string;
  json?: boolean;
  backend: string;
  workers?: number;
  debug?: boolean;
}

/** Print the result: JSON on stdout, or the rendered text. */
export function emit<T>(flags: { json?: boolean }, result: T, text: (r: T, c: Colors) => string): void {
  if (flags.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(`${text(result, colors(colorEnabled(process.stdout)))}\n`);
}

export const commandLine = (): string =>
  ['reslab', ...process.argv.slice(2)].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');

/** The options `study` and `sweep` share: grid/budget overrides, run options, --shard, --no-charts, --quiet. */
export function addStudyOptions(cmd: Command): Command {
  addOverrideOptions(cmd);
  addRunOptions(cmd);
  addShardOption(cmd);
  return cmd.option('--no-charts', 'no terminal loss charts').option('--quiet', 'no progress output on stderr');
}

export interface StudyFlags extends RunFlags, OverrideFlags {
  budget: Budget;
  resume?: string;
  dryRun?: boolean;
  charts?: boolean;
  quiet?: boolean;
  shard?: Shard;
}

export interface StudyCommandResult {
  command: string;
  study: string;
  title: string;
  question: string;
  outDir: string;
  files: Record<string, string>;
  jobs: { total: number; ran: number; reused: number };
  wallMs: number;
  workers: number;
  backend: string;
  analysis: StudyRunResult['analysis'];
  /** set when only a share of the study ran (--shard i/N) */
  shard?: { index: number; count: number; planJobs: number };
}

/** `reslab study` and `reslab sweep` share this: resolve (or resume), run, render. */
export async function studyCommand(
  kind: 'study' | 'sweep',
  def: StudyDef | StudyData | null,
  builtin: boolean,
  flags: StudyFlags,
): Promise<void> {
  let budget = flags.budget;
  let overrides = def ? overridesFromFlags(def, flags) : {};
  let outDir: string;
  let shard = flags.shard;
  if (flags.resume) {
    if (flags.shard) throw new UsageError(`--resume continues the shard recorded in ${flags.resume}/study.json: drop --shard`);
    if (hasOverrides(flags))
      throw new UsageError(`--resume continues the study exactly as recorded in ${flags.resume}/study.json: drop the other study flags`);
    if (flags.out) throw new UsageError('--resume writes into the folder it continues: drop --out');
    const loaded = loadStudyFolder(flags.resume);
    if (def && loaded.def.name !== def.name) {
      throw new UsageError(`${flags.resume} holds the study '${loaded.def.name}', not '${def.name}'`);
    }
    def = loaded.def;
    builtin = loaded.folder.builtin;
    budget = loaded.folder.budget;
    overrides = loaded.folder.overrides;
    shard = loaded.folder.shard ? { index: loaded.folder.shard.index, count: loaded.folder.shard.count } : undefined;
    outDir = chooseOutDir(flags.resume, def.name);
  } else {
    if (!def)
      throw new UsageError(
        kind === 'study'
          ? 'name a study (see reslab list), or continue one with --resume DIR'
          : 'give a study file with --grid FILE, or continue a sweep with --resume DIR',
      );
    outDir = chooseOutDir(flags.out, def.name);
  }

  if (flags.dryRun) {
    const full = expandStudy(def, overrides, budget);
    const plan = shardPlan(full, shard);
    const result = {
      study: def.name,
      budget,
      overrides,
      ...(shard ? { shard: { ...shard, planJobs: full.jobs.length } } : {}),
      axes: plan.study.grid,
      seeds: plan.study.seeds,
      lrGrid: plan.study.lrGrid,
      lrGrids: plan.study.lrGrids,
      lrSearch: plan.study.lrSearch,
      jobs: plan.jobs.map((j) => ({ id: j.id, kind: j.kind, spec: j.spec })),
    };
    emit(flags, result, (r, c) =>
      [
        `${c.bold(`reslab ${kind} ${def!.name}`)} (dry run, budget ${budget}): ${r.jobs.length} starting job(s)${shard ? ` (shard ${shardLabel(shard)} of ${full.jobs.length})` : ''}${r.lrSearch.extend ? '; the learning-rate search adds runs where a best rate sits at an edge' : ''}`,
        ...r.axes.map((a) => `  ${a.key}: ${a.values.join(', ')}`),
        `  seeds: ${r.seeds.join(', ')}${r.lrSearch.tuneSeeds !== null && r.lrSearch.tuneSeeds < r.seeds.length ? ` (the first ${r.lrSearch.tuneSeeds} tune the learning rate, the others run at the chosen rate)` : ''}; starting learning rates: ${
          Object.keys(r.lrGrids).length
            ? Object.entries(r.lrGrids)
                .map(([k, v]) => `${k} ${v!.join(', ')}`)
                .join('; ')
            : r.lrGrid.join(', ')
        }${r.lrSearch.extend ? `; search up to ${r.lrSearch.maxExtra} rates beyond each end` : ' (search off)'}`,
        ...r.jobs.slice(0, 12).map((j) => `  ${j.id}`),
        r.jobs.length > 12 ? `  ... and ${r.jobs.length - 12} more` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
    return;
  }

  const resumeCommand = `reslab ${kind}${kind === 'study' ? ` ${def.name}` : ''} --resume ${outDir}`;
  const res = await runStudy({
    def,
    builtin,
    budget,
    overrides,
    outDir,
    workers: flags.workers ?? 1,
    backend: flags.backend,
    resume: Boolean(flags.resume),
    command: commandLine(),
    resumeCommand,
    tty: Boolean(process.stderr.isTTY),
    quiet: Boolean(flags.quiet),
    shard,
  });
  const result: StudyCommandResult = {
    command: commandLine(),
    study: def.name,
    title: def.title,
    question: def.question,
    outDir: res.outDir,
    files: res.files,
    jobs: { total: res.total, ran: res.ran, reused: res.reused },
    wallMs: res.wallMs,
    workers: res.workers,
    backend: flags.backend,
    analysis: res.analysis,
    ...(shard ? { shard: { ...shard, planJobs: res.planJobs } } : {}),
  };
  emit(flags, result, (r, c) => renderStudy(r, c, flags.charts !== false && colorEnabled(process.stdout)));
}

/** Rebuild a folder's analysis and output files from saved records (no run): what `report` and `merge` print. */
export function rebuildResult(outDir: string, def: StudyDef | StudyData, plan: Plan, records: JobRecord[]): StudyCommandResult {
  const t0 = Date.now();
  const backend = records[0]?.backend ?? '-';
  const { analysis, files } = writeOutputs(outDir, def, plan, records, { command: commandLine(), wallMs: null, workers: null, backend });
  return {
    command: commandLine(),
    study: def.name,
    title: def.title,
    question: def.question,
    outDir,
    files,
    jobs: { total: new StudyScheduler(plan, records).total, ran: 0, reused: records.length },
    wallMs: Date.now() - t0,
    workers: 0,
    backend,
    analysis,
  };
}

export function renderStudy(r: StudyCommandResult, c: Colors, charts: boolean): string {
  const a = r.analysis;
  const out: string[] = [];
  out.push(`${c.bold(`reslab ${r.study}`)}: ${r.title}`);
  if (r.question) out.push(c.dim(`Question: ${r.question}`));
  if (r.workers === 0) out.push(`rebuilt from ${r.jobs.reused} saved record(s) of ${r.jobs.total} job(s) in ${r.outDir} (nothing was run)`);
  else {
    const reused = r.jobs.reused ? ` (${r.jobs.reused} reused from the earlier run)` : '';
    out.push(`${r.jobs.total} job(s)${reused} on ${r.workers} worker(s), backend ${r.backend}, wall time ${formatDuration(r.wallMs)}`);
  }
  if (r.shard)
    out.push(
      c.dim(
        `Shard ${shardLabel(r.shard)}: ${r.jobs.total} of the study's ${r.shard.planJobs} jobs; the tables cover this shard only (combine the shards with reslab merge).`,
      ),
    );
  out.push('');
  for (const t of a.tables) out.push(renderTable(t, c), '');
  out.push(c.dim(`Learning rate: ${a.lrCriterion}.`));
  out.push(c.dim(`Divergence: ${a.divergeRule}.`));
  out.push(c.dim(`Stopping: ${a.plateau.rule}; met by ${a.plateau.met} of ${a.plateau.judged} trained cell(s).`), '');
  const prof = renderProfiles(a, c);
  if (prof) out.push(prof, '');
  const spread = renderSpread(a, c);
  if (spread) out.push(spread, '');
  if (charts) {
    const ch = renderLossCharts(a, c);
    if (ch) out.push(ch, '');
  }
  if (a.checks.length) {
    out.push(c.bold('Algebra check'));
    for (const ch of a.checks) out.push(` - ${ch.ok === false ? c.red(ch.line) : ch.line}`);
    out.push('');
  }
  out.push(renderVerdict(a, c), '');
  out.push(c.bold('Written'));
  out.push(` ${r.outDir}/`);
  out.push(
    `   ${Object.values(r.files)
      .map((f) => basename(f))
      .join(', ')}`,
  );
  out.push(`   open ${r.files.report} in a browser for the charts`);
  return out.join('\n');
}
