/**
 * The wasm core in a real browser: a Vite-built page (tests/browser-core/page) loads
 * @reslab/core-wasm, runs gemm cases in the page and in a module Web Worker, and the numbers
 * must equal the TypeScript reference computed here in Node (inputs are exact in float32).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createReferenceKernels } from '@reslab/core-wasm';
import { chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, expect, it } from 'vitest';
import { CASES } from './page/cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const pageDir = join(here, 'page');
const artifacts = join(here, '..', 'artifacts');
const tmp = mkdtempSync(join(tmpdir(), 'reslab-browser-core-'));
let server: ChildProcess | undefined;

afterAll(() => {
  if (server && server.exitCode === null) server.kill();
  rmSync(tmp, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForServer(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`vite preview exited with ${proc.exitCode}: ${log()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`vite preview did not answer at ${url}: ${log()}`);
}

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

  const port = await freePort();
  const viteBin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  let log = '';
  server = spawn(
    process.execPath,
    [
      viteBin,
      'preview',
      pageDir,
      '--config',
      join(pageDir, 'vite.config.ts'),
      '--outDir',
      outDir,
      '--port',
      String(port),
      '--strictPort',
      '--host',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout?.on('data', (d) => (log += d));
  server.stderr?.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}/`;
  await waitForServer(url, server, () => log);

  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmp, 'profile-')), {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
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
    server.kill();
  }
});
