import { concatMap, map, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { microBatch } from '../ingest/microBatch.ts';
import type { Engine, RejectedIndex } from './engine.ts';
import type { Forecast, Outcome } from './reading.ts';
import { outcomesOf, TickForecasts } from './tickForecasts.ts';

export interface TickOptions {
  /** Most readings in one tick. */
  readonly maxBatch: number;
  /** Longest a reading waits for its tick, ms. */
  readonly maxWaitMs: number;
  /** Interval coverage of the forecast bounds, e.g. 0.95. */
  readonly coverage: number;
  readonly scheduler?: SchedulerLike;
}

/** One tick as it left the engine: its readings, their forecasts as columns, and the refused ones. */
export interface Tick {
  readonly readings: readonly unknown[];
  /** A row per accepted reading, in input order. */
  readonly forecasts: TickForecasts;
  /** The refused readings, by ascending index. */
  readonly rejected: readonly RejectedIndex[];
  /** One outcome per reading, in input order, as objects (built on first use: the hot paths read the columns). */
  readonly outcomes: readonly Outcome[];
  /** Wall-clock time the engine took for the tick, ms. */
  readonly stepMs: number;
  readonly rounds: number;
}

/**
 * A tick whose `outcomes` are built from the columns when first asked for.
 * A class, so that the getter is the prototype's and no closure is made per
 * tick: an object literal with a getter closure of its own (made, like this,
 * in a promise's callback) kept the tick's readings until the next full
 * collection, ~2.5 MB promoted a scavenge at 100,000 readings/s. The feed's
 * in-order queue had the same trouble (FeedHub.inOrder).
 */
class LazyTick implements Tick {
  private built: Outcome[] | null = null;

  constructor(
    readonly readings: readonly unknown[],
    readonly forecasts: TickForecasts,
    readonly rejected: readonly RejectedIndex[],
    readonly stepMs: number,
    readonly rounds: number,
  ) {}

  get outcomes(): readonly Outcome[] {
    this.built ??= outcomesOf(this.readings, this.forecasts, this.rejected);
    return this.built;
  }
}

/** A tick of columns, its `outcomes` built when first asked for (a `LazyTick`). */
export function makeTick(readings: readonly unknown[], forecasts: TickForecasts, rejected: readonly RejectedIndex[], stepMs: number, rounds: number): Tick {
  return new LazyTick(readings, forecasts, rejected, stepMs, rounds);
}

/** A tick of outcome objects (tests, benches): readings default to the outcomes themselves. */
export function tickOf(outcomes: readonly Outcome[], readings: readonly unknown[] = outcomes, stepMs = 0, rounds = 1): Tick {
  const forecasts: Forecast[] = [];
  const indexes: number[] = [];
  const rejected: RejectedIndex[] = [];
  outcomes.forEach((o, i) => {
    if (o.kind === 'forecast') {
      forecasts.push(o);
      indexes.push(i);
    } else rejected.push({ index: i, code: o.code, message: o.message });
  });
  return makeTick(readings, TickForecasts.fromForecasts(forecasts, indexes), rejected, stepMs, rounds);
}

/** Walks a tick's readings in input order, each with its rejection (null for an accepted one). */
export function eachReading(tick: Tick, visit: (reading: unknown, index: number, refused: RejectedIndex | null) => void): void {
  const { readings, rejected } = tick;
  // Rejections come by ascending index: the next one's index is where the walk meets it.
  let next = 0;
  for (let i = 0; i < readings.length; i++) {
    const refused = next < rejected.length && rejected[next].index === i ? rejected[next++] : null;
    visit(readings[i], i, refused);
  }
}

/** Steps `readings` through the engine as one tick, with intervals of `coverage` (e.g. 0.95). */
export function stepTick(engine: Engine, readings: readonly unknown[], coverage: number): Tick {
  const started = performance.now();
  const out = engine.step(readings);
  const forecasts = TickForecasts.fromEngine(readings, out, engine.horizons, engine.modelVersion, coverage);
  return makeTick(readings, forecasts, out.rejected, performance.now() - started, out.rounds);
}

/**
 * Groups readings into ticks (at most `maxBatch` readings or `maxWaitMs`) and
 * steps each tick through the engine as one batched step per round. With an
 * engine that steps without blocking (compute threads), each tick is stepped
 * and emitted inside `engine.exclusive`, in arrival order: this thread serves
 * sockets while the tick is computed, and nothing that reads or replaces the
 * table's rows runs in between.
 */
export function stepTicks(engine: Engine, options: TickOptions): OperatorFunction<unknown, Tick> {
  return (source) => {
    const batches = source.pipe(microBatch<unknown>(options.maxBatch, options.maxWaitMs, options.scheduler));
    return engine.stepsAsync ? batches.pipe(stepEachAsync(engine, options.coverage)) : batches.pipe(map((readings) => stepTick(engine, readings, options.coverage)));
  };
}

/** Each batch stepped with `stepAsync` inside `engine.exclusive`, in order; its tick emitted before the engine is let go. */
function stepEachAsync(engine: Engine, coverage: number): OperatorFunction<readonly unknown[], Tick> {
  return (source) =>
    new Observable<Tick>((subscriber) => {
      // Settles after the last batch taken so far (exclusive runs them in order).
      let last: Promise<void> = Promise.resolve();
      const sub = source.subscribe({
        next: (readings) => {
          last = engine
            .exclusive(async () => {
              if (subscriber.closed) return;
              const started = performance.now();
              const out = await engine.stepAsync(readings);
              const forecasts = TickForecasts.fromEngine(readings, out, engine.horizons, engine.modelVersion, coverage);
              subscriber.next(makeTick(readings, forecasts, out.rejected, performance.now() - started, out.rounds));
            })
            .catch((err: unknown) => subscriber.error(err));
        },
        error: (err: unknown) => void last.then(() => subscriber.error(err)),
        complete: () => void last.then(() => subscriber.complete()),
      });
      return () => sub.unsubscribe();
    });
}

/**
 * From readings to outcomes: for each reading, in the order it arrived, the
 * forecast made after taking it into its stream's state, or its rejection.
 */
export function forecast(engine: Engine, options: TickOptions): OperatorFunction<unknown, Outcome> {
  return (source) => source.pipe(stepTicks(engine, options), concatMap((tick) => tick.outcomes));
}
