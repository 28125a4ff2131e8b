/** Colour only on a TTY, never with NO_COLOR (https://no-color.org), forced by FORCE_COLOR. */
import pc from 'picocolors';

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export type Colors = ReturnType<typeof pc.createColors>;
export const colors = (enabled = colorEnabled()): Colors => pc.createColors(enabled);
