/**
 * The autograd tape: the tensors a step recorded, in order (see tensor.ts). It lives on the backend (one per step's
 * arena) but knows only what backward needs of an entry, so backend.ts does not import tensor.ts.
 */

/** What the tape holds of a recorded tensor: whether a gradient reached it, and how to pass it on. */
export interface TapeEntry {
  readonly gradReady: boolean;
  readonly backwardFn: (() => void) | null;
}

/**
 * `length = 0` empties it but keeps its slots: a plain array emptied with `length = 0` gives its storage back and
 * the next step's pushes allocate it again (about 1 KiB a step for a 48-layer net).
 */
export class Tape {
  private readonly slots: TapeEntry[] = [];
  /** how many entries are on the tape; set it to 0 to clear */
  length = 0;
  push(t: TapeEntry): void {
    this.slots[this.length++] = t;
  }
  at(i: number): TapeEntry {
    return this.slots[i];
  }
  *[Symbol.iterator](): Generator<TapeEntry> {
    for (let i = 0; i < this.length; i++) yield this.slots[i];
  }
}
