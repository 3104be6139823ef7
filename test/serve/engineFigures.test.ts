import { describe, expect, it } from 'vitest';
import { type Tick, tickOf } from '../../src/engine/stepTicks.ts';
import { EngineFigures } from '../../src/serve/engineFigures.ts';

const tick = (readings: number, stepMs: number): Tick => tickOf([], new Array(readings).fill(null), stepMs);

describe('EngineFigures', () => {
  it('gives readings per second over the 10 whole seconds before now, and tick latency quantiles of the last 512 ticks', () => {
    const t0 = 1_000_000;
    const f = new EngineFigures(t0 - 60_000);
    expect(f.snapshot(t0)).toMatchObject({ readingsPerS: 0, tickP50Ms: null, tickP99Ms: null, ticks: 0, training: null });
    // 20 seconds of 3 ticks a second, 100 readings each; latencies 1..60 ms.
    let ms = 0;
    for (let s = 0; s < 20; s++) for (let k = 0; k < 3; k++) f.record(tick(100, ++ms), t0 + s * 1000 + k * 300);
    // At t0 + 20 s the window is seconds 10..19: 10 × 300 readings.
    const snap = f.snapshot(t0 + 20_000);
    expect(snap.readingsPerS).toBe(300);
    expect(snap.ticks).toBe(60);
    const sorted = Array.from({ length: 60 }, (_, i) => i + 1);
    expect(snap.tickP50Ms).toBe(sorted[Math.floor(0.5 * 60)]);
    expect(snap.tickP99Ms).toBe(sorted[Math.floor(0.99 * 60)]);
    // Long after, nothing is recent.
    expect(f.snapshot(t0 + 60_000).readingsPerS).toBe(0);
  });

  it('keeps only the last 512 latencies and the last training event', () => {
    const f = new EngineFigures(0);
    for (let i = 0; i < 1000; i++) f.record(tick(1, i < 600 ? 1000 : 1), 5000);
    // Only the newest 512 ticks count: 112 slow ones (ticks 488–599) and 400 fast ones.
    const snap = f.snapshot(6000);
    expect(snap.tickP50Ms).toBe(1);
    expect(snap.tickP99Ms).toBe(1000);
    f.training({ type: 'training', phase: 'epoch', epoch: 2, epochs: 8, validNll: 0.3 }, Date.UTC(2026, 0, 1));
    expect(f.snapshot(6000).training).toEqual({ type: 'training', phase: 'epoch', epoch: 2, epochs: 8, validNll: 0.3, at: '2026-01-01T00:00:00.000Z' });
  });
});
