import { ModelShapeError } from '../errors.ts';
import { Rng } from '../util/rng.ts';
import { type ModelSpec, outputSize } from './modelSpec.ts';

/**
 * The weights of the GRU cell and its output head, in the layout of the
 * equations (row-vector convention, `[x, h] · W`):
 *   r  = σ([x, h] · wr + br)          wr: (D+H) × H
 *   z  = σ([x, h] · wz + bz)          wz: (D+H) × H
 *   h' = tanh([x, r ⊙ h] · wh + bh)   wh: (D+H) × H
 *   h  = z ⊙ h + (1 − z) ⊙ h'
 *   y  = h · woh + x · wox + bo       woh: H × 2K, wox: D × 2K  (K means, then K raw scales)
 * All row-major Float32Arrays.
 */
export interface GruWeights {
  readonly wr: Float32Array;
  readonly wz: Float32Array;
  readonly wh: Float32Array;
  readonly br: Float32Array;
  readonly bz: Float32Array;
  readonly bh: Float32Array;
  readonly woh: Float32Array;
  readonly wox: Float32Array;
  readonly bo: Float32Array;
}

export const WEIGHT_NAMES = ['wr', 'wz', 'wh', 'br', 'bz', 'bh', 'woh', 'wox', 'bo'] as const;
export type WeightName = (typeof WEIGHT_NAMES)[number];

/** The shape every weight must have under `spec`. */
export function weightShapes(spec: ModelSpec): Record<WeightName, readonly number[]> {
  const { inputSize: d, hidden: h } = spec;
  const o = outputSize(spec);
  return {
    wr: [d + h, h], wz: [d + h, h], wh: [d + h, h],
    br: [h], bz: [h], bh: [h],
    woh: [h, o], wox: [d, o], bo: [o],
  };
}

/** @throws ModelShapeError when a weight is missing or of the wrong length. */
export function checkWeights(spec: ModelSpec, w: Readonly<Record<string, Float32Array | undefined>>): GruWeights {
  const shapes = weightShapes(spec);
  const get = (name: WeightName): Float32Array => {
    const arr = w[name];
    const want = shapes[name].reduce((a, b) => a * b, 1);
    if (!(arr instanceof Float32Array)) throw new ModelShapeError(`weight ${name} is missing`);
    if (arr.length !== want) throw new ModelShapeError(`weight ${name} has ${arr.length} values; shape ${shapes[name].join('×')} needs ${want}`);
    return arr;
  };
  return {
    wr: get('wr'), wz: get('wz'), wh: get('wh'),
    br: get('br'), bz: get('bz'), bh: get('bh'),
    woh: get('woh'), wox: get('wox'), bo: get('bo'),
  };
}

/**
 * Glorot-uniform matrices and zero biases, except the update gate's bias,
 * which starts at +1 so a fresh cell leans towards keeping its state.
 */
export function initWeights(spec: ModelSpec, seed: number): GruWeights {
  const rng = new Rng(seed);
  const shapes = weightShapes(spec);
  const make = (name: WeightName): Float32Array => {
    const shape = shapes[name];
    const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (shape.length === 2) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-limit, limit);
    } else if (name === 'bz') {
      out.fill(1);
    }
    return out;
  };
  return {
    wr: make('wr'), wz: make('wz'), wh: make('wh'),
    br: make('br'), bz: make('bz'), bh: make('bh'),
    woh: make('woh'), wox: make('wox'), bo: make('bo'),
  };
}
