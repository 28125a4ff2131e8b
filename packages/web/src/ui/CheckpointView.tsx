/**
 * Import a checkpoint saved by the CLI (`reslab train --save model.json`) and
 * inspect it: its spec, every layer's weights, its score on its own data, the
 * decision boundary for 2-D data, and the fold check for a post-1 net.
 */
import { FOLD_RULE, foldTolerance } from '@reslab/engine';
import { type DragEvent, useRef, useState } from 'react';
import { Boundary } from '../charts/Boundary';
import { LineChart } from '../charts/LineChart';
import { fmt, pct } from '../charts/scale';
import type { WorkerPool } from '../worker/pool';
import type { CheckpointInfo } from '../worker/protocol';
import { ChartBox } from './ChartBox';

const MAX_BYTES = 200 * 1024 * 1024;
let ckptId = 0;

export function CheckpointView({ pool }: { pool: WorkerPool }) {
  const [info, setInfo] = useState<CheckpointInfo | null>(null);
  const [name, setName] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const load = async (file: File) => {
    setError(null);
    setInfo(null);
    setName(file.name);
    if (file.size > MAX_BYTES) {
      setError(`${file.name} is ${(file.size / 1e6).toFixed(0)} MB: too large for a reslab checkpoint`);
      return;
    }
    setBusy(true);
    const text = await file.text();
    const runId = `ckpt${++ckptId}`;
    const lease = pool.lease(
      (msg) => {
        if (msg.runId !== runId) return;
        if (msg.type === 'checkpoint') setInfo(msg.info);
        else if (msg.type === 'error') setError(`${file.name}: ${msg.message}`);
        else return;
        setBusy(false);
        lease.release();
      },
      (message) => {
        setError(message);
        setBusy(false);
      },
    );
    lease.post({ type: 'checkpoint', runId, text });
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    const f = e.dataTransfer.files[0];
    if (f) void load(f);
  };

  const spec = info?.spec;
  const run = spec && 'model' in spec ? spec : null;
  const m = info?.model;
  return (
    <section aria-labelledby="ckpt-h" data-testid="checkpoint">
      <h2 id="ckpt-h">Inspect a checkpoint</h2>
      <p className="muted">
        Save a trained model from the command line with <code>reslab train … --save model.json</code>, then open it here. Nothing is
        uploaded: the file is read by this page.
      </p>
      <section
        className={over ? 'dropzone over' : 'dropzone'}
        aria-label="Drop a checkpoint file here"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <label htmlFor="ckpt-file">Choose a checkpoint (JSON), or drop it here: </label>
        <input
          id="ckpt-file"
          ref={input}
          type="file"
          accept=".json,application/json"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void load(f);
          }}
        />
      </section>
      {busy && <p className="muted">Reading {name}…</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {info && m && (
        <div className="ckpt" data-testid="checkpoint-info" data-params={info.params}>
          <h3>{name}</h3>
          <div className="ckpt-grid">
            <dl className="kv">
              <dt>block</dt>
              <dd>{m.block === 'plain' ? 'plain' : `${m.block}-${m.skip}`}</dd>
              <dt>depth × width</dt>
              <dd>
                {m.depth} × {m.width}
              </dd>
              <dt>activation</dt>
              <dd>{m.activation}</dd>
              <dt>shortcut</dt>
              <dd>{m.shortcut}</dd>
              <dt>norm</dt>
              <dd>{m.norm === 'none' ? 'none' : `${m.norm} (${m.normPlace})`}</dd>
              <dt>branch scaling</dt>
              <dd>{m.branchScale}</dd>
              <dt>inputs → outputs</dt>
              <dd>
                {info.io.inputDim} → {info.io.outputDim}
              </dd>
              <dt>parameters</dt>
              <dd>{info.params.toLocaleString('en')}</dd>
            </dl>
            {run && (
              <dl className="kv">
                <dt>data</dt>
                <dd>
                  {run.data.name}, {run.data.size} examples, train ratio {run.data.trainRatio}
                </dd>
                <dt>training</dt>
                <dd>
                  {run.train.optimizer}, lr {run.train.lr}, batch {run.train.batchSize}
                </dd>
                <dt>seed</dt>
                <dd>{run.seed}</dd>
                {info.eval && (
                  <>
                    <dt>test loss</dt>
                    <dd data-testid="ckpt-test-loss">{fmt(info.eval.testLoss, 4)}</dd>
                    <dt>test accuracy</dt>
                    <dd data-testid="ckpt-test-acc" data-value={info.eval.testAcc ?? ''}>
                      {pct(info.eval.testAcc)} on {info.eval.nTest} test examples
                    </dd>
                  </>
                )}
              </dl>
            )}
          </div>
          {info.evalNote && <p className="error">{info.evalNote}</p>}
          {!run && <p className="muted small">This checkpoint holds a model spec only (no data or training spec), so it is not scored.</p>}
          {info.fold && (
            <p data-testid="ckpt-fold" data-max-diff={info.fold.maxAbsDiff} data-tolerance={foldTolerance(info.fold)}>
              <strong>Fold check:</strong> this post-1 net folded into a plain net (
              <code>W′ = {m.shortcut === 'projection' ? 'Wᵣ' : 'I'} + W</code>) gives outputs that differ by at most{' '}
              <strong>{fmt(info.fold.maxAbsDiff)}</strong> on {info.fold.batch} test inputs (outputs up to {fmt(info.fold.maxAbsOutput)};{' '}
              {fmt(info.fold.maxAbsDiff64)} when repeated in float64; tolerance {fmt(foldTolerance(info.fold))}):{' '}
              {info.fold.maxAbsDiff <= foldTolerance(info.fold) ? (
                <span className="ok">the same function.</span>
              ) : (
                <span className="wrong">NOT the same function.</span>
              )}{' '}
              <span className="muted small">Engine rule: {FOLD_RULE}.</span>
            </p>
          )}
          <div className="grid2">
            <ChartBox name="checkpoint-weights">
              <LineChart
                chartId="ckpt-weights"
                title="Weight norm per layer"
                xLabel="layer (input first)"
                yLabel="‖W‖"
                intX
                logY
                series={[
                  { key: 'w', label: '‖W‖ (Frobenius)', color: '#0072B2', points: info.layers.map((l, i) => ({ x: i, y: l.norm })) },
                  ...(m.block === 'post' && m.skip === 1
                    ? [
                        {
                          key: 'iw',
                          label: '‖I + W‖ (the folded weight)',
                          color: '#D55E00',
                          dashed: true,
                          points: info.layers.flatMap((l, i) => (l.normIPlusW === null ? [] : [{ x: i, y: l.normIPlusW }])),
                        },
                      ]
                    : []),
                ]}
              />
            </ChartBox>
            {info.boundary && (
              <ChartBox name="checkpoint-boundary">
                <Boundary
                  chartId="ckpt-boundary"
                  title={`Output over the input (${run?.data.name})`}
                  data={info.boundary}
                  points={info.points}
                />
              </ChartBox>
            )}
          </div>
          <div className="table-wrap">
            <table className="results">
              <caption>Layers</caption>
              <thead>
                <tr>
                  <th scope="col">layer</th>
                  <th scope="col">shape</th>
                  <th scope="col">‖W‖</th>
                  <th scope="col">max |w|</th>
                </tr>
              </thead>
              <tbody>
                {info.layers.map((l) => (
                  <tr key={l.name}>
                    <th scope="row">{l.name}</th>
                    <td>{l.shape.join(' × ')}</td>
                    <td>{fmt(l.norm, 4)}</td>
                    <td>{fmt(l.maxAbs, 3)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
