import { normalQuantile } from '../util/normalQuantile.ts';
import type { RejectedIndex, TickOutput } from './engine.ts';
import type { Forecast, ForecastPoint, Outcome, Reading } from './reading.ts';
import { streamCodes } from './streamCodes.ts';

/**
 * A tick's forecasts as columns: row j is the j-th accepted reading, in input
 * order, `horizons.length` points a row (point (j, q) at index j·K + q).
 * Copied out of the engine's reused buffers once per tick, so the tick's
 * consumers (store, feed, alerts, acknowledgements) read numbers instead of an
 * object graph per reading: at 80,000 readings/s those objects were held until
 * commit, survived young-generation collections, and most of each scavenge's
 * copying was theirs. `forecast(j)` builds one as a `Forecast` where an object
 * is wanted (an alert, a test).
 */
export class TickForecasts {
  readonly count: number;
  readonly horizons: readonly number[];
  /** Index of row j's reading in the tick's input. */
  readonly readingIndex: Int32Array;
  readonly stream: string[];
  /** Each row's stream as its code (streamCodes.ts), for the threads that are sent codes rather than keys. */
  readonly code: Int32Array;
  readonly ts: Float64Array;
  readonly value: Float64Array;
  readonly modelVersion: Int32Array;
  /** count × K: each point's horizon target time (NaN while unknown), mean, scale and interval bounds. */
  readonly pointTs: Float64Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** The one-step forecast current when the reading arrived (NaN for a stream's first reading). */
  readonly priorMean: Float64Array;
  readonly priorScale: Float64Array;
  readonly score: Float64Array;
  readonly likelihood: Float64Array;
  /** A stuck sensor's run of repeats over its longest recent one (0 when the reading changed; readingAnomaly.ts). */
  readonly flat: Float64Array;

  private constructor(count: number, horizons: readonly number[]) {
    const k = horizons.length;
    this.count = count;
    this.horizons = horizons;
    this.readingIndex = new Int32Array(count);
    this.stream = new Array<string>(count);
    this.code = new Int32Array(count);
    this.ts = new Float64Array(count);
    this.value = new Float64Array(count);
    this.modelVersion = new Int32Array(count);
    this.pointTs = new Float64Array(count * k);
    this.mean = new Float64Array(count * k);
    this.scale = new Float64Array(count * k);
    this.lower = new Float64Array(count * k);
    this.upper = new Float64Array(count * k);
    this.priorMean = new Float64Array(count);
    this.priorScale = new Float64Array(count);
    this.score = new Float64Array(count);
    this.likelihood = new Float64Array(count);
    this.flat = new Float64Array(count);
  }

  /** The forecasts of a step's output (valid until the engine's next step), with intervals of `coverage` (e.g. 0.95). */
  static fromEngine(readings: readonly unknown[], out: TickOutput, horizons: readonly number[], modelVersion: number, coverage: number): TickForecasts {
    const zq = normalQuantile(0.5 + coverage / 2);
    const k = horizons.length;
    const n = out.count;
    const c = new TickForecasts(n, horizons);
    c.readingIndex.set(out.readingIndex.subarray(0, n));
    c.modelVersion.fill(modelVersion);
    c.mean.set(out.mean.subarray(0, n * k));
    c.scale.set(out.scale.subarray(0, n * k));
    c.priorMean.set(out.priorMean.subarray(0, n));
    c.priorScale.set(out.priorScale.subarray(0, n));
    c.score.set(out.score.subarray(0, n));
    c.likelihood.set(out.likelihood.subarray(0, n));
    c.flat.set(out.flat.subarray(0, n));
    for (let j = 0; j < n; j++) {
      // Accepted readings passed validation, so they have the Reading shape.
      const r = readings[out.readingIndex[j]] as Reading;
      // The key as the code table holds it, not the reading's own string: the tick's forecasts
      // outlive its readings (the feed prints them after commit), and each parsed key they held
      // lived as long.
      c.stream[j] = streamCodes.keyOf(out.code[j]);
      c.code[j] = out.code[j];
      c.ts[j] = r.ts;
      c.value[j] = r.value;
      const interval = out.interval[j];
      for (let q = 0, at = j * k; q < k; q++, at++) {
        c.pointTs[at] = Number.isFinite(interval) ? Math.round(r.ts + horizons[q] * interval) : Number.NaN;
        c.lower[at] = c.mean[at] - zq * c.scale[at];
        c.upper[at] = c.mean[at] + zq * c.scale[at];
      }
    }
    return c;
  }

  /**
   * The same columns from forecast objects (tests, benches, tools that make
   * forecasts themselves). Each row's `readingIndex` is `indexes[j]`, or j.
   * @throws RangeError when the forecasts do not all have the same horizons.
   */
  static fromForecasts(forecasts: readonly ForecastLike[], indexes?: readonly number[]): TickForecasts {
    const horizons = forecasts.length === 0 ? [] : forecasts[0].points.map((p) => p.horizon);
    const k = horizons.length;
    const c = new TickForecasts(forecasts.length, horizons);
    forecasts.forEach((f, j) => {
      if (f.points.length !== k || f.points.some((p, q) => p.horizon !== horizons[q])) {
        throw new RangeError(`forecasts of one tick have horizons ${horizons.join(',')} and ${f.points.map((p) => p.horizon).join(',')}`);
      }
      c.readingIndex[j] = indexes?.[j] ?? j;
      c.stream[j] = f.stream;
      c.code[j] = streamCodes.codeOf(f.stream);
      c.ts[j] = f.ts;
      c.value[j] = f.value;
      c.modelVersion[j] = f.modelVersion;
      f.points.forEach((p, q) => {
        const at = j * k + q;
        c.pointTs[at] = p.ts ?? Number.NaN;
        c.mean[at] = p.mean;
        c.scale[at] = p.scale;
        c.lower[at] = p.lower;
        c.upper[at] = p.upper;
      });
      c.priorMean[j] = f.prior?.mean ?? Number.NaN;
      c.priorScale[j] = f.prior?.scale ?? Number.NaN;
      c.score[j] = f.anomaly.score;
      c.likelihood[j] = f.anomaly.likelihood;
    });
    return c;
  }

  /** Row j as a Forecast object. */
  forecast(j: number): Forecast {
    const k = this.horizons.length;
    const points: ForecastPoint[] = new Array(k);
    for (let q = 0; q < k; q++) {
      const at = j * k + q;
      const ts = this.pointTs[at];
      points[q] = { horizon: this.horizons[q], ts: Number.isNaN(ts) ? null : ts, mean: this.mean[at], scale: this.scale[at], lower: this.lower[at], upper: this.upper[at] };
    }
    const priorMean = this.priorMean[j];
    return {
      kind: 'forecast',
      stream: this.stream[j],
      ts: this.ts[j],
      value: this.value[j],
      modelVersion: this.modelVersion[j],
      prior: Number.isNaN(priorMean) ? null : { mean: priorMean, scale: this.priorScale[j] },
      points,
      anomaly: { score: this.score[j], likelihood: this.likelihood[j] },
    };
  }
}

/** What `fromForecasts` reads of a forecast (its `prior` may be left out). */
export type ForecastLike = Omit<Forecast, 'kind' | 'prior'> & { readonly prior?: Forecast['prior'] };

/** One outcome per reading, in input order: a Forecast for each accepted one, a Rejection for each refused one. */
export function outcomesOf(readings: readonly unknown[], forecasts: TickForecasts, rejected: readonly RejectedIndex[]): Outcome[] {
  const result: Outcome[] = new Array(readings.length);
  for (const r of rejected) result[r.index] = { kind: 'rejected', reading: readings[r.index], code: r.code, message: r.message };
  for (let j = 0; j < forecasts.count; j++) result[forecasts.readingIndex[j]] = forecasts.forecast(j);
  return result;
}
