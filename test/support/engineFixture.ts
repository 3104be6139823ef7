import { Engine } from '../../src/engine/engine.ts';
import { LocalRounds } from '../../src/engine/localRounds.ts';
import { FEATURE_COUNT } from '../../src/engine/features.ts';
import { StateTable } from '../../src/engine/stateTable.ts';
import type { ModelSpec } from '../../src/model/modelSpec.ts';
import { TfGruKernel } from '../../src/model/tfGruKernel.ts';
import { randomWeights } from './referenceGru.ts';

export const HIDDEN = 12;
export const SPEC: ModelSpec = { inputSize: FEATURE_COUNT, hidden: HIDDEN, horizons: [1, 3], featureSet: 'v1' };
export const WEIGHTS = randomWeights(FEATURE_COUNT, HIDDEN, 4, 42, 0.4);

/** An engine on random weights with a small table, so growth is exercised too. */
export function makeEngine(maxKeyLength = 64): Engine {
  return new Engine(new LocalRounds(new TfGruKernel(SPEC, WEIGHTS)), new StateTable(HIDDEN, 2), { maxKeyLength, modelVersion: 3 });
}

/** A reading of a smooth series with some noise, deterministic in (stream, i). */
export function reading(stream: string, i: number, t0 = Date.UTC(2026, 0, 1)) {
  const seed = [...stream].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) % 1000;
  return { stream, ts: t0 + i * 60_000, value: 50 + 10 * Math.sin(i / 7 + seed) + ((i * 7919 + seed) % 13) / 13 };
}
