/** The update each configuration applies to the hidden state, written out for its skip length. */
import type { Config } from './state';

const SUB = '₀₁₂₃₄₅₆₇₈₉';
const sub = (i: number): string =>
  String(i)
    .split('')
    .map((d) => SUB[Number(d)])
    .join('');

export const ACT_LABEL: Record<string, string> = {
  identity: 'identity',
  relu: 'ReLU',
  leaky_relu: 'leaky ReLU',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  gelu: 'GELU',
};

/** W_k g(... g(W_1 x + b_1) ...) + b_k, with N(.) around each linear output when the branch is normalised. */
function branch(k: number, x: string, normed: boolean, preact: boolean): string {
  const norm = (s: string) => (normed ? `N(${s})` : s);
  let h = preact ? `g(${norm(x)})` : x;
  let out = '';
  for (let i = 1; i <= k; i++) {
    const z = `W${sub(i)}${h.length > 1 ? ` ${h}` : h} + b${sub(i)}`;
    if (i === k) out = preact ? z : norm(z);
    else h = `g(${norm(z)})`;
  }
  return out;
}

export function equation(c: Config): { update: string; notes: string[] } {
  const notes: string[] = [];
  if (c.block === 'plain') return { update: 'a ← g(W a + b)', notes: ['every layer: no shortcut'] };
  const S = c.shortcut === 'projection' ? 'Wᵣa' : 'a';
  const normed = c.norm !== 'none' && c.normPlace === 'branch';
  const postNorm = c.norm !== 'none' && c.normPlace === 'post';
  const scale =
    c.branchScale === 'fixed' ? `${c.branchScaleValue}·` : c.branchScale === 'rezero' ? 'α·' : c.branchScale === 'fixup' ? '' : '';
  let F = branch(c.skip, 'a', normed, c.block === 'preact');
  let update: string;
  if (c.block === 'post') {
    if (scale) F = `${scale}(${F})`;
    const sum = `${F} + ${S}`;
    update = `a ← g(${postNorm ? `N(${sum})` : sum})`;
    if (c.skip === 1 && c.shortcut === 'identity' && !scale && c.norm === 'none') update += ' = g((I + W₁)a + b₁)';
    if (c.skip === 1 && c.shortcut === 'projection' && !scale && c.norm === 'none') update += ' = g((Wᵣ + W₁)a + b₁)';
  } else if (c.block === 'branch') {
    const gF = `${scale}g(${F})`;
    update = `a ← ${postNorm ? `N(${S} + ${gF})` : `${S} + ${gF}`}`;
  } else {
    const f = scale ? `${scale}(${F})` : F;
    update = `a ← ${postNorm ? `N(${S} + ${f})` : `${S} + ${f}`}`;
  }
  if (c.norm !== 'none') notes.push(`N = ${c.norm} norm`);
  if (c.shortcut === 'projection') notes.push('Wᵣ a learned projection');
  if (c.branchScale === 'rezero') notes.push('α learned, starts at 0 (ReZero)');
  if (c.branchScale === 'zero-last') notes.push(`W${sub(c.skip)} starts at 0`);
  if (c.branchScale === 'fixup') notes.push('Fixup: branch weights scaled down with depth');
  if (c.block === 'post' && c.skip === 1) notes.push('one-layer skip inside g: a plain layer re-parametrised');
  return { update, notes };
}

/** A short name for legends and tables. */
export function configLabel(c: Config): string {
  let s = c.block === 'plain' ? 'plain' : `${c.block}-${c.skip}`;
  if (c.shortcut === 'projection') s += ' proj';
  if (c.norm !== 'none') s += ` ${c.norm === 'batch' ? 'BN' : 'LN'}${c.normPlace === 'post' ? '↑' : ''}`;
  if (c.branchScale === 'fixed') s += ` ×${c.branchScaleValue}`;
  else if (c.branchScale !== 'none') s += ` ${c.branchScale}`;
  return s;
}

/** Colour-blind-safe palette (Okabe–Ito), one colour per configuration slot. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
