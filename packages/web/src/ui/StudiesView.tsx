/**
 * The named studies at a browser budget: the plan's jobs go to the worker pool,
 * the records come back, and the engine's analysis turns them into tables and
 * a verdict computed from the numbers (live, as records arrive).
 */
import {
  type Analysis,
  analyzeStudy,
  axisName,
  type CellSummary,
  datasetClasses,
  expandStudy,
  type JobRecord,
  type Plan,
  parseStudyFile,
  STUDIES,
  type StudyData,
  StudyScheduler,
  tableAxes,
  type Value,
  type VerdictLine,
} from '@reslab/engine';
import { useEffect, useMemo, useRef, useState } from 'react';
import { BarChart, type BarGroup } from '../charts/BarChart';
import { LineChart, type Series } from '../charts/LineChart';
import { pct } from '../charts/scale';
import { PALETTE } from '../equations';
import { downloadText, toCsv } from '../export';
import { type Lease, runQueued, type WorkerPool } from '../worker/pool';
import { ChartBox } from './ChartBox';

interface Progress {
  done: number;
  total: number;
  startedAt: number;
  failed: number;
}

function planFor(def: StudyData): { plan: Plan | null; error: string | null } {
  try {
    return { plan: expandStudy(def, {}, 'browser'), error: null };
  } catch (e) {
    return { plan: null, error: (e as Error).message };
  }
}

const eta = (p: Progress): string => {
  if (p.done === 0) return '';
  const left = ((Date.now() - p.startedAt) / p.done) * (p.total - p.done);
  return left < 1000 ? '' : ` · about ${Math.ceil(left / 1000)} s left`;
};

export function StudiesView({ pool, study, onStudy }: { pool: WorkerPool; study: string; onStudy: (name: string) => void }) {
  const known = STUDIES.find((s) => s.name === study);
  const [custom, setCustom] = useState<StudyData | null>(null);
  const [useCustom, setUseCustom] = useState(false);
  const [fileError, setFileError] = useState<string | null>(null);
  const def: StudyData = useCustom && custom ? custom : (known ?? STUDIES[0]);
  const openFile = async (f: File) => {
    setFileError(null);
    try {
      let json: unknown;
      try {
        json = JSON.parse(await f.text());
      } catch {
        throw new Error(`${f.name} is not valid JSON`);
      }
      const d = parseStudyFile(json, f.name);
      expandStudy(d, {}, 'browser');
      setCustom(d);
      setUseCustom(true);
    } catch (e) {
      setFileError((e as Error).message);
    }
  };
  const { plan, error } = useMemo(() => planFor(def), [def]);
  const [records, setRecords] = useState<JobRecord[]>([]);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const leases = useRef(new Set<Lease>());

  const stop = () => {
    abort.current?.abort();
    for (const l of leases.current) l.kill();
    leases.current.clear();
    setRunning(false);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: switching study (or leaving the tab) stops the running one
  useEffect(() => {
    setRecords([]);
    setProgress(null);
    setRunError(null);
    return stop;
  }, [def]);

  const run = async () => {
    if (!plan) return;
    stop();
    const ctrl = new AbortController();
    abort.current = ctrl;
    const got: JobRecord[] = [];
    setRecords([]);
    setRunError(null);
    setRunning(true);
    const prog: Progress = { done: 0, total: plan.jobs.length, startedAt: Date.now(), failed: 0 };
    setProgress({ ...prog });
    let seq = 0;
    // rounds: the starting jobs, then what the learning-rate search asks for once those records are in
    const tried = new Set<string>();
    let batch = plan.jobs;
    while (batch.length > 0 && !ctrl.signal.aborted) {
      for (const j of batch) tried.add(j.id);
      await runQueued(
        pool,
        batch,
        (job, _i, finish, lease) => {
          const runId = `job${++seq}`;
          const l = lease(
            (msg) => {
              if (msg.runId !== runId) return;
              if (msg.type === 'jobDone' || msg.type === 'error') {
                if (msg.type === 'jobDone') got.push(msg.record);
                else {
                  prog.failed++;
                  setRunError(msg.message);
                }
                prog.done++;
                leases.current.delete(l);
                l.release();
                if (!ctrl.signal.aborted) {
                  setRecords([...got]);
                  setProgress({ ...prog });
                }
                finish();
              }
            },
            (message) => {
              prog.failed++;
              prog.done++;
              setRunError(message);
              leases.current.delete(l);
              finish();
            },
          );
          leases.current.add(l);
          l.post({ type: 'job', runId, job, study: def.name });
        },
        ctrl.signal,
      );
      const sched = new StudyScheduler(plan, got);
      prog.total = sched.total;
      setProgress({ ...prog });
      batch = sched.missingJobs().filter((j) => !tried.has(j.id));
    }
    if (!ctrl.signal.aborted) setRunning(false);
  };

  const analysis: Analysis | null = useMemo(() => {
    if (!plan || records.length === 0) return null;
    try {
      return analyzeStudy(def, plan.study, records, plan);
    } catch (e) {
      return { error: (e as Error).message } as unknown as Analysis;
    }
  }, [def, plan, records]);
  const analysisError = analysis && (analysis as unknown as { error?: string }).error;

  const exportJson = () =>
    downloadText(
      `reslab-study-${def.name}.json`,
      JSON.stringify({ study: def.name, budget: 'browser', records, analysis }, null, 2),
      'application/json',
    );
  const exportCsv = () => {
    if (!analysis) return;
    const parts = analysis.tables.map((t) => `# ${t.title}\n${toCsv(t.header, t.rows)}`);
    downloadText(`reslab-study-${def.name}.csv`, parts.join('\n'), 'text/csv');
  };

  return (
    <section className="studies" aria-labelledby="studies-h">
      <h2 id="studies-h">Studies</h2>
      {!known && (
        <p className="note" role="status">
          There is no study named '{study}'; showing '{def.name}'.
        </p>
      )}
      <fieldset className="study-picker">
        <legend className="sr-only">Choose a study</legend>
        {STUDIES.map((s) => (
          <button
            key={s.name}
            type="button"
            className={!useCustom && s.name === def.name ? 'chip active' : 'chip'}
            aria-pressed={!useCustom && s.name === def.name}
            onClick={() => {
              setUseCustom(false);
              onStudy(s.name);
            }}
          >
            {s.name}
          </button>
        ))}
        {custom && (
          <button type="button" className={useCustom ? 'chip active' : 'chip'} aria-pressed={useCustom} onClick={() => setUseCustom(true)}>
            {custom.name} (your file)
          </button>
        )}
        <label className="chip file-chip">
          Open a study file…
          <input
            type="file"
            accept=".json,application/json"
            className="sr-only"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void openFile(f);
              e.target.value = '';
            }}
          />
        </label>
      </fieldset>
      {fileError && (
        <p className="error" role="alert">
          {fileError}
        </p>
      )}
      {useCustom && (
        <p className="muted small">
          A study from your file (the format of <code>reslab sweep --grid file.json</code>); it runs here at its browser budget and is not
          part of the link.
        </p>
      )}
      <article className="study-card">
        <h3>{def.title}</h3>
        <p className="question">{def.question}</p>
        <details>
          <summary>What it runs, and the equations</summary>
          {def.explanation.split('\n\n').map((para) => (
            <p key={para.slice(0, 40)}>{para}</p>
          ))}
        </details>
        {def.finding.text && (
          <p className="small">
            <strong>Published finding</strong> ({def.finding.source}): {def.finding.text}
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        {plan && (
          <p className="muted small">
            Browser budget: {plan.jobs.length} runs —{' '}
            {plan.study.grid.map((a) => `${a.key.replace(/^(model|train|data)\./, '')} ∈ {${a.values.join(', ')}}`).join(' × ')}, seeds{' '}
            {plan.study.seeds.join(', ')}, learning rates {plan.study.lrGrid.join(', ')}, {String(plan.study.base.train.maxSteps ?? '')}{' '}
            steps each, on {String(plan.study.base.data.name ?? 'mnist')}; {pool.size} worker{pool.size === 1 ? '' : 's'}.
          </p>
        )}
        <div className="buttons">
          {running ? (
            <button type="button" className="primary" onClick={stop} data-action="stop-study">
              Stop
            </button>
          ) : (
            <button type="button" className="primary" onClick={run} disabled={!plan} data-action="run-study">
              ▶ Run the {def.name} study
            </button>
          )}
          {analysis && !analysisError && (
            <>
              <button type="button" className="secondary" onClick={exportJson}>
                Export JSON
              </button>
              <button type="button" className="secondary" onClick={exportCsv}>
                Export CSV
              </button>
            </>
          )}
        </div>
        {progress && (
          <div className="progress-row">
            <progress max={progress.total} value={progress.done} aria-label="Study progress" />
            <span className="muted small" data-testid="study-progress" data-done={progress.done} data-total={progress.total}>
              {progress.done} / {progress.total} runs{progress.failed ? ` · ${progress.failed} failed` : ''}
              {running ? eta(progress) : progress.done === progress.total ? ' · done' : ' · stopped'}
            </span>
          </div>
        )}
        {runError && <p className="error">{runError}</p>}
      </article>
      {analysisError && <p className="error">{analysisError}</p>}
      {analysis && !analysisError && (
        <>
          <section className="verdict" aria-labelledby="verdict-h" data-testid="verdict">
            <h3 id="verdict-h">Verdict{progress && progress.done < progress.total ? ' so far' : ''}</h3>
            <ol className="answer" data-testid="answer">
              {analysis.verdict.answer.map((l) => (
                <li key={l.id}>{l.text}</li>
              ))}
            </ol>
            <details>
              <summary>Findings, comparisons and rules</summary>
              <VerdictList lines={analysis.verdict.lines} />
            </details>
            {analysis.verdict.thresholds.length > 0 && (
              <details>
                <summary>Thresholds the verdict used</summary>
                <ul className="small">
                  {analysis.verdict.thresholds.map((t) => (
                    <li key={t.name}>
                      {t.name} = {t.value.toPrecision(3)}: {t.rule}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            {analysis.checks.length > 0 && (
              <ul className="small">
                {analysis.checks.map((c) => (
                  <li key={c.id} className={c.ok ? 'ok' : c.ok === false ? 'wrong' : ''}>
                    {c.line}
                  </li>
                ))}
              </ul>
            )}
            <p className="muted small">Learning rate: {analysis.lrCriterion}.</p>
          </section>
          {analysis.tables.map((t) => (
            <section key={t.title} className="table-wrap">
              <table className="results study-table">
                <caption>{t.title}</caption>
                <thead>
                  <tr>
                    {t.header.map((h) => (
                      <th key={h} scope="col">
                        {h}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {t.rows.map((r) => (
                    <tr key={r.join('|')}>
                      {r.map((c, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: table cells are positional
                        <td key={i}>{c}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              {t.note && <p className="muted small">{t.note}</p>}
            </section>
          ))}
          {plan && <StudyCharts def={def} plan={plan} analysis={analysis} />}
        </>
      )}
    </section>
  );
}

function VerdictList({ lines }: { lines: VerdictLine[] }) {
  return (
    <ul>
      {lines.map((l) => (
        <li key={l.id} className={l.level === 'detail' ? 'sub' : l.level}>
          {l.text}
          {l.children?.length ? <VerdictList lines={l.children} /> : null}
        </li>
      ))}
    </ul>
  );
}

const label = (key: string, v: Value): string => (key === 'variant' || typeof v === 'string' ? String(v) : `${axisName(key)} ${v}`);

/**
 * Charts of a study's cells: per value of the table axis (e.g. depth), bars of
 * the score per bar axis value (variant) grouped by the other axes (activation);
 * and the gradient-norm profile at initialisation of one chosen group.
 */
function StudyCharts({ def, plan, analysis }: { def: StudyData; plan: Plan; analysis: Analysis }) {
  const axes = plan.study.grid.map((a) => a.key);
  const tableAxis = tableAxes(def.layout).find((k) => axes.includes(k)) ?? null;
  const barAxis = axes.includes('variant') ? 'variant' : (axes.find((a) => a !== tableAxis) ?? null);
  const groupAxes = axes.filter((a) => a !== tableAxis && a !== barAxis);
  const barValues = barAxis ? (plan.study.grid.find((a) => a.key === barAxis)?.values ?? []) : [];
  const tableValues = tableAxis ? (plan.study.grid.find((a) => a.key === tableAxis)?.values ?? []) : [null];
  const classes = datasetClasses(String(plan.study.base.data.name ?? 'mnist'));
  const groupKey = (c: CellSummary) => groupAxes.map((k) => label(k, c.cell[k])).join(', ') || 'all';
  const groupKeys = [...new Set(analysis.cells.map(groupKey))];
  const profileKeys = [
    ...new Set(analysis.cells.map((c) => [tableAxis ? label(tableAxis, c.cell[tableAxis]) : '', groupKey(c)].filter(Boolean).join(', '))),
  ];
  const [profileKey, setProfileKey] = useState<string | null>(null);
  const chosen = profileKey && profileKeys.includes(profileKey) ? profileKey : (profileKeys[0] ?? '');
  const color = (v: Value) => PALETTE[Math.max(0, barValues.indexOf(v)) % PALETTE.length];

  const barsFor = (t: Value | null): BarGroup[] =>
    groupKeys.map((g) => ({
      label: g,
      bars: barValues.map((bv) => {
        const c = analysis.cells.find(
          (x) => groupKey(x) === g && (!barAxis || x.cell[barAxis] === bv) && (!tableAxis || x.cell[tableAxis] === t),
        );
        const s = classes === null ? c?.trainLoss : c?.testAcc;
        const ok = c && c.status !== 'failed' && c.status !== 'missing' && s && s.median !== null;
        return {
          key: String(bv),
          label: barAxis ? label(barAxis, bv) : 'value',
          color: color(bv),
          value: ok ? (s.median as number) : null,
          lo: ok ? s.min : null,
          hi: ok ? s.max : null,
          note: !c ? 'not run yet' : c.status === 'failed' ? 'failed' : 'no value',
        };
      }),
    }));

  const profiles: Series[] = analysis.profiles
    .map((p) => ({ p, c: analysis.cells.find((c) => c.cellKey === p.cellKey) }))
    .filter(({ c }) => c && [tableAxis ? label(tableAxis, c.cell[tableAxis]) : '', groupKey(c)].filter(Boolean).join(', ') === chosen)
    .map(({ p, c }) => ({
      key: p.cellKey,
      label: barAxis && c ? label(barAxis, c.cell[barAxis]) : p.cellKey,
      color: barAxis && c ? color(c.cell[barAxis]) : PALETTE[0],
      points: p.gradNorms.map((y, j) => ({ x: j, y })),
    }));

  // bars only for studies that train and score their cells (e.g. not 'shatter', which measures at initialisation)
  const scored = def.metrics.includes(classes === null ? 'trainLoss' : 'testAcc');
  return (
    <section className="study-charts" aria-label="Study charts">
      <div className="grid2">
        {scored &&
          tableValues.map((t) => (
            <ChartBox key={String(t)} name={`study-${def.name}-${t ?? 'all'}`}>
              <BarChart
                chartId={`study-bars-${t ?? 'all'}`}
                title={`${classes === null ? 'Final train loss' : 'Test accuracy'}${tableAxis && t !== null ? `, ${label(tableAxis, t)}` : ''}`}
                groups={barsFor(t)}
                yLabel={classes === null ? 'train loss' : 'test accuracy'}
                yMax={classes === null ? undefined : 1}
                yFormat={classes === null ? undefined : (v) => pct(v).replace('.0%', '%')}
              />
            </ChartBox>
          ))}
      </div>
      {profileKeys.length > 0 && (
        <>
          <label className="inline-field">
            Gradient profile of:{' '}
            <select value={chosen} onChange={(e) => setProfileKey(e.target.value)}>
              {profileKeys.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
          <ChartBox name={`study-${def.name}-grad-profile`}>
            <LineChart
              chartId="study-profile"
              title={`Gradient norm per layer at initialisation (median over seeds): ${chosen}`}
              xLabel="layer (input first)"
              yLabel="‖∂L/∂W‖"
              series={profiles}
              logY
              intX
            />
          </ChartBox>
        </>
      )}
    </section>
  );
}
