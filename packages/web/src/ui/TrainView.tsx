/** Live results of the side-by-side session: curves, table, what flows through the nets, decision boundaries, digits. */
import { memo } from 'react';
import { Boundary } from '../charts/Boundary';
import { Heatmap, logRangeOf } from '../charts/Heatmap';
import { LineChart, type Series } from '../charts/LineChart';
import { fmt, pct } from '../charts/scale';
import { configLabel, PALETTE } from '../equations';
import { downloadText, toCsv } from '../export';
import type { RunView, Session } from '../session';
import { isRegression, type LabState } from '../state';
import { ChartBox } from './ChartBox';

const color = (r: RunView) => PALETTE[r.index % PALETTE.length];

export function Curves({ runs, state }: { runs: RunView[]; state: LabState; sig?: string }) {
  const regression = isRegression(state.data.name);
  const loss: Series[] = runs.map((r) => ({
    key: `${r.index}`,
    label: configLabel(r.config),
    color: color(r),
    points: r.evals.map((e) => ({ x: e.step, y: e.trainLoss })),
    divergedAt: r.status === 'diverged' ? (r.result?.divergedAt ?? r.step) : null,
  }));
  const testLoss: Series[] = runs.map((r) => ({
    key: `${r.index}-test`,
    label: `${configLabel(r.config)} (test)`,
    color: color(r),
    dashed: true,
    points: r.evals.map((e) => ({ x: e.step, y: e.testLoss })),
  }));
  const acc: Series[] = runs.map((r) => ({
    key: `${r.index}`,
    label: configLabel(r.config),
    color: color(r),
    points: r.evals.filter((e) => e.testAcc !== null).map((e) => ({ x: e.step, y: e.testAcc as number })),
    divergedAt: r.status === 'diverged' ? (r.result?.divergedAt ?? r.step) : null,
  }));
  return (
    <div className="grid2">
      <ChartBox name="loss">
        <LineChart chartId="loss" title="Training loss (full training set)" xLabel="step" yLabel="loss" series={loss} logY />
      </ChartBox>
      {regression ? (
        <ChartBox name="test-loss">
          <LineChart chartId="test-loss" title="Test loss" xLabel="step" yLabel="loss" series={testLoss} logY />
        </ChartBox>
      ) : (
        <ChartBox name="accuracy">
          <LineChart
            chartId="accuracy"
            title="Test accuracy"
            xLabel="step"
            yLabel="accuracy"
            series={acc}
            yDomain={[0, 1]}
            yFormat={(v) => `${Math.round(v * 100)}%`}
          />
        </ChartBox>
      )}
    </div>
  );
}

export function resultRows(runs: RunView[]) {
  return runs.map((r) => {
    const last = r.evals[r.evals.length - 1];
    return {
      config: configLabel(r.config),
      variant: r.spec.model.block === 'plain' ? 'plain' : `${r.spec.model.block}-${r.spec.model.skip}`,
      params: r.params,
      step: r.step,
      trainLoss: last?.trainLoss ?? null,
      testLoss: last?.testLoss ?? null,
      trainAcc: last?.trainAcc ?? null,
      testAcc: last?.testAcc ?? null,
      status: r.status,
      divergedAt: r.result?.divergedAt ?? null,
      timeMs: r.result?.timeMs ?? last?.timeMs ?? null,
    };
  });
}

export function ResultsTable({ runs, state }: { runs: RunView[]; state: LabState }) {
  const rows = resultRows(runs);
  const exportJson = () =>
    downloadText(
      `reslab-results-seed${state.seed}.json`,
      JSON.stringify(
        {
          url: window.location.href,
          runs: runs.map((r) => ({ config: configLabel(r.config), spec: r.spec, status: r.status, result: r.result, history: r.evals })),
        },
        null,
        2,
      ),
      'application/json',
    );
  const exportCsv = () =>
    downloadText(
      `reslab-results-seed${state.seed}.csv`,
      toCsv(
        ['config', 'variant', 'params', 'step', 'train_loss', 'test_loss', 'train_acc', 'test_acc', 'status', 'diverged_at', 'time_ms'],
        rows.map((r) => [
          r.config,
          r.variant,
          r.params,
          r.step,
          r.trainLoss,
          r.testLoss,
          r.trainAcc,
          r.testAcc,
          r.status,
          r.divergedAt,
          r.timeMs,
        ]),
      ),
      'text/csv',
    );
  return (
    <section aria-labelledby="results-h">
      <div className="section-head">
        <h2 id="results-h">Results</h2>
        <div>
          <button type="button" className="secondary" onClick={exportJson}>
            Export JSON
          </button>{' '}
          <button type="button" className="secondary" onClick={exportCsv}>
            Export CSV
          </button>
        </div>
      </div>
      <div className="table-wrap">
        <table className="results" data-testid="results">
          <caption className="sr-only">Latest evaluation of each configuration</caption>
          <thead>
            <tr>
              <th scope="col">configuration</th>
              <th scope="col">params</th>
              <th scope="col">step</th>
              <th scope="col">train loss</th>
              <th scope="col">test loss</th>
              <th scope="col">train acc</th>
              <th scope="col">test acc</th>
              <th scope="col">status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => {
              const r = runs[i];
              return (
                <tr
                  key={r.key}
                  data-run={i}
                  data-variant={row.variant}
                  data-step={row.step}
                  data-train-loss={row.trainLoss ?? ''}
                  data-test-loss={row.testLoss ?? ''}
                  data-test-acc={row.testAcc ?? ''}
                  data-status={row.status}
                >
                  <th scope="row">
                    <span className="swatch" style={{ background: color(r) }} aria-hidden="true" /> {row.config}
                  </th>
                  <td>{row.params ?? '—'}</td>
                  <td>
                    {row.step}/{r.totalSteps}
                  </td>
                  <td>{fmt(row.trainLoss, 4)}</td>
                  <td>{fmt(row.testLoss, 4)}</td>
                  <td>{pct(row.trainAcc)}</td>
                  <td>{pct(row.testAcc)}</td>
                  <td>
                    {r.status === 'diverged' ? (
                      <span className="diverged" title="a non-finite loss stopped this run">
                        ✕ diverged at step {row.divergedAt ?? r.step}
                      </span>
                    ) : r.status === 'error' ? (
                      <span className="error">{r.error}</span>
                    ) : (
                      r.status
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function Flows({ runs }: { runs: RunView[]; sig?: string }) {
  // NOTE: runs is mutated in place by the session, so nothing here may be memoised on its identity.
  const range = logRangeOf(runs.map((r) => r.evals.map((e) => e.gradNorms)));
  const stream: Series[] = runs
    .filter((r) => r.evals.length > 0)
    .map((r) => {
      const last = r.evals[r.evals.length - 1];
      return {
        key: `${r.index}`,
        label: `${configLabel(r.config)} @${last.step}`,
        color: color(r),
        points: last.streamNorms.map((y, i) => ({ x: i + 1, y })),
      };
    });
  return (
    <section aria-labelledby="flows-h">
      <h2 id="flows-h">What flows through the nets</h2>
      <p className="muted small">
        Gradient norm of every layer's weights at each evaluation (one shared colour scale: compare the colours across configurations), and
        the norm of the hidden state after each block.
      </p>
      <div className="grid3">
        {runs.map((r) => (
          <ChartBox key={r.key} name={`grad-norms-${r.index}`}>
            <Heatmap
              chartId={`grad-${r.index}`}
              title={`${configLabel(r.config)}: gradient norm per layer`}
              rows={r.evals[0]?.layerNames ?? []}
              cols={r.evals.map((e) => e.step)}
              values={r.evals.map((e) => e.gradNorms)}
              xLabel="step"
              valueLabel="‖∂L/∂W‖"
              logRange={range}
            />
          </ChartBox>
        ))}
      </div>
      <ChartBox name="stream-norms">
        <LineChart
          chartId="stream"
          title="Residual-stream norm per block (latest evaluation)"
          xLabel="block"
          yLabel="‖a‖"
          series={stream}
          logY
          intX
          height={220}
        />
      </ChartBox>
    </section>
  );
}

export function Pictures({ runs, session, state }: { runs: RunView[]; session: Session; state: LabState; sig?: string }) {
  if (state.data.name === 'mnist') return <Digits runs={runs} session={session} />;
  return (
    <section aria-labelledby="boundary-h">
      <h2 id="boundary-h">{isRegression(state.data.name) ? 'Fit over the input' : 'Decision boundary'}</h2>
      <div className="boundaries">
        {runs.map((r) => (
          <ChartBox key={r.key} name={`boundary-${r.index}`}>
            <Boundary
              chartId={`boundary-${r.index}`}
              title={`${configLabel(r.config)}${r.boundary ? '' : ' (not trained yet)'}`}
              data={r.boundary}
              points={session.points}
            />
          </ChartBox>
        ))}
      </div>
    </section>
  );
}

const Digit = memo(function Digit({ pixels, offset }: { pixels: number[]; offset: number }) {
  const cells: string[] = [];
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const v = pixels[offset + y * 28 + x];
      if (v > 0.05) cells.push(`M${x},${y}h1v1h-1z`);
    }
  return (
    <svg viewBox="0 0 28 28" width={42} height={42} role="img" aria-hidden="true">
      <rect width={28} height={28} fill="#ffffff" />
      <path d={cells.join('')} fill="#1d2430" />
    </svg>
  );
});

function Digits({ runs, session }: { runs: RunView[]; session: Session }) {
  const px = session.digitPixels;
  const first = runs.find((r) => r.samples);
  const labels = first?.samples?.labels ?? [];
  return (
    <section aria-labelledby="digits-h">
      <h2 id="digits-h">Test digits and predictions</h2>
      {!px ? (
        <p className="muted">Digits appear once the runs have loaded the data.</p>
      ) : (
        <div className="table-wrap">
          <table className="digits">
            <thead>
              <tr>
                <th scope="col">digit</th>
                {runs.map((r) => (
                  <th key={r.key} scope="col" style={{ color: color(r) }}>
                    {configLabel(r.config)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {labels.map((label, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: sample digits are positional
                <tr key={i}>
                  <th scope="row">
                    <Digit pixels={px} offset={i * 784} /> <span className="muted">{label}</span>
                  </th>
                  {runs.map((r) => {
                    const p = r.samples?.preds[i];
                    const ok = p === label;
                    return (
                      <td key={r.key} className={p === undefined ? '' : ok ? 'ok' : 'wrong'}>
                        {p ?? '—'}
                        {r.samples && <small className="muted"> {Math.round((r.samples.probs[i] ?? 0) * 100)}%</small>}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** A signature of what the charts draw: they re-render when it changes, not on every progress tick. */
export const drawnSig = (runs: RunView[]): string => runs.map((r) => `${r.key}:${r.rev}`).join(',');

export const CurvesMemo = memo(Curves, (a, b) => a.sig === b.sig && a.state === b.state) as unknown as typeof Curves;
export const FlowsMemo = memo(Flows, (a, b) => a.sig === b.sig) as unknown as typeof Flows;
export const PicturesMemo = memo(Pictures, (a, b) => a.sig === b.sig && a.state === b.state) as unknown as typeof Pictures;
