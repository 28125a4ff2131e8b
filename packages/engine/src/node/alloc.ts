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

/** JS bytes allocated per call of fn over n calls. */
export async function jsBytesPerCall(fn: () => void, n: number, samplingInterval = 64): Promise<number> {
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
