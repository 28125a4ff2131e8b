/**
 * Progress of a study on stderr: a bar with run counts and an ETA on a TTY
 * (cli-progress), one plain line per finished run otherwise. The ETA weighs
 * runs by their estimated cost and counts the finished part of running ones.
 */
import { type Job, type JobRecord, jobCost } from '@reslab/engine';
import cliProgress from 'cli-progress';

/** What the progress follows: a fixed list of jobs, or a scheduler whose learning-rate search adds jobs as it goes. */
export interface JobsView {
  jobs(): Job[];
  /** records finished before this run (their jobs count as done) */
  records?(): JobRecord[];
  /** the search may still add jobs */
  readonly done?: boolean;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function recordLine(r: JobRecord): string {
  if (r.error) return `error: ${r.error}`;
  if (r.kind === 'fold' && r.fold) return `max |diff| ${r.fold.maxAbsDiff.toExponential(2)}`;
  if (r.kind === 'twin' && r.twin) return `max |loss diff| ${r.twin.maxAbsLossDiff.toExponential(2)}`;
  const res = r.result;
  if (!res) return 'no result';
  if (res.status === 'diverged') return `diverged at step ${res.divergedAt}`;
  const acc = res.finalTestAcc === null ? '' : `  acc ${(100 * res.finalTestAcc).toFixed(1)}%`;
  return `loss ${res.finalTrainLoss?.toPrecision(3)}${acc}`;
}

export class Progress {
  private readonly costs = new Map<string, number>();
  private readonly running = new Map<string, { step: number; total: number }>();
  private totalCost = 0;
  private readonly view: JobsView;
  private doneCost = 0;
  private done = 0;
  private readonly t0 = Date.now();
  private bar: cliProgress.SingleBar | null = null;
  private last = '';

  constructor(
    jobs: Job[] | JobsView,
    private readonly opts: { tty: boolean; stream?: NodeJS.WriteStream; quiet?: boolean; already?: number; label?: string },
  ) {
    const list = Array.isArray(jobs) ? jobs : null;
    this.view = list ? { jobs: () => list } : (jobs as JobsView);
    // jobs already finished (a resumed study) are not part of this run's progress
    const before = this.view.records?.() ?? [];
    this.finishedBefore = new Set(before.map((r) => r.id));
    this.already = list ? 0 : before.length;
    this.sync();
    if (opts.quiet) return;
    const stream = opts.stream ?? process.stderr;
    if (opts.tty) {
      this.bar = new cliProgress.SingleBar(
        {
          stream,
          format: ` {bar} {runs} runs | {percentage}% | elapsed {elapsed} | ETA {etaText} | {current}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 1,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(1000, 0, this.payload());
    } else {
      const already = opts.already ? ` (${opts.already} already done)` : '';
      stream.write(
        `${opts.label ?? 'running'} ${this.count()} run(s)${this.more() ? ' so far (the learning-rate search adds runs as cells finish)' : ''}${already}\n`,
      );
    }
  }

  private readonly already: number;
  private readonly finishedBefore: Set<string>;
  private known = 0;

  /** Take in the jobs the search added since the last look. */
  private sync(): void {
    const all = this.view.jobs();
    for (let i = this.known; i < all.length; i++) {
      if (this.finishedBefore.has(all[i].id)) continue;
      const c = jobCost(all[i]);
      this.costs.set(all[i].id, c);
      this.totalCost += c;
    }
    this.known = all.length;
  }
  /** runs of this invocation known so far */
  private count(): number {
    return this.known - this.already;
  }
  private more(): boolean {
    return this.view.done === false;
  }

  private fraction(): number {
    let c = this.doneCost;
    for (const [id, p] of this.running) if (p.total > 0) c += (this.costs.get(id) ?? 0) * Math.min(1, p.step / p.total);
    return this.totalCost > 0 ? c / this.totalCost : 1;
  }

  private eta(): string {
    const f = this.fraction();
    const el = Date.now() - this.t0;
    if (f <= 0.005 || el < 2000) return '...';
    return formatDuration((el * (1 - f)) / f);
  }

  private payload() {
    return {
      runs: `${this.done}/${this.count()}${this.more() ? '+' : ''}`,
      etaText: this.eta(),
      elapsed: formatDuration(Date.now() - this.t0),
      current: this.last.slice(0, 60),
    };
  }

  start(job: Job): void {
    this.running.set(job.id, { step: 0, total: 0 });
  }

  step(job: Job, step: number, total: number): void {
    const p = this.running.get(job.id);
    if (!p) return;
    p.step = step;
    if (total > 0) p.total = total;
    this.bar?.update(Math.round(1000 * this.fraction()), this.payload());
  }

  finish(job: Job, r: JobRecord): void {
    this.sync();
    this.running.delete(job.id);
    this.done++;
    this.doneCost += this.costs.get(job.id) ?? 0;
    const label = job.kind === 'train' ? job.id.replace(/#.*$/, '') : `${job.kind}: ${job.label}`;
    this.last = `${label}: ${recordLine(r)}`;
    if (this.opts.quiet) return;
    if (this.bar) this.bar.update(Math.round(1000 * this.fraction()), this.payload());
    else {
      const n = `${this.count()}${this.more() ? '+' : ''}`;
      (this.opts.stream ?? process.stderr).write(
        `[${String(this.done).padStart(String(this.count()).length)}/${n}] ${this.last} (${formatDuration(r.timeMs)}) | ETA ${this.eta()}\n`,
      );
    }
  }

  stop(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
  }
}
