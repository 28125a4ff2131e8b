/** Grouped bars with min–max whiskers (e.g. test accuracy per activation, one bar per variant). SVG, exportable. */
import { ChartSvg } from './ChartSvg';
import { fmt } from './scale';
import { useWidth } from './useWidth';

export interface Bar {
  key: string;
  label: string;
  color: string;
  /** null: no value (the cell failed or did not run). */
  value: number | null;
  lo?: number | null;
  hi?: number | null;
  note?: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export function BarChart({
  title,
  chartId,
  groups,
  yLabel,
  yMax,
  yFormat = fmt,
  height = 240,
}: {
  title: string;
  chartId: string;
  groups: BarGroup[];
  yLabel: string;
  yMax?: number;
  yFormat?: (v: number) => string;
  height?: number;
}) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const legend = groups[0]?.bars ?? [];
  const W = Math.max(260, width);
  const items: Array<{ b: Bar; x: number; row: number }> = [];
  let lx = 0;
  let rows = legend.length ? 1 : 0;
  for (const b of legend) {
    const w = 26 + b.label.length * 6.6;
    if (lx > 0 && 50 + lx + w > W) {
      rows++;
      lx = 0;
    }
    items.push({ b, x: lx, row: rows - 1 });
    lx += w;
  }
  const H = height + rows * 16;
  const top = yMax ?? Math.max(1e-9, ...groups.flatMap((g) => g.bars.map((b) => Math.max(b.hi ?? 0, b.value ?? 0)))) * 1.08;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => t * top);
  const m = { top: 28 + rows * 16, right: 10, bottom: 34, left: 28 + 6.2 * Math.max(...ticks.map((t) => yFormat(t).length)) };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const y = (v: number) => m.top + ph - (Math.max(0, v) / top) * ph;
  const gw = pw / Math.max(1, groups.length);
  const bw = Math.min(26, (gw * 0.8) / Math.max(1, legend.length));
  return (
    <div ref={ref} className="chart" data-chart={chartId}>
      <ChartSvg width={W} height={H} title={title} label={title}>
        <text x={m.left} y={15} fontSize={13} fontWeight={600} fill="#1d2430">
          {title}
        </text>
        {items.map(({ b, x, row }) => {
          return (
            <g key={b.key} transform={`translate(${m.left + x},${32 + row * 16})`}>
              <rect x={0} y={-9} width={12} height={10} fill={b.color} />
              <text x={16} y={0} fill="#2b3340">
                {b.label}
              </text>
            </g>
          );
        })}
        {ticks.map((t) => (
          <g key={t}>
            <line x1={m.left} x2={m.left + pw} y1={y(t)} y2={y(t)} stroke="#e6e9ee" />
            <text x={m.left - 6} y={y(t) + 4} textAnchor="end" fill="#5b6472">
              {yFormat(t)}
            </text>
          </g>
        ))}
        <text transform={`translate(12,${m.top + ph / 2}) rotate(-90)`} textAnchor="middle" fill="#2b3340">
          {yLabel}
        </text>
        {groups.map((g, gi) => {
          const x0 = m.left + gi * gw + (gw - bw * g.bars.length) / 2;
          return (
            <g key={g.label}>
              {g.bars.map((b, bi) => {
                const x = x0 + bi * bw;
                const tip = `${g.label} · ${b.label}: ${b.value === null ? (b.note ?? 'no value') : yFormat(b.value)}${b.lo != null && b.hi != null ? ` [${yFormat(b.lo)} – ${yFormat(b.hi)}]` : ''}`;
                return (
                  <g key={b.key} data-bar={`${g.label}/${b.key}`} data-value={b.value ?? ''}>
                    <title>{tip}</title>
                    {b.value === null ? (
                      <text x={x + bw / 2} y={m.top + ph - 4} textAnchor="middle" fill="#b00020" fontWeight={600}>
                        ✕
                      </text>
                    ) : (
                      <rect x={x + 1} y={y(b.value)} width={bw - 2} height={m.top + ph - y(b.value)} fill={b.color} />
                    )}
                    {b.lo != null && b.hi != null && b.value !== null && (
                      <path
                        d={`M${x + bw / 2},${y(b.lo)}V${y(b.hi)}M${x + bw / 2 - 3},${y(b.lo)}h6M${x + bw / 2 - 3},${y(b.hi)}h6`}
                        stroke="#1d2430"
                        strokeWidth={1}
                      />
                    )}
                  </g>
                );
              })}
              <text x={m.left + gi * gw + gw / 2} y={m.top + ph + 16} textAnchor="middle" fill="#2b3340">
                {g.label}
              </text>
            </g>
          );
        })}
        <line x1={m.left} x2={m.left + pw} y1={m.top + ph} y2={m.top + ph} stroke="#8a93a0" />
        <text x={W - m.right} y={H - 4} textAnchor="end" fill="#5b6472">
          bars: median over seeds · whiskers: min–max · ✕: failed or diverged
        </text>
      </ChartSvg>
    </div>
  );
}
