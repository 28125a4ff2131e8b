/** A chart with its export buttons (SVG, PNG). */
import { type ReactNode, useRef, useState } from 'react';
import { download, downloadText, svgString, svgToPng } from '../export';

export function ChartBox({ name, children, className }: { name: string; children: ReactNode; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [err, setErr] = useState<string | null>(null);
  const svg = () => ref.current?.querySelector('svg') ?? null;
  const asSvg = () => {
    const s = svg();
    if (s) downloadText(`${name}.svg`, svgString(s), 'image/svg+xml');
  };
  const asPng = async () => {
    const s = svg();
    if (!s) return;
    try {
      setErr(null);
      download(`${name}.png`, await svgToPng(s));
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  return (
    <figure className={`chartbox ${className ?? ''}`}>
      <div ref={ref}>{children}</div>
      <figcaption className="chart-actions">
        <button type="button" className="link" onClick={asSvg} aria-label={`Download ${name} as SVG`}>
          SVG
        </button>
        <button type="button" className="link" onClick={asPng} aria-label={`Download ${name} as PNG`}>
          PNG
        </button>
        {err && <span className="error">{err}</span>}
      </figcaption>
    </figure>
  );
}
