import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRecord } from '@reslab/engine';

export const BIN = fileURLToPath(new URL('../../packages/cli/bin/reslab.js', import.meta.url));
export const DIST = fileURLToPath(new URL('../../packages/cli/dist/index.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const env = (extra: Record<string, string> = {}) => ({ ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra });

/** Run the built CLI as a subprocess (no TTY: plain progress lines, no colour). */
export function reslab(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Run {
  if (!existsSync(DIST)) throw new Error(`build the CLI first (npm run build): ${DIST} is missing`);
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? tmp(),
    env: env(opts.env),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function reslabAsync(args: string[], opts: { cwd?: string } = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? tmp(), env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
}

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'reslab-e2e-'));

export const jsonLines = (path: string): JobRecord[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

/** The numbers of a results.jsonl that must not depend on workers or interruptions (no timings). */
export function numbers(records: JobRecord[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of records) {
    out[r.id] = {
      status: r.result?.status ?? null,
      final: r.result ? [r.result.finalTrainLoss, r.result.finalTestLoss, r.result.finalTestAcc] : null,
      losses: r.result?.history.map((h) => h.trainLoss) ?? null,
      grads: r.result?.init.gradNorms ?? null,
      fold: r.fold ? [r.fold.maxAbsDiff, r.fold.maxAbsOutput] : null,
    };
  }
  return out;
}
