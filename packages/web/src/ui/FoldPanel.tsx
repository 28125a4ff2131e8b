/**
 * The algebra, measured: a post-1 network (a <- g(W a + b + S a)) folded into a
 * plain one (W' = I + W, or W_r + W for a projection shortcut) computes the same
 * outputs. The worker trains the post-1 net briefly, folds it, and reports the
 * largest output difference.
 */
import { FOLD_RULE, foldTolerance } from '@reslab/engine';
import { useEffect, useRef, useState } from 'react';
import { fmt } from '../charts/scale';
import { baseConfig, type LabState, runSpecFor } from '../state';
import type { Lease, WorkerPool } from '../worker/pool';
import type { FoldRow } from '../worker/protocol';

export const FOLD_STEPS = 100;

let foldId = 0;

/** What the panel shows, with the settings it was computed for. */
interface Outcome {
  key: string;
  rows: FoldRow[] | null;
  error: string | null;
}

/** The settings a fold check depends on: the shared ones (not the configurations, nor the tab). */
const foldKey = (s: LabState): string => {
  const { tab: _t, study: _s, configs: _c, ...shared } = s;
  return JSON.stringify(shared);
};

export function FoldPanel({ state, pool, disabled }: { state: LabState; pool: WorkerPool; disabled: boolean }) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const lease = useRef<Lease | null>(null);
  const key = foldKey(state);
  const stateRef = useRef(state);
  stateRef.current = state;
  // NOTE: a result (or error) is shown only while the settings it was computed for are the ones on screen.
  const shown = outcome && outcome.key === key ? outcome : null;
  const rows = shown?.rows ?? null;
  const error = shown?.error ?? null;

  const stop = () => {
    lease.current?.kill();
    lease.current = null;
    setBusy(false);
  };

  const run = (s: LabState) => {
    if (disabled) return;
    const k = foldKey(s);
    stop();
    let spec: ReturnType<typeof runSpecFor>;
    try {
      spec = runSpecFor(s, baseConfig('post', 1));
    } catch (e) {
      setOutcome({ key: k, rows: null, error: (e as Error).message });
      return;
    }
    setBusy(true);
    setOutcome(null);
    const runId = `fold${++foldId}`;
    const l = pool.lease(
      (msg) => {
        if (msg.runId !== runId || lease.current !== l) return;
        if (msg.type !== 'fold' && msg.type !== 'error') return;
        setOutcome({ key: k, rows: msg.type === 'fold' ? msg.rows : null, error: msg.type === 'error' ? msg.message : null });
        setBusy(false);
        lease.current = null;
        l.release();
      },
      (message) => {
        if (lease.current !== l) return;
        setOutcome({ key: k, rows: null, error: message });
        setBusy(false);
        lease.current = null;
      },
    );
    lease.current = l;
    l.post({ type: 'fold', runId, spec, trainSteps: Math.min(FOLD_STEPS, s.steps) });
  };

  // New settings: drop the check of the old ones (its worker is stopped) and check the new ones shortly after the last change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the shared settings the fold uses
  useEffect(() => {
    const t = disabled ? undefined : window.setTimeout(() => runRef.current(stateRef.current), 800);
    return () => {
      clearTimeout(t);
      stop();
    };
  }, [key, disabled]);

  const runRef = useRef(run);
  runRef.current = run;

  return (
    <section className="fold" aria-labelledby="fold-h" data-testid="fold">
      <div className="section-head">
        <h2 id="fold-h">The algebra: is a one-layer skip just a plain layer?</h2>
        <button type="button" className="secondary" onClick={() => run(state)} disabled={disabled || busy} data-action="fold">
          {busy ? 'Checking…' : rows ? 'Check again' : 'Check the algebra'}
        </button>
      </div>
      <p className="muted small">
        A post-1 block computes <code>g(W a + b + a) = g((I + W) a + b)</code>. The lab trains a post-1 net ({state.depth} layers, width{' '}
        {state.width}, {Math.min(FOLD_STEPS, state.steps)} steps, this page's data and seed), writes <code>W′ = I + W</code> into a plain
        net, and measures the largest difference between the two nets' outputs on the test set. With a projection shortcut the fold is{' '}
        <code>W′ = Wᵣ + W</code>.
      </p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {rows && (
        <div className="table-wrap">
          <table className="results">
            <thead>
              <tr>
                <th scope="col">shortcut</th>
                <th scope="col">fold</th>
                <th scope="col">layers folded</th>
                <th scope="col">max |Δ output| (float32)</th>
                <th scope="col">same in float64</th>
                <th scope="col">largest |output|</th>
                <th scope="col">net's own rounding</th>
                <th scope="col">tolerance</th>
                <th scope="col">verdict</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const tol = foldTolerance(r);
                const same = r.maxAbsDiff <= tol;
                return (
                  <tr
                    key={r.label}
                    data-fold={r.shortcut}
                    data-max-diff={r.maxAbsDiff}
                    data-max-output={r.maxAbsOutput}
                    data-tolerance={tol}
                  >
                    <th scope="row">{r.shortcut}</th>
                    <td>
                      <code>{r.shortcut === 'identity' ? 'W′ = I + W' : 'W′ = Wᵣ + W'}</code>
                    </td>
                    <td>{r.layers}</td>
                    <td>
                      <strong>{fmt(r.maxAbsDiff, 3)}</strong>
                    </td>
                    <td>{fmt(r.maxAbsDiff64, 3)}</td>
                    <td>{fmt(r.maxAbsOutput, 3)}</td>
                    <td>{fmt(r.roundingError, 2)}</td>
                    <td>{fmt(tol, 2)}</td>
                    <td className={same ? 'ok' : 'wrong'}>{same ? 'the same function' : 'differs beyond rounding'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="muted small">
            Rule (the engine's, as in the CLI): {FOLD_RULE}. The float64 column repeats the fold with rounding almost removed. Measured on{' '}
            {rows[0]?.batch} test inputs after {rows[0]?.trainedSteps} training steps.
          </p>
        </div>
      )}
    </section>
  );
}
