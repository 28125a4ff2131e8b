import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests run against core-wasm's sources (its generated wasm module included), so no build is needed.
  resolve: { alias: { '@reslab/core-wasm': fileURLToPath(new URL('../core-wasm/src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
