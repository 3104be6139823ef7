import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/app.ts';
import { DEFAULT_MODEL_PATH } from '../../src/config.ts';
import { buildEngine } from '../../src/engine/buildEngine.ts';
import { FEATURE_COUNT } from '../../src/engine/features.ts';
import { FEATURE_SET } from '../../src/model/modelSpec.ts';
import { useBestBackend } from '../support/backend.ts';

/** Gaussian noise from a seeded LCG and Box–Muller, independent of src/. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

interface Score {
  maeRatio: number;
  coverage: number;
}

/** Streams `values` hourly into a fresh stream; scores one-step forecasts from reading `from` on. */
function score(values: number[], from: number): Score {
  const engine = buildEngine(loadModel(DEFAULT_MODEL_PATH), { maxKeyLength: 64, initialCapacity: 4 });
  let model = 0;
  let persistence = 0;
  let covered = 0;
  let n = 0;
  let last = { mean: NaN, lo: NaN, hi: NaN, value: NaN };
  values.forEach((v, i) => {
    if (i >= from) {
      model += Math.abs(v - last.mean);
      persistence += Math.abs(v - last.value);
      covered += v >= last.lo && v <= last.hi ? 1 : 0;
      n++;
    }
    const out = engine.step([{ stream: 'fresh', ts: Date.UTC(2026, 2, 1) + i * 3_600_000, value: v }]);
    last = { mean: out.mean[0], lo: out.mean[0] - 1.96 * out.scale[0], hi: out.mean[0] + 1.96 * out.scale[0], value: v };
  });
  engine.dispose();
  return { maeRatio: model / persistence, coverage: covered / n };
}

describe('the shipped default model', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('loads, and takes the features the engine makes', () => {
    const model = loadModel(DEFAULT_MODEL_PATH);
    expect(model.spec.inputSize).toBe(FEATURE_COUNT);
    expect(model.spec.featureSet).toBe(FEATURE_SET);
    expect(model.meta.version).toBe(1);
  });

  it('forecasts a new daily-cycle stream better than repeating the last value, within 20 readings', () => {
    const e = noise(11);
    const values = Array.from({ length: 220 }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 24) + 0.5 * e());
    const s = score(values, 20);
    expect(s.maeRatio).toBeLessThan(0.85);
    expect(s.coverage).toBeGreaterThan(0.85);
  });

  it('forecasts a new pure-noise stream better than repeating the last value, with honest intervals', () => {
    const e = noise(12);
    const values = Array.from({ length: 220 }, () => 5 + e());
    const s = score(values, 20);
    // The best forecast (the mean) has MAE √2 times smaller than persistence; allow a young stream some slack.
    expect(s.maeRatio).toBeLessThan(0.9);
    expect(s.coverage).toBeGreaterThan(0.85);
    expect(s.coverage).toBeLessThan(0.995);
  });
});
