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

/** Per output row (accepted readings in input order); K values a row for mean and scale. */
export interface RowOutputs {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  readonly interval: Float64Array;
  readonly priorMean: Float64Array;
  readonly priorScale: Float64Array;
  /** Anomaly score and likelihood of each reading (see anomaly/readingAnomaly.ts). */
  readonly score: Float64Array;
  readonly likelihood: Float64Array;
}

/** The state table's arrays, as a compute thread sees them. */
export interface TableView {
  readonly hidden: Float32Array;
  readonly stats: Float64Array;
}

export function allocRowInputs(n: number): RowInputs {
  return { slot: sharedI32(n), ts: sharedF64(n), value: sharedF64(n), outRow: sharedI32(n) };
}

export function allocRowOutputs(n: number, horizons: number): RowOutputs {
  return { mean: sharedF64(n * horizons), scale: sharedF64(n * horizons), interval: sharedF64(n), priorMean: sharedF64(n), priorScale: sharedF64(n), score: sharedF64(n), likelihood: sharedF64(n) };
}
