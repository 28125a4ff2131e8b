/**
 * The engine's README is documentation for programmers: every ```js block in it is a whole program that must
 * run (its own assertions included) against the built engine, so an API change cannot leave it stale.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const README = join(here, '..', '..', 'packages', 'engine', 'README.md');
const ROOT_README = join(here, '..', '..', 'README.md');

/** The ```js blocks of a markdown text, with the heading they sit under. */
export function jsBlocks(md: string): Array<{ heading: string; code: string }> {
  const out: Array<{ heading: string; code: string }> = [];
  let heading = '';
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (h) heading = h[1];
    if (lines[i].trim() !== '```js') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    if (end === lines.length) throw new Error(`README: the js block at line ${i + 1} is not closed`);
    out.push({ heading, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

describe('the engine README', () => {
  const blocks = jsBlocks(readFileSync(README, 'utf8'));

  it('has its examples (the parser finds every js block)', () => {
    expect(blocks.map((b) => b.heading)).toEqual([
      'Train a network from a spec',
      'Tensors and autograd',
      'Your own training loop',
      'The fold: a one-layer skip is a re-parametrised plain layer',
      'Run a study from code',
    ]);
  });

  for (const b of blocks) {
    it(`example "${b.heading}" runs and its assertions hold`, () => {
      // run from this workspace, where '@reslab/engine' resolves like in any package that depends on it
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', b.code], { cwd: here, encoding: 'utf8', timeout: 120_000 });
      expect(r.stderr, `example "${b.heading}" failed`).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
    });
  }

  it("the root README's library example runs", () => {
    const root = jsBlocks(readFileSync(ROOT_README, 'utf8'));
    expect(root.map((b) => b.heading)).toEqual(['The engine as a library']);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', root[0].code], { cwd: here, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ok 0\.\d+/);
  });

  it('a broken example fails the test (the harness sees assertion errors)', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', "import assert from 'node:assert/strict'; assert.equal(1, 2);"], {
      cwd: here,
      encoding: 'utf8',
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/AssertionError/);
  });
});
