/**
 * Shards: `--shard i/N` runs a deterministic share of a study's jobs, so a grid
 * can be spread over the machines of a batch scheduler (a Slurm job array, a
 * Kubernetes Indexed Job) and put back together with `reslab merge`.
 *
 * The share depends on the plan only: the grid cells (and the checks) are
 * sorted by their stable key and dealt round-robin, cell k of the sorted list
 * going to shard (k mod N) + 1, with all of its jobs. A cell stays whole because
 * its learning-rate search needs every run of the cell to decide which rates and
 * seeds run next; neighbours in key order land on different shards, which
 * spreads the expensive cells evenly.
 */
import type { Job } from '@reslab/engine';
import { type Command, InvalidArgumentError } from 'commander';

export interface Shard {
  /** 1-based */
  index: number;
  count: number;
}

/** What study.json records about a shard folder. */
export interface ShardRecord extends Shard {
  /** the ids of this shard's jobs, in plan order */
  jobs: string[];
  /** jobs in the whole plan */
  planJobs: number;
}

export const MAX_SHARDS = 100_000;

/** '2/8' -> { index: 2, count: 8 }; anything else is a one-line error (exit 2). */
export function parseShard(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  if (!m) throw new InvalidArgumentError(`--shard takes i/N with 1 <= i <= N (e.g. 2/8), got '${v}'.`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new InvalidArgumentError(`--shard: N must be in 1..${MAX_SHARDS}, got '${v}'.`);
  if (index < 1 || index > count)
    throw new InvalidArgumentError(`--shard: i must be in 1..${count} (shards are numbered from 1), got '${v}'.`);
  return { index, count };
}

export const shardLabel = (s: Shard): string => `${s.index}/${s.count}`;

/** The unit a shard takes whole: a grid cell (every job of it), or one check. */
const unitOf = (j: Pick<Job, 'id'> & { cellKey?: string; kind?: string }): string =>
  j.kind === 'train' && j.cellKey ? `cell:${j.cellKey}` : `job:${j.id}`;

/** The jobs of shard `s`, in plan order. */
export function shardJobs<J extends Pick<Job, 'id'> & { cellKey?: string; kind?: string }>(jobs: readonly J[], s: Shard): J[] {
  const units = [...new Set(jobs.map(unitOf))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mine = new Set(units.filter((_, k) => k % s.count === s.index - 1));
  return jobs.filter((j) => mine.has(unitOf(j)));
}

export function shardRecord<J extends Pick<Job, 'id'> & { cellKey?: string; kind?: string }>(jobs: readonly J[], s: Shard): ShardRecord {
  return { index: s.index, count: s.count, jobs: shardJobs(jobs, s).map((j) => j.id), planJobs: jobs.length };
}

/** The --shard option of reslab study and reslab sweep. */
export function addShardOption(cmd: Command): Command {
  return cmd.option(
    '--shard <i/N>',
    'run only share i of N of the grid cells and checks (deterministic, by cell; combine the shard folders with reslab merge)',
    parseShard,
  );
}
