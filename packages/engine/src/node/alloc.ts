/**
 * How many bytes of JS objects a piece of code allocates, short-lived ones included: V8's sampling heap profiler
 * (a sample every `samplingInterval` bytes on average) with the objects a minor or major GC later freed kept in
 * the profile (heap growth would miss them). Node only (node:inspector). Use it to check that a training loop of
 * your own allocates nothing per step; warm the code up first (unoptimised code boxes numbers).
 */
import { Session } from 'node:inspector/promises';

interface SampleNode {
  selfSize: number;
  children: SampleNode[];
}

/**
 * JS bytes allocated per call of fn over n calls; with `windows` > 1, the least over that many runs of n calls, so
 * that a window in which the JIT was still catching up (a loaded machine) does not count.
 */
export async function jsBytesPerCall(fn: () => void, n: number, { windows = 1, samplingInterval = 64 } = {}): Promise<number> {
  let least = Number.POSITIVE_INFINITY;
  for (let w = 0; w < windows; w++) least = Math.min(least, await sampleWindow(fn, n, samplingInterval));
  return least;
}

async function sampleWindow(fn: () => void, n: number, samplingInterval: number): Promise<number> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    for (let i = 0; i < n; i++) fn();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    let bytes = 0;
    const walk = (node: SampleNode): void => {
      bytes += node.selfSize;
      for (const c of node.children) walk(c);
    };
    walk(profile.head as unknown as SampleNode);
    return bytes / n;
  } finally {
    session.disconnect();
  }
}
