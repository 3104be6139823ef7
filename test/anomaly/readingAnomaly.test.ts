import { describe, expect, it } from 'vitest';
import { ANOMALY_WARMUP, RESID_HALF_LIFE, scoreReading } from '../../src/anomaly/readingAnomaly.ts';
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

  it('compares each error with the largest recent error, decaying by half every RESID_HALF_LIFE readings', () => {
    // Errors of 1 past the warm-up (prior mean 0, values alternating ±1), then an error of 3.
    const n = ANOMALY_WARMUP + 10;
    const rows: [number, number, number][] = [];
    for (let i = 0; i < n; i++) rows.push([i % 2 === 0 ? 1 : -1, 0, 1]);
    rows.push([3, 0, 1]);
    const out = feed(rows);
    // Running max of |error| before the last reading: 1 (refreshed every reading, so no decay below it).
    const r = 3 / 1;
    expect(out[n][1]).toBeCloseTo(r / (1 + r), 12);
    // An error equal to the recent maximum gives r = 1: 0.5.
    expect(out[n - 1][1]).toBeCloseTo(0.5, 12);
    // One big error then small ones: the maximum decays as 0.5^(n / RESID_HALF_LIFE).
    const decay: [number, number, number][] = [];
    for (let i = 0; i <= ANOMALY_WARMUP + 1; i++) decay.push([i === ANOMALY_WARMUP + 1 ? 10 : 0, 0, 1]);
    for (let i = 0; i < 100; i++) decay.push([0, 0, 1]);
    decay.push([5, 0, 1]);
    const last = feed(decay).at(-1)?.[1] ?? NaN;
    const rd = 5 / (10 * 0.5 ** (100 / RESID_HALF_LIFE));
    expect(last).toBeCloseTo(rd / (1 + rd), 12);
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
