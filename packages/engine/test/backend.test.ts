import { KERNEL_NAMES } from '@reslab/core-wasm';
import { describe, expect, it } from 'vitest';
import { BACKEND_KINDS, createBackend } from '../src/backend.js';

describe('backends', () => {
  it.each(BACKEND_KINDS)('%s implements every kernel of the ABI', async (kind) => {
    const b = await createBackend(kind);
    for (const name of ['heapBase', ...KERNEL_NAMES])
      expect(typeof (b.k as unknown as Record<string, unknown>)[name], name).toBe('function');
    expect(b.bytes).toBe(kind === 'js64' ? 8 : 4);
  });

  it.each(BACKEND_KINDS)('%s: arena resets, persistent survives, memory grows with views re-derived', async (kind) => {
    const b = await createBackend(kind);
    const p = b.allocPersistent(4);
    b.write(p, [1, 2, 3, 4]);
    const a1 = b.alloc(10);
    b.resetArena();
    const a2 = b.alloc(10);
    expect(a2).toBe(a1);
    // force growth well past the initial size
    const big = b.alloc(8_000_000);
    b.k.fill(big, 2.5, 8_000_000);
    expect(b.read(big + b.bytes * 7_999_990, 2)).toEqual([2.5, 2.5]);
    expect(b.read(p, 4)).toEqual([1, 2, 3, 4]);
    expect(b.usage().capacity).toBeGreaterThanOrEqual(8_000_000 * b.bytes);
    const m = b.mark();
    b.allocPersistent(100);
    b.release(m);
    expect(b.mark()).toBe(m);
    expect(() => b.release(m + 1_000_000_000)).toThrow(/invalid mark/);
  });

  it('rejects an unknown kind with a clear message', async () => {
    await expect(createBackend('gpu' as never)).rejects.toThrow(/unknown backend 'gpu'/);
  });
});

describe('entry points', () => {
  it('the main entry publishes the engine, not what its ops are made of', async () => {
    const api = await import('../src/index.js');
    for (const name of ['train', 'createBackend', 'Tensor', 'linear', 'batchNorm', 'runJob', 'analyzeStudy', 'STUDIES'])
      expect(api, name).toHaveProperty(name);
    for (const name of ['reuseNode', 'passGrad', 'gradAcc', 'record', 'recordList', 'OpNode', 'Tape', 'shape2', 'dims2'])
      expect(api, name).not.toHaveProperty(name);
  });

  it('the main entry imports nothing from Node built-ins (only src/node/ may)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = new URL('../src/', import.meta.url).pathname;
    const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.startsWith('node'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) => /from ['"](node:|fs['"]|path['"]|os['"])/.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
