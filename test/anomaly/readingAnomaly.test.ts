import { describe, expect, it } from 'vitest';
import { ANOMALY_WARMUP, ERR_MEMORY, MIN_FLAT_RUN, RESID_HALF_LIFE, scoreReading } from '../../src/anomaly/readingAnomaly.ts';
import { initStats, Stat, STAT_COUNT } from '../../src/engine/streamStats.ts';

/** Each reading's flat run, as the last `feed` wrote it. */
let flats: number[] = [];

/** Feeds (value, prior mean, prior scale) readings through one stream row; returns [score, likelihood] per reading (flat runs in `flats`). */
function feed(readings: [number, number, number][]): [number, number][] {
  flats = [];
  const stats = new Float64Array(STAT_COUNT);
  initStats(stats, 0);
  const score = new Float64Array(1);
  const likelihood = new Float64Array(1);
  const flat = new Float64Array(1);
  return readings.map(([value, mean, scale]) => {
    scoreReading(stats, 0, value, score, likelihood, flat, 0);
    flats.push(flat[0]);
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

  it('measures a run of repeats against the longest run the stream ended lately, MIN_FLAT_RUN at least, apart from the likelihood', () => {
    const rows: [number, number, number][] = [];
    // Each row's mean is the forecast of the next reading: always right, so only the repeats can speak.
    for (let i = 0; i < 300; i++) rows.push([Math.sin(i), i === 299 ? 7 : Math.sin(i + 1), 1]);
    for (let i = 0; i < 20; i++) rows.push([7, 7, 1]); // 7, then 19 repeats
    for (let i = 0; i < 10; i++) rows.push([Math.cos(i), i === 9 ? 5 : Math.cos(i + 1), 1]);
    for (let i = 0; i < 31; i++) rows.push([5, 5, 1]); // 5, then 30 repeats
    const likelihoods = feed(rows).map(([, l]) => l);
    // From the equations: k-th repeat of the first run against MIN_FLAT_RUN (no run ended before it).
    for (let k = 1; k < 20; k++) expect(flats[300 + k]).toBeCloseTo(k / MIN_FLAT_RUN, 12);
    // A reading that differs ends the run: 0, and the run of 19 is now the stream's past (decaying since it ended).
    expect(flats[320]).toBe(0);
    const decay = 0.5 ** (1 / RESID_HALF_LIFE);
    for (let k = 1; k <= 30; k++) expect(flats[330 + k]).toBeCloseTo(k / (19 * decay ** (k + 10)), 12);
    // The run does not move the likelihood, which follows the forecast error only (none yet in the first run: 0).
    expect(Math.max(...likelihoods.slice(300, 320))).toBe(0);
    // A stream that never stops repeating has no ended run to compare with: its run grows against MIN_FLAT_RUN.
    feed(Array.from({ length: 40 }, () => [3, 3, 1]));
    expect(flats[39]).toBeCloseTo(39 / MIN_FLAT_RUN, 12);
  });

  it('measures a status that sits still for thousands of readings against runs of its own length', () => {
    // Runs of 3,000 readings of 0 and 1 in turn, then a run of 6,000: the fading follows 4 longest runs (12,000 readings).
    const rows: [number, number, number][] = [];
    const runs = [3000, 3000, 3000, 3000, 6000];
    runs.forEach((n, k) => {
      for (let i = 0; i < n; i++) rows.push([k % 2, k % 2, 1]);
    });
    feed(rows);
    const open = 0.565;
    const level = flats.map((x) => x / (1 + x));
    // The second to fourth runs (each measured against the ones before) stay below the default alert; the long one passes it.
    expect(Math.max(...level.slice(3000, 12000))).toBeLessThan(open);
    const first = level.findIndex((l, i) => i >= 12000 && l >= open) - 12000;
    // From the equations: the run that ended as the long one began had 2,999 repeats (3,000 readings), the longest so far;
    // each reading fades it by 0.5^(1 / (4 · longest)) (longer than RESID_HALF_LIFE / 4), and the k-th repeat is k / longest.
    let longest = 2999;
    let expected = -1;
    for (let k = 1; expected < 0; k++) {
      longest *= 0.5 ** (1 / Math.max(RESID_HALF_LIFE, 4 * longest));
      if (k / longest / (1 + k / longest) >= open) expected = k;
    }
    expect(first).toBe(expected);
    expect(first).toBeGreaterThan(3000);
  });
});
