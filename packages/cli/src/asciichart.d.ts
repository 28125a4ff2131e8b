declare module 'asciichart' {
  export interface PlotConfig {
    height?: number;
    offset?: number;
    padding?: string;
    min?: number;
    max?: number;
    colors?: string[];
    format?: (x: number, i: number) => string;
    symbols?: string[];
  }
  export function plot(series: number[] | number[][], config?: PlotConfig): string;
  export const black: string;
  export const red: string;
  export const green: string;
  export const yellow: string;
  export const blue: string;
  export const magenta: string;
  export const cyan: string;
  export const lightgray: string;
  export const darkgray: string;
  export const lightred: string;
  export const lightgreen: string;
  export const lightyellow: string;
  export const lightblue: string;
  export const lightmagenta: string;
  export const lightcyan: string;
  export const white: string;
  export const reset: string;
  const asciichart: {
    plot: typeof plot;
    red: string;
    green: string;
    yellow: string;
    blue: string;
    magenta: string;
    cyan: string;
    lightgray: string;
    darkgray: string;
    lightred: string;
    lightgreen: string;
    lightblue: string;
    lightmagenta: string;
    reset: string;
  };
  export default asciichart;
}
