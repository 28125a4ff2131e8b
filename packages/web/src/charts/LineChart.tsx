/** Overlaid line chart with axes, legend, a 'diverged' mark and a hover/keyboard read-out. All SVG (exportable). */
import { type KeyboardEvent, type MouseEvent, useMemo, useState } from 'react';
import { ChartSvg } from './ChartSvg';
import { fmt, linear, log10 } from './scale';
import { useWidth } from './useWidth';

export interface Series {
  key: string;
  label: string;
  color: string;
  points: Array<{ x: number; y: number }>;
  /** x where the run blew up (drawn as a cross at the last point). */
  divergedAt?: number | null;
  dashed?: boolean;
}

export interface LineChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  height?: number;
  /** fixed y range (e.g. [0, 1] for accuracy). */
  yDomain?: [number, number];
  yFormat?: (v: number) => string;
  /** identifies the chart for tests (data-chart). */
  chartId: string;
  /** integer x ticks only (e.g. block index). */
  intX?: boolean;
}

const CHAR_W = 6.6;

export function LineChart({ title, xLabel, yLabel, series, logY, height = 260, yDomain, yFormat = fmt, chartId, intX }: LineChartProps) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const [hover, setHover] = useState<number | null>(null);

  // Legend rows (inside the SVG so an exported chart keeps it).
  const legend = useMemo(() => {
    const items: Array<{ s: Series; x: number; row: number }> = [];
    let x = 0;
    let row = 0;
    for (const s of series) {
      const w = 22 + (s.label.length + (s.divergedAt != null ? 11 : 0)) * CHAR_W + 16;
      if (x > 0 && x + w > width - 60) {
        row++;
        x = 0;
      }
      items.push({ s, x, row });
      x += w;
    }
    return { items, rows: series.length ? row + 1 : 0 };
  }, [series, width]);

  const m = { top: 28 + legend.rows * 18, right: 14, bottom: 40, left: 58 };
  const W = Math.max(240, width);
  const H = height + legend.rows * 18;
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const { xs, ys, allX } = useMemo(() => {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    const set = new Set<number>();
    for (const s of series)
      for (const p of s.points) {
        if (!Number.isFinite(p.y)) continue;
        if (logY && p.y <= 0) continue;
        x0 = Math.min(x0, p.x);
        x1 = Math.max(x1, p.x);
        y0 = Math.min(y0, p.y);
        y1 = Math.max(y1, p.y);
        set.add(p.x);
      }
    if (!Number.isFinite(x0)) {
      x0 = 0;
      x1 = 1;
      y0 = logY ? 0.1 : 0;
      y1 = 1;
    }
    if (yDomain) [y0, y1] = yDomain;
    const xs = linear(x0, x1, m.left, m.left + pw, Math.max(2, Math.floor(pw / 90)));
    if (intX) xs.ticks = xs.ticks.filter((t) => Number.isInteger(t));
    const ys = logY ? log10(y0, y1, m.top + ph, m.top) : linear(y0, y1, m.top + ph, m.top, Math.max(2, Math.floor(ph / 45)));
    return { xs, ys, allX: [...set].sort((a, b) => a - b) };
  }, [series, logY, yDomain, pw, ph, m.left, m.top, intX]);

  const pathOf = (s: Series) => {
    let d = '';
    let pen = false;
    for (const p of s.points) {
      if (!Number.isFinite(p.y) || (logY && p.y <= 0)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${xs(p.x).toFixed(1)},${ys(p.y).toFixed(1)}`;
      pen = true;
    }
    return d;
  };

  const hx = hover !== null ? allX[Math.min(hover, allX.length - 1)] : null;
  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    if (!allX.length) return;
    const r = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - r.left) / r.width) * W;
    let best = 0;
    for (let i = 1; i < allX.length; i++) if (Math.abs(xs(allX[i]) - px) < Math.abs(xs(allX[best]) - px)) best = i;
    setHover(best);
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (!allX.length) return;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const d = e.key === 'ArrowRight' ? 1 : -1;
      setHover((h) => Math.max(0, Math.min(allX.length - 1, (h ?? (d > 0 ? -1 : allX.length)) + d)));
    } else if (e.key === 'Escape') setHover(null);
  };

  const readout =
    hx === null
      ? []
      : series.map((s) => {
          let best: { x: number; y: number } | null = null;
          for (const p of s.points) if (p.x <= hx && (!best || p.x >= best.x)) best = p;
          return { s, p: best && best.x === hx ? best : null };
        });

  const tipW = 170;
  const tipX = hx !== null && xs(hx) + tipW + 12 > W ? xs(hx) - tipW - 8 : (hx !== null ? xs(hx) : 0) + 8;

  return (
    <div ref={wrapRef} className="chart" data-chart={chartId}>
      <div
        role="slider"
        tabIndex={0}
        className="chart-focus"
        aria-label={`${title}: ${yLabel} against ${xLabel}. Arrow keys move the read-out.`}
        aria-valuemin={allX.length ? allX[0] : 0}
        aria-valuemax={allX.length ? allX[allX.length - 1] : 0}
        aria-valuenow={hx ?? (allX.length ? allX[allX.length - 1] : 0)}
        aria-valuetext={
          hx === null
            ? 'no point selected'
            : `${xLabel} ${hx}: ${readout.map(({ s, p }) => `${s.label} ${p ? yFormat(p.y) : 'none'}`).join(', ')}`
        }
        onKeyDown={onKey}
        onBlur={() => setHover(null)}
      >
        <ChartSvg
          width={W}
          height={H}
          title={title}
          label={`${title}: ${yLabel} against ${xLabel}`}
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
        >
          <text x={m.left} y={16} fontSize={13} fontWeight={600} fill="#1d2430">
            {title}
          </text>
          {legend.items.map(({ s, x, row }) => (
            <g key={s.key} transform={`translate(${m.left + x},${30 + row * 18})`}>
              <line x1={0} x2={16} y1={-4} y2={-4} stroke={s.color} strokeWidth={2.5} strokeDasharray={s.dashed ? '4 3' : undefined} />
              <text x={21} y={0} fill="#2b3340">
                {s.label}
                {s.divergedAt != null ? ' (diverged)' : ''}
              </text>
            </g>
          ))}
          {ys.ticks.map((t) => (
            <g key={`y${t}`}>
              <line x1={m.left} x2={m.left + pw} y1={ys(t)} y2={ys(t)} stroke="#e6e9ee" />
              <text x={m.left - 6} y={ys(t) + 4} textAnchor="end" fill="#5b6472">
                {yFormat(t)}
              </text>
            </g>
          ))}
          {xs.ticks.map((t) => (
            <g key={`x${t}`}>
              <line x1={xs(t)} x2={xs(t)} y1={m.top + ph} y2={m.top + ph + 4} stroke="#8a93a0" />
              <text x={xs(t)} y={m.top + ph + 16} textAnchor="middle" fill="#5b6472">
                {fmt(t)}
              </text>
            </g>
          ))}
          <line x1={m.left} x2={m.left + pw} y1={m.top + ph} y2={m.top + ph} stroke="#8a93a0" />
          <line x1={m.left} x2={m.left} y1={m.top} y2={m.top + ph} stroke="#8a93a0" />
          <text x={m.left + pw / 2} y={H - 6} textAnchor="middle" fill="#2b3340">
            {xLabel}
          </text>
          <text transform={`translate(13,${m.top + ph / 2}) rotate(-90)`} textAnchor="middle" fill="#2b3340">
            {yLabel}
            {logY ? ' (log)' : ''}
          </text>
          {series.map((s) => {
            const last = [...s.points].reverse().find((p) => Number.isFinite(p.y) && (!logY || p.y > 0));
            return (
              <g key={s.key}>
                <path
                  d={pathOf(s)}
                  fill="none"
                  stroke={s.color}
                  strokeWidth={2}
                  strokeLinejoin="round"
                  strokeDasharray={s.dashed ? '5 4' : undefined}
                  data-series={s.key}
                  data-points={s.points.length}
                  data-last-x={last?.x}
                  data-last-y={last?.y}
                />
                {s.divergedAt != null && last && (
                  <g transform={`translate(${xs(last.x)},${ys(last.y)})`} data-diverged={s.key}>
                    <path d="M-5,-5L5,5M-5,5L5,-5" stroke="#b00020" strokeWidth={2.5} />
                    <text x={7} y={-6} fill="#b00020" fontWeight={600}>
                      diverged
                    </text>
                  </g>
                )}
              </g>
            );
          })}
          {hx !== null && (
            <g pointerEvents="none">
              <line x1={xs(hx)} x2={xs(hx)} y1={m.top} y2={m.top + ph} stroke="#9aa3ad" strokeDasharray="3 3" />
              {readout.map(({ s, p }) =>
                p && Number.isFinite(p.y) ? <circle key={s.key} cx={xs(p.x)} cy={ys(p.y)} r={3.5} fill={s.color} /> : null,
              )}
              <g transform={`translate(${tipX},${m.top + 4})`}>
                <rect width={tipW} height={20 + readout.length * 15} rx={4} fill="#ffffff" stroke="#c9cfd6" opacity={0.96} />
                <text x={8} y={14} fontWeight={600} fill="#1d2430">
                  {xLabel} {fmt(hx, 6)}
                </text>
                {readout.map(({ s, p }, i) => (
                  <text key={s.key} x={8} y={29 + i * 15} fill={s.color}>
                    {s.label}: {p ? yFormat(p.y) : '—'}
                  </text>
                ))}
              </g>
            </g>
          )}
        </ChartSvg>
      </div>
    </div>
  );
}
