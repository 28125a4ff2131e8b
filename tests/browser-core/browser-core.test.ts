/**
 * The wasm core in a real browser: a Vite-built page (tests/browser-core/page) loads
 * @reslab/core-wasm, runs gemm cases in the page and in a module Web Worker, and the numbers
 * must equal the TypeScript reference computed here in Node (inputs are exact in float32).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReferenceKernels } from '@reslab/core-wasm';
import { build } from 'vite';
import { afterAll, expect, it } from 'vitest';
import { launchChromium, type Preview, startPreview } from '../helpers/browser.js';
import { CASES } from './page/cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const pageDir = join(here, 'page');
const artifacts = join(here, '..', 'artifacts');
const tmp = mkdtempSync(join(tmpdir(), 'reslab-browser-core-'));
let server: Preview | undefined;

afterAll(() => {
  server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** C computed by the TypeScript reference in float32 memory. */
function reference(c: (typeof CASES)[number]): number[] {
  const buf = new ArrayBuffer((c.a.length + c.b.length + c.M * c.N + 4) * 4);
  const f = new Float32Array(buf);
  const a = 4; // byte offsets; 0 would mean "absent"
  const b = a + c.a.length * 4;
  const out = b + c.b.length * 4;
  f.set(c.a, a / 4);
  f.set(c.b, b / 4);
  f.set(c.beta === 0 ? new Array(c.M * c.N).fill(Number.NaN) : c.c, out / 4);
  const k = createReferenceKernels({ f: () => f, i32: () => new Int32Array(buf) });
  k.gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, a, b, c.beta, out);
  return Array.from(f.subarray(out / 4, out / 4 + c.M * c.N));
}

interface PageResult {
  ok: boolean;
  error?: string;
  page: { relaxed: boolean; results: Record<string, number[]> };
  worker: { ok: boolean; error?: string; relaxed: boolean; results: Record<string, number[]> };
}

it('the wasm core loads and computes gemm in a Vite-built page and its module worker (chromium)', async () => {
  const outDir = join(tmp, 'dist');
  await build({ configFile: join(pageDir, 'vite.config.ts'), root: pageDir, build: { outDir, emptyOutDir: true } });

  server = await startPreview({ outDir, root: pageDir, config: join(pageDir, 'vite.config.ts'), timeoutMs: 15_000 });
  const url = server.url;

  const context = await launchChromium(tmp);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url);
    await page.waitForFunction(() => (window as { __result?: unknown }).__result !== undefined, undefined, { timeout: 30_000 });
    const result = (await page.evaluate(() => (window as { __result?: unknown }).__result)) as PageResult;
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'browser-core.png') });

    expect(errors).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.worker.ok).toBe(true);
    // Chromium validates relaxed SIMD, so 'auto' must pick the relaxed build there.
    expect(result.page.relaxed).toBe(true);
    for (const c of CASES) {
      const ref = reference(c);
      expect(ref.every(Number.isFinite)).toBe(true);
      expect(result.page.results[c.name], `page ${c.name}`).toEqual(ref);
      expect(result.worker.results[c.name], `worker ${c.name}`).toEqual(ref);
    }
  } finally {
    await context.close();
    server.stop();
  }
});
