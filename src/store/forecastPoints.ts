/**
 * A reading's forecasts, one per horizon, packed into the `points` BLOB of its
 * `forecasts` row (migrations/0003_forecasts_per_reading.sql): for each horizon
 * in order, POINT_FIELDS little-endian float64 values — horizon, target time
 * (epoch ms; NaN when unknown), mean, lower, upper. One row per reading instead
 * of one per horizon is most of what the write path saves.
 */
export const POINT_FIELDS = 5;
// Points are written through a Float64Array, i.e. in the platform's byte order; the format is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('the store\'s forecast format needs a little-endian platform');
export const PointField = { HORIZON: 0, TARGET_TS: 1, MEAN: 2, LOWER: 3, UPPER: 4 } as const;

export interface StoredPoint {
  readonly horizon: number;
  readonly targetTs: number | null;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
}

/** Writes one point at `offset` (in float64 values) of `out`. */
export function writePoint(out: Float64Array, offset: number, horizon: number, targetTs: number | null, mean: number, lower: number, upper: number): void {
  out[offset + PointField.HORIZON] = horizon;
  out[offset + PointField.TARGET_TS] = targetTs ?? Number.NaN;
  out[offset + PointField.MEAN] = mean;
  out[offset + PointField.LOWER] = lower;
  out[offset + PointField.UPPER] = upper;
}

/**
 * The points a BLOB holds.
 * @throws RangeError for a BLOB whose length is not a whole number of points.
 */
export function decodePoints(blob: Uint8Array): StoredPoint[] {
  const size = POINT_FIELDS * 8;
  if (blob.byteLength % size !== 0) throw new RangeError(`a forecast points BLOB of ${blob.byteLength} bytes is not a whole number of ${size}-byte points`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const points: StoredPoint[] = [];
  for (let off = 0; off < blob.byteLength; off += size) {
    const f = (k: number) => view.getFloat64(off + k * 8, true);
    const ts = f(PointField.TARGET_TS);
    points.push({ horizon: f(PointField.HORIZON), targetTs: Number.isNaN(ts) ? null : ts, mean: f(PointField.MEAN), lower: f(PointField.LOWER), upper: f(PointField.UPPER) });
  }
  return points;
}
