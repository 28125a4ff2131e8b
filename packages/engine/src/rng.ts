/**
 * Seeded randomness. One seed fixes initialisation, data order and dropout;
 * each consumer forks its own stream (`rng.fork('init')`) so adding a draw in
 * one place never shifts the numbers of another.
 */

/** splitmix32 finaliser: a good 32-bit mix for deriving seeds. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class Rng {
  private state: number;
  // NOTE: a flag and a plain number rather than number | null: storing a fresh double in a field that may also
  // hold null boxes it (one heap object per pair of normals).
  private hasSpare = false;
  private spare = 0;

  constructor(readonly seed: number) {
    this.state = mix32(seed >>> 0);
  }

  /** An independent stream named `name`, determined by this generator's seed only. */
  fork(name: string): Rng {
    return new Rng(mix32(this.seed ^ hashString(name)));
  }

  /** Uniform 32-bit unsigned integer (mulberry32). */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /**
   * Move the stream n draws of nextU32 (or uniform) on, and return the state those draws start from: a kernel that
   * makes them itself from that state (core kernel dropout, which runs this generator in SIMD) gets the same numbers.
   */
  advance(n: number): number {
    const s = this.state;
    this.state = (s + Math.imul(n, 0x6d2b79f5)) | 0;
    return s;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}
