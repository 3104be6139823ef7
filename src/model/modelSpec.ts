import { ModelShapeError } from '../errors.ts';

/** The feature layout a model was trained on; bumped when features.ts changes meaning. */
export const FEATURE_SET = 'v1';

/** The shape of a model: what goes in, how big the state is, what comes out. */
export interface ModelSpec {
  /** Features per step (D). */
  readonly inputSize: number;
  /** GRU hidden size (H). */
  readonly hidden: number;
  /** Forecast horizons, in readings ahead (1 is the next reading). */
  readonly horizons: readonly number[];
  readonly featureSet: string;
}

/** Outputs per stream per step: a mean and a raw scale for every horizon. */
export function outputSize(spec: ModelSpec): number {
  return 2 * spec.horizons.length;
}

/** @throws ModelShapeError when the spec cannot describe a model. */
export function checkSpec(spec: ModelSpec): ModelSpec {
  const okInt = (n: number) => Number.isInteger(n) && n > 0 && n <= 4096;
  if (!okInt(spec.inputSize)) throw new ModelShapeError(`inputSize must be a positive integer; got ${spec.inputSize}`);
  if (!okInt(spec.hidden)) throw new ModelShapeError(`hidden must be a positive integer; got ${spec.hidden}`);
  if (!Array.isArray(spec.horizons) || spec.horizons.length === 0 || !spec.horizons.every((h, i, a) => okInt(h) && (i === 0 || h > a[i - 1]))) {
    throw new ModelShapeError(`horizons must be increasing positive integers; got ${JSON.stringify(spec.horizons)}`);
  }
  return spec;
}
