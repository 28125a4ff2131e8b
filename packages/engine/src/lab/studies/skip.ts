/**
 * The main job: does a skip connection need to span two layers, and does the answer depend on the activation?
 * Its verdict opens with a few sentences that answer the question, each picked by rules from the numbers, each
 * saying whether it holds under both optimizers; the comparisons behind them follow.
 */
import { fmt, median } from '../stats.js';
import { axisName, type ResolvedStudy, type StudyDef, type Value } from '../study.js';
import type { Analysis, AnalysisContext, CellSummary, Consistency, Evidence, VerdictLine } from '../types.js';
import { compareCells, consistency, consistencyText, line, scoreEvidence, scoreText, scoreUnit } from '../verdict.js';
import { findCell } from './helpers.js';

const ACT = 'model.activation';
const DEPTH = 'model.depth';

/** The outcome of the one-vs-two-layer comparisons of one activation under one protocol. */
export interface PairCount {
  /** comparisons where the two-layer block did better / the one-layer did better / they tie / could not be judged */
  k2: number;
  k1: number;
  ties: number;
  unjudged: number;
  n: number;
  outcome: 'k2-better' | 'k1-better' | 'no-difference' | 'mixed' | 'not judged';
}

const PAIR_WORDS: Record<PairCount['outcome'], string> = {
  'k2-better': 'two-layer skips did better',
  'k1-better': 'one-layer skips did better',
  'no-difference': 'no clear difference between one- and two-layer skips',
  mixed: 'mixed results',
  'not judged': 'not judged (one seed per cell)',
};

export function pairOutcome(c: Omit<PairCount, 'outcome'>): PairCount['outcome'] {
  const judged = c.n - c.unjudged;
  if (judged === 0) return 'not judged';
  if (c.k2 > c.k1 + c.ties) return 'k2-better';
  if (c.k1 > c.k2 + c.ties) return 'k1-better';
  if (c.ties >= c.k1 && c.ties >= c.k2) return 'no-difference';
  return 'mixed';
}

const opposite = (pairs: Array<[string, string]>) => (a: string, b: string) =>
  pairs.some(([x, y]) => (a === x && b === y) || (a === y && b === x));

interface Ctx {
  a: Analysis;
  study: ResolvedStudy;
  classification: boolean;
  protoAxis: string | null;
  protos: Value[];
  acts: Value[];
  depths: Value[];
  variants: string[];
  /** the other axes (besides variant, activation, depth and protocol), held equal in comparisons */
  rest: string[];
}

const axisValues = (study: ResolvedStudy, key: string): Value[] => study.grid.find((g) => g.key === key)?.values ?? [];

/** The cells of one variant under one protocol (and activation), one per combination of the remaining axes. */
function cellsOf(x: Ctx, variant: string, proto: Value | null, act: Value | null): CellSummary[] {
  return x.a.cells.filter(
    (c) =>
      c.cell.variant === variant &&
      (proto === null || c.cell[x.protoAxis!] === proto) &&
      (act === null || c.cell[ACT] === act) &&
      c.runs > 0,
  );
}

/** The cell of `variant` with every other axis as in `like`. */
function partner(x: Ctx, like: CellSummary, variant: string): CellSummary | undefined {
  const where: Record<string, Value> = { variant };
  for (const g of x.study.grid) if (g.key !== 'variant') where[g.key] = like.cell[g.key];
  const c = findCell(x.a, where);
  return c && c.runs > 0 ? c : undefined;
}

const whereText = (x: Ctx, c: CellSummary, skip: string[]): string =>
  x.study.grid
    .filter((g) => g.key !== 'variant' && !skip.includes(g.key))
    .map((g) => `${axisName(g.key)} ${c.cell[g.key]}`)
    .join(', ');

const protoLabel = (x: Ctx, p: Value | null): string => (p === null ? 'all' : String(p));
const protoValues = (x: Ctx): Array<Value | null> => (x.protoAxis ? x.protos : [null]);
const protoNoun = (x: Ctx): string => (x.protoAxis ? axisName(x.protoAxis) : 'protocol');

/** Per-protocol claim values -> the line's `protocols` field and a clause for the sentence. */
function across(
  x: Ctx,
  values: Record<string, string>,
  opp: (a: string, b: string) => boolean,
): { field?: VerdictLine['protocols']; c: Consistency; text: string } {
  if (!x.protoAxis) return { c: 'single', text: '' };
  const c = consistency(values, opp);
  return { field: { axis: x.protoAxis, values, consistency: c }, c, text: consistencyText(c, values, protoNoun(x)) };
}

// ---------- one vs two layers ----------

interface PairResult {
  count: PairCount;
  lines: VerdictLine[];
  ranges: number[];
}

function pairsFor(x: Ctx, act: Value | null, proto: Value | null): PairResult {
  const { unit, scale } = scoreUnit(x.classification);
  const pairs: Array<[string, string]> = [];
  for (const b of ['post', 'branch', 'preact'])
    if (x.variants.includes(`${b}-1`) && x.variants.includes(`${b}-2`)) pairs.push([`${b}-1`, `${b}-2`]);
  const count = { k2: 0, k1: 0, ties: 0, unjudged: 0, n: 0 };
  const lines: VerdictLine[] = [];
  const ranges: number[] = [];
  for (const [v1, v2] of pairs) {
    for (const c1 of cellsOf(x, v1, proto, act)) {
      const c2 = partner(x, c1, v2);
      if (!c2) continue;
      count.n++;
      const at = whereText(x, c1, [ACT, ...(x.protoAxis ? [x.protoAxis] : [])]);
      const r = compareCells(c1, c2, x.classification);
      let value: string;
      if (r.result === 'not judged') {
        count.unjudged++;
        value = 'not judged';
      } else if (r.result === 'same') {
        count.ties++;
        value = 'tie';
      } else if (r.result === 'better') {
        count.k1++;
        value = `${v1} better`;
      } else {
        count.k2++;
        value = `${v2} better`;
      }
      if (r.noise !== null) ranges.push(r.noise);
      const head =
        c1.status === 'failed' || c2.status === 'failed'
          ? `${v1} ${c1.status} vs ${v2} ${c2.status}`
          : `${v1} ${scoreText(c1, x.classification)} vs ${v2} ${scoreText(c2, x.classification)}: ${r.text}`;
      lines.push(
        line(
          `pair.${act}.${protoLabel(x, proto)}.${v1}.${at}`,
          'detail',
          `${head}${at ? ` (${at})` : ''}: ${value === 'tie' ? 'within the seed range' : value}.`,
          {
            claim: { key: 'k1-vs-k2', subject: `${v1} vs ${v2}, ${at}`, value },
            evidence: [
              scoreEvidence(v1, c1, x.classification),
              scoreEvidence(v2, c2, x.classification),
              { label: `difference ${v1} - ${v2}`, value: r.diff, unit },
              { label: 'seed range', value: r.noise, unit },
            ],
          },
        ),
      );
      void scale;
    }
  }
  return { count: { ...count, outcome: pairOutcome(count) }, lines, ranges };
}

const countText = (c: PairCount): string =>
  `${c.k2} of ${c.n} comparisons favour k=2, ${c.k1} favour k=1, ${c.ties} tie${c.unjudged ? `, ${c.unjudged} not judged` : ''}`;

// ---------- the answer ----------

function foldAnswer(x: Ctx): VerdictLine | null {
  const grid = x.a.checks.find((c) => c.id === 'fold:grid');
  const folds = x.a.checks.filter((c) => c.kind === 'fold' && c.ok !== null);
  if (!grid && folds.length === 0) return null;
  // post-1 trained next to plain: compare each post-1 cell with the plain cell of the same settings
  const values: Record<string, string> = {};
  const parts: string[] = [];
  const evidence: Evidence[] = [];
  for (const p of protoValues(x)) {
    const res = { better: 0, worse: 0, same: 0, n: 0 };
    for (const c of cellsOf(x, 'post-1', p, null)) {
      const pl = partner(x, c, 'plain');
      if (!pl) continue;
      const r = compareCells(c, pl, x.classification);
      if (r.result === 'not judged') continue;
      res.n++;
      res[r.result]++;
    }
    if (res.n === 0) continue;
    values[protoLabel(x, p)] =
      res.better > res.worse + res.same
        ? 'better'
        : res.worse > res.better + res.same
          ? 'worse'
          : res.better === 0
            ? 'not better'
            : 'mixed';
    parts.push(`${p === null ? '' : `${p}: `}worse in ${res.worse}, tied in ${res.same}, better in ${res.better} of ${res.n} cells`);
    evidence.push(
      { label: `post-1 better than plain (${protoLabel(x, p)})`, value: res.better },
      { label: `cells compared (${protoLabel(x, p)})`, value: res.n },
    );
  }
  const ok = folds.every((c) => c.ok);
  const foldText =
    grid && grid.ok === null
      ? 'the fold check could not be judged'
      : !ok
        ? `${folds.filter((c) => !c.ok).length} of ${folds.length} fold checks FAILED`
        : grid?.maxRel !== undefined
          ? `all ${grid.nets} trained post-1 nets fold into plain nets W' = I + W with the same outputs (largest relative difference ${fmt(grid.maxRel)} in float32, ${fmt(grid.maxRel64)} in float64)`
          : `all ${folds.length} fold checks give the same outputs`;
  const acr = across(x, values, opposite([['better', 'worse']]));
  const trainedText = parts.length
    ? `; trained next to plain, post-1 did ${Object.values(values).every((v) => v === 'worse' || v === 'not better') ? 'no better than' : 'differently from'} plain (${parts.join('; ')})${acr.text ? `, which ${acr.text}` : ''}: it is a plain net that starts at I + W instead of W`
    : '';
  return line('answer.fold', 'answer', `${ok ? 'Yes, a' : 'A'} one-layer post-addition skip is a plain layer: ${foldText}${trainedText}.`, {
    claim: { key: 'post1-is-plain', value: ok ? 'yes' : 'no' },
    protocols: acr.field,
    evidence: [
      { label: 'fold checks passed', value: folds.filter((c) => c.ok).length },
      { label: 'fold checks judged', value: folds.length },
      ...evidence,
    ],
  });
}

function twoLayerAnswer(x: Ctx, byAct: Map<Value | null, Map<Value | null, PairResult>>): VerdictLine | null {
  const frags: string[] = [];
  const evidence: Evidence[] = [];
  const protocols: Record<string, string> = {};
  let any = false;
  const outcomes: Array<[Value | null, string, Consistency]> = [];
  for (const [act, perProto] of byAct) {
    const values: Record<string, string> = {};
    const counts: string[] = [];
    for (const [p, r] of perProto) {
      if (r.count.n === 0) continue;
      values[protoLabel(x, p)] = r.count.outcome;
      counts.push(`${p === null ? '' : `${p} `}${r.count.k2}/${r.count.n}`);
      evidence.push(
        { label: `${act ?? 'all'}, ${protoLabel(x, p)}: comparisons favouring k=2`, value: r.count.k2 },
        { label: `${act ?? 'all'}, ${protoLabel(x, p)}: comparisons`, value: r.count.n },
      );
    }
    if (Object.keys(values).length === 0) continue;
    any = true;
    const acr = across(x, values, opposite([['k2-better', 'k1-better']]));
    const vs = [...new Set(Object.values(values))];
    const words = vs.length === 1 ? PAIR_WORDS[vs[0] as PairCount['outcome']] : 'the outcome differs';
    frags.push(`${act ?? 'all activations'}: ${words} (k=2 better in ${counts.join(', ')} comparisons${acr.text ? `; ${acr.text}` : ''})`);
    protocols[String(act)] = vs.join('/');
    outcomes.push([act, vs.length === 1 ? vs[0] : 'depends', acr.c]);
  }
  if (!any) return null;
  return line('answer.two-layer', 'answer', `Does a two-layer skip help? ${frags.join('; ')}.`, {
    claim: { key: 'k2-vs-k1', value: outcomes.map(([a, o]) => `${a}: ${o}`).join(', ') },
    evidence,
  });
}

/** With sigmoid and tanh: a one-layer skip with the addition outside g (branch-1, preact-1) against plain and post-1. */
function oneLayerAnswer(x: Ctx): VerdictLine | null {
  const outside = ['branch-1', 'preact-1'].filter((v) => x.variants.includes(v));
  const inside = ['plain', 'post-1'].filter((v) => x.variants.includes(v));
  if (outside.length === 0 || inside.length === 0) return null;
  const frags: string[] = [];
  const evidence: Evidence[] = [];
  const claims: string[] = [];
  for (const act of x.acts.filter((a) => a === 'sigmoid' || a === 'tanh')) {
    const values: Record<string, string> = {};
    const per: string[] = [];
    const rescues: string[] = [];
    for (const p of protoValues(x)) {
      let trainsWhereFail = 0;
      let better = 0;
      let same = 0;
      let worse = 0;
      let n = 0;
      const bestOut: number[] = [];
      const bestIn: number[] = [];
      for (const c of cellsOf(x, outside[0], p, act)) {
        const outs = outside.map((v) => partner(x, c, v)).filter((q): q is CellSummary => !!q);
        const ins = inside.map((v) => partner(x, c, v)).filter((q): q is CellSummary => !!q);
        if (outs.length === 0 || ins.length === 0) continue;
        const o = outs.reduce((b, q) => ((q.score ?? -1) > (b.score ?? -1) ? q : b));
        const i = ins.reduce((b, q) => ((q.score ?? -1) > (b.score ?? -1) ? q : b));
        n++;
        if (o.score !== null) bestOut.push(o.score);
        if (i.score !== null) bestIn.push(i.score);
        const r = compareCells(o, i, x.classification);
        if (o.status !== 'failed' && ins.every((q) => q.status === 'failed')) trainsWhereFail++;
        else if (r.result === 'better') better++;
        else if (r.result === 'same') same++;
        else if (r.result === 'worse') worse++;
      }
      if (n === 0) continue;
      // a rescue (it trains where the inside-g variants fail) counts as better
      const v = trainsWhereFail + better > worse + same ? 'better' : worse > better + same + trainsWhereFail ? 'worse' : 'no better';
      values[protoLabel(x, p)] = v;
      rescues.push(`${p === null ? '' : `${p} `}${trainsWhereFail} of ${n}`);
      const fmtS = (xs: number[]) =>
        xs.length ? (x.classification ? `${(100 * median(xs)).toFixed(1)}%` : `${median(xs).toFixed(2)} decades`) : '-';
      per.push(`${p === null ? '' : `${p}: `}best outside-g one-layer ${fmtS(bestOut)} vs best of ${inside.join('/')} ${fmtS(bestIn)}`);
      evidence.push(
        {
          label: `${act} ${protoLabel(x, p)}: median best score with the addition outside g`,
          value: bestOut.length ? (x.classification ? 100 : 1) * median(bestOut) : null,
          unit: x.classification ? '%' : 'decades',
        },
        {
          label: `${act} ${protoLabel(x, p)}: median best score of ${inside.join('/')}`,
          value: bestIn.length ? (x.classification ? 100 : 1) * median(bestIn) : null,
          unit: x.classification ? '%' : 'decades',
        },
      );
    }
    if (Object.keys(values).length === 0) continue;
    const acr = across(x, values, opposite([['better', 'worse']]));
    const vs = [...new Set(Object.values(values))];
    const words =
      vs.length > 1
        ? 'it depends'
        : vs[0] === 'better'
          ? `yes, with the addition outside g: ${outside.join(' and ')} beat ${inside.join(' and ')} and trained where all of those failed in ${rescues.join(', ')} cells`
          : vs[0] === 'worse'
            ? `no: ${outside.join(' and ')} did worse than ${inside.join(' and ')}`
            : `not measurably: ${outside.join(' and ')} did no better than ${inside.join(' and ')}`;
    frags.push(`with ${act}, ${words} (${per.join('; ')}${acr.text ? `; ${acr.text}` : ''})`);
    claims.push(`${act}: ${vs.join('/')}`);
  }
  if (frags.length === 0) return null;
  return line('answer.one-layer', 'answer', `Does a one-layer skip make sense with sigmoid or tanh? ${frags.join('; ')}.`, {
    claim: { key: 'one-layer-outside-g', value: claims.join(', ') },
    evidence,
  });
}

/** Which factor decides: the mean absolute effect of moving the addition outside g vs of doubling the skip length. */
function factorAnswer(x: Ctx): VerdictLine | null {
  const { unit, scale } = scoreUnit(x.classification);
  const lengthPairs = [
    ['post-1', 'post-2'],
    ['preact-1', 'preact-2'],
    ['branch-1', 'branch-2'],
  ].filter(([a, b]) => x.variants.includes(a) && x.variants.includes(b));
  const placePairs = [
    ['post-1', 'preact-1'],
    ['post-1', 'branch-1'],
    ['post-2', 'preact-2'],
    ['post-2', 'branch-2'],
  ].filter(([a, b]) => x.variants.includes(a) && x.variants.includes(b));
  if (lengthPairs.length === 0 || placePairs.length === 0) return null;
  const values: Record<string, string> = {};
  const frags: string[] = [];
  const evidence: Evidence[] = [];
  for (const p of protoValues(x)) {
    const eff = (pairs: string[][]) => {
      const ds: number[] = [];
      let rescued = 0;
      for (const [from, to] of pairs) {
        for (const c of cellsOf(x, from, p, null)) {
          const d = partner(x, c, to);
          if (!d || c.score === null || d.score === null) continue;
          ds.push(scale * (d.score - c.score));
          if (c.status === 'failed' && d.status !== 'failed') rescued++;
        }
      }
      return { ds, rescued, med: ds.length ? ds.reduce((t, d) => t + Math.abs(d), 0) / ds.length : null };
    };
    const len = eff(lengthPairs);
    const place = eff(placePairs);
    if (len.med === null || place.med === null) continue;
    const noise = median(
      x.a.cells.filter((c) => c.scoreRange !== null && (p === null || c.cell[x.protoAxis!] === p)).map((c) => scale * c.scoreRange!),
    );
    const v =
      Math.abs(place.med - len.med) <= (Number.isFinite(noise) ? noise : 0) ? 'similar' : place.med > len.med ? 'placement' : 'length';
    values[protoLabel(x, p)] = v;
    frags.push(
      `${p === null ? '' : `${p}: `}moving the addition outside g changed the score by ${place.med.toFixed(1)} ${unit} on average (${place.ds.length} comparisons, ${place.rescued} failed cells rescued), doubling the skip length by ${len.med.toFixed(1)} ${unit} (${len.ds.length} comparisons, ${len.rescued} rescued)`,
    );
    evidence.push(
      { label: `${protoLabel(x, p)}: mean |effect| of the place of the addition`, value: place.med, unit },
      { label: `${protoLabel(x, p)}: mean |effect| of the skip length`, value: len.med, unit },
      { label: `${protoLabel(x, p)}: failed cells rescued by the place`, value: place.rescued },
      { label: `${protoLabel(x, p)}: failed cells rescued by the length`, value: len.rescued },
      { label: `${protoLabel(x, p)}: median seed range`, value: Number.isFinite(noise) ? noise : null, unit },
    );
  }
  if (Object.keys(values).length === 0) return null;
  const acr = across(x, values, opposite([['placement', 'length']]));
  const vs = [...new Set(Object.values(values))];
  const head =
    vs.length > 1
      ? 'Which factor decides depends on the optimizer'
      : vs[0] === 'placement'
        ? 'The place of the addition relative to g decides more than the skip length'
        : vs[0] === 'length'
          ? 'The skip length decides more than the place of the addition relative to g'
          : 'The place of the addition and the skip length matter about equally (their mean effects differ by less than the median seed range)';
  return line('answer.factor', 'answer', `${head}: ${frags.join('; ')}${acr.text ? `; ${acr.text}` : ''}.`, {
    claim: { key: 'deciding-factor', value: vs.join('/') },
    protocols: acr.field,
    evidence,
  });
}

/** Why post-1 fails with sigmoid: the spread of the hidden state across inputs, block by block, at initialisation. */
function mechanism(x: Ctx): { answer: VerdictLine | null; rows: string[][]; depth: Value | null } {
  const act = x.acts.includes('sigmoid') ? 'sigmoid' : null;
  const depth = x.depths.length ? x.depths.map(Number).sort((a, b) => b - a)[0] : null;
  const names = ['plain', 'post-1', 'branch-1', 'preact-1'].filter((v) => x.variants.includes(v));
  if (act === null || names.length < 2) return { answer: null, rows: [], depth };
  const pick = (v: string): CellSummary | undefined =>
    x.a.cells.find(
      (c) =>
        c.cell.variant === v &&
        c.cell[ACT] === act &&
        (depth === null || Number(c.cell[DEPTH]) === depth) &&
        (!x.protoAxis || c.cell[x.protoAxis] === x.protos[0]) &&
        c.gradInit.streamSpread.length > 0,
    );
  const rows: string[][] = [];
  const spreads = new Map<string, { first: number; last: number; mean: number }>();
  for (const v of names) {
    const c = pick(v);
    if (!c) continue;
    const s = c.gradInit.streamSpread;
    const m = c.gradInit.streamMean;
    const at = (xs: number[], f: number) => xs[Math.min(xs.length - 1, Math.round(f * (xs.length - 1)))];
    spreads.set(v, { first: s[0], last: s[s.length - 1], mean: m[m.length - 1] });
    rows.push([v, ...[0, 0.25, 0.5, 0.75, 1].map((f) => `${fmt(at(m, f))} / ${fmt(at(s, f))}`)]);
  }
  const p1 = spreads.get('post-1');
  const out = ['branch-1', 'preact-1'].map((v) => [v, spreads.get(v)] as const).filter(([, s]) => s);
  if (!p1 || out.length === 0) return { answer: null, rows, depth };
  const shrink = p1.first > 0 ? p1.last / p1.first : null;
  const keeps = out.filter(([, s]) => s!.first > 0 && s!.last / s!.first > 0.5).map(([v]) => v);
  const squashed = shrink !== null && shrink < 0.1;
  const outText = out.map(([v, s]) => `${v} ${fmt(s!.first)} -> ${fmt(s!.last)}`).join(', ');
  const text =
    squashed && keeps.length
      ? `Why post-1 fails with sigmoid: at initialisation the spread of the hidden state across inputs shrinks from ${fmt(p1.first)} after the first block to ${fmt(p1.last)} after the last (depth ${depth}; mean ${fmt(p1.mean)}): a sigmoid after every addition squashes the stream towards one point, so later layers see nearly the same input for every digit, while with the addition outside g it stays (${outText}).`
      : `The spread of the hidden state across inputs at initialisation (sigmoid, depth ${depth}): post-1 ${fmt(p1.first)} -> ${fmt(p1.last)}, ${outText}; ${squashed ? 'post-1 is squashed but the outside-g variants are too' : 'post-1 is not squashed by more than 10x'}, so this does not explain the outcome.`;
  return {
    answer: line('answer.mechanism', 'answer', text, {
      claim: { key: 'sigmoid-squashes-post1', value: squashed && keeps.length ? 'yes' : 'no' },
      evidence: [
        { label: 'post-1 spread after the first block', value: p1.first },
        { label: 'post-1 spread after the last block', value: p1.last },
        ...out.map(([v, s]) => ({ label: `${v} spread after the last block`, value: s!.last })),
      ],
    }),
    rows,
    depth,
  };
}

export function analyzeSkip(ctx: AnalysisContext, a: Analysis): Analysis {
  const study = ctx.study;
  const protoAxis = ctx.def.protocolAxis && study.grid.some((g) => g.key === ctx.def.protocolAxis) ? ctx.def.protocolAxis : null;
  const x: Ctx = {
    a,
    study,
    classification: a.cells.some((c) => c.testAcc.n > 0 && c.testAcc.finite > 0) || String(study.base.data.name ?? 'mnist') === 'mnist',
    protoAxis,
    protos: protoAxis ? axisValues(study, protoAxis) : [],
    acts: axisValues(study, ACT),
    depths: axisValues(study, DEPTH),
    variants: axisValues(study, 'variant').map(String),
    rest: [],
  };
  // one vs two layers, per activation and protocol
  const byAct = new Map<Value | null, Map<Value | null, PairResult>>();
  const pairLines: VerdictLine[] = [];
  const ranges: number[] = [];
  for (const act of x.acts.length ? x.acts : [null]) {
    const perProto = new Map<Value | null, PairResult>();
    for (const p of protoValues(x)) {
      const r = pairsFor(x, act, p);
      if (r.count.n === 0) continue;
      perProto.set(p, r);
      ranges.push(...r.ranges);
      pairLines.push(
        line(
          `pairs.${act ?? 'all'}.${protoLabel(x, p)}`,
          'detail',
          `${act ?? 'all'}${p === null ? '' : `, ${p}`}: ${PAIR_WORDS[r.count.outcome]} (${countText(r.count)}).`,
          {
            claim: { key: 'k2-vs-k1', subject: `${act ?? 'all'}${p === null ? '' : `, ${p}`}`, value: r.count.outcome },
            evidence: [
              { label: 'favour k=2', value: r.count.k2 },
              { label: 'favour k=1', value: r.count.k1 },
              { label: 'ties', value: r.count.ties },
              { label: 'not judged', value: r.count.unjudged },
            ],
            children: r.lines,
          },
        ),
      );
    }
    if (perProto.size) byAct.set(act, perProto);
  }
  if (pairLines.length)
    a.verdict.lines.push(line('pairs', 'finding', 'One-layer vs two-layer skip, per activation:', { children: pairLines }));
  const { unit } = scoreUnit(x.classification);
  if (ranges.length)
    a.verdict.thresholds.push({
      name: 'k=1 vs k=2 difference (median seed range)',
      value: median(ranges),
      rule: `a difference counts when it exceeds the larger seed range (max - min over seeds of the score, in ${unit}) of the two cells compared; a failed cell is worse than one that is not; the summary per activation says 'did better' only when one side wins more comparisons than the other side and the ties together`,
    });

  // the paper: two-layer units better than one-layer ones
  const allCounts = [...byAct.values()].flatMap((m) => [...m.values()].map((r) => r.count));
  if (allCounts.length) {
    const favour2 = allCounts.filter((c) => c.outcome === 'k2-better').length;
    const favour1 = allCounts.filter((c) => c.outcome === 'k1-better').length;
    const paper =
      favour2 === allCounts.length
        ? 'agrees'
        : favour2 > 0 && favour1 === 0
          ? 'partly agrees'
          : favour1 > 0 && favour2 === 0
            ? 'disagrees'
            : 'not judged';
    a.verdict.lines.push(
      line(
        'paper',
        'finding',
        `Compared with He et al. 2016 (two-layer units better than one-layer on CIFAR-10): this run ${paper === 'not judged' ? 'neither confirms nor contradicts it' : `${paper} with it`}: two-layer skips did better in ${favour2} of ${allCounts.length} (activation${x.protoAxis ? `, ${protoNoun(x)}` : ''}) groups, one-layer in ${favour1}, on ${study.base.data.name ?? 'mnist'} with MLPs (not the paper's convnets).`,
        {
          paper,
          claim: { key: 'paper-k2-better', value: paper },
          evidence: [
            { label: 'groups favouring k=2', value: favour2 },
            { label: 'groups favouring k=1', value: favour1 },
            { label: 'groups', value: allCounts.length },
          ],
        },
      ),
    );
  }

  const mech = mechanism(x);
  if (mech.rows.length) {
    a.tables.push({
      title: `Hidden state at initialisation, sigmoid, depth ${mech.depth}: mean / spread after blocks at 0, 1/4, 1/2, 3/4 and all of the depth`,
      header: ['variant', 'first', '1/4', '1/2', '3/4', 'last'],
      rows: mech.rows,
      note: 'spread = standard deviation over a training batch of each unit, averaged over the units (0: every input maps to the same point); median over seeds',
    });
  }
  a.verdict.answer = [foldAnswer(x), twoLayerAnswer(x, byAct), oneLayerAnswer(x), factorAnswer(x), mech.answer].filter(
    (l): l is VerdictLine => l !== null,
  );
  if (a.verdict.answer.length === 0)
    a.verdict.answer.push(
      line('answer.none', 'answer', 'No answer can be drawn: the grid lacks the variants or the runs the answer needs.', {}),
    );
  return a;
}

export const skipStudy: StudyDef = {
  name: 'skip',
  title: 'One-layer vs two-layer skips, per activation',
  question: 'Why does a residual block skip two layers and not one, and does the answer change with the activation (ReLU, tanh, sigmoid)?',
  explanation: [
    "A post-addition one-layer skip computes a' = g(W a + b + a) = g((I + W) a + b): it is a plain layer whose weight matrix is re-parametrised as I + W, so the whole stack is still a composition of plain layers g(M a + b).",
    "A two-layer block, as in the original ResNet, computes a' = g(W2 g(W1 a + b1) + b2 + a): the branch F(a) = W2 g(W1 a + b1) + b2 is a small nonlinear net of its own, and the block is no longer one plain layer.",
    "Other placements keep a clean identity path for any g: branch a' = a + g(W a + b) (addition outside the activation), and pre-activation a' = a + W g(a) + b (He et al. 2016), with one or two layers in the branch.",
    "The study trains every variant (plain, post-1, post-2, branch-1, preact-1, preact-2) with ReLU, tanh and sigmoid at two depths on real MNIST digits, three seeds each, with two protocols: Adam, and SGD with momentum 0.9 (the ResNet papers' optimizer); no normalisation, the initialisation fitted to the activation (He for ReLU, Xavier for tanh and sigmoid), a cosine learning-rate schedule, every cell at its own best learning rate (a search that extends the grid until the best rate is bracketed). It reports the final train loss, the test accuracy, diverged runs, the gradient-norm profile and the spread of the hidden state across depth at initialisation. Every trained post-1 net is folded into a plain net (W' = I + W) and checked to give the same outputs; a post-1 net with a projection shortcut (W_r + W) is checked likewise.",
  ].join('\n\n'),
  finding: {
    source: 'He et al. 2016 (Identity Mappings in Deep Residual Networks), Table 3; Zagoruyko & Komodakis 2016 (Wide ResNets), Table 3',
    text: 'CIFAR-10 test error: one-layer residual units 9.90% / 8.91% vs two-layer units 6.61% / 6.37% (ResNet-110/164 family); wide ResNets: l=1 6.69% vs l=2 5.43%. Two-layer skips were better; one-layer skips gave little or no gain over plain layers.',
  },
  base: {
    model: { width: 64, init: 'auto', norm: 'none', shortcut: 'identity' },
    train: { batchSize: 64, momentum: 0.9, epochs: 1000, maxSteps: 500, evalEvery: 125, schedule: 'cosine' },
    data: { name: 'mnist', size: 10000, trainRatio: 0.8 },
  },
  grid: {
    'model.depth': [24, 48],
    'train.optimizer': ['adam', 'sgd'],
    variant: ['plain', 'post-1', 'post-2', 'branch-1', 'preact-1', 'preact-2'],
    'model.activation': ['relu', 'tanh', 'sigmoid'],
  },
  protocolAxis: 'train.optimizer',
  seeds: [1, 2, 3],
  lrGrid: [3e-4, 1e-3, 3e-3],
  lrGrids: { adam: [3e-4, 1e-3, 3e-3], sgd: [3e-3, 1e-2, 3e-2] },
  lrSearch: { extend: true, maxExtra: 3, tuneSeeds: 1 },
  budgets: {
    cli: {},
    browser: {
      grid: { 'model.depth': [12, 24], 'train.optimizer': ['adam'] },
      seeds: 2,
      lrSearch: { maxExtra: 1 },
      set: { 'model.width': 32, 'train.maxSteps': 200, 'train.evalEvery': 50, 'data.size': 2000 },
    },
  },
  metrics: ['trainLoss', 'testAcc', 'diverged', 'lr', 'init', 'gradRatio'],
  layout: { tables: ['model.depth', 'train.optimizer'], rows: ['variant', 'model.activation'] },
  foldTrained: true,
  checks: [
    {
      kind: 'fold',
      label: 'trained post-1 with a projection shortcut (W_r + W)',
      set: { variant: 'post-1', 'model.activation': 'relu', 'model.shortcut': 'projection' },
      trained: true,
    },
  ],
  analyze: analyzeSkip,
};
