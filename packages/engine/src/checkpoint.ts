/**
 * Checkpoints as plain JSON: the spec, the io sizes, and every parameter and
 * buffer by name with its shape and float32 data in base64 (little-endian).
 */
import type { Backend } from './backend.js';
import { buildModel, type Model, type ModelIO } from './nn/model.js';
import { type ModelSpec, parseModelSpec, parseRunSpec, type RunSpec, SpecError } from './spec.js';
import type { Tensor } from './tensor.js';

export const CHECKPOINT_FORMAT = 'reslab-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface TensorRecord {
  shape: number[];
  /** base64 of the float32 little-endian bytes */
  data: string;
}
export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  /** a RunSpec or a ModelSpec, as saved */
  spec: RunSpec | ModelSpec;
  io: ModelIO;
  params: Record<string, TensorRecord>;
  /** non-trainable state (BatchNorm running statistics) */
  buffers: Record<string, TensorRecord>;
  extra?: unknown;
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function encode(t: Tensor): TensorRecord {
  const f = Float32Array.from(t.toArray());
  const u8 = new Uint8Array(f.buffer);
  if (!littleEndian) for (let i = 0; i < u8.length; i += 4) u8.subarray(i, i + 4).reverse();
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return { shape: [...t.shape], data: btoa(s) };
}

function decode(r: TensorRecord, name: string, n: number): Float32Array {
  let bin: string;
  try {
    bin = atob(r.data);
  } catch {
    throw new SpecError(`checkpoint: '${name}' data is not valid base64`);
  }
  if (bin.length !== n * 4) throw new SpecError(`checkpoint: '${name}' holds ${bin.length / 4} floats, expected ${n}`);
  const u8 = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
  if (!littleEndian) for (let i = 0; i < u8.length; i += 4) u8.subarray(i, i + 4).reverse();
  return new Float32Array(u8.buffer);
}

const modelSpecOf = (spec: RunSpec | ModelSpec): unknown => ('model' in spec ? spec.model : spec);

/** A JSON-ready checkpoint of `model` (spec may be the RunSpec that trained it, or its ModelSpec). */
export function saveCheckpoint(model: Model, spec: RunSpec | ModelSpec, io: ModelIO, extra?: unknown): Checkpoint {
  const params: Record<string, TensorRecord> = {};
  for (const [n, t] of model.namedParameters()) params[n] = encode(t);
  const buffers: Record<string, TensorRecord> = {};
  for (const [n, t] of model.namedBuffers()) buffers[n] = encode(t);
  const ck: Checkpoint = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    spec,
    io: { inputDim: io.inputDim, outputDim: io.outputDim },
    params,
    buffers,
  };
  if (extra !== undefined) ck.extra = extra;
  return ck;
}

/** Rebuild the model a checkpoint describes on `backend`, with its weights. Clear SpecErrors for anything malformed. */
export function loadCheckpoint(json: unknown, backend: Backend): { model: Model; spec: RunSpec | ModelSpec; io: ModelIO; extra?: unknown } {
  const fail = (m: string): never => {
    throw new SpecError(`checkpoint: ${m}`);
  };
  let ck = json as Partial<Checkpoint> | null;
  if (typeof json === 'string') {
    try {
      ck = JSON.parse(json);
    } catch {
      fail('not valid JSON');
    }
  }
  if (!ck || typeof ck !== 'object') fail('not an object');
  if (ck!.format !== CHECKPOINT_FORMAT) fail(`format is '${String(ck!.format)}', expected '${CHECKPOINT_FORMAT}'`);
  if (ck!.version !== CHECKPOINT_VERSION)
    fail(`version ${String(ck!.version)} is not supported (this engine reads version ${CHECKPOINT_VERSION})`);
  const c = ck as Checkpoint;
  if (!c.spec || typeof c.spec !== 'object') fail('missing spec');
  const spec = 'model' in c.spec ? parseRunSpec(c.spec) : parseModelSpec(c.spec);
  if (!c.io || !Number.isInteger(c.io.inputDim) || !Number.isInteger(c.io.outputDim)) fail('io must have integer inputDim and outputDim');
  if (!c.params || typeof c.params !== 'object') fail('missing params');
  const mark = backend.mark();
  try {
    const model = buildModel(modelSpecOf(spec) as ModelSpec, c.io, 0, backend);
    const fill = (entries: Iterable<[string, Tensor]>, recs: Record<string, TensorRecord>, what: string) => {
      const want = new Set<string>();
      for (const [n, t] of entries) {
        want.add(n);
        const r = recs[n];
        if (!r) fail(`${what} '${n}' is missing`);
        if (!Array.isArray(r.shape) || r.shape.length !== t.shape.length || r.shape.some((d, i) => d !== t.shape[i])) {
          fail(`${what} '${n}' has shape [${r.shape}], the spec gives [${t.shape}]`);
        }
        t.set(decode(r, n, t.size));
      }
      for (const n of Object.keys(recs)) if (!want.has(n)) fail(`unexpected ${what} '${n}' (not in a model of this spec)`);
    };
    fill(model.namedParameters(), c.params, 'parameter');
    fill(model.namedBuffers(), c.buffers ?? {}, 'buffer');
    return { model, spec, io: model.io, ...(c.extra !== undefined ? { extra: c.extra } : {}) };
  } catch (e) {
    backend.release(mark);
    throw e;
  }
}
