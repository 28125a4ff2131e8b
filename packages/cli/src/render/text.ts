/** Terminal rendering of a study's analysis: tables, gradient profiles, checks, verdict, loss charts. */
import { type Analysis, type CellSummary, fmt, type Table, type VerdictLine } from '@reslab/engine';
import asciichart from 'asciichart';
import CliTable from 'cli-table3';
import type { Colors } from './color.js';

const SPARK = '▁▂▃▄▅▆▇█';

/** A sparkline of positive values on a log scale, resampled to `width` characters. */
export function sparkline(vs: number[], width = 12): string {
  const xs = vs.filter((v) => Number.isFinite(v) && v > 0);
  if (xs.length === 0) return '';
  const n = Math.min(width, vs.length);
  const pick = Array.from({ length: n }, (_, i) => vs[Math.floor((i * vs.length) / n)]);
  const logs = pick.map((v) => (Number.isFinite(v) && v > 0 ? Math.log10(v) : Number.NaN));
  const fin = logs.filter((l) => !Number.isNaN(l));
  const lo = Math.min(...fin);
  const hi = Math.max(...fin);
  return logs.map((l) => (Number.isNaN(l) ? ' ' : SPARK[hi - lo < 1e-9 ? 3 : Math.round(((l - lo) / (hi - lo)) * 7)])).join('');
}

const fmtRatio = (x: number | null): string =>
  x === null ? '-' : x >= 1e3 || x < 1e-2 ? x.toExponential(0).replace('e+', 'e') : x.toPrecision(2);

export function renderTable(t: Table, c: Colors): string {
  const si = t.header.indexOf('status');
  const table = new CliTable({
    head: t.header.map((h) => c.bold(h)),
    style: { head: [], border: [], compact: true },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of t.rows) {
    table.push(
      r.map((v, i) => {
        if (i !== si) return v;
        return v === 'trained' ? c.green(v) : v === 'failed' ? c.red(v) : v === 'partly' ? c.yellow(v) : c.dim(v);
      }),
    );
  }
  return `${c.bold(t.title)}\n${table.toString()}`;
}

const axisLabel = (k: string): string => (k.includes('.') ? k.slice(k.indexOf('.') + 1) : k);

/**
 * Per-layer profiles at initialisation: one compact table per depth; rows = variant; columns = the other axes
 * (training settings do not change a net at initialisation: their first value stands for all).
 */
function profileTables(
  a: Analysis,
  c: Colors,
  title: string,
  values: (x: CellSummary) => number[],
  tag: (x: CellSummary) => { text: string; bad: boolean },
): string {
  const first = (k: string) => a.cells.find((x) => x.cell[k] !== undefined)?.cell[k];
  const trainAxes = a.axes.filter((k) => k.startsWith('train.'));
  const withProfile = a.cells.filter((x) => values(x).length && trainAxes.every((k) => x.cell[k] === first(k)));
  if (withProfile.length === 0) return '';
  const rowAxis = a.axes.includes('variant') ? 'variant' : a.axes[a.axes.length - 1];
  const groupAxis = a.axes.find((k) => k !== rowAxis && k === 'model.depth') ?? null;
  const colAxes = a.axes.filter((k) => k !== rowAxis && k !== groupAxis && !trainAxes.includes(k));
  const groups = groupAxis ? [...new Set(withProfile.map((x) => x.cell[groupAxis]))] : [null];
  const out: string[] = [title];
  for (const g of groups) {
    const cells = withProfile.filter((x) => g === null || x.cell[groupAxis!] === g);
    const cols = [...new Set(cells.map((x) => colAxes.map((k) => String(x.cell[k])).join(' ')))];
    const rows = rowAxis ? [...new Set(cells.map((x) => String(x.cell[rowAxis])))] : ['all'];
    const t = new CliTable({
      head: [g === null ? '' : `${axisLabel(groupAxis!)} ${g}`, ...cols].map((h) => c.bold(h)),
      style: { head: [], border: [], compact: true },
      chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    });
    for (const r of rows) {
      t.push([
        r,
        ...cols.map((col) => {
          const cell = cells.find(
            (x) => (rowAxis ? String(x.cell[rowAxis]) === r : true) && colAxes.map((k) => String(x.cell[k])).join(' ') === col,
          );
          if (!cell) return '';
          const t = tag(cell);
          const txt = `${sparkline(values(cell))} ${t.text}`;
          return t.bad ? c.red(txt) : txt;
        }),
      ]);
    }
    out.push(t.toString());
  }
  return out.join('\n');
}

/** Gradient-norm profiles at initialisation (number: first hidden / last hidden layer). */
export function renderProfiles(a: Analysis, c: Colors): string {
  return profileTables(
    a,
    c,
    c.bold('Gradient norm per layer at initialisation') +
      c.dim(' (sparkline input -> output, log scale; number = first hidden / last hidden layer; median over seeds)'),
    (x) => x.gradInit.gradNorms,
    (x) => ({ text: fmtRatio(x.gradRatio), bad: x.gradRatio !== null && x.gradRatio < 1e-2 }),
  );
}

/** The spread of the hidden state across inputs after each block at initialisation (number: last / first block). */
export function renderSpread(a: Analysis, c: Colors): string {
  const ratio = (x: CellSummary): number | null => {
    const s = x.gradInit.streamSpread;
    return s.length >= 2 && s[0] > 0 ? s[s.length - 1] / s[0] : null;
  };
  return profileTables(
    a,
    c,
    c.bold('Spread of the hidden state across inputs, per block, at initialisation') +
      c.dim(' (std over a batch of each unit, averaged over units; sparkline first -> last block, log scale; number = last / first block)'),
    (x) => x.gradInit.streamSpread,
    (x) => {
      const r = ratio(x);
      return { text: fmtRatio(r), bad: r !== null && r < 0.1 };
    },
  );
}

const CHART_COLORS = [
  asciichart.blue,
  asciichart.red,
  asciichart.green,
  asciichart.yellow,
  asciichart.magenta,
  asciichart.cyan,
  asciichart.lightgray,
];

/** Loss curves (log10 of the median train loss) of each variant, for up to `max` panels of the last group. */
export function renderLossCharts(a: Analysis, c: Colors, max = 3): string {
  const seriesAxis = a.axes.includes('variant') ? 'variant' : a.axes[a.axes.length - 1];
  if (!seriesAxis) return '';
  const rest = a.axes.filter((k) => k !== seriesAxis);
  const panels = new Map<string, CellSummary[]>();
  for (const cell of a.cells) {
    if (cell.curve.steps.length < 2) continue;
    const key = rest.map((k) => `${axisLabel(k)} ${cell.cell[k]}`).join(', ');
    if (!panels.has(key)) panels.set(key, []);
    panels.get(key)!.push(cell);
  }
  const keys = [...panels.keys()].slice(-max);
  const out: string[] = [];
  for (const key of keys) {
    const cells = panels.get(key)!;
    const n = Math.min(...cells.map((x) => x.curve.trainLoss.length));
    const series = cells.map((x) => x.curve.trainLoss.slice(0, n).map((v) => Math.log10(Math.max(v, 1e-6))));
    const chart = asciichart.plot(series, {
      height: 8,
      colors: cells.map((_, i) => CHART_COLORS[i % CHART_COLORS.length]),
      format: (x: number) => (10 ** x).toPrecision(2).padStart(7),
    });
    const legend = cells.map((x, i) => `${CHART_COLORS[i % CHART_COLORS.length]}-- ${x.cell[seriesAxis]}${asciichart.reset}`).join('  ');
    out.push(`${c.bold(`train loss (log scale) vs eval point, ${key}`)}\n${chart}\n ${legend}`);
  }
  return out.join('\n\n');
}

function verdictLines(ls: readonly VerdictLine[], c: Colors, depth: number, out: string[]): void {
  for (const l of ls) {
    const pad = '   '.repeat(depth);
    const text = l.level === 'warning' ? c.yellow(l.text) : l.level === 'finding' ? l.text : depth > 0 ? c.dim(l.text) : l.text;
    out.push(`${pad} - ${text}`);
    if (l.children?.length) verdictLines(l.children, c, depth + 1, out);
  }
}

export function renderVerdict(a: Analysis, c: Colors): string {
  const out = [c.bold('Answer (computed from the numbers above)')];
  for (const [i, l] of a.verdict.answer.entries()) out.push(` ${i + 1}. ${l.text}`);
  if (a.verdict.answer.length === 0) out.push(c.dim(' (this study states no answer sentences; see the findings below)'));
  out.push('', c.bold('Findings, comparisons and rules'));
  verdictLines(a.verdict.lines, c, 0, out);
  if (a.verdict.thresholds.length) {
    out.push(c.dim(' thresholds:'));
    for (const t of a.verdict.thresholds) out.push(c.dim(`   ${t.name}: ${fmt(t.value)} (${t.rule})`));
  }
  return out.join('\n');
}
