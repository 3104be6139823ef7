import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULE } from '../src/anomaly/alertConfig.ts';
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

  it('takes alert rules from FORECASTER_ALERT_RULES, missing fields from the default rule, the default rule last', () => {
    const c = loadConfig({}, { FORECASTER_ALERT_RULES: '[{"pattern":"pump-*","open":0.6,"stuck":0.7}]' });
    expect(c.alerts.rules).toEqual([{ ...DEFAULT_ALERT_RULE, pattern: 'pump-*', open: 0.6, stuck: 0.7 }, DEFAULT_ALERT_RULE]);
  });

  it.each([
    ['not json', /not JSON/],
    ['{"pattern":"*"}', /JSON array/],
    ['[{"pattern":"a","stuck":1}]', /rules\[0\]\.stuck must be in \(0, 1\); got 1/],
    ['[{"pattern":"a","open":0}]', /rules\[0\]\.open must be in \(0, 1\)/],
    ['[{"pattern":"a","open":0.4,"close":0.5}]', /rules\[0\]\.close \(0.5\) must not exceed open \(0.4\)/],
    ['[{"pattern":""}]', /rules\[0\]\.pattern/],
    ['[{"pattern":"a","minReadings":1.5}]', /rules\[0\]\.minReadings/],
  ])('refuses FORECASTER_ALERT_RULES=%s with a ConfigError that says what is wrong', (json, message) => {
    expect(() => loadConfig({}, { FORECASTER_ALERT_RULES: json })).toThrow(ConfigError);
    expect(() => loadConfig({}, { FORECASTER_ALERT_RULES: json })).toThrow(message);
  });

  it('refuses a non-numeric environment variable, naming it', () => {
    expect(() => loadConfig({}, { FORECASTER_MAX_BATCH: 'lots' })).toThrow(/FORECASTER_MAX_BATCH/);
  });
});
