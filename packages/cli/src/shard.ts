/**
 * Shards: `--shard i/N` runs a deterministic share of a study's jobs, so a grid
 * can be spread over the machines of a batch scheduler (a Slurm job array, a
 * Kubernetes Indexed Job) and put back together with `reslab merge`.
 *
 * The share depends on the plan only: the jobs are sorted by their stable id
 * and dealt round-robin, job k of the sorted list going to shard (k mod N) + 1.
 * Every job is in exactly one shard; neighbours in id order (the same cell at
 * other seeds and learning rates) land on different shards, which spreads the
 * expensive cells evenly.
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

/** The jobs of shard `s`, in plan order. */
export function shardJobs<J extends Pick<Job, 'id'>>(jobs: readonly J[], s: Shard): J[] {
  const ids = jobs.map((j) => j.id).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mine = new Set(ids.filter((_, k) => k % s.count === s.index - 1));
  return jobs.filter((j) => mine.has(j.id));
}

export function shardRecord<J extends Pick<Job, 'id'>>(jobs: readonly J[], s: Shard): ShardRecord {
  return { index: s.index, count: s.count, jobs: shardJobs(jobs, s).map((j) => j.id), planJobs: jobs.length };
}

/** The --shard option of reslab study and reslab sweep. */
export function addShardOption(cmd: Command): Command {
  return cmd.option(
    '--shard <i/N>',
    'run only share i of N of the jobs (deterministic, by job id; combine the shard folders with reslab merge)',
    parseShard,
  );
}
