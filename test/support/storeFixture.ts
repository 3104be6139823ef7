import type { Engine } from '../../src/engine/engine.ts';
import { makeTick, type Tick } from '../../src/engine/stepTicks.ts';
import { TickForecasts } from '../../src/engine/tickForecasts.ts';

/** Steps `readings` as one tick and returns it as the pipeline would. */
export function stepTicksOnce(engine: Engine, readings: readonly unknown[]): Tick {
  const out = engine.step(readings);
  return makeTick(readings, TickForecasts.fromEngine(readings, out, engine.horizons, engine.modelVersion, 0.95), out.rejected, 0, out.rounds);
}
