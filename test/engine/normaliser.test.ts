import { describe, expect, it } from 'vitest';
import { ALPHA_MIN, CLIP, LONG_FLOOR, momentScale, updateMoments, WARMUP } from '../../src/engine/normaliser.ts';
import { initStats, Stat, STAT_COUNT } from '../../src/engine/streamStats.ts';

function fresh(): Float64Array {
  const s = new Float64Array(STAT_COUNT);
  initStats(s, 0);
  return s;
}

describe('online normaliser', () => {
  it('equals the plain mean and population variance during warm-up', () => {
    const s = fresh();
    const xs = [3, 7, 4, 9, 1, 6];
    for (const x of xs) updateMoments(s, 0, x);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(s[Stat.MEAN]).toBeCloseTo(mean, 12);
    expect(s[Stat.VAR]).toBeCloseTo(variance, 12);
  });

  it('is moved by at most alpha·CLIP·σ by one outlier after warm-up', () => {
    const s = fresh();
    for (let i = 0; i < 200; i++) updateMoments(s, 0, 100 + (i % 2 ? 1 : -1));
    const meanBefore = s[Stat.MEAN];
    const sdBefore = momentScale(s, 0);
    updateMoments(s, 0, 1e9);
    expect(Math.abs(s[Stat.MEAN] - meanBefore)).toBeLessThanOrEqual(ALPHA_MIN * CLIP * sdBefore + 1e-9);
    // σ widens by a bounded factor: (1 − α)(1 + α·CLIP²) at most.
    expect(momentScale(s, 0)).toBeLessThan(sdBefore * Math.sqrt((1 - ALPHA_MIN) * (1 + ALPHA_MIN * CLIP * CLIP)) + 1e-9);
  });

  it('follows a level shift that persists', () => {
    const s = fresh();
    for (let i = 0; i < 300; i++) updateMoments(s, 0, 10 + Math.sin(i));
    for (let i = 0; i < 400; i++) updateMoments(s, 0, 50 + Math.sin(i));
    expect(s[Stat.MEAN]).toBeGreaterThan(49);
    expect(s[Stat.MEAN]).toBeLessThan(51);
  });

  it('follows slow drift with bounded lag', () => {
    const s = fresh();
    for (let i = 0; i < 2000; i++) updateMoments(s, 0, i * 0.01 + Math.sin(i / 3));
    // An EWMA of a ramp lags by slope·(1 − α)/α.
    const lag = (0.01 * (1 - ALPHA_MIN)) / ALPHA_MIN;
    expect(Math.abs(1999 * 0.01 - lag - s[Stat.MEAN])).toBeLessThan(1);
  });

  it('does not let σ collapse when a noisy stream goes flat, and leaves a steadily noisy one alone', () => {
    const s = fresh();
    // σ = 1 noise (±1 alternating), then flat at 0 for 1,200 readings.
    for (let i = 0; i < 600; i++) updateMoments(s, 0, i % 2 ? 1 : -1);
    const sdNoisy = momentScale(s, 0);
    // While noisy, σ is the fast one: the floor is far below it.
    expect(sdNoisy).toBeCloseTo(Math.sqrt(s[Stat.VAR]), 12);
    expect(sdNoisy).toBeGreaterThan(0.9);
    for (let i = 0; i < 1200; i++) updateMoments(s, 0, 0);
    // The fast variance has all but vanished (memory ~50 readings) ...
    expect(Math.sqrt(s[Stat.VAR])).toBeLessThan(1e-4);
    // ... but σ stays a share of the long-run spread, so the next move of size 1 reads as tens of σ, not thousands.
    expect(momentScale(s, 0)).toBeGreaterThanOrEqual(LONG_FLOOR * Math.sqrt(s[Stat.LONG_VAR]));
    expect(1 / momentScale(s, 0)).toBeLessThan(50);
  });

  it('keeps σ finite and positive on a flat line', () => {
    const s = fresh();
    for (let i = 0; i < WARMUP * 3; i++) updateMoments(s, 0, 42);
    expect(s[Stat.VAR]).toBe(0);
    expect(momentScale(s, 0)).toBeGreaterThan(0);
    expect(Number.isFinite(momentScale(s, 0))).toBe(true);
  });
});
