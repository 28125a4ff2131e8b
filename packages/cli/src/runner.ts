/**
 * Runs a study plan into a results folder: writes study.json first (what is
 * needed to resume), appends one line to results.jsonl per finished job, and at
 * the end (or on Ctrl-C) rewrites results.jsonl in plan order and writes
 * table.csv, runs.csv, summary.json and report.html, each atomically.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Analysis,
  analyzeStudy,
  type Budget,
  expandStudy,
  getStudy,
  type JobRecord,
  type Plan,
  parseStudyFile,
  type StudyData,
  type StudyDef,
  type StudyOverrides,
  StudyScheduler,
  studyData,
} from '@reslab/engine';
import { Interrupted, UsageError } from './errors.js';
import {
  appendJsonLine,
  ensureWritableDir,
  REPORT_FILE,
  RESULTS_FILE,
  RUNS_FILE,
  readJsonFile,
  readJsonLines,
  STUDY_FILE,
  SUMMARY_FILE,
  TABLE_FILE,
  writeAtomic,
  writeJsonAtomic,
} from './output.js';
import { runPool } from './pool.js';
import { formatDuration, Progress } from './progress.js';
import { runsCsv, tableCsv } from './render/csv.js';
import { type ReportMeta, reportHtml } from './render/html.js';
import { type Shard, type ShardRecord, shardJobs, shardRecord } from './shard.js';

export const STUDY_FORMAT = 'reslab-study/1';

/** What study.json holds. */
export interface StudyFolder {
  format: typeof STUDY_FORMAT;
  /** built-in studies are re-read from the engine by name; user studies from `study`. */
  builtin: boolean;
  name: string;
  budget: Budget;
  overrides: StudyOverrides;
  study: StudyData;
  jobs: number;
  command: string;
  created: string;
  /** set when the folder holds one shard of the study (reslab study --shard i/N) */
  shard?: ShardRecord;
}

export function loadStudyFolder(dir: string): { def: StudyDef | StudyData; folder: StudyFolder } {
  const path = join(dir, STUDY_FILE);
  if (!existsSync(dir)) throw new UsageError(`results folder '${dir}' does not exist`);
  if (!existsSync(path)) throw new UsageError(`'${dir}' is not a reslab results folder: ${STUDY_FILE} is missing`);
  const f = readJsonFile(path, 'study file') as Partial<StudyFolder>;
  if (f.format !== STUDY_FORMAT || typeof f.name !== 'string' || !f.study) {
    throw new UsageError(`${path} is not a reslab study record (expected format '${STUDY_FORMAT}')`);
  }
  // a built-in study: the definition as recorded (so later changes to its defaults do not change the plan), with the
  // engine's current analysis hook
  const def = f.builtin ? { ...getStudy(f.name), ...parseStudyFile(f.study, path) } : parseStudyFile(f.study, path);
  return { def, folder: f as StudyFolder };
}

export interface RunStudyOptions {
  def: StudyDef | StudyData;
  builtin: boolean;
  budget: Budget;
  overrides: StudyOverrides;
  outDir: string;
  workers: number;
  backend: string;
  /** continue the study in outDir (its study.json and results.jsonl). */
  resume: boolean;
  command: string;
  resumeCommand: string;
  tty: boolean;
  quiet: boolean;
  /** run only this share of the jobs (see shard.ts) */
  shard?: Shard;
}

export interface StudyRunResult {
  plan: Plan;
  analysis: Analysis;
  records: JobRecord[];
  outDir: string;
  files: Record<string, string>;
  ran: number;
  reused: number;
  wallMs: number;
  workers: number;
  /** starting jobs in the whole plan (more than plan.jobs for a shard) */
  planJobs: number;
  /** jobs of this run's plan, with the ones the learning-rate search added */
  total: number;
}

/**
 * Records in plan order (the starting jobs, then the jobs the learning-rate search added, in the order it added
 * them); records of no job of the plan (an older engine's spec hash) are kept, after the others.
 */
const planOrder = (plan: Plan, records: JobRecord[]): JobRecord[] => {
  const sched = new StudyScheduler(plan, records);
  return [...sched.records(), ...sched.unused];
};

/** Analysis + every output file of a results folder from its records. */
export function writeOutputs(
  dir: string,
  def: StudyDef | StudyData,
  plan: Plan,
  records: JobRecord[],
  meta: Omit<ReportMeta, 'outDir' | 'generated'>,
): { analysis: Analysis; files: Record<string, string> } {
  const ordered = planOrder(plan, records);
  const analysis = analyzeStudy(def, plan.study, ordered, plan);
  const files = {
    results: join(dir, RESULTS_FILE),
    table: join(dir, TABLE_FILE),
    runs: join(dir, RUNS_FILE),
    summary: join(dir, SUMMARY_FILE),
    report: join(dir, REPORT_FILE),
    study: join(dir, STUDY_FILE),
  };
  writeAtomic(files.results, ordered.map((r) => `${JSON.stringify(r)}\n`).join(''));
  writeAtomic(files.table, tableCsv(analysis));
  writeAtomic(
    files.runs,
    runsCsv(
      plan.study.grid.map((a) => a.key),
      ordered,
    ),
  );
  writeJsonAtomic(files.summary, analysis);
  writeAtomic(files.report, reportHtml(def, analysis, ordered, { ...meta, outDir: dir, generated: new Date().toISOString() }));
  return { analysis, files };
}

/** The plan restricted to a shard's jobs (the whole plan without a shard). */
export const shardPlan = (plan: Plan, shard: Shard | undefined): Plan =>
  shard ? { study: plan.study, jobs: shardJobs(plan.jobs, shard) } : plan;

/** The plan a results folder was run with (its shard's share, if it holds one). */
export const folderPlan = (def: StudyDef | StudyData, folder: StudyFolder): Plan =>
  shardPlan(expandStudy(def, folder.overrides, folder.budget), folder.shard);

export async function runStudy(o: RunStudyOptions): Promise<StudyRunResult> {
  const t0 = Date.now();
  const fullPlan = expandStudy(o.def, o.overrides, o.budget);
  const plan = shardPlan(fullPlan, o.shard);
  ensureWritableDir(o.outDir);
  const resultsPath = join(o.outDir, RESULTS_FILE);
  let previous: JobRecord[] = [];
  if (o.resume) {
    // the scheduler replays the records (the learning-rate search re-derives the jobs it added) and keeps the first
    // of a record that appears twice (the rewrite at the end was interrupted)
    const replay = new StudyScheduler(plan, readJsonLines<JobRecord>(resultsPath));
    previous = replay.records();
  } else {
    if (readJsonLines<JobRecord>(resultsPath).length > 0) {
      throw new UsageError(`'${o.outDir}' already holds results: continue them with --resume ${o.outDir}, or choose another --out`);
    }
    const folder: StudyFolder = {
      format: STUDY_FORMAT,
      builtin: o.builtin,
      name: o.def.name,
      budget: o.budget,
      overrides: o.overrides,
      study: 'analyze' in o.def ? studyData(o.def as StudyDef) : o.def,
      jobs: plan.jobs.length,
      command: o.command,
      created: new Date().toISOString(),
      ...(o.shard ? { shard: shardRecord(fullPlan.jobs, o.shard) } : {}),
    };
    writeJsonAtomic(join(o.outDir, STUDY_FILE), folder);
    writeAtomic(resultsPath, '');
  }
  const sched = new StudyScheduler(plan, previous);
  const workers = Math.max(1, Math.min(o.workers, sched.remaining || 1));

  const progress = new Progress(sched, { tty: o.tty, quiet: o.quiet, already: previous.length, label: `${o.def.name}: running` });
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  let outcome: { records: JobRecord[]; interrupted: boolean };
  try {
    outcome = await runPool(sched, {
      workers,
      study: o.def.name,
      backend: o.backend,
      signal: ac.signal,
      onStart: (j) => progress.start(j),
      onProgress: (j, step, total) => progress.step(j, step, total),
      onDone: (j, r) => {
        appendJsonLine(resultsPath, r);
        progress.finish(j, r);
      },
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
  const records = [...previous, ...outcome.records];
  const wallMs = Date.now() - t0;
  const { analysis, files } = writeOutputs(o.outDir, o.def, plan, records, { command: o.command, wallMs, workers, backend: o.backend });
  if (outcome.interrupted) {
    throw new Interrupted(
      `reslab: stopped after ${formatDuration(wallMs)}: ${records.length} of ${sched.total} runs known so far are saved in ${o.outDir}; continue with: ${o.resumeCommand}`,
    );
  }
  return {
    plan,
    analysis,
    records: planOrder(plan, records),
    outDir: o.outDir,
    files,
    ran: outcome.records.length,
    reused: previous.length,
    wallMs,
    workers,
    planJobs: fullPlan.jobs.length,
    total: sched.total,
  };
}
