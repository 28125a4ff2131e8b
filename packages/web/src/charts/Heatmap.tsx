/** A layer x step heatmap (log colour scale) with a colour bar and a hover/keyboard read-out. SVG, exportable. */
import { type KeyboardEvent, type MouseEvent, useMemo, useState } from 'react';
import { ChartSvg } from './ChartSvg';
import { fmt, viridis, viridisRgb } from './scale';
import { useWidth } from './useWidth';

export interface HeatmapProps {
  title: string;
  chartId: string;
  /** row labels, top to bottom (e.g. layer names, input layer first). */
  rows: string[];
  /** column positions (e.g. training steps). */
  cols: number[];
  /** values[col][row]. */
  values: number[][];
  xLabel: string;
  valueLabel: string;
  /** colour range in log10 units shared by several heatmaps (so their colours compare). */
  logRange?: [number, number];
}

/** One canvas reused for every heatmap image (creating a canvas and its context per update is slow). */
let scratch: HTMLCanvasElement | null = null;

export function logRangeOf(values: number[][][]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values)
    for (const col of v)
      for (const x of col)
        if (x > 0 && Number.isFinite(x)) {
          lo = Math.min(lo, Math.log10(x));
          hi = Math.max(hi, Math.log10(x));
        }
  if (!Number.isFinite(lo)) return [-3, 0];
  if (hi - lo < 1e-6) return [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

export function Heatmap({ title, chartId, rows, cols, values, xLabel, valueLabel, logRange }: HeatmapProps) {
  const [wrapRef, width] = useWidth<HTMLDivElement>(400);
  const [hover, setHover] = useState<[number, number] | null>(null);
  const range = useMemo(() => logRange ?? logRangeOf([values]), [logRange, values]);
  const labelW = Math.min(90, 8 + Math.max(3, ...rows.map((r) => r.length)) * 6.2);
  const m = { top: 26, right: 12, bottom: 58, left: labelW };
  const W = Math.max(220, width);
  const rowH = Math.max(4, Math.min(16, Math.floor(220 / Math.max(1, rows.length))));
  const ph = rowH * rows.length;
  const H = m.top + ph + m.bottom;
  const pw = W - m.left - m.right;
  const cw = cols.length ? pw / cols.length : pw;
  const labelEvery = Math.ceil(rows.length / Math.max(1, Math.floor(ph / 11)));
  const colEvery = Math.ceil(cols.length / Math.max(1, Math.floor(pw / 60)));

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - r.left) / r.width) * W - m.left;
    const py = ((e.clientY - r.top) / r.height) * H - m.top;
    const c = Math.floor(px / cw);
    const rr = Math.floor(py / rowH);
    setHover(c >= 0 && c < cols.length && rr >= 0 && rr < rows.length ? [c, rr] : null);
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const d = moves[e.key];
    if (d && cols.length && rows.length) {
      e.preventDefault();
      setHover((h) => {
        const [c, r] = h ?? [cols.length - 1, 0];
        return [Math.max(0, Math.min(cols.length - 1, c + d[0])), Math.max(0, Math.min(rows.length - 1, r + d[1]))];
      });
    } else if (e.key === 'Escape') setHover(null);
  };
  const hv = hover ? values[hover[0]]?.[hover[1]] : undefined;
  // One pixel per cell, drawn on a canvas and shown as an image: cheap to redraw as columns arrive.
  const href = useMemo(() => {
    if (!cols.length || !rows.length || typeof document === 'undefined') return '';
    scratch ??= document.createElement('canvas');
    const canvas = scratch;
    canvas.width = cols.length;
    canvas.height = rows.length;
    const ctx = canvas.getContext('2d');
    if (!ctx) return '';
    const img = ctx.createImageData(cols.length, rows.length);
    const span = range[1] - range[0];
    values.forEach((col, c) => {
      col.forEach((v, r) => {
        const [R, G, B] = viridisRgb(v > 0 && Number.isFinite(v) ? (Math.log10(v) - range[0]) / span : Number.NaN);
        const o = 4 * (r * cols.length + c);
        img.data[o] = R;
        img.data[o + 1] = G;
        img.data[o + 2] = B;
        img.data[o + 3] = 255;
      });
    });
    ctx.putImageData(img, 0, 0);
    return canvas.toDataURL('image/png');
  }, [values, cols.length, rows.length, range]);
  const barY = m.top + ph + 30;

  return (
    <div ref={wrapRef} className="chart" data-chart={chartId}>
      <div
        role="slider"
        tabIndex={0}
        className="chart-focus"
        aria-label={`${title}: ${valueLabel} per layer over ${xLabel}. Left and right arrows move along ${xLabel}, up and down along layers.`}
        aria-valuemin={0}
        aria-valuemax={Math.max(0, cols.length - 1)}
        aria-valuenow={hover ? hover[0] : Math.max(0, cols.length - 1)}
        aria-valuetext={hover ? `${rows[hover[1]]}, ${xLabel} ${cols[hover[0]]}: ${fmt(hv)}` : 'no cell selected'}
        onKeyDown={onKey}
        onBlur={() => setHover(null)}
      >
        <ChartSvg
          width={W}
          height={H}
          title={title}
          label={`${title}: ${valueLabel} per layer over ${xLabel}`}
          fontSize={10}
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
          data-rows={rows.length}
          data-cols={cols.length}
        >
          <text x={4} y={15} fontSize={12} fontWeight={600} fill="#1d2430">
            {title}
          </text>
          {href && (
            <image
              href={href}
              x={m.left}
              y={m.top}
              width={pw}
              height={ph}
              preserveAspectRatio="none"
              style={{ imageRendering: 'pixelated' }}
              data-testid="heatmap-cells"
            />
          )}
          {rows.map((name, r) =>
            r % labelEvery === 0 ? (
              <text key={name} x={m.left - 4} y={m.top + r * rowH + rowH / 2 + 3} textAnchor="end" fill="#5b6472">
                {name}
              </text>
            ) : null,
          )}
          {cols.map((s, c) =>
            c % colEvery === 0 ? (
              <text key={`c${s}`} x={m.left + c * cw + cw / 2} y={m.top + ph + 12} textAnchor="middle" fill="#5b6472">
                {s}
              </text>
            ) : null,
          )}
          <text x={m.left + pw / 2} y={m.top + ph + 24} textAnchor="middle" fill="#2b3340">
            {xLabel}
          </text>
          {Array.from({ length: 40 }, (_, i) => (
            <rect
              // biome-ignore lint/suspicious/noArrayIndexKey: colour-bar steps are positional
              key={i}
              x={m.left + (i * pw) / 80}
              y={barY}
              width={pw / 80 + 0.5}
              height={8}
              fill={viridis(i / 39)}
            />
          ))}
          <text x={m.left} y={barY + 20} fill="#5b6472">
            {fmt(10 ** range[0])}
          </text>
          <text x={m.left + pw / 2} y={barY + 20} textAnchor="end" fill="#5b6472">
            {fmt(10 ** range[1])}
          </text>
          <text x={m.left + pw / 2 + 8} y={barY + 8} fill="#2b3340">
            {valueLabel} (log colour)
          </text>
          {hover && (
            <g pointerEvents="none">
              <rect
                x={m.left + hover[0] * cw}
                y={m.top + hover[1] * rowH}
                width={cw}
                height={rowH}
                fill="none"
                stroke="#ff3b30"
                strokeWidth={1.5}
              />
              <text x={W - m.right} y={15} textAnchor="end" fill="#1d2430">
                {rows[hover[1]]} · {xLabel} {cols[hover[0]]} · {fmt(hv)}
              </text>
            </g>
          )}
        </ChartSvg>
      </div>
    </div>
  );
}
