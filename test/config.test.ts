import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

describe('configuration', () => {
  it('starts from the defaults and is frozen', () => {
    const c = loadConfig({}, {});
    expect(c.engine).toEqual(DEFAULTS.engine);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.engine)).toBe(true);
  });

  it('takes environment variables, and explicit overrides over them', () => {
    const env = { FORECASTER_BACKEND: 'cpu', FORECASTER_MAX_BATCH: '512', FORECASTER_SIM_STREAMS: '20' };
    const c = loadConfig({ engine: { maxBatch: 64 } }, env);
    expect(c.backend).toBe('cpu');
    expect(c.engine.maxBatch).toBe(64);
    expect(c.simulator.streams).toBe(20);
  });

  it.each([
    [{ backend: 'gpu-please' }, /backend must be/],
    [{ engine: { maxBatch: 0 } }, /engine.maxBatch/],
    [{ engine: { intervalCoverage: 1 } }, /intervalCoverage/],
    [{ logLevel: 'loud' }, /logLevel/],
    [{ simulator: { anomalyRate: 2 } }, /anomalyRate/],
  ])('refuses %j with a ConfigError naming the setting', (overrides, message) => {
    expect(() => loadConfig(overrides, {})).toThrow(ConfigError);
    expect(() => loadConfig(overrides, {})).toThrow(message);
  });

  it('refuses a non-numeric environment variable, naming it', () => {
    expect(() => loadConfig({}, { FORECASTER_MAX_BATCH: 'lots' })).toThrow(/FORECASTER_MAX_BATCH/);
  });
});
