import { concatMap, map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { microBatch } from '../ingest/microBatch.ts';
import type { Engine } from './engine.ts';
import { toOutcomes } from './outcomes.ts';
import type { Outcome } from './reading.ts';

export interface TickOptions {
  /** Most readings in one tick. */
  readonly maxBatch: number;
  /** Longest a reading waits for its tick, ms. */
  readonly maxWaitMs: number;
  /** Interval coverage of the forecast bounds, e.g. 0.95. */
  readonly coverage: number;
  readonly scheduler?: SchedulerLike;
}

/** One tick as it left the engine: its readings and one outcome per reading, in input order. */
export interface Tick {
  readonly readings: readonly unknown[];
  readonly outcomes: readonly Outcome[];
  /** Wall-clock time the engine took for the tick, ms. */
  readonly stepMs: number;
  readonly rounds: number;
}

/**
 * Groups readings into ticks (at most `maxBatch` readings or `maxWaitMs`) and
 * steps each tick through the engine as one batched step per round.
 */
export function stepTicks(engine: Engine, options: TickOptions): OperatorFunction<unknown, Tick> {
  return (source) =>
    source.pipe(
      microBatch<unknown>(options.maxBatch, options.maxWaitMs, options.scheduler),
      map((readings) => {
        const started = performance.now();
        const out = engine.step(readings);
        const outcomes = toOutcomes(readings, out, engine.horizons, engine.modelVersion, options.coverage);
        return { readings, outcomes, stepMs: performance.now() - started, rounds: out.rounds };
      }),
    );
}

/**
 * From readings to outcomes: for each reading, in the order it arrived, the
 * forecast made after taking it into its stream's state, or its rejection.
 */
export function forecast(engine: Engine, options: TickOptions): OperatorFunction<unknown, Outcome> {
  return (source) => source.pipe(stepTicks(engine, options), concatMap((tick) => tick.outcomes));
}
