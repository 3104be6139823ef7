import { describe, expect, it } from 'vitest';
import { type InjectedAnomaly, Simulator } from '../../src/sim/simulator.ts';

describe('simulator', () => {
  it('reports each injected anomaly at the time of its first anomalous reading', () => {
    const injected: InjectedAnomaly[] = [];
    const intervalMs = 60_000;
    const sim = new Simulator({ streams: 40, intervalMs, tickMs: 0, anomalyRate: 0.05, seed: 3 }, 0, (a) => injected.push(a));
    const byStream = new Map<string, { ts: number; value: number }[]>();
    for (let round = 0; round < 200; round++) {
      for (const r of sim.nextRound()) {
        if (!byStream.has(r.stream)) byStream.set(r.stream, []);
        byStream.get(r.stream)?.push({ ts: r.ts, value: r.value });
      }
    }
    // A stuck sensor repeats its last value from its first anomalous reading on: that reading, at the reported time
    // (readings are jittered by at most ±1 % of the interval), repeats the one before, which did not.
    const stuck = injected.filter((a) => a.kind === 'stuck');
    expect(stuck.length).toBeGreaterThan(5);
    let checked = 0;
    for (const a of stuck) {
      const rs = byStream.get(a.stream) ?? [];
      const i = rs.findIndex((r) => Math.abs(r.ts - a.ts) <= intervalMs * 0.01);
      if (i < 2) continue;
      expect(rs[i].value, `${a.stream} at ${a.ts}`).toBe(rs[i - 1].value);
      expect(rs[i - 1].value).not.toBe(rs[i - 2].value);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});
