/**
 * The session's protocol with its workers, on a fake pool that records what the
 * page sends: changed settings load after a delay, but Train/Step always act on
 * the settings on screen, and commands sent while a worker loads are not dropped.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOAD_DELAY_MS, Session } from '../src/session';
import { baseConfig, DEFAULT_STATE, type LabState } from '../src/state';
import type { Handler, WorkerPool } from '../src/worker/pool';
import type { ToWorker } from '../src/worker/protocol';

interface FakeWorker {
  id: number;
  sent: ToWorker[];
  handler: Handler | null;
}

function fakePool() {
  const workers: FakeWorker[] = [];
  const idle: FakeWorker[] = [];
  const pool = {
    size: 2,
    lease(onMessage: Handler) {
      const w = idle.pop() ?? { id: workers.length, sent: [], handler: null };
      if (!workers.includes(w)) workers.push(w);
      w.handler = onMessage;
      let done = false;
      return {
        post: (m: ToWorker) => {
          if (!done) w.sent.push(m);
        },
        release: () => {
          done = true;
          w.handler = null;
          idle.push(w);
        },
        kill: () => {
          done = true;
        },
      };
    },
  };
  const sent = () => workers.flatMap((w) => w.sent);
  return { pool: pool as unknown as WorkerPool, workers, sent };
}

const small = (over: Partial<LabState> = {}): LabState => ({
  ...structuredClone(DEFAULT_STATE),
  data: { name: 'moons', size: 200, noise: 0.1, trainRatio: 0.8 },
  depth: 2,
  width: 4,
  steps: 20,
  evalEvery: 10,
  configs: [baseConfig('plain'), baseConfig('post', 2)],
  ...over,
});

/** What a worker says while it loads and starts a run. */
const answer = (w: FakeWorker, runId: string, ...msgs: Array<'ready' | 'running'>) => {
  for (const m of msgs) {
    if (m === 'ready') w.handler?.({ type: 'ready', runId, points: null, backend: 'wasm' });
    else w.handler?.({ type: 'status', runId, status: 'running' });
  }
};

describe('session', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads changed settings after the delay, once, for the last change only', () => {
    const { pool, sent } = fakePool();
    const s = new Session(pool);
    s.want(small({ seed: 1 }));
    s.want(small({ seed: 2 }));
    s.want(small({ seed: 3 }));
    expect(s.runs).toEqual([]);
    vi.advanceTimersByTime(LOAD_DELAY_MS - 1);
    expect(sent()).toEqual([]);
    vi.advanceTimersByTime(1);
    const inits = sent().filter((m) => m.type === 'init');
    expect(inits.map((m) => (m.type === 'init' ? m.spec.seed : 0))).toEqual([3, 3]);
    expect(s.isFor(small({ seed: 3 }))).toBe(true);
    expect(s.isFor(small({ seed: 2 }))).toBe(false);
    // back to the loaded settings before the delay: nothing is reloaded
    s.want(small({ seed: 4 }));
    s.want(small({ seed: 3 }));
    vi.advanceTimersByTime(10 * LOAD_DELAY_MS);
    expect(sent().filter((m) => m.type === 'init')).toHaveLength(2);
  });

  it('Train right after a change trains the new settings, and the delayed load does not replace them', () => {
    const { pool, sent, workers } = fakePool();
    const s = new Session(pool);
    const before = small({ seed: 1, depth: 2 });
    s.load(before);
    for (const r of s.runs) answer(workers[r.index], r.key, 'ready');
    const old = s.runs.map((r) => r.key);
    const after = small({ seed: 7, depth: 4 });
    s.want(after); // as the page does after a setting changed
    s.play(after); // pressed before the delay is over
    const runs = s.runs;
    expect(runs.map((r) => r.spec.seed)).toEqual([7, 7]);
    expect(runs.map((r) => r.spec.model.depth)).toEqual([4, 4]);
    const plays = sent().filter((m) => m.type === 'play');
    expect(plays.map((m) => m.runId).sort()).toEqual(runs.map((r) => r.key).sort());
    expect(plays.some((m) => old.includes(m.runId))).toBe(false);
    expect(
      sent()
        .filter((m) => m.type === 'dispose')
        .map((m) => m.runId),
    ).toEqual(old);
    vi.advanceTimersByTime(10 * LOAD_DELAY_MS);
    expect(s.runs).toBe(runs);
    expect(sent().filter((m) => m.type === 'init')).toHaveLength(4);
  });

  it('Train while the workers load is sent (not dropped) and shows as training', () => {
    const { pool, sent, workers } = fakePool();
    const s = new Session(pool);
    const st = small();
    s.load(st);
    expect(s.runs.every((r) => r.status === 'starting')).toBe(true);
    s.play(st);
    expect(sent().filter((m) => m.type === 'play')).toHaveLength(2);
    expect(s.running).toBe(true);
    for (const r of s.runs) answer(workers[r.index], r.key, 'ready');
    expect(s.running).toBe(true);
    for (const r of s.runs) answer(workers[r.index], r.key, 'running');
    expect(s.runs.map((r) => [r.status, r.queued])).toEqual([
      ['running', false],
      ['running', false],
    ]);
    // messages of disposed runs are ignored
    const keys = s.runs.map((r) => r.key);
    s.load(st);
    workers[0].handler?.({ type: 'status', runId: keys[0], status: 'done' });
    expect(s.runs.every((r) => r.status === 'starting')).toBe(true);
  });

  it('Step and Pause reach runs that are still loading; a new set of runs is announced at once', () => {
    const { pool, sent } = fakePool();
    const s = new Session(pool);
    let calls = 0;
    s.subscribe(() => calls++);
    const st = small();
    s.load(st);
    expect(calls).toBe(1);
    s.step(st, 10);
    expect(sent().filter((m) => m.type === 'step')).toEqual(s.runs.map((r) => ({ type: 'step', runId: r.key, steps: 10 })));
    s.pause();
    expect(sent().filter((m) => m.type === 'pause')).toHaveLength(2);
    expect(s.running).toBe(false);
    s.clear();
    expect(calls).toBe(2);
    expect(s.isFor(st)).toBe(false);
  });
});
