/**
 * Result folders: atomic file writes (temporary name, then rename), an
 * append-only results.jsonl (one line per finished job, written with one
 * write call; a torn last line from a crash is ignored when reading), and the
 * default folder name.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

export const RESULTS_FILE = 'results.jsonl';
export const STUDY_FILE = 'study.json';
export const REPORT_FILE = 'report.html';
export const TABLE_FILE = 'table.csv';
export const RUNS_FILE = 'runs.csv';
export const SUMMARY_FILE = 'summary.json';

const stamp = (d: Date): string => {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
};

/** --out, or a fresh timestamped folder under ./reslab-results/. */
export function chooseOutDir(out: string | undefined, name: string): string {
  if (out) return resolve(out);
  const base = resolve('reslab-results', `${name}-${stamp(new Date())}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/**
 * Create a folder and its missing parents one level at a time. Not `mkdirSync(dir, { recursive: true })`: under
 * pseudo file systems such as /proc, Node 20's recursive mkdir loops forever instead of failing. A level that
 * another process (a parallel shard) creates at the same moment is fine.
 */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(p).isDirectory()) throw e;
    }
  }
}

/** Create the folder and prove it is writable, or fail with one clear line (exit 2). */
export function ensureWritableDir(dir: string, flag = '--out'): void {
  const probe = join(dir, `.reslab-probe-${process.pid}`);
  try {
    makeDirs(dir);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? 'a file is in the way'
          : code === 'EROFS'
            ? 'read-only file system'
            : code === 'ENOENT'
              ? 'this file system does not allow creating it'
              : code;
    throw new UsageError(`cannot write to output folder '${dir}' (${why}): choose a writable folder with ${flag}`);
  }
}

/** Write a whole file atomically: readers see the old or the new content, never a mix. */
export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export const writeJsonAtomic = (path: string, v: unknown): void => writeAtomic(path, `${JSON.stringify(v, null, 2)}\n`);

/** Append one record as one line (one write call). */
export function appendJsonLine(path: string, v: unknown): void {
  appendFileSync(path, `${JSON.stringify(v)}\n`);
}

/** Read a JSON Lines file; a torn last line (interrupted write) is dropped, a bad line elsewhere is an error. */
export function readJsonLines<T>(path: string): T[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines = text.split('\n');
  const out: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) continue;
    try {
      out.push(JSON.parse(l) as T);
    } catch {
      const isLast = lines.slice(i + 1).every((x) => !x.trim());
      if (isLast) break;
      throw new UsageError(`${path}: line ${i + 1} is not valid JSON (the file is damaged)`);
    }
  }
  return out;
}

/** Read and parse a JSON file given by the user, with one-line errors. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (code ?? 'error');
    throw new UsageError(`cannot read ${what} '${path}': ${why}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} '${path}' is not valid JSON: ${(e as Error).message}`);
  }
}
