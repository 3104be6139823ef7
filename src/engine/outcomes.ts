import { normalQuantile } from '../util/normalQuantile.ts';
import type { TickOutput } from './engine.ts';
import type { Forecast, ForecastPoint, Outcome, Reading } from './reading.ts';

/**
 * Turns a tick's columnar output into one outcome per input reading, in input
 * order: a Forecast for each accepted reading, a Rejection for each refused one.
 */
export function toOutcomes(
  readings: readonly unknown[],
  out: TickOutput,
  horizons: readonly number[],
  modelVersion: number,
  coverage: number,
): Outcome[] {
  const zq = normalQuantile(0.5 + coverage / 2);
  const k = horizons.length;
  const result: Outcome[] = new Array(readings.length);
  for (const rej of out.rejected) {
    result[rej.index] = { kind: 'rejected', reading: readings[rej.index], code: rej.code, message: rej.message };
  }
  for (let row = 0; row < out.count; row++) {
    const index = out.readingIndex[row];
    // Accepted readings passed validation, so they have the Reading shape.
    const reading = readings[index] as Reading;
    const interval = out.interval[row];
    const points: ForecastPoint[] = new Array(k);
    for (let q = 0; q < k; q++) {
      const mean = out.mean[row * k + q];
      const scale = out.scale[row * k + q];
      points[q] = {
        horizon: horizons[q],
        ts: Number.isFinite(interval) ? Math.round(reading.ts + horizons[q] * interval) : null,
        mean,
        scale,
        lower: mean - zq * scale,
        upper: mean + zq * scale,
      };
    }
    const priorMean = out.priorMean[row];
    const forecast: Forecast = {
      kind: 'forecast',
      stream: reading.stream,
      ts: reading.ts,
      value: reading.value,
      modelVersion,
      prior: Number.isNaN(priorMean) ? null : { mean: priorMean, scale: out.priorScale[row] },
      points,
      anomaly: { score: out.score[row], likelihood: out.likelihood[row] },
    };
    result[index] = forecast;
  }
  return result;
}
