/** The web lab: shared settings and configurations on the left, live results on the right; studies and checkpoints in their own tabs. */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Session } from './session';
import { type LabState, stateFromQuery, stateProblems, stateToQuery, type Tab, trainKeyOf } from './state';
import { CheckpointView } from './ui/CheckpointView';
import { ConfigList, SharedControls } from './ui/Controls';
import { FoldPanel } from './ui/FoldPanel';
import { StudiesView } from './ui/StudiesView';
import { Toolbar } from './ui/Toolbar';
import { CurvesMemo, drawnSig, FlowsMemo, PicturesMemo, ResultsTable } from './ui/TrainView';
import { defaultPoolSize, WorkerPool } from './worker/pool';

const makeWorker = () => new Worker(new URL('./worker/lab.worker.ts', import.meta.url), { type: 'module', name: 'reslab-lab' });

declare global {
  interface Window {
    /** test/debug hook: the live session and state. */
    __reslab?: { session: Session; state: () => LabState; pool: WorkerPool };
  }
}

const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'train', label: 'Train side by side' },
  { id: 'studies', label: 'Studies' },
  { id: 'checkpoint', label: 'Inspect a checkpoint' },
];

export function App() {
  const [initial] = useState(() => stateFromQuery(window.location.search));
  const [state, setState] = useState<LabState>(initial.state);
  const [note, setNote] = useState<string | null>(initial.note);
  const pool = useMemo(() => new WorkerPool(defaultPoolSize(), makeWorker), []);
  const session = useMemo(() => new Session(pool), [pool]);
  useSyncExternalStore(session.subscribe, session.getVersion);
  const stateRef = useRef(state);
  stateRef.current = state;

  useEffect(() => {
    window.__reslab = { session, state: () => stateRef.current, pool };
    return () => {
      session.clear();
      pool.terminateAll();
    };
  }, [session, pool]);

  // The URL always holds the whole experiment.
  useEffect(() => {
    const q = stateToQuery(state);
    if (window.location.search.slice(1) !== q)
      window.history.replaceState(null, '', `${window.location.pathname}?${q}${window.location.hash}`);
  }, [state]);

  const problems = useMemo(() => stateProblems(state), [state]);
  const trainKey = trainKeyOf(state);
  const onTrain = state.tab === 'train';
  // Changed settings are loaded shortly after the last change; Train/Step load them at once if they are still waiting.
  // biome-ignore lint/correctness/useExhaustiveDependencies: trainKey stands for the training part of the state
  useEffect(() => {
    if (!onTrain || problems.length) session.clear();
    else session.want(stateRef.current);
  }, [trainKey, onTrain, problems.length, session]);

  const set = useCallback((f: (s: LabState) => LabState) => setState((s) => f(s)), []);
  const runs = session.runs;
  const sig = drawnSig(runs);

  return (
    <div className="app">
      <header className="top">
        <div className="brand">
          <h1>
            reslab <span className="muted">web lab</span>
          </h1>
          <p className="tagline">Build residual networks, train them side by side in your browser, and see why skip connections work.</p>
        </div>
        <nav className="tabs" aria-label="Sections">
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              className={state.tab === t.id ? 'tab active' : 'tab'}
              aria-current={state.tab === t.id ? 'page' : undefined}
              onClick={() => set((s) => ({ ...s, tab: t.id }))}
            >
              {t.label}
            </button>
          ))}
        </nav>
      </header>
      {note && (
        <div className="note" role="status" data-testid="url-note">
          <span>{note}</span>
          <button type="button" className="link" onClick={() => setNote(null)} aria-label="Dismiss the note">
            dismiss
          </button>
        </div>
      )}
      {state.tab === 'train' && (
        <main className="layout">
          <aside className="side" aria-label="Settings">
            <SharedControls state={state} set={set} />
          </aside>
          <div className="content">
            <Intro onStudies={() => set((s) => ({ ...s, tab: 'studies', study: 'skip' }))} />
            <ConfigList state={state} set={set} />
            {problems.length > 0 && (
              <div className="problems" role="alert">
                <strong>Cannot train this yet:</strong>
                <ul>
                  {problems.map((p) => (
                    <li key={p}>{p}</li>
                  ))}
                </ul>
              </div>
            )}
            <Toolbar session={session} state={state} disabled={problems.length > 0} />
            {runs.length > 0 && (
              <>
                <CurvesMemo runs={runs} state={state} sig={sig} />
                <ResultsTable runs={runs} state={state} />
                <PicturesMemo runs={runs} session={session} state={state} sig={sig} />
                <FlowsMemo runs={runs} sig={sig} />
              </>
            )}
            <FoldPanel state={state} pool={pool} disabled={problems.length > 0} />
          </div>
        </main>
      )}
      {state.tab === 'studies' && (
        <main className="single">
          <StudiesView pool={pool} study={state.study} onStudy={(study) => set((s) => ({ ...s, study }))} />
        </main>
      )}
      {state.tab === 'checkpoint' && (
        <main className="single">
          <CheckpointView pool={pool} />
        </main>
      )}
      <footer className="foot muted small">
        reslab trains on your machine (WebAssembly, {pool.size} worker{pool.size === 1 ? '' : 's'} for studies). The link in the address bar
        holds the whole experiment, seed included.
      </footer>
    </div>
  );
}

function Intro({ onStudies }: { onStudies: () => void }) {
  return (
    <section className="intro" aria-label="The question">
      <p>
        A skip connection adds a block's input to its output. Added <em>inside</em> the activation over one layer, it is{' '}
        <code>g(Wa + b + a) = g((I + W)a + b)</code>: just a plain layer whose weights start near <code>I</code>. Over two layers, or added{' '}
        <em>outside</em> the activation (<code>a + g(Wa + b)</code>, <code>a + W g(a) + b</code>), it keeps a clean identity path. Pick the
        configurations, press <strong>Train</strong>, and compare. For many seeds, depths and activations at once, run the{' '}
        <button type="button" className="link inline" onClick={onStudies}>
          skip-length study
        </button>
        .
      </p>
    </section>
  );
}
