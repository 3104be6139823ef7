import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERTS } from '../../src/anomaly/alertConfig.ts';
import { answers, NEAR_MS, runSimAlertEval, SCORED_KINDS } from '../../src/anomaly/simAlertEval.ts';
import { loadModel } from '../../src/app.ts';
import { DEFAULT_MODEL_PATH } from '../../src/config.ts';
import { buildEngine } from '../../src/engine/buildEngine.ts';
import { useBestBackend } from '../support/backend.ts';

const T0 = Date.UTC(2026, 0, 5);
const sim = { streams: 24, intervalMs: 60_000, tickMs: 0, anomalyRate: 0, seed: 3 };

function run(anomalyRate: number, rounds: number) {
  const engine = buildEngine(loadModel(DEFAULT_MODEL_PATH), { maxKeyLength: 128, initialCapacity: 32 });
  try {
    return runSimAlertEval(engine, DEFAULT_ALERTS, { ...sim, anomalyRate }, rounds, 0.95, T0, () => {});
  } finally {
    engine.dispose();
  }
}

describe('the simulator alert evaluation', () => {
  beforeAll(async () => {
    await useBestBackend();
  });

  it('counts an alert as answering an injected anomaly on its stream from its start to NEAR_MS after, no later', () => {
    const anomaly = { stream: 's', kind: 'spike' as const, ts: T0 };
    expect(answers({ stream: 's', kind: 'anomaly', ts: T0 }, anomaly)).toBe(true);
    expect(answers({ stream: 's', kind: 'stuck', ts: T0 + NEAR_MS }, anomaly)).toBe(true);
    expect(answers({ stream: 's', kind: 'anomaly', ts: T0 + NEAR_MS + 1 }, anomaly)).toBe(false);
    expect(answers({ stream: 's', kind: 'anomaly', ts: T0 - 1 }, anomaly)).toBe(false);
    expect(answers({ stream: 't', kind: 'anomaly', ts: T0 }, anomaly)).toBe(false);
  });

  it('counts every alert of a fleet with nothing injected as answering nothing', () => {
    const r = run(0, 600);
    for (const k of SCORED_KINDS) expect([r.injected[k], r.found[k]]).toEqual([0, 0]);
    expect(r.away).toBe(r.opened);
    expect(r.stuckAway).toBe(r.stuckOpened);
    expect(r.simulatedHours).toBe(10);
  });

  it('finds injected stuck sensors with stuck-sensor alerts, and never more anomalies of a kind than were injected', () => {
    const r = run(0.01, 600);
    expect(r.injected.stuck).toBeGreaterThan(5);
    // A sensor repeating one value for 10 to 40 minutes, on streams that never repeat: its own alert answers most
    // (it opens at the 11th identical reading, so the shortest are not found).
    expect(r.found.stuck).toBeGreaterThanOrEqual(Math.ceil(r.injected.stuck / 2));
    expect(r.stuckAway).toBe(0);
    for (const k of SCORED_KINDS) expect(r.found[k]).toBeLessThanOrEqual(r.injected[k]);
  });
});
