import { describe, expect, it } from 'vitest';
import { equation } from '../src/equations';
import {
  baseConfig,
  configToken,
  DEFAULT_STATE,
  type LabState,
  parseConfigToken,
  runSpecFor,
  stateFromQuery,
  stateToQuery,
} from '../src/state';

const custom: LabState = {
  ...structuredClone(DEFAULT_STATE),
  data: { name: 'moons', size: 600, noise: 0.25, trainRatio: 0.7 },
  depth: 6,
  width: 24,
  activation: 'tanh',
  optimizer: 'sgd',
  lr: 0.05,
  batchSize: 16,
  steps: 120,
  evalEvery: 10,
  seed: 4242,
  configs: [
    baseConfig('plain'),
    { ...baseConfig('post', 2), shortcut: 'projection', norm: 'layer', normPlace: 'post' },
    { ...baseConfig('preact', 3), branchScale: 'fixed', branchScaleValue: 0.5 },
    { ...baseConfig('branch', 1), branchScale: 'rezero', norm: 'batch' },
  ],
  tab: 'studies',
  study: 'fold',
};

describe('URL state', () => {
  it('round-trips every field, seed included', () => {
    const back = stateFromQuery(`?${stateToQuery(custom)}`);
    expect(back.note).toBeNull();
    expect(back.state).toEqual(custom);
  });

  it('an empty query gives the defaults without a note', () => {
    expect(stateFromQuery('')).toEqual({ state: DEFAULT_STATE, note: null });
  });

  it.each([
    ['depth=abc', /depth 'abc' is not a number/],
    ['act=softmaxx', /activation 'softmaxx' is not one of/],
    ['cfg=post-2,zzz', /unknown variant 'zzz'/],
    ['cfg=post-2.wat', /unknown modifier 'wat'/],
    ['v=0', /link version '0'/],
    ['depth=7&cfg=post-2', /not a multiple of the skip length 2/],
    ['noise=5', /noise/],
    ['steps=0', /steps 0 must be in/],
  ])('a bad link (%s) falls back to the defaults with a note', (q, why) => {
    const r = stateFromQuery(`?${q}`);
    expect(r.state).toEqual(DEFAULT_STATE);
    expect(r.note).toMatch(why);
    expect(r.note).toMatch(/falls? back|shows its defaults/);
  });

  it('fields a link leaves out take their defaults', () => {
    const r = stateFromQuery('?seed=9&depth=6');
    expect(r.note).toBeNull();
    expect(r.state.seed).toBe(9);
    expect(r.state.depth).toBe(6);
    expect(r.state.width).toBe(DEFAULT_STATE.width);
  });
});

describe('configuration tokens', () => {
  it('round-trip', () => {
    for (const c of custom.configs) expect(parseConfigToken(configToken(c))).toEqual(c);
    expect(configToken(custom.configs[2])).toBe('preact-3.x0.5');
    expect(configToken(custom.configs[1])).toBe('post-2.proj.ln@post');
  });

  it('build valid run specs with the shared settings', () => {
    const spec = runSpecFor(custom, custom.configs[1]);
    expect(spec.seed).toBe(4242);
    expect(spec.model).toMatchObject({
      block: 'post',
      skip: 2,
      depth: 6,
      width: 24,
      activation: 'tanh',
      shortcut: 'projection',
      norm: 'layer',
    });
    expect(spec.train).toMatchObject({ optimizer: 'sgd', lr: 0.05, batchSize: 16, maxSteps: 120, evalEvery: 10 });
  });
});

describe('equations', () => {
  it('write the update for the skip length', () => {
    expect(equation(baseConfig('plain')).update).toBe('a ← g(W a + b)');
    expect(equation(baseConfig('post', 1)).update).toBe('a ← g(W₁a + b₁ + a) = g((I + W₁)a + b₁)');
    expect(equation(baseConfig('post', 2)).update).toBe('a ← g(W₂ g(W₁a + b₁) + b₂ + a)');
    expect(equation(baseConfig('branch', 1)).update).toBe('a ← a + g(W₁a + b₁)');
    expect(equation(baseConfig('preact', 2)).update).toBe('a ← a + W₂ g(W₁ g(a) + b₁) + b₂');
    expect(equation({ ...baseConfig('post', 1), shortcut: 'projection' }).update).toContain('(Wᵣ + W₁)a');
  });
});
