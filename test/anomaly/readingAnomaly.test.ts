import { describe, expect, it } from 'vitest';
import { ANOMALY_WARMUP, ERR_MEMORY, RESID_HALF_LIFE, scoreReading } from '../../src/anomaly/readingAnomaly.ts';
import { initStats, Stat, STAT_COUNT } from '../../src/engine/streamStats.ts';

/** Feeds (value, prior mean, prior scale) readings through one stream row; returns [score, likelihood] per reading. */
function feed(readings: [number, number, number][]): [number, number][] {
  const stats = new Float64Array(STAT_COUNT);
  initStats(stats, 0);
  const score = new Float64Array(1);
  const likelihood = new Float64Array(1);
  return readings.map(([value, mean, scale]) => {
    scoreReading(stats, 0, value, score, likelihood, 0);
    // What the engine does after scoring: take the reading, then forecast the next one.
    stats[Stat.COUNT]++;
    stats[Stat.LAST_VALUE] = value;
    stats[Stat.PRIOR_MEAN] = mean;
    stats[Stat.PRIOR_SCALE] = scale;
    return [score[0], likelihood[0]];
  });
}

describe('reading anomaly score and likelihood', () => {
  it('scores the improbability of the reading under the forecast made before it', () => {
    // Prior N(0, 2) for the second reading, which is 2·Φ⁻¹(0.975) away, so 1 − P(|Z| ≥ |z|) = 0.95
    // (the tail is a fit with relative error below 1.2e-7).
    const z = 1.959963984540054;
    const [, [score]] = feed([[0, 0, 2], [2 * z, 0, 2]]);
    expect(score).toBeCloseTo(0.95, 6);
  });

  it('compares the recent mean error with the largest recent mean, which halves every RESID_HALF_LIFE readings', () => {
    // Errors from the equations, not the code: m ← m + (e − m)/ERR_MEMORY, r = m / max, max ← max(m, max · 2^(−1/RESID_HALF_LIFE)).
    const expected = (errors: number[]): number[] => {
      let m = 0;
      let max = 0;
      return errors.map((e, i) => {
        m += (e - m) / ERR_MEMORY;
        // The first reading has no forecast (no error, no mean); readings count from the second.
        const r = i + 1 > ANOMALY_WARMUP && max > 0 ? m / max : 0;
        max = Math.max(m, max * 0.5 ** (1 / RESID_HALF_LIFE));
        return r / (1 + r);
      });
    };
    // Errors of 1 (prior mean 0, values alternating ±1) past the warm-up, then a spike of 30 and a lasting shift to 4.
    const n = ANOMALY_WARMUP + 50;
    const rows: [number, number, number][] = [[0, 0, 1]];
    const errors: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = i === n - 40 ? 30 : i >= n - 20 ? 4 : i % 2 === 0 ? 1 : -1;
      rows.push([v, 0, 1]);
      errors.push(Math.abs(v));
    }
    const got = feed(rows).slice(1).map(([, l]) => l);
    const want = expected(errors);
    got.forEach((l, i) => expect(l).toBeCloseTo(want[i], 12));
    // The spike beats the recent maximum at once; so does the shift, a few readings in, while no single error of it
    // (4) beats the spike's (30).
    expect(got[n - 40]).toBeGreaterThan(0.5);
    expect(got.slice(n - 20).some((l) => l > 0.5)).toBe(true);
    // While errors stay at their usual size, the mean stays at about its recent maximum: r ≈ 1, likelihood ≈ 0.5.
    expect(Math.max(...got.slice(ANOMALY_WARMUP, n - 40))).toBeLessThan(0.501);
  });

  it('says nothing while the stream is young or has no forecast yet', () => {
    const out = feed([[5, 0, 1], [50, 0, 1], [500, 0, 1]]);
    expect(out.map(([, l]) => l)).toEqual([0, 0, 0]);
  });

  it('flags a stuck sensor on a stream that seldom repeats, and not on one that always does', () => {
    const varied: [number, number, number][] = [];
    // Each row's mean is the forecast of the next reading: here always right, so only the repeats can speak.
    for (let i = 0; i < 300; i++) varied.push([Math.sin(i), i === 299 ? 7 : Math.sin(i + 1), 1]);
    for (let i = 0; i < 30; i++) varied.push([7, 7, 1]); // stuck at 7, perfectly "forecast"
    const stuck = feed(varied).map(([, l]) => l);
    // The share of repeats was ~2.5 % before the run: about 20 repeats make it stand out.
    expect(Math.max(...stuck.slice(300))).toBeGreaterThan(0.5);
    expect(Math.max(...stuck.slice(20, 300))).toBeLessThan(0.5);
    const flat: [number, number, number][] = Array.from({ length: 400 }, () => [3, 3, 1]);
    expect(Math.max(...feed(flat).map(([, l]) => l))).toBeLessThan(0.5);
  });
});
