/**
 * Progress of a study on stderr: a bar with run counts and an ETA on a TTY
 * (cli-progress), one plain line per finished run otherwise. The ETA weighs
 * runs by their estimated cost and counts the finished part of running ones.
 */
import type { Job, JobRecord } from '@reslab/engine';
import cliProgress from 'cli-progress';
import { jobCost } from './pool.js';

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
  private readonly totalCost: number;
  private doneCost = 0;
  private done = 0;
  private readonly t0 = Date.now();
  private bar: cliProgress.SingleBar | null = null;
  private last = '';

  constructor(
    private readonly jobs: Job[],
    private readonly opts: { tty: boolean; stream?: NodeJS.WriteStream; quiet?: boolean; already?: number; label?: string },
  ) {
    for (const j of jobs) this.costs.set(j.id, jobCost(j));
    this.totalCost = [...this.costs.values()].reduce((a, b) => a + b, 0);
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
      stream.write(`${opts.label ?? 'running'} ${jobs.length} run(s)${already}\n`);
    }
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
      runs: `${this.done}/${this.jobs.length}`,
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
    this.running.delete(job.id);
    this.done++;
    this.doneCost += this.costs.get(job.id) ?? 0;
    const label = job.kind === 'train' ? job.id.replace(/#.*$/, '') : `${job.kind}: ${job.label}`;
    this.last = `${label}: ${recordLine(r)}`;
    if (this.opts.quiet) return;
    if (this.bar) this.bar.update(Math.round(1000 * this.fraction()), this.payload());
    else {
      const w = String(this.jobs.length).length;
      (this.opts.stream ?? process.stderr).write(
        `[${String(this.done).padStart(w)}/${this.jobs.length}] ${this.last} (${formatDuration(r.timeMs)}) | ETA ${this.eta()}\n`,
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
