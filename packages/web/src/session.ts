/**
 * The interactive training session: one run per configuration, each on its
 * own worker, all on the same data and seed. Holds what the page draws and
 * notifies React (at most once per animation frame).
 */
import type { LayerStats, RunEvent, RunResult, RunSpec } from '@reslab/engine';
import type { BoundaryData, PointsData } from './charts/Boundary';
import { type Config, configToken, type LabState, runSpecFor } from './state';
import type { Lease, WorkerPool } from './worker/pool';
import type { FromWorker, Samples } from './worker/protocol';

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
  /** bumped whenever something drawn changes (evaluations, pictures, status), not on mere step progress. */
  rev: number;
}

export const BOUNDARY_GRID = 48;
export const SAMPLE_DIGITS = 12;
const NOTIFY_MS = 150;

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
  private frame = 0;
  private lastNotify = 0;

  constructor(private readonly pool: WorkerPool) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };
  getVersion = (): number => this.version;

  /** Start fresh runs (at step 0, paused) for the state's configurations. */
  load(state: LabState): void {
    this.disposeRuns();
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
    this.changed();
  }

  play(): void {
    for (const r of this.runs) if (this.active(r)) this.leases.get(r.key)?.post({ type: 'play', runId: r.key });
  }
  pause(): void {
    for (const r of this.runs) if (this.active(r)) this.leases.get(r.key)?.post({ type: 'pause', runId: r.key });
  }
  step(steps: number): void {
    for (const r of this.runs) if (this.active(r)) this.leases.get(r.key)?.post({ type: 'step', runId: r.key, steps });
  }

  get running(): boolean {
    return this.runs.some((r) => r.status === 'running');
  }
  get finished(): boolean {
    return this.runs.length > 0 && this.runs.every((r) => r.status === 'done' || r.status === 'diverged' || r.status === 'error');
  }

  /** Stop and forget every run (the page shows none). */
  clear(): void {
    this.disposeRuns();
    if (this.runs.length) {
      this.runs = [];
      this.points = null;
      this.digitPixels = null;
      this.changed();
    }
  }

  private active(r: RunView): boolean {
    return r.status === 'ready' || r.status === 'paused' || r.status === 'running';
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

  /** Coalesce updates: React re-renders at most every NOTIFY_MS (the workers may report much faster). */
  private changed(): void {
    if (this.frame) return;
    const wait = Math.max(0, NOTIFY_MS - (performance.now() - this.lastNotify));
    this.frame = window.setTimeout(() => {
      this.frame = 0;
      this.lastNotify = performance.now();
      this.version++;
      for (const fn of this.listeners) fn();
    }, wait);
  }
}

export const runLabel = (r: RunView): string => configToken(r.config);
