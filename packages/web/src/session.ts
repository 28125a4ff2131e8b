/**
 * The interactive training session: one run per configuration, each on its
 * own worker, all on the same data and seed. Holds what the page draws and
 * notifies React (progress at most every NOTIFY_MS; a new set of runs at once).
 *
 * NOTE: settings arrive through `want` and are loaded after a short delay (so
 * typing "400" does not start three sets of runs), but every command (play,
 * step) first loads the settings last wanted: a command never acts on runs of
 * older settings, whatever the timing. Commands sent while a run's worker is
 * still loading its data are queued by the worker and carried out once ready.
 */
import type { LayerStats, RunEvent, RunResult, RunSpec } from '@reslab/engine';
import type { BoundaryData, PointsData } from './charts/Boundary';
import { type Config, type LabState, runSpecFor, trainKeyOf } from './state';
import type { Lease, WorkerPool } from './worker/pool';
import type { FromWorker, Samples, ToWorker } from './worker/protocol';

export type EvalPoint = Omit<Extract<RunEvent, { type: 'eval' }>, 'type'>;

export type RunStatus = 'starting' | 'ready' | 'running' | 'paused' | 'done' | 'diverged' | 'error';

export interface RunView {
  key: string;
  index: number;
  config: Config;
  spec: RunSpec;
  status: RunStatus;
  step: number;
  totalSteps: number;
  params: number | null;
  backend: string | null;
  lastLoss: number | null;
  evals: EvalPoint[];
  init: LayerStats | null;
  result: RunResult | null;
  boundary: BoundaryData | null;
  samples: Samples | null;
  error: string | null;
  /** a play/step was sent and the worker has not yet said it is running. */
  queued: boolean;
  /** bumped whenever something drawn changes (evaluations, pictures, status), not on mere step progress. */
  rev: number;
}

export const BOUNDARY_GRID = 48;
export const SAMPLE_DIGITS = 12;
const NOTIFY_MS = 150;
/** settings are loaded this long after the last change (unless a command needs them sooner). */
export const LOAD_DELAY_MS = 150;

let nextId = 1;

export class Session {
  runs: RunView[] = [];
  points: PointsData | null = null;
  /** pixels of the shown test digits (MNIST). */
  digitPixels: number[] | null = null;
  version = 0;
  private leases = new Map<string, Lease>();
  private ids = new Map<string, RunView>();
  private listeners = new Set<() => void>();
  private frame: ReturnType<typeof setTimeout> | undefined;
  private lastNotify = 0;
  /** the training settings the runs were made for (null: no runs). */
  private loadedKey: string | null = null;
  /** settings changed and not loaded yet. */
  private pending: { state: LabState; key: string; timer: ReturnType<typeof setTimeout> } | null = null;

  constructor(private readonly pool: WorkerPool) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  getVersion = (): number => this.version;

  /** The settings changed: load them after `delay` ms (a later change or a command supersedes this). */
  want(state: LabState, delay = LOAD_DELAY_MS): void {
    this.cancelPending();
    const key = trainKeyOf(state);
    if (key === this.loadedKey) return;
    const timer = setTimeout(() => this.flush(), delay);
    this.pending = { state, key, timer };
  }

  /** Whether the runs are those of `state`'s training settings (false: none, or runs of older settings). */
  isFor(state: LabState): boolean {
    return this.loadedKey !== null && this.loadedKey === trainKeyOf(state);
  }

  /** Load the settings last wanted now, if they are not loaded yet. */
  flush(): void {
    const p = this.pending;
    if (!p) return;
    this.cancelPending();
    if (p.key !== this.loadedKey) this.load(p.state);
  }

  /** Start fresh runs (at step 0, paused) for the state's configurations (Reset: also when they are loaded already). */
  load(state: LabState): void {
    this.cancelPending();
    this.disposeRuns();
    this.loadedKey = trainKeyOf(state);
    this.points = null;
    this.digitPixels = null;
    this.runs = state.configs.map((config, index) => {
      const spec = runSpecFor(state, config);
      const runId = `run${nextId++}`;
      const view: RunView = {
        key: runId,
        index,
        config,
        spec,
        status: 'starting',
        step: 0,
        totalSteps: spec.train.maxSteps,
        params: null,
        backend: null,
        lastLoss: null,
        evals: [],
        init: null,
        result: null,
        boundary: null,
        samples: null,
        error: null,
        queued: false,
        rev: 0,
      };
      this.ids.set(runId, view);
      const lease = this.pool.lease(
        (msg) => this.onMessage(msg),
        (message) => {
          view.status = 'error';
          view.error = message;
          this.changed();
        },
      );
      this.leases.set(runId, lease);
      lease.post({
        type: 'init',
        runId,
        spec,
        extras: { boundary: spec.data.name === 'mnist' ? 0 : BOUNDARY_GRID, samples: spec.data.name === 'mnist' ? SAMPLE_DIGITS : 0 },
      });
      return view;
    });
    this.changed(true);
  }

  /** Train every run to the end: the runs of `state` (the settings on screen; loaded now if need be). */
  play(state: LabState): void {
    this.command(state, (r) => ({ type: 'play', runId: r.key }));
  }
  pause(): void {
    for (const r of this.runs) {
      if (!this.commandable(r)) continue;
      r.queued = false;
      this.leases.get(r.key)?.post({ type: 'pause', runId: r.key });
    }
    this.changed();
  }
  /** Train `steps` more steps, then pause (the runs of `state`, as for play). */
  step(state: LabState, steps: number): void {
    this.command(state, (r) => ({ type: 'step', runId: r.key, steps }));
  }

  private command(state: LabState, msg: (r: RunView) => ToWorker): void {
    this.want(state);
    this.flush();
    for (const r of this.runs) {
      if (!this.commandable(r)) continue;
      if (r.status !== 'running') r.queued = true;
      this.leases.get(r.key)?.post(msg(r));
    }
    this.changed();
  }

  get running(): boolean {
    return this.runs.some((r) => r.status === 'running' || (r.queued && this.commandable(r)));
  }
  get finished(): boolean {
    return this.runs.length > 0 && this.runs.every((r) => r.status === 'done' || r.status === 'diverged' || r.status === 'error');
  }

  /** Stop and forget every run (the page shows none), and any settings waiting to be loaded. */
  clear(): void {
    this.cancelPending();
    this.disposeRuns();
    this.loadedKey = null;
    if (this.runs.length) {
      this.runs = [];
      this.points = null;
      this.digitPixels = null;
      this.changed(true);
    }
  }

  /** A run that takes commands: loading (the worker queues them), ready, paused or running. */
  private commandable(r: RunView): boolean {
    return r.status === 'starting' || r.status === 'ready' || r.status === 'paused' || r.status === 'running';
  }

  private cancelPending(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = null;
  }

  private disposeRuns(): void {
    for (const [runId, lease] of this.leases) {
      lease.post({ type: 'dispose', runId });
      lease.release();
    }
    this.leases.clear();
    this.ids.clear();
  }

  private onMessage(msg: FromWorker): void {
    const r = this.ids.get(msg.runId);
    if (!r) return;
    if (msg.type !== 'progress') r.rev++;
    switch (msg.type) {
      case 'ready':
        r.status = 'ready';
        r.backend = msg.backend;
        if (msg.points && !this.points) this.points = msg.points;
        break;
      case 'event':
        this.onEvent(r, msg.event);
        break;
      case 'progress':
        r.step = msg.step;
        r.lastLoss = msg.loss;
        break;
      case 'status':
        r.queued = false;
        if (r.status !== 'diverged' && r.status !== 'error' && r.status !== 'done') r.status = msg.status;
        break;
      case 'boundary':
        r.boundary = msg.data;
        break;
      case 'samples':
        if (msg.samples.pixels && !this.digitPixels) this.digitPixels = msg.samples.pixels;
        r.samples = msg.samples;
        break;
      case 'error':
        r.queued = false;
        r.status = 'error';
        r.error = msg.message;
        break;
      default:
        return;
    }
    this.changed();
  }

  private onEvent(r: RunView, e: RunEvent): void {
    if (e.type === 'start') {
      r.params = e.params;
      r.totalSteps = e.totalSteps;
      r.backend = e.backend;
    } else if (e.type === 'step') {
      r.step = e.step;
      r.lastLoss = e.loss;
    } else if (e.type === 'eval') {
      const { type: _t, ...point } = e;
      r.evals = [...r.evals, point];
      r.step = Math.max(r.step, e.step);
    } else if (e.type === 'end') {
      r.result = e.result;
      r.init = e.result.init;
      r.step = e.result.steps;
      r.status = e.result.status === 'diverged' ? 'diverged' : 'done';
    }
  }

  /**
   * Coalesce updates: React re-renders at most every NOTIFY_MS (the workers may report much faster).
   * `now`: a new set of runs (or none) is drawn at once, so the page never shows runs that are gone.
   */
  private changed(now = false): void {
    if (now) {
      if (this.frame) clearTimeout(this.frame);
      this.frame = undefined;
      this.notify();
      return;
    }
    if (this.frame) return;
    const wait = Math.max(0, NOTIFY_MS - (performance.now() - this.lastNotify));
    this.frame = setTimeout(() => {
      this.frame = undefined;
      this.notify();
    }, wait);
  }

  private notify(): void {
    this.lastNotify = performance.now();
    this.version++;
    for (const fn of this.listeners) fn();
  }
}
