import { describe, expect, it } from 'vitest';
import { ModelFormatError, ModelShapeError } from '../../src/errors.ts';
import { initWeights } from '../../src/model/gruWeights.ts';
import { decodeModel, encodeModel, type Model } from '../../src/model/modelFile.ts';
import type { ModelSpec } from '../../src/model/modelSpec.ts';

const spec: ModelSpec = { inputSize: 8, hidden: 6, horizons: [1, 12], featureSet: 'v1' };
const model: Model = { spec, weights: initWeights(spec, 3), meta: { version: 4, createdAt: '2026-11-28T00:00:00Z', source: 'test', note: 'ü' } };

describe('model file', () => {
  it('round-trips spec, weights and meta exactly', () => {
    const back = decodeModel(encodeModel(model));
    expect(back).toEqual(model);
  });

  it('refuses a file that is not a model', () => {
    expect(() => decodeModel(Buffer.from('SQLite format 3\0 and more bytes'))).toThrow(ModelFormatError);
  });

  it('refuses a format version it does not know', () => {
    const buf = encodeModel(model);
    buf.writeUInt32LE(2, 8);
    expect(() => decodeModel(buf)).toThrow(/format version 2/);
  });

  it('detects a flipped byte', () => {
    const buf = encodeModel(model);
    buf[buf.length - 40] ^= 0xff;
    expect(() => decodeModel(buf)).toThrow(/checksum/);
  });

  it('refuses to write weights that do not fit the spec', () => {
    const broken: Model = { ...model, weights: { ...model.weights, wr: new Float32Array(3) } };
    expect(() => encodeModel(broken)).toThrow(ModelShapeError);
  });

  it('refuses a file whose tensors are shorter than its header says', () => {
    const buf = encodeModel(model);
    const cut = Buffer.concat([buf.subarray(0, buf.length - 400)]);
    expect(() => decodeModel(cut)).toThrow(ModelFormatError);
  });
});
