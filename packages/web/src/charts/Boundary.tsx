/**
 * The model's output over the input plane (TensorFlow Playground style): the
 * class-1 probability (or the regression output) as a background image, the
 * data points on top. 1-D inputs (sine) draw the fitted curve instead.
 */
import { useEffect, useMemo, useState } from 'react';
import { ChartSvg } from './ChartSvg';
import { diverging, fmt } from './scale';

export interface BoundaryData {
  /** grid side (2-D) or number of points (1-D). */
  n: number;
  extent: number;
  /** 2-D: n*n values, top row first; 1-D: n outputs on lineGrid(n, extent). */
  values: number[];
  kind: 'prob' | 'value';
  dims: 1 | 2;
}

export interface PointsData {
  /** row-major inputs (dims per point). */
  x: number[];
  /** labels (classification) or targets. */
  y: number[];
  /** the first nTrain points are training points, the rest test points. */
  nTrain: number;
}

function imageOf(b: BoundaryData, lo: number, hi: number): string {
  const canvas = document.createElement('canvas');
  canvas.width = b.n;
  canvas.height = b.n;
  const ctx = canvas.getContext('2d');
  if (!ctx) return '';
  const img = ctx.createImageData(b.n, b.n);
  for (let i = 0; i < b.n * b.n; i++) {
    const v = b.values[i];
    const p = b.kind === 'prob' ? v : (v - lo) / (hi - lo || 1);
    const [r, g, bl] = diverging(Number.isFinite(p) ? p : 0.5);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = bl;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return canvas.toDataURL('image/png');
}

export function Boundary({
  title,
  chartId,
  data,
  points,
  size = 240,
}: {
  title: string;
  chartId: string;
  data: BoundaryData | null;
  points: PointsData | null;
  size?: number;
}) {
  const pad = 6;
  const top = 22;
  const S = size;
  const W = S + 2 * pad;
  const H = S + top + pad + 16;
  const extent = data?.extent ?? 1.2;
  const [lo, hi] = useMemo(() => {
    if (!data || data.kind === 'prob') return [0, 1];
    const ys = [...data.values, ...(points?.y ?? [])].filter(Number.isFinite);
    return ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1];
  }, [data, points]);
  const [href, setHref] = useState('');
  useEffect(() => {
    setHref(data && data.dims === 2 ? imageOf(data, lo, hi) : '');
  }, [data, lo, hi]);
  const sx = (v: number) => pad + ((v + extent) / (2 * extent)) * S;
  const sy = (v: number) => top + ((extent - v) / (2 * extent)) * S;
  const vy = (v: number) => top + S - ((v - lo) / (hi - lo || 1)) * S;
  const dims = data?.dims ?? 2;
  const color = (y: number) => {
    const [r, g, b] = diverging(data?.kind === 'value' ? (y - lo) / (hi - lo || 1) : y > 0.5 ? 0.92 : 0.08);
    return `rgb(${r},${g},${b})`;
  };
  const nPts = points ? points.y.length : 0;
  return (
    <div className="chart boundary" data-chart={chartId}>
      <ChartSvg
        width={W}
        height={H}
        title={title}
        label={`${title}: model output over the input ${dims === 2 ? 'plane' : 'line'} with the data points`}
      >
        <text x={pad} y={15} fontSize={12} fontWeight={600} fill="#1d2430">
          {title}
        </text>
        <rect x={pad} y={top} width={S} height={S} fill="#f4f5f7" stroke="#c9cfd6" />
        {href && (
          <image
            href={href}
            x={pad}
            y={top}
            width={S}
            height={S}
            preserveAspectRatio="none"
            style={{ imageRendering: 'pixelated' }}
            opacity={0.85}
          />
        )}
        {dims === 2 &&
          points &&
          Array.from({ length: nPts }, (_, i) => {
            const train = i < points.nTrain;
            return (
              <circle
                // biome-ignore lint/suspicious/noArrayIndexKey: points are positional
                key={i}
                cx={sx(points.x[2 * i])}
                cy={sy(points.x[2 * i + 1])}
                r={2.6}
                fill={color(points.y[i])}
                stroke={train ? '#ffffff' : '#1d2430'}
                strokeWidth={train ? 0.8 : 1}
              />
            );
          })}
        {dims === 1 && points && (
          <>
            {Array.from({ length: nPts }, (_, i) => (
              <circle
                // biome-ignore lint/suspicious/noArrayIndexKey: points are positional
                key={i}
                cx={sx(points.x[i])}
                cy={vy(points.y[i])}
                r={2}
                fill={i < points.nTrain ? '#5b6472' : '#1d2430'}
                opacity={0.6}
              />
            ))}
            {data && (
              <path
                d={data.values
                  .map((v, i) => `${i ? 'L' : 'M'}${sx(-extent + (2 * extent * i) / (data.n - 1)).toFixed(1)},${vy(v).toFixed(1)}`)
                  .join('')}
                fill="none"
                stroke="#D55E00"
                strokeWidth={2}
              />
            )}
          </>
        )}
        <text x={pad} y={H - 4} fill="#5b6472">
          {data?.kind === 'value' ? `output ${fmt(lo)} … ${fmt(hi)}` : 'blue 0 · orange 1 · dark ring: test point'}
        </text>
      </ChartSvg>
    </div>
  );
}
