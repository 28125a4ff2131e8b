/**
 * The frame every chart draws in: a self-contained SVG (namespace, size, font, accessible
 * name, <title>, white background) so that ChartBox can export it as it is shown.
 */
import type { ReactNode, SVGProps } from 'react';

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';

export interface ChartSvgProps extends Omit<SVGProps<SVGSVGElement>, 'width' | 'height' | 'title'> {
  width: number;
  height: number;
  /** the chart's title (the SVG <title>). */
  title: string;
  /** the accessible name (aria-label): what the chart shows. */
  label: string;
  fontSize?: number;
  children?: ReactNode;
}

export function ChartSvg({ width, height, title, label, fontSize = 11, children, ...rest }: ChartSvgProps) {
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      fontFamily={FONT}
      fontSize={fontSize}
      role="img"
      aria-label={label}
      {...rest}
    >
      <title>{title}</title>
      <rect x={0} y={0} width={width} height={height} fill="#ffffff" />
      {children}
    </svg>
  );
}
