/**
 * report.html: one self-contained file (inline CSS and SVG, no scripts, no
 * network) with the verdict, the tables, loss curves per variant, gradient-norm
 * profiles across depth at initialisation, the checks and every run.
 */
import type { Analysis, CellSummary, JobRecord, StudyData, VerdictLine } from '@reslab/engine';

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export interface Series {
  name: string;
  color: string;
  xs: number[];
  ys: Array<number | null>;
}

const sig = (x: number): string => {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-2) return x.toExponential(0).replace('e+', 'e');
  return String(Number(x.toPrecision(2)));
};

/** A small SVG line chart; log-y drops non-positive values. */
export function lineChart(
  series: Series[],
  o: { title: string; xLabel: string; yLabel: string; logY?: boolean; width?: number; height?: number },
): string {
  const W = o.width ?? 340;
  const H = o.height ?? 210;
  const m = { l: 52, r: 10, t: 22, b: 34 };
  const pts = series
    .flatMap((s) => s.xs.map((x, i) => [x, s.ys[i]] as const))
    .filter(([x, y]) => y !== null && Number.isFinite(y) && Number.isFinite(x) && (!o.logY || (y as number) > 0)) as Array<
    readonly [number, number]
  >;
  const head = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(o.title)}"><title>${esc(o.title)}</title><text x="${W / 2}" y="14" text-anchor="middle" class="ct">${esc(o.title)}</text>`;
  if (pts.length === 0) return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="muted">no data</text></svg>`;
  const tf = (y: number) => (o.logY ? Math.log10(y) : y);
  let x0 = Math.min(...pts.map((p) => p[0]));
  let x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => tf(p[1])));
  let y1 = Math.max(...pts.map((p) => tf(p[1])));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 - y0 < 1e-12) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  if (o.logY) {
    y0 = Math.floor(y0 * 2) / 2;
    y1 = Math.ceil(y1 * 2) / 2;
  } else {
    const pad = (y1 - y0) * 0.05;
    y0 -= pad;
    y1 += pad;
    if (x0 > 0 && x0 < (x1 - x0) * 0.2) x0 = 0;
  }
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((tf(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [head];
  // axes and ticks
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" class="frame"/>`);
  const yTicks: number[] = [];
  if (o.logY) {
    const step = y1 - y0 > 4 ? Math.ceil((y1 - y0) / 4) : 1;
    for (let e = Math.ceil(y0); e <= y1; e += step) yTicks.push(10 ** e);
    if (yTicks.length < 2) for (let e = y0; e <= y1 + 1e-9; e += 0.5) yTicks.push(10 ** e);
  } else for (let i = 0; i <= 4; i++) yTicks.push(y0 + ((y1 - y0) * i) / 4);
  for (const t of yTicks) {
    const y = py(t);
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/><text x="${m.l - 4}" y="${(y + 3).toFixed(1)}" text-anchor="end" class="tick">${sig(t)}</text>`,
    );
  }
  const intX = pts.every((p) => Number.isInteger(p[0]));
  const xTicks = [...new Set(Array.from({ length: 5 }, (_, i) => x0 + ((x1 - x0) * i) / 4).map((v) => (intX ? Math.round(v) : v)))];
  for (const xv of xTicks) {
    parts.push(
      `<text x="${px(xv).toFixed(1)}" y="${H - m.b + 12}" text-anchor="middle" class="tick">${sig(Math.round(xv * 100) / 100)}</text>`,
    );
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 4}" text-anchor="middle" class="lab">${esc(o.xLabel)}</text>`);
  parts.push(
    `<text x="12" y="${(m.t + H - m.b) / 2}" text-anchor="middle" class="lab" transform="rotate(-90 12 ${(m.t + H - m.b) / 2})">${esc(o.yLabel)}${o.logY ? ' (log)' : ''}</text>`,
  );
  for (const s of series) {
    let d = '';
    let run: Array<[number, number]> = [];
    const dots: Array<[number, number]> = [];
    const flush = () => {
      // NOTE: a point with no finite neighbour (e.g. a run evaluated once) is drawn as a dot, not lost.
      if (run.length === 1) dots.push(run[0]);
      else d += run.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
      run = [];
    };
    s.xs.forEach((x, i) => {
      const y = s.ys[i];
      if (y === null || !Number.isFinite(y) || (o.logY && y <= 0)) flush();
      else run.push([px(x), py(y)]);
    });
    flush();
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${esc(s.name)}</title></path>`);
    for (const [x, y] of dots)
      parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(s.name)}</title></circle>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

const legend = (names: string[], color: (n: string) => string): string =>
  `<div class="legend">${names.map((n) => `<span><i style="background:${color(n)}"></i>${esc(n)}</span>`).join('')}</div>`;

/**
 * Panels = combinations of every axis but the series axis ('variant' if present, else the last axis). `atInit`:
 * training settings do not change a net at initialisation, so their first value stands for all.
 */
function panelsOf(a: Analysis, atInit = false): { seriesAxis: string | null; panels: Array<{ title: string; cells: CellSummary[] }> } {
  const seriesAxis = a.axes.includes('variant') ? 'variant' : (a.axes[a.axes.length - 1] ?? null);
  const trainAxes = atInit ? a.axes.filter((k) => k.startsWith('train.') && k !== seriesAxis) : [];
  const first = (k: string) => a.cells[0]?.cell[k];
  const rest = a.axes.filter((k) => k !== seriesAxis && !trainAxes.includes(k));
  const map = new Map<string, CellSummary[]>();
  for (const c of a.cells) {
    if (trainAxes.some((k) => c.cell[k] !== first(k))) continue;
    const key = rest.map((k) => `${k.includes('.') ? k.slice(k.indexOf('.') + 1) : k} ${c.cell[k]}`).join(', ') || 'all';
    if (!map.has(key)) map.set(key, []);
    map.get(key)!.push(c);
  }
  return { seriesAxis, panels: [...map].map(([title, cells]) => ({ title, cells })) };
}

export interface ReportMeta {
  command: string;
  generated: string;
  outDir: string;
  wallMs: number | null;
  workers: number | null;
  backend: string;
}

export function reportHtml(def: StudyData, a: Analysis, records: JobRecord[], meta: ReportMeta): string {
  const { seriesAxis, panels } = panelsOf(a);
  const seriesNames = seriesAxis ? [...new Set(a.cells.map((c) => String(c.cell[seriesAxis])))] : ['all'];
  const color = (n: string) => PALETTE[Math.max(0, seriesNames.indexOf(n)) % PALETTE.length];
  const nameOf = (c: CellSummary) => (seriesAxis ? String(c.cell[seriesAxis]) : 'all');

  const lossCharts = panels
    .map((p) =>
      lineChart(
        p.cells
          .filter((c) => c.curve.steps.length)
          .map((c) => ({ name: `${nameOf(c)} (lr ${c.chosenLr})`, color: color(nameOf(c)), xs: c.curve.steps, ys: c.curve.trainLoss })),
        { title: p.title, xLabel: 'step', yLabel: 'train loss', logY: true },
      ),
    )
    .join('');
  const accCharts = panels
    .map((p) =>
      lineChart(
        p.cells
          .filter((c) => c.curve.steps.length && c.curve.testAcc.some((x) => x !== null))
          .map((c) => ({
            name: nameOf(c),
            color: color(nameOf(c)),
            xs: c.curve.steps,
            ys: c.curve.testAcc.map((x) => (x === null ? null : 100 * x)),
          })),
        { title: p.title, xLabel: 'step', yLabel: 'test acc %' },
      ),
    )
    .join('');
  const initPanels = panelsOf(a, true).panels;
  const spreadCharts = initPanels
    .map((p) =>
      lineChart(
        p.cells
          .filter((c) => c.gradInit.streamSpread.length)
          .map((c) => ({
            name: nameOf(c),
            color: color(nameOf(c)),
            xs: c.gradInit.streamSpread.map((_, i) => i + 1),
            ys: c.gradInit.streamSpread,
          })),
        { title: p.title, xLabel: 'block', yLabel: 'spread of the hidden state', logY: true },
      ),
    )
    .join('');
  const gradCharts = initPanels
    .map((p) =>
      lineChart(
        p.cells
          .filter((c) => c.gradInit.gradNorms.length)
          .map((c) => ({ name: nameOf(c), color: color(nameOf(c)), xs: c.gradInit.gradNorms.map((_, i) => i), ys: c.gradInit.gradNorms })),
        { title: p.title, xLabel: 'layer (input -> output)', yLabel: '|grad W| at init', logY: true },
      ),
    )
    .join('');

  const statusClass = (s: string) => (s === 'trained' ? 'ok' : s === 'failed' ? 'bad' : s === 'partly' ? 'mid' : 'muted');
  const tables = a.tables
    .map((t) => {
      const si = t.header.indexOf('status');
      const rows = t.rows
        .map((r) => `<tr>${r.map((v, i) => `<td${i === si ? ` class="${statusClass(v)}"` : ''}>${esc(v)}</td>`).join('')}</tr>`)
        .join('');
      return `<h3>${esc(t.title)}</h3><table><thead><tr>${t.header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>${t.note ? `<p class="note">${esc(t.note)}</p>` : ''}`;
    })
    .join('');

  const thresholds = a.verdict.thresholds.length
    ? `<table class="thr"><thead><tr><th>threshold</th><th>value</th><th>rule</th></tr></thead><tbody>${a.verdict.thresholds
        .map((t) => `<tr><td>${esc(t.name)}</td><td>${Number.isFinite(t.value) ? esc(sig(t.value)) : '-'}</td><td>${esc(t.rule)}</td></tr>`)
        .join('')}</tbody></table>`
    : '';

  const runRows = records
    .map((r) => {
      const res = r.result;
      const status = r.error ? 'error' : (res?.status ?? (r.fold ? 'fold' : '-'));
      const loss = res?.finalTrainLoss ?? null;
      const acc = res?.finalTestAcc ?? null;
      return `<tr><td>${esc(r.id)}</td><td>${esc(status)}</td><td>${loss === null ? '-' : esc(sig(loss))}</td><td>${acc === null ? '-' : (100 * acc).toFixed(1)}</td><td>${(r.timeMs / 1000).toFixed(1)}s</td></tr>`;
    })
    .join('');

  const verdictItem = (l: VerdictLine): string =>
    `<li class="${l.level}">${esc(l.text)}${l.children?.length ? `<ul>${l.children.map(verdictItem).join('')}</ul>` : ''}</li>`;
  const answer = a.verdict.answer.length
    ? `<ol class="answer">${a.verdict.answer.map((l) => `<li>${esc(l.text)}</li>`).join('')}</ol>`
    : '<p class="muted">This study states no answer sentences; the findings are below.</p>';
  const checks = a.checks.length
    ? `<ul>${a.checks.map((c) => `<li class="${c.ok === false ? 'bad' : ''}">${esc(c.line)}</li>`).join('')}</ul>`
    : '<p class="muted">no separate checks in this study</p>';
  const para = (s: string) =>
    s
      .split(/\n\n+/)
      .map((p) => `<p>${esc(p)}</p>`)
      .join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>reslab: ${esc(def.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1180px;padding:18px;color:#1b1b1b;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}h3{font-size:14px;margin:16px 0 6px}
table{border-collapse:collapse;font-size:12.5px;margin:4px 0}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;white-space:nowrap}th{background:#f4f4f4}
.ok{background:#e4f5e4}.bad{background:#fbe3e3}.mid{background:#fff4d6}.muted{color:#888}.note{color:#666;font-size:12px;margin:2px 0 10px}
.verdict{background:#f6f8fb;border:1px solid #d7deea;padding:8px 14px;border-radius:6px}.verdict li{margin:3px 0}.verdict li.detail{color:#444;font-size:13px}.verdict li.warning{color:#a35a00}.answer li{margin:6px 0;font-size:15px}
.charts{display:flex;flex-wrap:wrap;gap:6px}.charts svg{border:1px solid #eee;background:#fff}
.ct{font-size:12px;font-weight:600}.tick{font-size:9.5px;fill:#555}.lab{font-size:10.5px;fill:#333}.frame{fill:none;stroke:#bbb}.grid{stroke:#eee}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:6px 0 4px;font-size:12px}.legend i{display:inline-block;width:14px;height:3px;margin-right:5px;vertical-align:middle}
.thr td{white-space:normal}.meta{color:#555;font-size:12px}details{margin-top:10px}code{background:#f3f3f3;padding:0 3px}
</style></head><body>
<h1>${esc(def.title)}</h1>
<p><b>Question.</b> ${esc(def.question)}</p>
<p class="meta">study <code>${esc(def.name)}</code> · generated ${esc(meta.generated)} · <code>${esc(meta.command)}</code> · ${records.length} job(s)${meta.wallMs !== null ? ` · wall time ${(meta.wallMs / 1000).toFixed(1)} s` : ''}${meta.workers ? ` · ${meta.workers} worker(s)` : ''} · backend ${esc(meta.backend)}${a.missing ? ` · <b>incomplete: ${a.missing} job(s) missing</b>` : ''}</p>
<h2>Answer</h2>
<div class="verdict">${answer}</div>
<details><summary>Findings, comparisons, rules and thresholds (computed from the numbers below)</summary>
<div class="verdict"><ul>${a.verdict.lines.map(verdictItem).join('')}</ul></div>
${thresholds}
</details>
<h2>Results</h2>
<p class="note">Learning rate: ${esc(a.lrCriterion)}.</p>
<p class="note">Divergence: ${esc(a.divergeRule)}. Stopping: ${esc(a.plateau.rule)}; met by ${a.plateau.met} of ${a.plateau.judged} trained cell(s).</p>
${tables}
<h2>Loss curves (median over seeds, chosen learning rate)</h2>
${legend(seriesNames, color)}<div class="charts">${lossCharts}</div>
<h2>Test accuracy during training</h2>
${legend(seriesNames, color)}<div class="charts">${accCharts}</div>
<h2>Gradient-norm profile across depth at initialisation</h2>
<p class="note">L2 norm of each Linear weight's gradient on one training batch before any step, median over seeds; a profile that falls towards the input means vanishing gradients.</p>
${legend(seriesNames, color)}<div class="charts">${gradCharts}</div>
<h2>Spread of the hidden state across depth at initialisation</h2>
<p class="note">Standard deviation over one training batch of each unit after each block, averaged over the units, median over seeds: how much the hidden state still differs between inputs. A profile that falls towards zero means the stack maps every input to nearly the same point.</p>
${legend(seriesNames, color)}<div class="charts">${spreadCharts}</div>
<h2>Checks</h2>
${checks}
<h2>What the study does</h2>
${para(def.explanation)}
${def.finding.text ? `<p><b>Published finding</b> (${esc(def.finding.source)}): ${esc(def.finding.text)}</p>` : ''}
<details><summary>All ${records.length} jobs</summary><table><thead><tr><th>id</th><th>status</th><th>final train loss</th><th>test acc %</th><th>time</th></tr></thead><tbody>${runRows}</tbody></table></details>
<p class="meta">Files next to this report: results.jsonl (one record per job), table.csv, runs.csv, summary.json, study.json (to resume or rebuild: <code>reslab report ${esc(meta.outDir)}</code>).</p>
</body></html>
`;
}
