/** The shared settings (data, network, training, seed) and the list of configurations. */
import { ACTIVATIONS, BRANCH_SCALES, OPTIMIZERS } from '@reslab/engine';
import { ACT_LABEL, configLabel, equation, PALETTE } from '../equations';
import { baseConfig, type Config, isTwoD, type LabState, MAX_CONFIGS, PAGE_DATASETS } from '../state';
import { NumberField, Select } from './fields';

type Set = (f: (s: LabState) => LabState) => void;

const DATASET_LABEL: Record<string, string> = {
  circle: 'circle (2-D)',
  xor: 'xor (2-D)',
  gauss: 'two gaussians (2-D)',
  spiral: 'spiral (2-D)',
  moons: 'moons (2-D)',
  plane: 'plane (2-D regression)',
  sine: 'sine (1-D regression)',
  mnist: 'MNIST digits (784-D)',
};

export const PRESETS: Array<{ name: string; configs: Config[] }> = [
  { name: 'Skip length', configs: [baseConfig('plain'), baseConfig('post', 1), baseConfig('post', 2)] },
  {
    name: 'Where the addition goes',
    configs: [baseConfig('post', 1), baseConfig('branch', 1), baseConfig('preact', 1), baseConfig('post', 2)],
  },
  { name: 'Plain vs residual', configs: [baseConfig('plain'), baseConfig('preact', 2)] },
  {
    name: 'Shortcut kind',
    configs: [
      baseConfig('post', 2),
      { ...baseConfig('post', 2), shortcut: 'projection' },
      { ...baseConfig('post', 1), shortcut: 'projection' },
    ],
  },
];

export function SharedControls({ state, set }: { state: LabState; set: Set }) {
  const d = state.data;
  const twoD = isTwoD(d.name);
  return (
    <div className="controls">
      <fieldset>
        <legend>Data</legend>
        <Select
          label="Dataset"
          name="dataset"
          value={d.name}
          options={PAGE_DATASETS.map((n) => ({ value: n, label: DATASET_LABEL[n] ?? n }))}
          onChange={(name) =>
            set((s) => ({ ...s, data: { ...s.data, name, size: name === 'mnist' ? Math.max(s.data.size, 2000) : s.data.size } }))
          }
        />
        <NumberField
          label="Examples"
          name="size"
          value={d.size}
          integer
          min={10}
          max={10000}
          onChange={(size) => set((s) => ({ ...s, data: { ...s.data, size } }))}
        />
        {twoD && (
          <NumberField
            label="Noise"
            name="noise"
            value={d.noise}
            min={0}
            max={1}
            step={0.05}
            hint="0 … 0.5 as in TensorFlow Playground"
            onChange={(noise) => set((s) => ({ ...s, data: { ...s.data, noise } }))}
          />
        )}
        <NumberField
          label="Train ratio"
          name="split"
          value={d.trainRatio}
          min={0.05}
          max={0.95}
          step={0.05}
          onChange={(trainRatio) => set((s) => ({ ...s, data: { ...s.data, trainRatio } }))}
        />
      </fieldset>
      <fieldset>
        <legend>Network</legend>
        <NumberField
          label="Depth (hidden layers)"
          name="depth"
          value={state.depth}
          integer
          min={1}
          max={256}
          onChange={(depth) => set((s) => ({ ...s, depth }))}
        />
        <NumberField
          label="Width"
          name="width"
          value={state.width}
          integer
          min={1}
          max={512}
          onChange={(width) => set((s) => ({ ...s, width }))}
        />
        <Select
          label="Activation g"
          name="activation"
          value={state.activation}
          options={ACTIVATIONS.map((a) => ({ value: a, label: ACT_LABEL[a] ?? a }))}
          onChange={(activation) => set((s) => ({ ...s, activation }))}
        />
      </fieldset>
      <fieldset>
        <legend>Training</legend>
        <Select
          label="Optimizer"
          name="optimizer"
          value={state.optimizer}
          options={OPTIMIZERS}
          onChange={(optimizer) => set((s) => ({ ...s, optimizer }))}
        />
        <NumberField
          label="Learning rate"
          name="lr"
          value={state.lr}
          min={1e-6}
          max={10}
          step="any"
          onChange={(lr) => set((s) => ({ ...s, lr }))}
        />
        <NumberField
          label="Batch size"
          name="batch"
          value={state.batchSize}
          integer
          min={1}
          max={4096}
          onChange={(batchSize) => set((s) => ({ ...s, batchSize }))}
        />
        <NumberField
          label="Steps"
          name="steps"
          value={state.steps}
          integer
          min={1}
          max={100000}
          onChange={(steps) => set((s) => ({ ...s, steps }))}
        />
        <NumberField
          label="Evaluate every"
          name="every"
          value={state.evalEvery}
          integer
          min={1}
          max={10000}
          hint="steps"
          onChange={(evalEvery) => set((s) => ({ ...s, evalEvery }))}
        />
        <div className="seed-row">
          <NumberField
            label="Seed"
            name="seed"
            value={state.seed}
            integer
            min={0}
            max={2 ** 31 - 1}
            onChange={(seed) => set((s) => ({ ...s, seed }))}
          />
          <button type="button" className="secondary" onClick={() => set((s) => ({ ...s, seed: 1 + Math.floor(Math.random() * 99999) }))}>
            New seed
          </button>
        </div>
      </fieldset>
    </div>
  );
}

const VARIANTS = [
  { value: 'plain', label: 'plain' },
  { value: 'post', label: 'post' },
  { value: 'branch', label: 'branch' },
  { value: 'preact', label: 'preact' },
] as const;

function ConfigRow({ c, i, state, set, canRemove }: { c: Config; i: number; state: LabState; set: Set; canRemove: boolean }) {
  const update = (patch: Partial<Config>) =>
    set((s) => ({
      ...s,
      configs: s.configs.map((x, j) => (j === i ? { ...x, ...patch, ...(patch.block === 'plain' ? { skip: 1 } : {}) } : x)),
    }));
  const eq = equation(c);
  const plain = c.block === 'plain';
  const depthOk = plain || state.depth % c.skip === 0;
  return (
    <li className="config" style={{ borderLeftColor: PALETTE[i % PALETTE.length] }} data-config={i}>
      <div className="config-head">
        <span className="swatch" style={{ background: PALETTE[i % PALETTE.length] }} aria-hidden="true" />
        <strong>{configLabel(c)}</strong>
        {canRemove && (
          <button
            type="button"
            className="link remove"
            aria-label={`Remove configuration ${configLabel(c)}`}
            onClick={() => set((s) => ({ ...s, configs: s.configs.filter((_, j) => j !== i) }))}
          >
            remove
          </button>
        )}
      </div>
      <div className="config-fields">
        <Select
          label="Block"
          name={`block${i}`}
          value={c.block}
          options={VARIANTS}
          onChange={(block) => update({ block, skip: block === 'plain' ? 1 : Math.max(1, c.skip) })}
        />
        <Select
          label="Skip length k"
          name={`skip${i}`}
          value={c.skip}
          options={[1, 2, 3, 4]}
          disabled={plain}
          onChange={(skip) => update({ skip })}
        />
        <Select
          label="Shortcut S"
          name={`shortcut${i}`}
          value={c.shortcut}
          options={[
            { value: 'identity', label: 'identity' },
            { value: 'projection', label: 'projection Wᵣ' },
          ]}
          disabled={plain}
          onChange={(shortcut) => update({ shortcut })}
        />
        <Select
          label="Norm"
          name={`norm${i}`}
          value={c.norm === 'none' ? 'none' : `${c.norm}@${c.normPlace}`}
          options={[
            { value: 'none', label: 'none' },
            { value: 'batch@branch', label: 'batch, in branch' },
            { value: 'batch@post', label: 'batch, after add' },
            { value: 'layer@branch', label: 'layer, in branch' },
            { value: 'layer@post', label: 'layer, after add' },
          ]}
          onChange={(v) => {
            if (v === 'none') update({ norm: 'none', normPlace: 'branch' });
            else {
              const [norm, place] = v.split('@') as [Config['norm'], Config['normPlace']];
              update({ norm, normPlace: place });
            }
          }}
        />
        <Select
          label="Branch scaling"
          name={`scale${i}`}
          value={c.branchScale}
          options={BRANCH_SCALES}
          disabled={plain}
          onChange={(branchScale) => update({ branchScale })}
        />
        {c.branchScale === 'fixed' && (
          <NumberField
            label="Scale"
            name={`scalev${i}`}
            value={c.branchScaleValue}
            min={-10}
            max={10}
            step={0.1}
            onChange={(branchScaleValue) => update({ branchScaleValue })}
          />
        )}
      </div>
      <p className="equation" data-equation={i}>
        <code>{eq.update}</code>
        {eq.notes.length > 0 && <span className="eq-notes"> — {eq.notes.join('; ')}</span>}
      </p>
      {!depthOk && (
        <p className="error" role="alert">
          depth {state.depth} is not a multiple of k = {c.skip}: pick a depth like {c.skip * Math.max(1, Math.round(state.depth / c.skip))}
        </p>
      )}
    </li>
  );
}

export function ConfigList({ state, set }: { state: LabState; set: Set }) {
  return (
    <section className="configs" aria-labelledby="configs-h">
      <div className="section-head">
        <h2 id="configs-h">Configurations</h2>
        <div className="presets">
          <span className="muted">Presets:</span>
          {PRESETS.map((p) => (
            <button
              key={p.name}
              type="button"
              className="chip"
              onClick={() => set((s) => ({ ...s, configs: p.configs.map((c) => ({ ...c })) }))}
            >
              {p.name}
            </button>
          ))}
        </div>
      </div>
      <p className="muted small">
        g = {ACT_LABEL[state.activation]}. Every configuration gets the same data, the same seed and the same settings; only the block
        differs.
      </p>
      <ol className="config-list">
        {state.configs.map((c, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: configurations are edited in place by position
          <ConfigRow key={i} c={c} i={i} state={state} set={set} canRemove={state.configs.length > 1} />
        ))}
      </ol>
      {state.configs.length < MAX_CONFIGS && (
        <button
          type="button"
          className="secondary"
          onClick={() =>
            set((s) => ({
              ...s,
              configs: [...s.configs, baseConfig(s.configs.some((c) => c.block === 'preact') ? 'branch' : 'preact', 2)],
            }))
          }
        >
          + Add configuration
        </button>
      )}
    </section>
  );
}
