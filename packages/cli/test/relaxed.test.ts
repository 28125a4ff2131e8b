/**
 * The CLI turns on relaxed SIMD (Node 20: the V8 flag --experimental-wasm-relaxed-simd, set before any wasm
 * is compiled) so the engine picks the relaxed build of the core in the main thread and in every worker
 * thread; RESLAB_RELAXED_SIMD=0 keeps the plain SIMD build. Each case runs in a fresh Node process, as the CLI starts.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/relaxed.js', import.meta.url));
const cwd = fileURLToPath(new URL('..', import.meta.url));

function probe(env: Record<string, string>, nodeFlags: string[] = []): { before: boolean; after: boolean; main: boolean; worker: boolean } {
  const code = `
const { relaxedSimdSupported, createBackend } = await import('@reslab/engine');
const before = relaxedSimdSupported();
const { enableRelaxedSimd } = await import(${JSON.stringify(dist)});
const after = enableRelaxedSimd();
const main = (await createBackend('wasm')).relaxedSimd;
const { Worker } = await import('node:worker_threads');
const w = new Worker("const { parentPort } = await import('node:worker_threads'); const e = await import('@reslab/engine'); parentPort.postMessage((await e.createBackend('wasm')).relaxedSimd);", { eval: true });
w.once('message', (worker) => { console.log(JSON.stringify({ before, after, main, worker })); w.terminate(); });`;
  const p = spawnSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', code], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  expect(p.stderr).toBe('');
  expect(p.status).toBe(0);
  return JSON.parse(p.stdout);
}

describe('relaxed SIMD in the CLI', () => {
  it('is switched on for the main thread and the worker threads', () => {
    const r = probe({});
    expect(r.after).toBe(true);
    expect(r.main).toBe(true);
    expect(r.worker).toBe(true);
  });

  it('RESLAB_RELAXED_SIMD=0 keeps the plain SIMD build where the runtime needs the flag', () => {
    const r = probe({ RESLAB_RELAXED_SIMD: '0' });
    // Node 22+ runs relaxed SIMD without a flag: then there is nothing to switch off
    expect(r.after).toBe(r.before);
    expect(r.main).toBe(r.before);
    expect(r.worker).toBe(r.before);
  });

  it('under the V8 flag given on the command line, the engine picks the relaxed build', () => {
    const r = probe({ RESLAB_RELAXED_SIMD: '0' }, ['--experimental-wasm-relaxed-simd']);
    expect(r.before).toBe(true);
    expect(r.main).toBe(true);
    expect(r.worker).toBe(true);
  });
});
