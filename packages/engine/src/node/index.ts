/**
 * '@reslab/engine/node': Node-only helpers. Importing this module registers a
 * file reader as the MNIST source, so `loadDataset({ name: 'mnist' }, seed)`
 * works in Node without fetch.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { decodeMnist, type MnistData, registerMnistSource } from '../data/mnist.js';

export { jsBytesPerCall } from './alloc.js';

/** data/mnist.bin of the engine package (the same relative path from src/node and dist/node). */
export const MNIST_BIN_PATH = fileURLToPath(new URL('../../data/mnist.bin', import.meta.url));

async function readMnistBin(path: string = MNIST_BIN_PATH): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`MNIST binary not found at ${path}: build it with 'npm run build -w @reslab/engine'`);
    }
    throw e;
  }
}

registerMnistSource(() => readMnistBin());

/** Read and decode an MNIST binary (default: the engine's data/mnist.bin), bypassing the module cache. */
export async function loadMnistNode(path: string = MNIST_BIN_PATH): Promise<MnistData> {
  return decodeMnist(await readMnistBin(path));
}
