/**
 * The web lab in a real browser: build packages/web with Vite, serve it with
 * `vite preview`, drive Debian's chromium with playwright-core, and check the
 * page's numbers against the engine run here in Node on the same spec and seed.
 *
 * The engine picks the relaxed-SIMD build of the wasm core when the runtime
 * validates it (Chromium does); Node 20 needs a V8 flag for it, set below before
 * any wasm is compiled, so both sides run the same kernels.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import '@reslab/engine/node';
import { type CheckJob, createBackend, parseRunSpec, type RunSpec, runJob, saveCheckpoint, train } from '@reslab/engine';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Preview, startPreview } from '../helpers/browser.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const here = dirname(fileURLToPath(import.meta.url));
const webDir = join(here, '..', '..', 'packages', 'web');
const artifacts = join(here, '..', 'artifacts', 'web');
const tmp = mkdtempSync(join(tmpdir(), 'reslab-web-'));
const outDir = join(tmp, 'dist');

let server: Preview | undefined;
let context: BrowserContext | undefined;
let base = '';
const errors: string[] = [];

async function open(query: string, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await context!.newPage();
  await page.setViewportSize(viewport);
  page.on('pageerror', (e) => errors.push(`${query}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${query}: console.${m.type()}: ${m.text()}`);
  });
  await page.goto(`${base}${query}`);
  await page.waitForSelector('h1');
  // the test hook is set by an effect after the first paint
  await page.waitForFunction(() => window.__reslab !== undefined);
  return page;
}

interface PageRun {
  spec: RunSpec;
  status: string;
  evals: Array<{ step: number; trainLoss: number; testLoss: number; testAcc: number | null }>;
}

const pageRuns = (page: Page): Promise<PageRun[]> =>
  page.evaluate(() =>
    (window.__reslab?.session.runs ?? []).map((r) => ({
      spec: r.spec,
      status: r.status,
      evals: r.evals.map((e) => ({ step: e.step, trainLoss: e.trainLoss, testLoss: e.testLoss, testAcc: e.testAcc })),
    })),
  );

async function trainToEnd(page: Page, n: number): Promise<void> {
  await page.waitForSelector('[data-action=play]:not([disabled])', { timeout: 30_000 });
  await page.click('[data-action=play]');
  await page.waitForFunction((k) => document.querySelectorAll('[data-testid=results] tr[data-status=done]').length === k, n, {
    timeout: 60_000,
  });
}

/** Relative difference, for numbers that should agree to float32 rounding. */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-12, Math.abs(b));

declare global {
  interface Window {
    __reslab?: {
      session: { runs: Array<{ spec: RunSpec; status: string; evals: PageRun['evals'] }> };
      state: () => Record<string, unknown>;
    };
  }
}

beforeAll(async () => {
  await build({ configFile: join(webDir, 'vite.config.ts'), root: webDir, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = await startPreview({ outDir, cwd: webDir, timeoutMs: 20_000 });
  base = server.url;
  context = await launchChromium(tmp);
  mkdirSync(artifacts, { recursive: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('the web lab in chromium', () => {
  let sharedUrl = '';
  let firstTable: string[] = [];

  it('configures two variants, trains them side by side, and shows the numbers the engine gives in Node', async () => {
    const page = await open('');
    // Configure through the controls: a small moons problem, then plain vs post-2.
    await page.selectOption('select[name=dataset]', 'moons');
    for (const [name, v] of [
      ['size', '400'],
      ['depth', '6'],
      ['width', '12'],
      ['steps', '60'],
      ['every', '20'],
      ['seed', '7'],
    ]) {
      await page.fill(`input[name=${name}]`, v);
    }
    await page.click('button[aria-label="Remove configuration post-2"]');
    await page.selectOption('select[name=skip1]', '2');
    // every change has reached the page's state and the link (the runs themselves load later, or when Train is pressed)
    const settled = { data: 'moons', size: '400', depth: '6', width: '12', steps: '60', every: '20', seed: '7', cfg: 'plain,post-2' };
    await page.waitForFunction((want) => {
      const q = new URLSearchParams(window.location.search);
      return Object.entries(want).every(([k, v]) => q.get(k) === v);
    }, settled);
    expect(await page.evaluate(() => window.__reslab!.state())).toMatchObject({
      seed: 7,
      depth: 6,
      width: 12,
      steps: 60,
      evalEvery: 20,
      data: { name: 'moons', size: 400 },
    });
    // the equation of the configured block is shown
    expect(await page.locator('[data-equation="1"]').textContent()).toContain('a ← g(W₂ g(W₁a + b₁) + b₂ + a)');

    await trainToEnd(page, 2);
    const runs = await pageRuns(page);
    expect(runs.map((r) => `${r.spec.model.block}-${r.spec.model.skip}`)).toEqual(['plain-1', 'post-2']);
    for (const r of runs) {
      expect(r.spec).toMatchObject({
        seed: 7,
        data: { name: 'moons', size: 400 },
        model: { depth: 6, width: 12 },
        train: { maxSteps: 60, evalEvery: 20 },
      });
    }

    // The same specs and seed, trained here in Node on the wasm backend.
    const node = [];
    for (const r of runs) node.push(await train(r.spec, { backend: 'wasm' }));
    const rows = page.locator('[data-testid=results] tbody tr');
    expect(await rows.count()).toBe(2);
    let exact = true;
    for (let i = 0; i < runs.length; i++) {
      const res = node[i];
      expect(res.status).toBe('ok');
      // the page adds a point at step 0 (the untrained net); every later evaluation must match Node's
      const evals = runs[i].evals.filter((e) => e.step > 0);
      expect(evals.map((e) => e.step)).toEqual(res.history.map((h) => h.step));
      evals.forEach((e, j) => {
        const h = res.history[j];
        exact &&= e.trainLoss === h.trainLoss && e.testLoss === h.testLoss;
        expect(rel(e.trainLoss, h.trainLoss), `train loss ${i}@${e.step}`).toBeLessThan(1e-4);
        expect(rel(e.testLoss, h.testLoss), `test loss ${i}@${e.step}`).toBeLessThan(1e-4);
        expect(e.testAcc).toBe(h.testAcc);
      });
      // the table and the curves show those numbers
      const row = rows.nth(i);
      expect(await row.getAttribute('data-step')).toBe('60');
      expect(rel(Number(await row.getAttribute('data-train-loss')), res.finalTrainLoss!)).toBeLessThan(1e-4);
      expect(Number(await row.getAttribute('data-test-acc'))).toBe(res.finalTestAcc);
      expect(await row.locator('td').nth(5).textContent()).toBe(`${(res.finalTestAcc! * 100).toFixed(1)}%`);
      const lossPath = page.locator(`[data-chart=loss] path[data-series="${i}"]`);
      expect(Number(await lossPath.getAttribute('data-points'))).toBe(4);
      expect(rel(Number(await lossPath.getAttribute('data-last-y')), res.finalTrainLoss!)).toBeLessThan(1e-4);
      const accPath = page.locator(`[data-chart=accuracy] path[data-series="${i}"]`);
      expect(Number(await accPath.getAttribute('data-last-y'))).toBe(res.finalTestAcc);
    }
    console.log(`web lab: page numbers ${exact ? 'bit-identical to' : 'within 1e-4 of'} Node's for plain and post-2`);
    // gradient heatmaps: one row per Linear layer, one column per evaluation (step 0 included)
    const heat = page.locator('[data-chart=grad-1] svg');
    expect(await heat.getAttribute('data-rows')).toBe(String(2 + 6));
    expect(await heat.getAttribute('data-cols')).toBe('4');

    sharedUrl = page.url();
    firstTable = await rows.evaluateAll((trs) =>
      trs.map((tr) => `${tr.getAttribute('data-train-loss')}|${tr.getAttribute('data-test-acc')}`),
    );
    await page.screenshot({ path: join(artifacts, 'train-laptop.png'), fullPage: true });
    await page.close();
  });

  it('folds post-1 into a plain net and shows the measured difference (identity and projection)', async () => {
    expect(sharedUrl, 'the link of the first test (which did not get that far)').not.toBe('');
    const page = await open(sharedUrl.slice(base.length));
    const fold = page.locator('[data-testid=fold]');
    await page.waitForSelector('[data-fold=projection]', { timeout: 60_000 });
    await page.waitForFunction(() => (window.__reslab?.session.runs.length ?? 0) > 0);
    const spec = (await pageRuns(page))[0].spec;
    for (const shortcut of ['identity', 'projection'] as const) {
      const row = fold.locator(`[data-fold=${shortcut}]`);
      const diff = Number(await row.getAttribute('data-max-diff'));
      const tol = Number(await row.getAttribute('data-tolerance'));
      const out = Number(await row.getAttribute('data-max-output'));
      expect(diff).toBeGreaterThanOrEqual(0);
      expect(diff).toBeLessThanOrEqual(tol);
      expect(await row.textContent()).toContain('the same function');
      // the same check run here: the post-1 net of the page's settings, trained min(100, steps) steps
      const s = parseRunSpec({
        ...spec,
        model: { ...spec.model, block: 'post', skip: 1, shortcut, norm: 'none', branchScale: 'none' },
        train: { ...spec.train, maxSteps: 60 },
      });
      const job: CheckJob = { kind: 'fold', id: shortcut, label: shortcut, trained: true, seed: s.seed, spec: s };
      const rec = await runJob(job, { study: 'test', backend: 'wasm' });
      expect(rec.fold).toBeTruthy();
      expect(rel(out, rec.fold!.maxAbsOutput)).toBeLessThan(1e-4);
      expect(rec.fold!.maxAbsDiff).toBeLessThanOrEqual(tol);
    }
    await fold.screenshot({ path: join(artifacts, 'fold.png') });
    await page.close();
  });

  it('a shared link restores the same experiment and the same numbers', async () => {
    expect(sharedUrl, 'the link of the first test (which did not get that far)').not.toBe('');
    const page = await open(sharedUrl.slice(base.length));
    const state = await page.evaluate(() => window.__reslab!.state());
    expect(state).toMatchObject({ seed: 7, depth: 6, width: 12, steps: 60, evalEvery: 20, data: { name: 'moons', size: 400 } });
    expect((state.configs as Array<{ block: string; skip: number }>).map((c) => `${c.block}-${c.skip}`)).toEqual(['plain-1', 'post-2']);
    expect(await page.inputValue('input[name=depth]')).toBe('6');
    await trainToEnd(page, 2);
    const table = await page
      .locator('[data-testid=results] tbody tr')
      .evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute('data-train-loss')}|${tr.getAttribute('data-test-acc')}`));
    expect(table).toEqual(firstTable);

    // exports: the results as CSV, the loss chart as SVG and as PNG
    const download = async (click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> => {
      const [d] = await Promise.all([page.waitForEvent('download'), click()]);
      const path = join(tmp, d.suggestedFilename());
      await d.saveAs(path);
      return { name: d.suggestedFilename(), bytes: readFileSync(path) };
    };
    const csv = await download(() => page.click('text=Export CSV'));
    expect(csv.name).toBe('reslab-results-seed7.csv');
    const lines = csv.bytes.toString('utf8').trim().split('\n');
    expect(lines[0]).toBe('config,variant,params,step,train_loss,test_loss,train_acc,test_acc,status,diverged_at,time_ms');
    expect(lines.slice(1).map((l) => l.split(',')[4])).toEqual(firstTable.map((t) => t.split('|')[0]));
    const svg = await download(() => page.click('button[aria-label="Download loss as SVG"]'));
    expect(svg.name).toBe('loss.svg');
    expect(svg.bytes.toString('utf8')).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*Training loss[\s\S]*<\/svg>$/);
    const png = await download(() => page.click('button[aria-label="Download loss as PNG"]'));
    expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.bytes.length).toBeGreaterThan(5000);
    await page.close();
  });

  it('Train pressed in the same moment as a change trains the changed settings', async () => {
    expect(sharedUrl, 'the link of the first test (which did not get that far)').not.toBe('');
    const page = await open(sharedUrl.slice(base.length));
    // the runs of the link's settings are loaded (paused at step 0)
    await page.waitForFunction(() => window.__reslab!.session.runs.some((r) => r.status === 'ready'));
    // change the seed and press Train in one go (no time for the page's delayed reload in between)
    const seeds = await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('input[name=seed]')!;
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, '8');
      input.dispatchEvent(new Event('input', { bubbles: true }));
      document.querySelector<HTMLButtonElement>('[data-action=play]')!.click();
      return window.__reslab!.session.runs.map((r) => r.spec.seed);
    });
    expect(seeds).toEqual([8, 8]);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=results] tr[data-status=done]').length === 2, null, {
      timeout: 60_000,
    });
    const runs = await pageRuns(page);
    expect(runs.map((r) => r.spec.seed)).toEqual([8, 8]);
    expect(runs.every((r) => r.evals.at(-1)?.step === 60)).toBe(true);
    expect(new URLSearchParams(new URL(page.url()).search).get('seed')).toBe('8');
    await page.close();
  });

  it('a broken link falls back to the defaults with a visible note', async () => {
    const page = await open('?v=1&depth=abc&cfg=post-2,nonsense');
    const note = page.locator('[data-testid=url-note]');
    await note.waitFor();
    const text = await note.textContent();
    expect(text).toContain('could not be used');
    expect(text).toContain("depth 'abc' is not a number");
    expect(await page.locator('[data-config]').count()).toBe(3);
    expect(await page.inputValue('input[name=depth]')).toBe('12');
    await page.screenshot({ path: join(artifacts, 'broken-url.png') });
    await page.close();
  });

  it('trains on MNIST digits (the data file served with the page) and shows predictions', async () => {
    const q = '?data=mnist&size=300&split=0.8&depth=2&width=16&steps=10&every=5&batch=32&seed=3&cfg=post-1';
    const page = await open(q);
    await trainToEnd(page, 1);
    const [run] = await pageRuns(page);
    const res = await train(run.spec, { backend: 'wasm' });
    const row = page.locator('[data-testid=results] tbody tr').first();
    expect(rel(Number(await row.getAttribute('data-train-loss')), res.finalTrainLoss!)).toBeLessThan(1e-4);
    expect(Number(await row.getAttribute('data-test-acc'))).toBe(res.finalTestAcc);
    const digits = page.locator('table.digits tbody tr');
    expect(await digits.count()).toBe(12);
    expect(await digits.first().locator('td').first().textContent()).toMatch(/^\d/);
    await page.screenshot({ path: join(artifacts, 'mnist.png'), fullPage: true });
    await page.close();
  });

  it('runs the skip study at the browser budget with progress and a computed verdict', async () => {
    const page = await open('?tab=studies&study=skip');
    await page.click('[data-action=run-study]');
    const progress = page.locator('[data-testid=study-progress]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=study-progress]')?.getAttribute('data-done')) >= 3, null, {
      timeout: 60_000,
    });
    await page.click('[data-action=stop-study]');
    expect(Number(await progress.getAttribute('data-total'))).toBeGreaterThan(3);
    const verdict = page.locator('[data-testid=verdict]');
    await verdict.waitFor();
    expect(await verdict.locator('li').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, 'studies.png'), fullPage: true });

    // a user-written study file (the `reslab sweep --grid` format) runs the same way
    const file = join(tmp, 'my-study.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'mine',
        base: { model: { depth: 4 }, train: { maxSteps: 40, evalEvery: 20 }, data: { name: 'moons', size: 300 } },
        grid: { variant: ['plain', 'post-2'], 'model.width': [8, 16] },
        seeds: 1,
        lrGrid: [0.003],
        lrSearch: { extend: false },
      }),
    );
    await page.setInputFiles('.file-chip input', file);
    await page.click('[data-action=run-study]');
    await page.waitForFunction(() => {
      const p = document.querySelector('[data-testid=study-progress]');
      return p?.getAttribute('data-total') === '4' && p.getAttribute('data-done') === '4';
    });
    expect((await verdict.locator('li').allTextContents()).join('\n')).toMatch(/plain\/width=8/);
    writeFileSync(file, JSON.stringify({ grid: { 'model.depht': [2] } }));
    await page.setInputFiles('.file-chip input', file);
    expect(await page.locator('.studies [role=alert]').textContent()).toContain('depht');
    await page.close();
  });

  it('inspects a checkpoint saved the way the CLI saves it', async () => {
    const spec = parseRunSpec({
      seed: 5,
      data: { name: 'circle', size: 300 },
      model: { block: 'post', skip: 1, depth: 4, width: 8 },
      train: { lr: 0.01, maxSteps: 40, batchSize: 32 },
    });
    const b = await createBackend('wasm');
    const res = await train(spec, { backend: b, keepModel: true });
    const file = join(tmp, 'post1.json');
    writeFileSync(file, JSON.stringify(saveCheckpoint(res.model!, spec, res.model!.io)));
    const page = await open('?tab=checkpoint');
    await page.setInputFiles('#ckpt-file', file);
    const info = page.locator('[data-testid=checkpoint-info]');
    await info.waitFor({ timeout: 30_000 });
    expect(Number(await info.getAttribute('data-params'))).toBe(res.params);
    expect(Number(await page.locator('[data-testid=ckpt-test-acc]').getAttribute('data-value'))).toBe(res.finalTestAcc);
    const fold = page.locator('[data-testid=ckpt-fold]');
    expect(Number(await fold.getAttribute('data-max-diff'))).toBeLessThanOrEqual(Number(await fold.getAttribute('data-tolerance')));
    await page.screenshot({ path: join(artifacts, 'checkpoint.png'), fullPage: true });

    writeFileSync(join(tmp, 'bad.json'), '{"format":"something-else"}');
    await page.setInputFiles('#ckpt-file', join(tmp, 'bad.json'));
    await page.locator('[data-testid=checkpoint] [role=alert]').waitFor();
    expect(await page.locator('[data-testid=checkpoint] [role=alert]').textContent()).toContain("format is 'something-else'");
    await page.close();
  });

  it('fits a phone-sized screen, and nothing logged an error', async () => {
    expect(sharedUrl, 'the link of the first test (which did not get that far)').not.toBe('');
    const page = await open(sharedUrl.slice(base.length), { width: 390, height: 844 });
    await page.waitForSelector('[data-action=play]:not([disabled])');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // keyboard: the train button is reachable with Tab
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-action') === 'play');
    }
    expect(reached).toBe(true);
    await page.screenshot({ path: join(artifacts, 'train-phone.png'), fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });
});
