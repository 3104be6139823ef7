import { sharedF64, sharedI32 } from '../util/shared.ts';

/**
 * The rows of a tick, sorted by round, in shared memory: for row p (a position
 * in round order) the stream's slot, the reading, and the output row it fills.
 */
export interface RowInputs {
  readonly slot: Int32Array;
  readonly ts: Float64Array;
  readonly value: Float64Array;
  readonly outRow: Int32Array;
}

/** Per output row (accepted readings in input order). */
export interface RowOutputs {
  /** count × K forecast means and scales, raw units. */
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** The stream's typical interval between readings, ms (NaN until known). */
  readonly interval: Float64Array;
  /** The one-step forecast that was current when the reading arrived (NaN for a first reading). */
  readonly priorMean: Float64Array;
  readonly priorScale: Float64Array;
  /** Anomaly score and likelihood of each reading, in [0, 1) (see anomaly/readingAnomaly.ts). */
  readonly score: Float64Array;
  readonly likelihood: Float64Array;
  /** A stuck sensor's run of repeats over its longest recent one (0 when the reading changed). */
  readonly flat: Float64Array;
}

/** The state table's arrays, as a compute thread sees them. */
export interface TableView {
  readonly hidden: Float32Array;
  readonly stats: Float64Array;
  readonly profile: Float32Array;
}

export function allocRowInputs(n: number): RowInputs {
  return { slot: sharedI32(n), ts: sharedF64(n), value: sharedF64(n), outRow: sharedI32(n) };
}

export function allocRowOutputs(n: number, horizons: number): RowOutputs {
  return { mean: sharedF64(n * horizons), scale: sharedF64(n * horizons), interval: sharedF64(n), priorMean: sharedF64(n), priorScale: sharedF64(n), score: sharedF64(n), likelihood: sharedF64(n), flat: sharedF64(n) };
}
