import type { Engine } from '../../src/engine/engine.ts';
import { toOutcomes } from '../../src/engine/outcomes.ts';
import type { Tick } from '../../src/engine/stepTicks.ts';

/** Steps `readings` as one tick and returns it as the pipeline would. */
export function stepTicksOnce(engine: Engine, readings: readonly unknown[]): Tick {
  const out = engine.step(readings);
  return { readings, outcomes: toOutcomes(readings, out, engine.horizons, engine.modelVersion, 0.95), stepMs: 0, rounds: out.rounds };
}
