import { crc32 } from 'node:zlib';
import { ModelFormatError } from '../errors.ts';
import { checkWeights, type GruWeights, WEIGHT_NAMES, weightShapes } from './gruWeights.ts';
import { checkSpec, type ModelSpec } from './modelSpec.ts';

/**
 * The model file format (`.fcm`), also the weights blob of a stored checkpoint:
 *
 *   bytes 0..7    magic "FCMODEL\0"
 *   u32 LE        format version (1)
 *   u32 LE        header length N
 *   N bytes       UTF-8 JSON header: { spec, meta, tensors: [{ name, shape }] }
 *   pad to 4      zero bytes
 *   float32 LE    each tensor's values, in header order
 *   u32 LE        CRC-32 of everything before it
 */
export const MODEL_FORMAT_VERSION = 1;
const MAGIC = Buffer.from('FCMODEL\0', 'latin1');

/** Free-form facts about a model: where it came from and how good it was. */
export interface ModelMeta {
  readonly version: number;
  readonly createdAt: string;
  readonly source: string;
  readonly [key: string]: unknown;
}

export interface Model {
  readonly spec: ModelSpec;
  readonly weights: GruWeights;
  readonly meta: ModelMeta;
}

/**
 * Serialises a model to the versioned binary format.
 * @throws ModelShapeError when the weights do not fit the spec.
 */
export function encodeModel(model: Model): Buffer {
  checkWeights(model.spec, { ...model.weights });
  const shapes = weightShapes(model.spec);
  const header = Buffer.from(
    JSON.stringify({ spec: model.spec, meta: model.meta, tensors: WEIGHT_NAMES.map((name) => ({ name, shape: shapes[name] })) }),
    'utf8',
  );
  const pad = (4 - ((16 + header.length) % 4)) % 4;
  const dataBytes = WEIGHT_NAMES.reduce((n, name) => n + model.weights[name].length * 4, 0);
  const out = Buffer.alloc(16 + header.length + pad + dataBytes + 4);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(MODEL_FORMAT_VERSION, 8);
  out.writeUInt32LE(header.length, 12);
  header.copy(out, 16);
  let off = 16 + header.length + pad;
  for (const name of WEIGHT_NAMES) {
    for (const v of model.weights[name]) {
      out.writeFloatLE(v, off);
      off += 4;
    }
  }
  out.writeUInt32LE(crc32(out.subarray(0, off)), off);
  return out;
}

/**
 * Reads a model written by `encodeModel`.
 * @throws ModelFormatError for a file that is not a model, of an unknown version, truncated or corrupt.
 * @throws ModelShapeError when its weights do not fit its spec.
 */
export function decodeModel(buf: Uint8Array, origin = 'model'): Model {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 20 || !b.subarray(0, 8).equals(MAGIC)) throw new ModelFormatError(`${origin} is not a forecaster model file`);
  const version = b.readUInt32LE(8);
  if (version !== MODEL_FORMAT_VERSION) {
    throw new ModelFormatError(`${origin} has model format version ${version}; this build reads version ${MODEL_FORMAT_VERSION}`);
  }
  const end = b.length - 4;
  if (crc32(b.subarray(0, end)) !== b.readUInt32LE(end)) throw new ModelFormatError(`${origin} is corrupt (checksum mismatch)`);
  const headerLength = b.readUInt32LE(12);
  let header: { spec: ModelSpec; meta: ModelMeta; tensors: { name: string; shape: number[] }[] };
  try {
    header = JSON.parse(b.subarray(16, 16 + headerLength).toString('utf8'));
  } catch (err) {
    throw new ModelFormatError(`${origin} has an unreadable header`, { cause: err });
  }
  const spec = checkSpec(header.spec);
  let off = 16 + headerLength;
  off += (4 - (off % 4)) % 4;
  const arrays: Record<string, Float32Array> = {};
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, c) => a * c, 1);
    if (off + n * 4 > end) throw new ModelFormatError(`${origin} is truncated in tensor ${t.name}`);
    const arr = new Float32Array(n);
    for (let i = 0; i < n; i++) arr[i] = b.readFloatLE(off + i * 4);
    arrays[t.name] = arr;
    off += n * 4;
  }
  return { spec, weights: checkWeights(spec, arrays), meta: header.meta };
}
