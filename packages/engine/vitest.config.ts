import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
// Tests run against core-wasm's sources (no build needed); a shim stands in until its index exists.
const core = existsSync(here('../core-wasm/src/index.ts')) ? here('../core-wasm/src/index.ts') : here('test/helpers/core-shim.ts');

export default defineConfig({
  resolve: { alias: { '@reslab/core-wasm': core } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
