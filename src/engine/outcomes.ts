import type { TickOutput } from './engine.ts';
import type { Outcome } from './reading.ts';
import { outcomesOf, TickForecasts } from './tickForecasts.ts';

/**
 * Turns a tick's columnar output into one outcome per input reading, in input
 * order: a Forecast for each accepted reading, a Rejection for each refused one.
 */
export function toOutcomes(readings: readonly unknown[], out: TickOutput, horizons: readonly number[], modelVersion: number, coverage: number): Outcome[] {
  return outcomesOf(readings, TickForecasts.fromEngine(readings, out, horizons, modelVersion, coverage), out.rejected);
}
