/**
 * Runs a study's plan as its learning-rate search goes: the starting jobs first; when every job of a cell has
 * finished, the cell's search (lrsearch.ts) either asks for further rates (tuning seeds only) or has chosen its
 * rate, and then the cell's other seeds run at that rate. The Node worker pool and the web page's pool both pull
 * jobs from here, costliest first. Replaying finished records (a resumed or merged study) gives the same jobs,
 * because the search is a function of the records.
 */
import { datasetInfo } from '../data/index.js';
import { cellStartLrs, type Job, type Plan, trainJob, tuningSeeds } from './expand.js';
import { type LrSearchResult, searchLr } from './lrsearch.js';
import type { JobRecord } from './records.js';
import type { ResolvedStudy, Value } from './study.js';

/**
 * Relative cost of a job: steps x batch x multiply-adds per example (input projection, hidden layers, projection
 * shortcuts, output layer), from the dataset's real shape. Longest first only balances the workers if the estimate
 * ranks the jobs right: a projection-shortcut job costs up to twice a plain one.
 */
export function jobCost(job: Job): number {
  const { model, train, data } = job.spec;
  const io = datasetInfo(data.name);
  const nTrain = Math.round(data.size * data.trainRatio);
  const stepsPerEpoch = Math.max(1, Math.floor(nTrain / Math.min(train.batchSize, nTrain)));
  const steps = train.maxSteps > 0 ? Math.min(train.maxSteps, train.epochs * stepsPerEpoch) : train.epochs * stepsPerEpoch;
  const projections = model.block !== 'plain' && model.shortcut === 'projection' ? Math.floor(model.depth / model.skip) : 0;
  const perExample = model.width * (io.inputDim + io.outputDim) + (model.depth + projections) * model.width * model.width;
  const mult = job.kind === 'twin' ? 2 : job.kind === 'fold' && !job.trained ? 0.01 : 1;
  return Math.max(1, steps * Math.min(train.batchSize, nTrain) * perExample * mult);
}

interface CellState {
  cell: Record<string, Value>;
  start: number[];
  /** ids of the cell's jobs known so far */
  jobs: Set<string>;
  records: JobRecord[];
  search: LrSearchResult | null;
}

export class StudyScheduler {
  readonly study: ResolvedStudy;
  private readonly known = new Map<string, Job>();
  /** known jobs in the order they became known */
  private readonly order: Job[] = [];
  private readonly ready: Job[] = [];
  private readonly running = new Set<string>();
  private readonly finished = new Map<string, JobRecord>();
  private readonly cells = new Map<string, CellState>();
  private readonly tuneSeeds: number[];

  /** `plan`: the starting jobs (a shard's share, or the whole study); `done`: records already finished (resume, merge). */
  constructor(plan: Plan, done: readonly JobRecord[] = []) {
    this.study = plan.study;
    this.tuneSeeds = tuningSeeds(plan.study);
    for (const j of plan.jobs) {
      if (j.kind === 'train' && !this.cells.has(j.cellKey)) {
        this.cells.set(j.cellKey, { cell: j.cell, start: cellStartLrs(plan.study, j.cell), jobs: new Set(), records: [], search: null });
      }
      this.add(j);
    }
    const byId = new Map<string, JobRecord>();
    for (const r of done) if (!byId.has(r.id)) byId.set(r.id, r);
    // replay: a finished job may unlock further jobs that are finished too
    for (let i = 0; i < this.order.length; i++) {
      const r = byId.get(this.order[i].id);
      if (r) this.complete(r);
    }
    this.unused = [...byId.values()].filter((r) => !this.known.has(r.id));
  }

  /** records given to the constructor that belong to no job of this plan (another study, an older engine, an edited plan) */
  readonly unused: JobRecord[];

  private add(job: Job): void {
    if (this.known.has(job.id)) return;
    this.known.set(job.id, job);
    this.order.push(job);
    this.ready.push(job);
    if (job.kind === 'train') this.cells.get(job.cellKey)!.jobs.add(job.id);
  }

  /** The costliest job that can run now, marked as running; null when none can (wait for a completion, or done). */
  take(): Job | null {
    if (this.ready.length === 0) return null;
    let best = 0;
    let bestCost = jobCost(this.ready[0]);
    for (let i = 1; i < this.ready.length; i++) {
      const c = jobCost(this.ready[i]);
      if (c > bestCost) {
        best = i;
        bestCost = c;
      }
    }
    const [job] = this.ready.splice(best, 1);
    this.running.add(job.id);
    return job;
  }

  /** Put a job taken but not run back (an interrupted worker). */
  giveBack(job: Job): void {
    if (this.running.delete(job.id)) this.ready.push(job);
  }

  /** A job's record: may make the cell's search ask for more jobs. */
  complete(rec: JobRecord): void {
    const job = this.known.get(rec.id);
    if (!job || this.finished.has(rec.id)) return;
    this.running.delete(rec.id);
    const waiting = this.ready.indexOf(job);
    if (waiting >= 0) this.ready.splice(waiting, 1);
    this.finished.set(rec.id, rec);
    if (job.kind !== 'train') return;
    const cs = this.cells.get(job.cellKey)!;
    cs.records.push(rec);
    if ([...cs.jobs].some((id) => !this.finished.has(id))) return;
    this.advance(cs);
  }

  private advance(cs: CellState): void {
    cs.search = searchLr(cs.records, cs.start, this.study.lrSearch, this.tuneSeeds);
    const s = cs.search;
    const more = s.done
      ? this.study.seeds.filter((seed) => !this.tuneSeeds.includes(seed)).map((seed) => trainJob(this.study, cs.cell, s.chosen!, seed))
      : s.next.flatMap((lr) => this.tuneSeeds.map((seed) => trainJob(this.study, cs.cell, lr, seed)));
    for (const j of more) this.add(j);
  }

  /** Every job is finished and none can follow. */
  get done(): boolean {
    return this.ready.length === 0 && this.running.size === 0;
  }
  /** jobs known so far (the search may add more) */
  get total(): number {
    return this.order.length;
  }
  get finishedCount(): number {
    return this.finished.size;
  }
  /** known jobs without a record */
  get remaining(): number {
    return this.order.length - this.finished.size;
  }
  /** cells whose search has not finished (or whose seeds at the chosen rate have not all run) */
  get openCells(): number {
    let n = 0;
    for (const c of this.cells.values()) if (!c.search?.done || [...c.jobs].some((id) => !this.finished.has(id))) n++;
    return n;
  }
  /** every known job, in the order it became known (starting jobs in plan order first) */
  jobs(): Job[] {
    return [...this.order];
  }
  /** known jobs without a record, in order */
  missingJobs(): Job[] {
    return this.order.filter((j) => !this.finished.has(j.id));
  }
  /** the records of the known jobs, in that order */
  records(): JobRecord[] {
    return this.order.map((j) => this.finished.get(j.id)).filter((r): r is JobRecord => r !== undefined);
  }
}
