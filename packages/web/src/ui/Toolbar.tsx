/** Play / pause / step / reset for the whole session, progress, and the share link. */
import { useState } from 'react';
import type { Session } from '../session';
import type { LabState } from '../state';

export function Toolbar({ session, state, disabled }: { session: Session; state: LabState; disabled: boolean }) {
  const [copied, setCopied] = useState<string | null>(null);
  const runs = session.runs;
  // Runs of older settings (a change not loaded yet) are replaced by Train/Step: they neither block nor count.
  const stale = !session.isFor(state);
  const running = session.running;
  const finished = session.finished && !stale;
  const ready = runs.length > 0 && runs.every((r) => r.status !== 'starting');
  const minStep = runs.length ? Math.min(...runs.map((r) => r.step)) : 0;
  const total = runs.length ? Math.max(...runs.map((r) => r.totalSteps)) : state.steps;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(window.location.href);
      setCopied('Link copied');
    } catch {
      setCopied('Copy the address bar: it holds the whole experiment');
    }
    setTimeout(() => setCopied(null), 2500);
  };
  return (
    <section className="toolbar" aria-label="Training controls">
      <div className="buttons">
        {running ? (
          <button type="button" className="primary" onClick={() => session.pause()} data-action="pause">
            ❚❚ Pause
          </button>
        ) : (
          <button type="button" className="primary" onClick={() => session.play(state)} disabled={disabled || finished} data-action="play">
            ▶ Train
          </button>
        )}
        <button
          type="button"
          className="secondary"
          onClick={() => session.step(state, state.evalEvery)}
          disabled={disabled || running || finished}
          data-action="step"
          title={`Train ${state.evalEvery} steps, then pause`}
        >
          Step +{state.evalEvery}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => session.load(state)}
          disabled={disabled}
          data-action="reset"
          title="Start again from step 0 (same seed: same numbers)"
        >
          ↺ Reset
        </button>
        <button type="button" className="secondary" onClick={copy} data-action="share">
          Copy link
        </button>
        {copied && (
          <span className="muted small" role="status">
            {copied}
          </span>
        )}
      </div>
      <div className="progress-row">
        <progress max={total} value={minStep} aria-label="Training progress" />
        <span className="muted small" data-testid="progress">
          {!ready && runs.length ? 'loading data…' : `step ${minStep} / ${total}`}
          {finished ? ' · done' : running ? ' · training' : ''}
        </span>
      </div>
    </section>
  );
}
