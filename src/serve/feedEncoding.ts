import type { Forecast } from '../engine/reading.ts';

/**
 * The feed's wire text of forecasts, and a compact columnar form of them that
 * crosses to the encoder thread without structured-cloning an object per
 * forecast. Both encoders (this thread's and the worker's) print through
 * `forecastText`, so their frames are byte for byte the same.
 */

/** What the feed sends of a forecast. */
export type FeedForecast = Pick<Forecast, 'stream' | 'ts' | 'value' | 'modelVersion' | 'points' | 'anomaly'>;

/** One forecast as the feed sends it: the one place that fixes its fields and their order. */
export function forecastText(f: FeedForecast): string {
  return JSON.stringify({ stream: f.stream, ts: f.ts, value: f.value, modelVersion: f.modelVersion, points: f.points, anomaly: f.anomaly });
}

export const FRAME_HEAD = '{"type":"forecasts","forecasts":[';
export const FRAME_TAIL = ']}';

export function frameOf(texts: readonly string[]): string {
  return `${FRAME_HEAD}${texts.join(',')}${FRAME_TAIL}`;
}

/** Forecasts as columns: keys, point counts, and every number in one Float64Array (null as NaN). */
export interface PackedForecasts {
  readonly keys: string[];
  readonly points: Int32Array;
  readonly nums: Float64Array;
}

const HEAD_NUMS = 5; // ts, value, modelVersion, score, likelihood
const POINT_NUMS = 6; // horizon, ts, mean, scale, lower, upper

export function packForecasts(forecasts: readonly Forecast[]): PackedForecasts {
  let size = 0;
  for (const f of forecasts) size += HEAD_NUMS + POINT_NUMS * f.points.length;
  const nums = new Float64Array(size);
  const points = new Int32Array(forecasts.length);
  const keys: string[] = new Array(forecasts.length);
  let at = 0;
  for (let i = 0; i < forecasts.length; i++) {
    const f = forecasts[i];
    keys[i] = f.stream;
    points[i] = f.points.length;
    nums[at++] = f.ts;
    nums[at++] = f.value;
    nums[at++] = f.modelVersion;
    nums[at++] = f.anomaly.score;
    nums[at++] = f.anomaly.likelihood;
    for (const p of f.points) {
      nums[at++] = p.horizon;
      nums[at++] = p.ts ?? Number.NaN;
      nums[at++] = p.mean;
      nums[at++] = p.scale;
      nums[at++] = p.lower;
      nums[at++] = p.upper;
    }
  }
  return { keys, points, nums };
}

/**
 * The texts of packed forecasts. JSON prints a NaN as null, so a point
 * without a timestamp (packed as NaN) prints as before.
 */
export function textsOfPacked(p: PackedForecasts): string[] {
  const texts: string[] = new Array(p.keys.length);
  let at = 0;
  for (let i = 0; i < p.keys.length; i++) {
    const n = p.nums;
    const head = at;
    at += HEAD_NUMS;
    const points = new Array(p.points[i]);
    for (let q = 0; q < points.length; q++, at += POINT_NUMS) {
      points[q] = { horizon: n[at], ts: n[at + 1], mean: n[at + 2], scale: n[at + 3], lower: n[at + 4], upper: n[at + 5] };
    }
    texts[i] = forecastText({
      stream: p.keys[i],
      ts: n[head],
      value: n[head + 1],
      modelVersion: n[head + 2],
      points,
      anomaly: { score: n[head + 3], likelihood: n[head + 4] },
    });
  }
  return texts;
}
