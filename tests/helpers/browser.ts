/**
 * Plumbing for the tests that drive a real browser: a free local port, a `vite preview`
 * server for a built page, and Debian's chromium with the flags every browser test uses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

async function waitForServer(url: string, proc: ChildProcess, log: () => string, attempts: number): Promise<void> {
  for (let i = 0; i < attempts; i++) {
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

export interface PreviewOptions {
  /** The folder `vite build` wrote. */
  outDir: string;
  /** Working directory of the server (its project root unless `root` is given). */
  cwd?: string;
  /** Project root passed on the command line. */
  root?: string;
  /** Vite config file passed with --config. */
  config?: string;
  /** How long to wait for the first answer, in ms (polled every 100 ms). */
  timeoutMs?: number;
}

export interface Preview {
  /** http://127.0.0.1:<port>/ */
  url: string;
  process: ChildProcess;
  /** Stop the server if it still runs. */
  stop(): void;
}

/**
 * Serve a Vite build with `vite preview` on a free port and wait until it answers.
 * Node runs vite.js directly (killing `npx` would leave the server running).
 */
export async function startPreview(opts: PreviewOptions): Promise<Preview> {
  const port = await freePort();
  const viteBin = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  const args = [viteBin, 'preview'];
  if (opts.root !== undefined) args.push(opts.root);
  if (opts.config !== undefined) args.push('--config', opts.config);
  args.push('--outDir', opts.outDir, '--port', String(port), '--strictPort', '--host', '127.0.0.1');
  const proc = spawn(process.execPath, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  const stop = () => {
    if (proc.exitCode === null) proc.kill();
  };
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitForServer(url, proc, () => log, Math.ceil((opts.timeoutMs ?? 15_000) / 100));
  } catch (e) {
    stop();
    throw e;
  }
  return { url, process: proc, stop };
}

/** Headless chromium (CHROMIUM_PATH or Debian's) with a fresh profile folder made inside `tmpDir`. */
export function launchChromium(tmpDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpDir, 'profile-')), {
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
}
